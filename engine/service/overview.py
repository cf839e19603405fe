"""Aggregates for the förbund's pages: which running cases are on which definition version, and
simple follow-up counts. Counts only: no case id, no person, nothing a förbund may not hold."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import func, select

from engine.adapters.store.models import CaseRow
from engine.service.access import Caller, require_admin
from engine.service.errors import forbidden
from engine.service.uow import UowFactory


@dataclass(frozen=True)
class FollowUp:
    """Counts per insats definition: running per phase, ended per outcome, by gender."""

    total: int = 0
    active: int = 0
    closed: int = 0
    by_phase: dict[str, int] = field(default_factory=dict)
    by_outcome: dict[str, int] = field(default_factory=dict)
    by_gender: dict[str, int] = field(default_factory=dict)
    outcome_by_gender: dict[tuple[str, str], int] = field(default_factory=dict)
    anonymous: int = 0


class OverviewService:
    def __init__(self, uow: UowFactory) -> None:
        self._uow = uow

    def running_per_version(self, caller: Caller, definition_id: str | None = None) -> dict[tuple[str, int], int]:
        """(definition id, version) → number of running cases on it."""
        require_admin(caller)
        with self._uow() as uow:
            q = select(CaseRow.definition_id, CaseRow.definition_version, func.count()).where(
                CaseRow.status == "active"
            )
            if definition_id is not None:
                q = q.where(CaseRow.definition_id == definition_id)
            rows = uow.session.execute(q.group_by(CaseRow.definition_id, CaseRow.definition_version)).all()
            return {(r[0], int(r[1])): int(r[2]) for r in rows}

    def follow_up(self, caller: Caller, definition_id: str | None = None) -> FollowUp:
        if caller.kind not in ("forbund_admin", "auditor"):
            raise forbidden("Uppföljningen är till för förbundet")
        with self._uow() as uow:
            q = select(CaseRow.status, CaseRow.phase, CaseRow.outcome, CaseRow.gender, CaseRow.anonymous)
            if definition_id is not None:
                q = q.where(CaseRow.definition_id == definition_id)
            rows = uow.session.execute(q).all()
        by_phase: Counter[str] = Counter()
        by_outcome: Counter[str] = Counter()
        by_gender: Counter[str] = Counter()
        outcome_gender: Counter[tuple[str, str]] = Counter()
        active = closed = anonymous = 0
        for status, phase, outcome, gender, anon in rows:
            g = gender or "okänt"
            by_gender[g] += 1
            anonymous += bool(anon)
            if status == "active":
                active += 1
                by_phase[phase or "okänd"] += 1
            else:
                closed += 1
                o = outcome or "avbrott"
                by_outcome[o] += 1
                outcome_gender[(o, g)] += 1
        return FollowUp(
            total=len(rows),
            active=active,
            closed=closed,
            by_phase=dict(by_phase),
            by_outcome=dict(by_outcome),
            by_gender=dict(by_gender),
            outcome_by_gender=dict(outcome_gender),
            anonymous=anonymous,
        )
