"""The views case commands and queries return: a case as a caller may see it, tasks, events."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, Protocol

from engine.core.decide import local_date
from engine.core.definition import Definition
from engine.core.state import OPEN_STATUSES, CaseState, TaskState
from engine.service import access
from engine.service.access import Caller
from engine.service.ports import PersonRecord, StoredCase
from engine.service.views import CaseOut, ConsentOut, EventOut, PersonOut, TaskOut, TeamMemberOut


class EventLike(Protocol):
    @property
    def id(self) -> int: ...

    @property
    def case_id(self) -> str: ...

    @property
    def seq(self) -> int: ...

    @property
    def type(self) -> str: ...

    @property
    def at(self) -> datetime: ...

    @property
    def data(self) -> dict[str, Any]: ...

    @property
    def actor(self) -> str | None: ...


class TaskLike(Protocol):
    @property
    def case_id(self) -> str: ...

    @property
    def assignee(self) -> str | None: ...

    @property
    def assignee_name(self) -> str | None: ...

    @property
    def priority(self) -> str: ...

    @property
    def follow_up(self) -> date | None: ...

    @property
    def task_id(self) -> str: ...

    @property
    def label(self) -> str: ...

    @property
    def kind(self) -> str: ...

    @property
    def phase(self) -> str | None: ...

    @property
    def responsible(self) -> str: ...

    @property
    def party(self) -> str: ...

    @property
    def status(self) -> str: ...

    @property
    def due(self) -> date | None: ...

    @property
    def blocking(self) -> bool: ...

    @property
    def meeting(self) -> bool: ...

    @property
    def escalated_to(self) -> str | None: ...

    @property
    def created_on(self) -> date: ...

    @property
    def closed_on(self) -> date | None: ...


FREE_TEXT = frozenset({"note", "reason", "text", "comment", "value", "channel"})
"""Event data keys that may hold text a person wrote (notes, reasons, comments, fact values, a
contact's channel)."""
CODED = {("TaskCancelled", "reason")}
"""Keys of these names that the engine fills with a code, not with text someone wrote."""


def strip_free_text(view: CaseOut | EventOut, level: access.Level, d: Definition) -> CaseOut | EventOut:
    """The view as a caller at `level` may see it. Free text is personal data (a note may name the
    participant or their health), so below `full` a case carries no text facts and an event no
    note, reason, comment or text-fact value. Used for every read and every command answer."""
    if level == "full":
        return view
    if isinstance(view, CaseOut):
        return view.model_copy(update={"facts": {k: v for k, v in view.facts.items() if not _text_fact(d, k, v)}})
    data = {k: v for k, v in view.data.items() if not _free_text(d, view.type, k, view.data)}
    return view if len(data) == len(view.data) else view.model_copy(update={"data": data})


def _text_fact(d: Definition, fact: str, value: Any) -> bool:
    spec = d.fact_by_id.get(fact)
    return isinstance(value, str) and (spec is None or spec.type.value == "text")


def _free_text(d: Definition, event: str, key: str, data: dict[str, Any]) -> bool:
    if key not in FREE_TEXT or (event, key) in CODED:
        return False
    if event == "FactRecorded" and key == "value":
        return _text_fact(d, str(data.get("fact")), data.get("value"))
    return True


def person_out(person: PersonRecord | None) -> PersonOut | None:
    if person is None or person.protected:
        return None
    return PersonOut(id=person.id, personnummer=person.personnummer, name=person.name)


def case_out(
    caller: Caller,
    row: StoredCase,
    state: CaseState,
    d: Definition,
    now: datetime,
    person: Callable[[], PersonOut | None] | None = None,
    *,
    after_command: bool = False,
) -> tuple[CaseOut, bool]:
    """The case as `caller` may see it, and whether that read must be in the access log. `person`
    is asked for the person only when the caller may see them (full access, identity not protected);
    by default the person loaded with the case."""
    level = access.case_level(caller, state, d, identified=row.person_id is not None, now=now)
    if after_command and level == "none" and caller.is_party:
        # The command was allowed, but took away the caller's own view (e.g. a party withdrew
        # the consent covering it): the receipt is the case reference, version and own tasks.
        level = "tasks"
    access.require_case_read(caller, level)
    today = local_date(now)
    if level == "tasks":
        own = access.visible_tasks(caller, state, d, now)
        out = CaseOut(
            id=row.id,
            access="tasks",
            version=row.version,
            definition_id=row.definition_id,
            definition_version=row.definition_version,
            tasks=[task_state_out(row.id, t, today, caller) for t in own],
            team=team_out(state, caller.party),
            external_references={p: r for p, r in state.external_refs.items() if p == caller.party},
        )
        return out, False
    consent = state.consent
    show_person = level == "full" and not row.protected and row.person_id is not None
    out = CaseOut(
        id=row.id,
        access="full" if level == "full" else "case",
        version=row.version,
        definition_id=row.definition_id,
        definition_version=row.definition_version,
        status=state.status,
        phase=state.phase,
        phase_label=d.phase_by_id[state.phase].label if state.phase in d.phase_by_id else None,
        anonymous=row.anonymous,
        protected_identity=row.protected,
        gender=row.gender,
        birth_year=row.birth_year,
        started_on=state.started_on,
        closed_on=state.closed_on,
        decision=state.decision,
        outcome=state.outcome,
        person=(person() if person is not None else person_out(row.person)) if show_person else None,
        consent=None
        if consent is None
        else ConsentOut(
            parties=list(consent.parties),
            given_on=consent.given_on,
            form=consent.form,
            recorded_by=consent.recorded_by,
            withdrawn_on=consent.withdrawn_on,
            active=consent.active,
        ),
        facts=jsonable(state.facts),
        tasks=[task_state_out(row.id, t, today, caller) for t in state.tasks.values()],
        team=team_out(state, None),
        external_references={
            p: r for p, r in state.external_refs.items() if level == "full" or p == caller.party
        },
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
    stripped = strip_free_text(out, level, d)
    assert isinstance(stripped, CaseOut)
    return stripped, caller.kind != "system"


def jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def event_out(r: EventLike) -> EventOut:
    """The event as stored; a caller sees it through `event_at` (free text only at `full`)."""
    return EventOut(id=r.id, case_id=r.case_id, seq=r.seq, type=r.type, at=r.at, data=r.data, actor=r.actor)


def event_at(e: EventOut, level: access.Level, d: Definition) -> EventOut:
    stripped = strip_free_text(e, level, d)
    assert isinstance(stripped, EventOut)
    return stripped


def team_out(state: CaseState, party: str | None) -> list[TeamMemberOut]:
    """The case's team (of one party only when `party` is given)."""
    return [
        TeamMemberOut(party=p, user_id=m.user_id, name=m.name, role=m.role, added_on=m.added_on)
        for p, members in state.team.items()
        if party is None or p == party
        for m in members
    ]


def _team_fields(r: TaskLike | TaskState, caller: Caller | None) -> dict[str, Any]:
    """Assignee, priority and follow-up; `on_behalf_of` when the caller stands in for the assignee."""
    stand_in = caller is not None and r.assignee is not None and r.assignee in caller.stands_in_for
    return {
        "assignee": r.assignee,
        "assignee_name": r.assignee_name,
        "priority": r.priority,
        "follow_up": r.follow_up,
        "on_behalf_of": r.assignee if stand_in else None,
        "on_behalf_of_name": r.assignee_name if stand_in else None,
    }


def task_out(r: TaskLike, today: date, person: PersonOut | None, caller: Caller | None = None) -> TaskOut:
    is_open = r.status in OPEN_STATUSES
    return TaskOut(
        case_id=r.case_id,
        task_id=r.task_id,
        label=r.label,
        kind=r.kind,
        phase=r.phase,
        responsible=r.responsible,
        party=r.party,
        status=r.status,
        due=r.due,
        blocking=r.blocking,
        meeting=r.meeting,
        escalated_to=r.escalated_to,
        created_on=r.created_on,
        closed_on=r.closed_on,
        overdue=is_open and r.due is not None and r.due < today,
        person=person,
        **_team_fields(r, caller),
    )


def task_state_out(case_id: str, t: TaskState, today: date, caller: Caller | None = None) -> TaskOut:
    return TaskOut(
        case_id=case_id,
        task_id=t.id,
        label=t.label,
        kind=t.kind,
        phase=t.phase,
        responsible=t.responsible,
        party=t.party,
        status=t.status,
        due=t.due,
        blocking=t.blocking,
        meeting=t.meeting,
        escalated_to=t.escalated_to,
        created_on=t.created_on,
        closed_on=t.closed_on,
        overdue=t.is_open and t.due is not None and t.due < today,
        **_team_fields(t, caller),
    )
