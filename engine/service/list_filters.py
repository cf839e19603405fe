"""The filters of the lists people work from: `GET /tasks`, `GET /cases`, and the saved views that
store them (one model per list, the same for the query string, a saved view and the pages)."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from engine.service.errors import ServiceError

TaskStatus = Literal["open", "overdue", "due_today", "due_this_week", "all"]
Assignee = Literal["me", "unassigned", "roles", "any"]
TaskSort = Literal["due", "-due", "priority", "follow_up", "created"]
Priority = Literal["normal", "high"]
CaseScope = Literal["mine", "party"]
CaseStatus = Literal["active", "closed", "all"]
ViewKind = Literal["tasks", "cases"]


class _Filters(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TaskQuery(_Filters):
    """What `GET /tasks` answers: the caller's tasks, filtered and sorted."""

    status: TaskStatus = Field("open", description="open | overdue | due_today | due_this_week | all")
    assignee: Assignee = Field(
        "any",
        description="me (mina, också dem jag är ersättare för) | unassigned | roles (otilldelade uppgifter "
        "för mina roller) | any (min parts)",
    )
    case: str | None = Field(None, max_length=64, description="Ärendereferens")
    phase: str | None = Field(None, max_length=64)
    due_before: date | None = None
    due_after: date | None = None
    overdue: bool = Field(False, description="true: bara försenade")
    priority: Priority | None = None
    sort: TaskSort = "due"


class CaseQuery(_Filters):
    """What `GET /cases` answers: the cases the caller works with."""

    scope: CaseScope = Field("mine", description="mine (jag är med i ärendets team) | party (min parts)")
    phase: str | None = Field(None, max_length=64)
    status: CaseStatus = "active"
    overdue: bool = Field(False, description="true: bara ärenden med en försenad öppen uppgift")
    external_ref: str | None = Field(None, max_length=100, description="Min parts eget ärendenummer")


FILTER_MODELS: dict[str, type[_Filters]] = {"tasks": TaskQuery, "cases": CaseQuery}


def parse_filters(kind: str, filters: dict[str, Any]) -> TaskQuery | CaseQuery:
    """A saved view's filters, checked against the list's own model (422 with the field named)."""
    model = FILTER_MODELS.get(kind)
    if model is None:
        raise ServiceError("validation_error", f"Okänd vy '{kind}'", details={"field": "kind"})
    try:
        parsed = model.model_validate(filters)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "filters"
        message = f"Ogiltigt filter: {field}"
        raise ServiceError("validation_error", message, details={"field": f"filters.{field}"}) from None
    assert isinstance(parsed, (TaskQuery, CaseQuery))
    return parsed
