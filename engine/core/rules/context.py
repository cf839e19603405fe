"""What every rule works on: the copy of the state a command changes, and the events it emits.

A rule that refuses a command raises `Reject`; `decide()` turns it into the `Rejected` value it
returns, and the copied state is thrown away with everything the rule did to it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from engine.core.definition import Definition
from engine.core.events import Event, Rejected
from engine.core.localtime import fire_time, local_date
from engine.core.state import CaseState, Timer


class Reject(Exception):
    def __init__(self, code: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.rejection = Rejected(code, message, details)


class Context:
    """One command's work: the definition, the state copy it changes, the time, the events."""

    __slots__ = ("d", "s", "now", "today", "events", "actor")

    def __init__(self, d: Definition, s: CaseState, now: datetime, actor: str | None) -> None:
        self.d = d
        self.s = s
        self.now = now
        self.today = local_date(now)
        self.events: list[Event] = []
        self.actor = actor

    def emit(self, type_: str, notify: tuple[str, ...] = (), **data: Any) -> None:
        if self.actor is not None:
            data["actor"] = self.actor
        self.events.append(Event(type_, self.now, data, notify))

    def set_timer(self, timer_id: str, day: date, kind: str, ref: str | None = None) -> None:
        self.s.timers[timer_id] = Timer(timer_id, fire_time(day), kind, ref)

    def drop_timers(self, prefix: str) -> None:
        for key in [k for k in self.s.timers if k.startswith(prefix)]:
            del self.s.timers[key]


def business_day(ctx: Context, day: date) -> date:
    """Reminders and planned follow-ups that fall on a day off move to the working day before."""
    if ctx.d.calendar.reminders_on_working_days:
        return ctx.d.working_calendar.on_or_before(day)
    return day


def default_notify(ctx: Context) -> str:
    """Who hears of what no task's party owns: the coordinator, else the first role or party."""
    d = ctx.d
    if d.coordinator is not None:
        return d.coordinator
    return d.roles[0].id if d.roles else d.parties[0].id


def blank(text: str | None) -> bool:
    """No text given: None (a required text left out) or only whitespace."""
    return text is None or not text.strip()


def iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()
