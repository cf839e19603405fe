"""Simulate a case along a chosen path, for admins who want to see dated tasks before publishing.

The simulation drives `decide()` with a simulated clock. Its policy is "everyone acts on time":
each task is completed on its due date (or on the day it was created when it has none), guards
are satisfied as the path needs (consent for all parties, decision admitted, facts recorded on
the day), and a phase with a maximum length is stayed in until it ends. It is pure like the core.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from engine.core import commands as c
from engine.core.decide import TZ, decide, local_date
from engine.core.definition import Definition, FactType, Guard, Phase, PhaseKind
from engine.core.events import Decision, Event, Rejected
from engine.core.state import CaseState

ACT_AT = time(10, 0)  # simulated people act at 10:00 Swedish time


class SimulationError(Exception):
    def __init__(self, message: str, code: str = "simulation_failed") -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class SimulationOptions:
    start: date
    path: tuple[str, ...] = ()
    outcome: str = "förvärvsarbete"
    outcome_reason: str | None = None
    abort_in: str | None = None
    anonymous: bool = False
    sick_period_start: date | None = None
    extensions: dict[str, int] = field(default_factory=dict)
    late: dict[str, int] = field(default_factory=dict)
    """Task id → calendar days after its due date that it is completed (to see escalations)."""
    contact_every: int | None = 7
    """Record contact with the participant every N days (None: never, to see no-contact alerts)."""


@dataclass(frozen=True, slots=True)
class SimulationResult:
    events: list[Event]
    state: CaseState
    commands: int


def default_path(d: Definition) -> tuple[str, ...]:
    """The straight path: follow the first transition out of each phase until an exit phase."""
    path: list[str] = []
    phase = d.phase_by_id[d.start]
    seen = {phase.id}
    while phase.kind is not PhaseKind.EXIT and phase.transitions:
        nxt = next((t.to for t in phase.transitions if t.to not in seen), None)
        if nxt is None:
            break
        path.append(nxt)
        seen.add(nxt)
        phase = d.phase_by_id[nxt]
    return tuple(path)


def _at(day: date, t: time = ACT_AT) -> datetime:
    return datetime.combine(day, t, TZ).astimezone(UTC)


class _Sim:
    def __init__(self, d: Definition, opts: SimulationOptions) -> None:
        self.d = d
        self.opts = opts
        self.now = _at(opts.start)
        self.events: list[Event] = []
        self.state: CaseState | None = None
        self.commands = 0
        self.extended: dict[str, int] = {}
        self.next_contact = opts.start

    def run(self, cmd: c.Command) -> Decision:
        result = decide(self.d, self.state, cmd, self.now)
        if isinstance(result, Rejected):
            raise SimulationError(f"{type(cmd).__name__}: {result.message}", result.code)
        self.commands += 1
        self.state = result.state
        self.events.extend(result.events)
        return result

    @property
    def s(self) -> CaseState:
        assert self.state is not None
        return self.state

    # The simulated clock moves from one happening to the next: a timer, a task someone completes
    # on its due date, a contact with the participant.
    def _next_moments(self) -> Iterator[tuple[datetime, int, str]]:
        s = self.s
        for t in s.timers.values():
            yield t.at, 0, "timer:" + t.id
        for task in s.tasks.values():
            if task.is_open:
                day = (task.due or task.created_on) + timedelta(days=self.opts.late.get(task.spec or task.id, 0))
                yield max(_at(day), self.now), 1, "task:" + task.id
        if self.opts.contact_every:
            yield max(_at(self.next_contact, time(9, 0)), self.now), 2, "contact"

    def step_until(self, limit: datetime | None, stop_when_ready: Phase | None = None) -> None:
        """Let time pass, acting on each moment, until `limit` or the phase's tasks are all done."""
        for _ in range(100_000):
            if self.s.closed:
                return
            if stop_when_ready is not None and self._phase_tasks_done():
                return
            moments = sorted(self._next_moments())
            if not moments:
                return
            at, _, what = moments[0]
            if limit is not None and at > limit:
                self.now = max(self.now, limit)
                return
            self.now = max(self.now, at)
            if what.startswith("timer:"):
                self.run(c.FireTimer(what[6:], actor="system"))
            elif what.startswith("task:"):
                self.run(c.CompleteTask(what[5:], actor="simulering"))
            else:
                self.run(c.RecordContact(actor="simulering"))
                self.next_contact = local_date(self.now) + timedelta(days=self.opts.contact_every or 7)
        raise SimulationError("simuleringen avbröts: för många steg")  # pragma: no cover

    def _phase_tasks_done(self) -> bool:
        s = self.s
        return not any(t.is_open and t.phase == s.phase and t.spec is not None for t in s.tasks.values())

    def _fact_value(self, fact: str) -> Any:
        """A value of the fact's type: today for a date, a placeholder text, true, or 1."""
        spec = self.d.fact_by_id.get(fact)
        kind = spec.type if spec is not None else FactType.DATE
        values: dict[FactType, Any] = {
            FactType.TEXT: "simulerat värde",
            FactType.BOOL: True,
            FactType.NUMBER: 1,
        }
        return values.get(kind, local_date(self.now))

    def satisfy(self, guard: Guard) -> None:
        s = self.s
        if (guard.consent == "active" or guard.consent_covers) and not (s.consent and s.consent.active):
            self.run(c.RecordConsent(tuple(p.id for p in self.d.parties), local_date(self.now), actor="simulering"))
        if guard.decision is not None and s.decision != guard.decision:
            self.run(c.DecideParticipation(guard.decision, actor="simulering"))
        if guard.fact is not None and guard.fact not in s.facts:
            self.run(c.RecordFact(guard.fact, self._fact_value(guard.fact), actor="simulering"))
        if guard.any_of:
            # An alternative that names the participation mode fits best (anonymous: no consent).
            fitting = [alt for alt in guard.any_of if alt.anonymous == s.anonymous]
            fitting = fitting or [alt for alt in guard.any_of if alt.anonymous is None]
            if fitting:
                self.satisfy(fitting[0])

    def enter(self, target: str) -> None:
        phase = self.d.phase_by_id[self.s.phase]
        transitions = [t for t in phase.transitions if t.to == target]
        if not transitions:
            raise SimulationError(f"ingen övergång från {phase.id} till {target}", "transition_not_allowed")
        guard = transitions[0].when
        # Act within the phase: consent and decisions come first, then tasks are done on their due dates.
        if phase.kind in (PhaseKind.CONSENT, PhaseKind.DECISION):
            self.satisfy(guard)
        if guard.tasks_done or phase.kind is not PhaseKind.EXIT:
            self.step_until(None, stop_when_ready=phase)
        full_length = phase.kind in (PhaseKind.PREPARATORY, PhaseKind.WORK_TRAINING)
        if full_length and self.s.phase_ends_on is not None:
            while self.s.phase_ends_on is not None:
                end = _at(self.s.phase_ends_on, time(12, 0))
                self.step_until(end)
                if self.s.closed:
                    return
                if self.extended.get(phase.id, 0) < self.opts.extensions.get(phase.id, 0):
                    self.extended[phase.id] = self.extended.get(phase.id, 0) + 1
                    self.run(c.ExtendPhase(reason="simulerad förlängning", actor="simulering"))
                    continue
                break
        self.satisfy(guard)
        self.run(c.StartPhase(target, actor="simulering"))


