"""A fake clock and a case driver for the engine-core tests.

Cases are built only through commands sent to `decide()`; time is a plain datetime the test
advances, and timers whose `at` has come are fired through `FireTimer`, earliest first, the
way the worker's sweep does it.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from engine.core import commands as c
from engine.core.decide import decide
from engine.core.definition import Definition
from engine.core.events import Decision, Event, Rejected
from engine.core.loader import load, loads
from engine.core.state import CaseState, TaskState

ROOT = Path(__file__).resolve().parents[2]
FINSAM_PATH = ROOT / "definitions" / "finsam-insats.yaml"
STOCKHOLM = ZoneInfo("Europe/Stockholm")
ALL_PARTIES = ("af", "fk", "kommun", "region")

_finsam: Definition | None = None


def finsam() -> Definition:
    global _finsam
    if _finsam is None:
        _finsam = load(FINSAM_PATH)
    return _finsam


def definition_from_yaml(text: str) -> Definition:
    return loads(text, "<test>")


def at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    """An instant on `day` at hour:minute Swedish local time, in UTC like the service passes it."""
    return datetime.combine(day, time(hour, minute), STOCKHOLM).astimezone(UTC)


def fires_on(day: date) -> datetime:
    """Timers fire at 06:00 Swedish time (README), written out here rather than taken from the engine."""
    return at(day, 6)


def local(now: datetime) -> date:
    return now.astimezone(STOCKHOLM).date()


class RejectedUnexpectedly(AssertionError):
    pass


@dataclass
class Case:
    """One case driven through commands with a fake clock."""

    definition: Definition
    now: datetime
    state: CaseState | None = None
    events: list[Event] = field(default_factory=list)
    last: Decision | None = None
    fired: list[str] = field(default_factory=list)

    # --- building --------------------------------------------------------------------

    @classmethod
    def referred(
        cls,
        on: date,
        definition: Definition | None = None,
        *,
        hour: int = 10,
        case_id: str = "c1",
        referred_by: str = "af",
        anonymous: bool = False,
        facts: dict[str, object] | None = None,
    ) -> Case:
        case = cls(definition or finsam(), at(on, hour))
        case.run(c.Refer(case_id, referred_by, anonymous=anonymous, facts=dict(facts or {}), actor="handläggare"))
        return case

    @property
    def s(self) -> CaseState:
        assert self.state is not None
        return self.state

    @property
    def today(self) -> date:
        return local(self.now)

    def attempt(self, cmd: c.Command) -> Decision | Rejected:
        return decide(self.definition, self.state, cmd, self.now)

    def run(self, cmd: c.Command) -> Decision:
        result = self.attempt(cmd)
        if isinstance(result, Rejected):
            raise RejectedUnexpectedly(f"{cmd!r} rejected: {result.code}: {result.message}")
        self.state = result.state
        self.events.extend(result.events)
        self.last = result
        return result

    def reject(self, cmd: c.Command) -> Rejected:
        """Send a command that must be rejected; assert that it changed nothing."""
        before = copy.deepcopy(self.state)
        before_json = None if self.state is None else self.state.to_json()
        result = self.attempt(cmd)
        assert isinstance(result, Rejected), f"{cmd!r} was accepted"
        assert self.state == before
        if self.state is not None:
            assert self.state.to_json() == before_json
        return result

    # --- time ------------------------------------------------------------------------

    def due_timers(self) -> list[str]:
        if self.state is None:
            return []
        return [t.id for t in sorted(self.s.timers.values(), key=lambda t: (t.at, t.id)) if t.at <= self.now]

    def fire_due(self) -> list[Event]:
        """Fire every timer whose time has come, earliest first, until none is due."""
        new: list[Event] = []
        while not (self.state is None or self.s.closed):
            due = self.due_timers()
            if not due:
                break
            self.fired.append(due[0])
            new.extend(self.run(c.FireTimer(due[0], actor="system")).events)
        return new

    def advance_to(self, day: date, hour: int = 10) -> list[Event]:
        """Let time pass until `day` at `hour`, firing timers on their way (each at its own time)."""
        target = at(day, hour)
        assert target >= self.now, "the fake clock only goes forward"
        new: list[Event] = []
        while self.state is not None and not self.s.closed:
            pending = sorted(self.s.timers.values(), key=lambda t: (t.at, t.id))
            nxt = next((t for t in pending if t.at <= target), None)
            if nxt is None:
                break
            self.now = max(self.now, nxt.at)
            new.extend(self.fire_due())
        self.now = target
        return new

    # --- reading ---------------------------------------------------------------------

    def task(self, task_id: str) -> TaskState:
        return self.s.tasks[task_id]

    def open_task_ids(self) -> set[str]:
        return {t.id for t in self.s.tasks.values() if t.is_open}

    def due_dates(self) -> dict[str, date | None]:
        return {t.id: t.due for t in self.s.tasks.values() if t.is_open}

    def timer_at(self, timer_id: str) -> datetime:
        return self.s.timers[timer_id].at

    def events_of(self, type_: str, events: list[Event] | None = None) -> list[Event]:
        return [e for e in (self.events if events is None else events) if e.type == type_]

    # --- common steps ----------------------------------------------------------------

    def complete(self, *task_ids: str) -> None:
        for task_id in task_ids:
            self.run(c.CompleteTask(task_id, actor="samordnare"))

    def start(self, phase: str) -> Decision:
        return self.run(c.StartPhase(phase, actor="samordnare"))

    # --- FINSAM shortcuts ------------------------------------------------------------

    def complete_blocking(self) -> None:
        """Complete every open blocking task of the current phase (the team does its work)."""
        for t in sorted(self.s.tasks.values(), key=lambda t: t.id):
            if t.is_open and t.blocking and t.phase == self.s.phase:
                self.complete(t.id)

    def walk(self, *targets: str) -> None:
        """Move a FINSAM case along `targets` today, satisfying each guard by commands first."""
        for target in targets:
            phase = self.s.phase
            if phase == "samtycke" and not self.s.anonymous and not (self.s.consent and self.s.consent.active):
                self.run(c.RecordConsent(ALL_PARTIES, self.today, actor="samordnare"))
            if phase == "beslut" and self.s.decision is None:
                decision = "not_admitted" if target == "avslut" else "admitted"
                self.run(c.DecideParticipation(decision, actor="samverkansteam"))
            if phase == "inskrivning" and "inskrivningssamtal_hallet" not in self.s.facts:
                self.run(c.RecordFact("inskrivningssamtal_hallet", self.today, actor="samordnare"))
            if phase == "kartlaggning" and target != "avslut" and "avstamningsmote_hallet" not in self.s.facts:
                self.run(c.RecordFact("avstamningsmote_hallet", self.today, actor="samordnare"))
            self.complete_blocking()
            self.start(target)


STRAIGHT = ("samtycke", "beslut", "inskrivning", "kartlaggning", "forberedande", "arbetstraning", "avslut")


def path_to(phase: str) -> tuple[str, ...]:
    """The straight FINSAM path from aktualisering up to and including `phase`."""
    if phase == "aktualisering":
        return ()
    return STRAIGHT[: STRAIGHT.index(phase) + 1]
