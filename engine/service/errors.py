"""Errors are values with names: a stable `code`, a Swedish message, an HTTP status, details.

The API maps `code` to a problem+json `type` (https://insats.example/problems/<code>) and uses
`status` as is; nothing else in the API needs to know the rules.
"""

from __future__ import annotations

from typing import Any

from engine.core.events import Rejected

INVALID_INPUT_CODES = frozenset(
    {
        "unknown_task",
        "unknown_phase",
        "unknown_fact",
        "unknown_party",
        "unknown_outcome",
        "unknown_reason",
        "unknown_command",
        "invalid_date",
        "invalid_fact_value",
        "invalid_decision",
        "reason_required",
        "comment_empty",
        "consent_scope_empty",
        "consent_form_required",
        "invalid_value",
        "unknown_role",
        "unknown_priority",
        "name_required",
    }
)
"""Engine rejections that mean the request itself is malformed (422), not a rule violation (409)."""

STATUS_BY_CODE: dict[str, int] = {
    "not_found": 404,
    "case_not_found": 404,
    "forbidden": 403,
    "unauthenticated": 401,
    "version_conflict": 412,
    "version_required": 428,
    "idempotency_conflict": 422,
    "definition_invalid": 422,
    "validation_error": 422,
    "cursor_invalid": 400,
    "person_invalid": 422,
    "definition_exists": 409,
    "definition_not_published": 409,
    "migration_invalid": 422,
    "substitute_unknown": 422,
    "substitute_period_invalid": 422,
    **dict.fromkeys(INVALID_INPUT_CODES, 422),
}


def status_for(code: str) -> int:
    """HTTP status for an error code; any other engine rule violation is 409 Conflict."""
    return STATUS_BY_CODE.get(code, 409)


class ServiceError(Exception):
    def __init__(self, code: str, message: str, status: int | None = None, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status if status is not None else status_for(code)
        self.details: dict[str, Any] = details or {}

    def __repr__(self) -> str:
        return f"ServiceError({self.code!r}, {self.message!r}, {self.status})"

    @classmethod
    def from_rejection(cls, rejected: Rejected) -> ServiceError:
        return cls(rejected.code, rejected.message, details=dict(rejected.details))


def not_found(what: str = "Resursen") -> ServiceError:
    return ServiceError("not_found", f"{what} finns inte")


def forbidden(message: str = "Du har inte behörighet till detta") -> ServiceError:
    return ServiceError("forbidden", message)