def simulate(d: Definition, opts: SimulationOptions) -> SimulationResult:
    sim = _Sim(d, opts)
    facts = {}
    if opts.sick_period_start is not None and d.rehabiliteringskedjan is not None:
        facts[d.rehabiliteringskedjan.fact] = opts.sick_period_start
    first_party = d.parties[0].id
    sim.run(c.Refer("simulering", first_party, anonymous=opts.anonymous, facts=facts, actor="simulering"))
    path = opts.path or default_path(d)
    for target in path:
        if opts.abort_in == sim.s.phase:
            break
        if target not in d.phase_by_id:
            raise SimulationError(f"okänd fas '{target}' i vägen", "unknown_phase")
        sim.enter(target)
    if opts.abort_in is not None:
        if opts.abort_in != sim.s.phase:
            raise SimulationError(f"vägen passerar inte fasen '{opts.abort_in}'", "unknown_phase")
        abort_reason = d.avbrott_reasons[0] if d.avbrott_reasons else "simulerat avbrott"
        sim.run(c.AbortCase(abort_reason, actor="simulering"))
    elif d.phase_by_id[sim.s.phase].kind is PhaseKind.EXIT:
        sim.step_until(None, stop_when_ready=d.phase_by_id[sim.s.phase])
        reason: str | None = opts.outcome_reason
        if reason is None and opts.outcome in {o.value for o in d.reasons_required_for}:
            reason = "simulerat utfall"
        sim.run(c.ExitCase(opts.outcome, reason, actor="simulering"))
    return SimulationResult(sim.events, sim.s, sim.commands)


