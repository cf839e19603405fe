"""Aggregates for the förbund's pages: which running cases are on which definition version, and
simple follow-up counts. Counts only: no case id, no person, nothing a förbund may not hold."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from engine.service.access import Caller, require_admin
from engine.service.errors import forbidden
from engine.service.query_ports import CaseCounts


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
    def __init__(self, counts: CaseCounts) -> None:
        self._counts = counts

    def running_per_version(self, caller: Caller, definition_id: str | None = None) -> dict[tuple[str, int], int]:
        """(definition id, version) → number of running cases on it."""
        require_admin(caller)
        return self._counts.running_per_version(definition_id)

    def follow_up(self, caller: Caller, definition_id: str | None = None) -> FollowUp:
        if caller.kind not in ("forbund_admin", "auditor"):
            raise forbidden("Uppföljningen är till för förbundet")
        rows = self._counts.case_facts(definition_id)
        by_phase: Counter[str] = Counter()
        by_outcome: Counter[str] = Counter()
        by_gender: Counter[str] = Counter()
        outcome_gender: Counter[tuple[str, str]] = Counter()
        active = closed = anonymous = 0
        for r in rows:
            g = r.gender or "okänt"
            by_gender[g] += 1
            anonymous += bool(r.anonymous)
            if r.status == "active":
                active += 1
                by_phase[r.phase or "okänd"] += 1
            else:
                closed += 1
                o = r.outcome or "avbrott"
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