@dataclass(frozen=True, slots=True)
class Line:
    """One dated line of a simulation's agenda: what happens, for whom."""

    day: date
    who: str
    what: str


_SHOWN = {
    "PhaseEntered",
    "TaskCreated",
    "ReminderDue",
    "DeadlineMissed",
    "TaskEscalated",
    "PhaseMaxLengthReached",
    "PhaseExtended",
    "NoContactAlert",
    "MaxTimeReached",
    "RehabCheckpointWarning",
    "RehabCheckpointReached",
    "CaseClosed",
}


def agenda(d: Definition, result: SimulationResult) -> list[Line]:
    labels = {t.id: t.label for t in result.state.tasks.values()}
    lines: list[Line] = []
    for e in result.events:
        if e.type not in _SHOWN:
            continue
        day = local_date(e.at)
        data = e.data
        who = ", ".join(e.notify) or "ärendet"
        if e.type == "PhaseEntered":
            ends = f" (längst till {data['ends_on']})" if data.get("ends_on") else ""
            what = f"Fas: {data['label']}{ends}"
        elif e.type == "TaskCreated":
            due = f", senast {data['due']}" if data.get("due") else ""
            what = f"Uppgift: {data['label']}{due}"
        elif e.type == "ReminderDue":
            what = f"Påminnelse: {labels[data['task']]} förfaller {data['due']}"
        elif e.type == "DeadlineMissed":
            what = f"Försenad: {labels[data['task']]} (förföll {data['due']})"
        elif e.type == "TaskEscalated":
            what = f"Eskalerad till {data['to']}: {labels[data['task']]}"
        elif e.type == "PhaseMaxLengthReached":
            what = f"Fasens längsta tid nås ({d.phase_by_id[data['phase']].label})"
        elif e.type == "PhaseExtended":
            what = f"Förlängd till {data['ends_on']}"
        elif e.type == "NoContactAlert":
            what = "Ingen kontakt med deltagaren på 14 dagar"
        elif e.type == "MaxTimeReached":
            what = "Längsta tid i insatsen nådd"
        elif e.type == "RehabCheckpointWarning":
            what = f"Rehabiliteringskedjan: dag {data['day']} infaller {data['checkpoint_on']}"
        elif e.type == "RehabCheckpointReached":
            what = f"Rehabiliteringskedjan: dag {data['day']} i dag"
        else:
            what = "Avbrott: " + str(data.get("reason")) if data.get("avbrott") else f"Avslut: {data.get('outcome')}"
        lines.append(Line(day, who, what))
    return lines


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar of a simulation's timeline: a phase visit or a task, from its first to its last day."""

    lane: str
    """The party (id) whose row the bar is in, or "" for the case's phases."""
    label: str
    start: date
    end: date
    due: date | None = None
    responsible: str = ""
    late: bool = False


def timeline(d: Definition, result: SimulationResult) -> list[Bar]:
    """Phases (lane "") and tasks per party, as dated bars for a Gantt-like chart."""
    s = result.state
    last = s.closed_on or max([s.started_on, *(t.closed_on or t.created_on for t in s.tasks.values())])
    bars: list[Bar] = []
    visits = s.phase_visits
    for i, (phase, entered) in enumerate(visits):
        end = visits[i + 1][1] if i + 1 < len(visits) else last
        bars.append(Bar("", d.phase_by_id[phase].label if phase in d.phase_by_id else phase, entered, end))
    for t in sorted(s.tasks.values(), key=lambda t: (t.created_on, t.id)):
        end = t.closed_on or last
        late = t.due is not None and end > t.due
        bars.append(Bar(t.party, t.label, t.created_on, end, t.due, t.responsible, late))
    return bars
