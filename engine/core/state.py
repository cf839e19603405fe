"""A case's state: plain data that round-trips through JSON without loss.

The state records the definition version it runs on (spec apart from instance, as in
SpiffWorkflow); `decide()` never mutates a state it is given.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from operator import attrgetter
from typing import Any

import orjson

OPEN_STATUSES = frozenset({"open", "accepted"})


@dataclass(frozen=True, slots=True)
class Consent:
    parties: tuple[str, ...]
    given_on: date
    form: str
    recorded_by: str
    withdrawn_on: date | None = None

    @property
    def active(self) -> bool:
        return self.withdrawn_on is None and bool(self.parties)

    def covers(self, party: str) -> bool:
        return self.active and party in self.parties


@dataclass(frozen=True, slots=True)
class TaskState:
    id: str
    spec: str | None
    kind: str  # task, follow_up, midpoint_review, rehab_checkpoint
    label: str
    phase: str | None  # None: belongs to the case, not to a phase visit
    responsible: str
    party: str
    status: str  # open, accepted, declined, completed, cancelled
    created_on: date
    due: date | None
    blocking: bool
    closed_on: date | None = None
    reason: str | None = None
    escalated_to: str | None = None
    meeting: bool = False

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


@dataclass(frozen=True, slots=True)
class Timer:
    id: str
    at: datetime
    kind: str
    ref: str | None = None


@dataclass(slots=True)
class CaseState:
    case_id: str
    definition_id: str
    definition_version: int
    status: str  # active, closed
    phase: str
    phase_entered_on: date
    started_on: date
    anonymous: bool = False
    referred_by: str | None = None
    phase_ends_on: date | None = None
    phase_visits: list[tuple[str, date]] = field(default_factory=list)
    consent: Consent | None = None
    decision: str | None = None
    facts: dict[str, Any] = field(default_factory=dict)
    tasks: dict[str, TaskState] = field(default_factory=dict)
    timers: dict[str, Timer] = field(default_factory=dict)
    last_contact_on: date | None = None
    follow_ups: int = 0
    global_timers_started: tuple[str, ...] = ()
    outcome: str | None = None
    outcome_reason: str | None = None
    aborted: bool = False
    closed_on: date | None = None

    def clone(self) -> CaseState:
        """A copy whose containers can be changed without touching this state."""
        s: CaseState = _new(CaseState)  # every field is set below (quicker than the 23-keyword __init__)
        s.case_id = self.case_id
        s.definition_id = self.definition_id
        s.definition_version = self.definition_version
        s.status = self.status
        s.phase = self.phase
        s.phase_entered_on = self.phase_entered_on
        s.started_on = self.started_on
        s.anonymous = self.anonymous
        s.referred_by = self.referred_by
        s.phase_ends_on = self.phase_ends_on
        s.phase_visits = list(self.phase_visits)
        s.consent = self.consent
        s.decision = self.decision
        s.facts = dict(self.facts)
        s.tasks = dict(self.tasks)
        s.timers = dict(self.timers)
        s.last_contact_on = self.last_contact_on
        s.follow_ups = self.follow_ups
        s.global_timers_started = self.global_timers_started
        s.outcome = self.outcome
        s.outcome_reason = self.outcome_reason
        s.aborted = self.aborted
        s.closed_on = self.closed_on
        return s

    @property
    def closed(self) -> bool:
        return self.status == "closed"

    def open_tasks(self) -> list[TaskState]:
        return [t for t in self.tasks.values() if t.is_open]

    # --- serialisation -------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        d = self._head()
        d["tasks"] = self._task_rows()
        d.update(self._tail())
        return d

    def _task_rows(self) -> list[tuple[Any, ...]]:
        rows = _TASK_ROWS.get  # rows of (frozen) tasks already written
        return [e[1] if (e := rows(id(t))) is not None and e[0] is t else _task_row(t) for t in self.tasks.values()]

    def _timer_rows(self) -> list[tuple[Any, ...]]:
        rows = _TIMER_ROWS.get  # rows of (frozen) timers already written
        return [e[1] if (e := rows(id(t))) is not None and e[0] is t else _timer_row(t) for t in self.timers.values()]

    def _head(self) -> dict[str, Any]:
        """The fields before "tasks", in the order they are written."""
        iso = _ISO.__getitem__  # None → None, a date → its ISO text
        consent = self.consent
        return {
            "case_id": self.case_id,
            "definition_id": self.definition_id,
            "definition_version": self.definition_version,
            "status": self.status,
            "phase": self.phase,
            "phase_entered_on": iso(self.phase_entered_on),
            "started_on": iso(self.started_on),
            "anonymous": self.anonymous,
            "referred_by": self.referred_by,
            "phase_ends_on": iso(self.phase_ends_on),
            "phase_visits": [[p, iso(d)] for p, d in self.phase_visits],
            "consent": None
            if consent is None
            else {
                "parties": list(consent.parties),
                "given_on": iso(consent.given_on),
                "form": consent.form,
                "recorded_by": consent.recorded_by,
                "withdrawn_on": iso(consent.withdrawn_on),
            },
            "decision": self.decision,
            "facts": {k: _fact_out(v) for k, v in self.facts.items()},
        }

    def _tail(self) -> dict[str, Any]:
        """The fields after "tasks"."""
        iso = _ISO.__getitem__
        return {
            "timers": self._timer_rows(),
            "last_contact_on": iso(self.last_contact_on),
            "follow_ups": self.follow_ups,
            "global_timers_started": list(self.global_timers_started),
            "outcome": self.outcome,
            "outcome_reason": self.outcome_reason,
            "aborted": self.aborted,
            "closed_on": iso(self.closed_on),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CaseState:
        timers_by_row = _TIMERS_BY_ROW.get
        return cls._from_dict(
            d,
            {t[0]: _task_from_cached_row(t) for t in d["tasks"]},
            {
                t[0]: timer if (timer := timers_by_row(tuple(t))) is not None else _timer_from_cached_row(t)
                for t in d["timers"]
            },
        )

    @classmethod
    def _from_dict(cls, d: dict[str, Any], tasks: dict[str, TaskState], timers: dict[str, Timer]) -> CaseState:
        day = _DATES.__getitem__  # None → None, ISO text → date
        required = _REQUIRED_DATES.__getitem__
        c = d["consent"]
        s: CaseState = _new(cls)  # every field is set below (a dataclass __init__ with 23 keywords is slower)
        s.case_id = d["case_id"]
        s.definition_id = d["definition_id"]
        s.definition_version = d["definition_version"]
        s.status = d["status"]
        s.phase = d["phase"]
        s.phase_entered_on = required(d["phase_entered_on"])
        s.started_on = required(d["started_on"])
        s.anonymous = d["anonymous"]
        s.referred_by = d["referred_by"]
        s.phase_ends_on = day(d["phase_ends_on"])
        s.phase_visits = [(p, required(v)) for p, v in d["phase_visits"]]
        s.consent = None if c is None else _consent(c)
        s.decision = d["decision"]
        s.facts = {k: _fact_in(v) for k, v in d["facts"].items()}
        s.tasks = tasks
        s.timers = timers
        s.last_contact_on = day(d["last_contact_on"])
        s.follow_ups = d["follow_ups"]
        s.global_timers_started = tuple(d["global_timers_started"])
        s.outcome = d["outcome"]
        s.outcome_reason = d["outcome_reason"]
        s.aborted = d["aborted"]
        s.closed_on = day(d["closed_on"])
        return s

    def to_json(self) -> str:
        """`orjson.dumps(self.to_dict())`, written in three parts: the text of the task list is
        memoised by the (frozen) tasks it holds, mostly the same from one command to the next."""
        tasks = _tasks_json(self.tasks)
        head, tail = orjson.dumps(self._head()).decode(), orjson.dumps(self._tail()).decode()
        return "".join((head[:-1], tasks, ",", tail[1:]))

    @classmethod
    def from_json(cls, text: str | bytes) -> CaseState:
        split = _split_lists(text)
        if split is not None:
            rest, tasks, timers = split
            try:
                d = orjson.loads(rest)
                if type(d) is dict and _is_zero(d.get("tasks")) and _is_zero(d.get("timers")):
                    return cls._from_dict(d, _tasks_from_text(tasks), _timers_from_text(timers))
            except orjson.JSONDecodeError:
                pass  # not split where the top-level lists are: parse the whole text
        return cls.from_dict(orjson.loads(text))


def _is_zero(value: Any) -> bool:
    return type(value) is int and value == 0


# --- serialisation helpers -----------------------------------------------------------------
# Every command loads a case from JSON and saves it back, so these are on the hot path. Dates
# and timer instants come from a narrow range of days shared by all cases, so their ISO texts
# and parsed values are memoised (bounded); frozen dataclasses are built without going through
# their generated `__init__`, which sets each field with `object.__setattr__` (several times
# slower for TaskState's fifteen fields).

_MEMO_LIMIT = 50_000


class _IsoTexts(dict[date | None, str | None]):
    def __missing__(self, value: date | None) -> str | None:
        assert value is not None
        if type(value) is not date:  # a datetime equals another with a different offset
            return value.isoformat()
        if len(self) > _MEMO_LIMIT:
            self.clear()
            self[None] = None
        text = self[value] = value.isoformat()
        return text


class _ParsedDates(dict[str | None, date | None]):
    def __missing__(self, text: str | None) -> date | None:
        assert text is not None
        if len(self) > _MEMO_LIMIT:
            self.clear()
            self[None] = None
        value = self[text] = date.fromisoformat(text)
        return value


class _ParsedInstants(dict[str, datetime]):
    def __missing__(self, text: str) -> datetime:
        if len(self) > _MEMO_LIMIT:
            self.clear()
        value = self[text] = datetime.fromisoformat(text)
        return value


class _RequiredDates(dict[str, date]):
    """As `_DATES` for a date that may not be null: None raises, as `date.fromisoformat` does."""

    def __missing__(self, text: str) -> date:
        value = date.fromisoformat(text)
        if len(self) > _MEMO_LIMIT:
            self.clear()
        self[text] = value
        return value


_ISO = _IsoTexts({None: None})
_DATES = _ParsedDates({None: None})
_REQUIRED_DATES = _RequiredDates()
_INSTANTS = _ParsedInstants()

_new = object.__new__
_TASK_SLOTS = tuple(getattr(TaskState, name).__set__ for name in TaskState.__slots__)
_TIMER_SLOTS = tuple(getattr(Timer, name).__set__ for name in Timer.__slots__)
_CONSENT_SLOTS = tuple(getattr(Consent, name).__set__ for name in Consent.__slots__)
assert len(_CONSENT_SLOTS) == 5, "update _consent"
assert len(_TASK_SLOTS) == 15, "update the task rows in to_dict/from_dict"
assert len(CaseState.__slots__) == 23, "update CaseState.clone and _from_dict, which set every field"
assert len(_TIMER_SLOTS) == 4, "update the timer rows in to_dict/from_dict"


def _consent(c: dict[str, Any], s: tuple[Any, ...] = _CONSENT_SLOTS) -> Consent:
    consent: Consent = _new(Consent)
    s[0](consent, tuple(c["parties"]))
    s[1](consent, _REQUIRED_DATES[c["given_on"]])
    s[2](consent, c["form"])
    s[3](consent, c["recorded_by"])
    s[4](consent, _DATES[c["withdrawn_on"]])
    return consent


def _task_from_row(r: list[Any], s: tuple[Any, ...] = _TASK_SLOTS) -> TaskState:
    day = _DATES.__getitem__
    t: TaskState = _new(TaskState)
    s[0](t, r[0])
    s[1](t, r[1])
    s[2](t, r[2])
    s[3](t, r[3])
    s[4](t, r[4])
    s[5](t, r[5])
    s[6](t, r[6])
    s[7](t, r[7])
    s[8](t, day(r[8]))
    s[9](t, day(r[9]))
    s[10](t, r[10])
    s[11](t, day(r[11]))
    s[12](t, r[12])
    s[13](t, r[13])
    s[14](t, r[14])
    return t


_TASKS_BY_ROW: dict[tuple[Any, ...], TaskState] = {}


def _task_from_cached_row(r: list[Any]) -> TaskState:
    """Most of a case's tasks are unchanged from one command to the next (closed ones never
    change): a frozen task already built from the same row is shared instead of rebuilt."""
    key = tuple(r)
    task = _TASKS_BY_ROW.get(key)
    if task is None:
        if len(_TASKS_BY_ROW) > _MEMO_LIMIT:
            _TASKS_BY_ROW.clear()
        task = _TASKS_BY_ROW[key] = _task_from_row(r)
    return task


def _timer_from_row(r: list[Any], s: tuple[Any, ...] = _TIMER_SLOTS) -> Timer:
    t: Timer = _new(Timer)
    s[0](t, r[0])
    s[1](t, _INSTANTS[r[1]])
    s[2](t, r[2])
    s[3](t, r[3])
    return t


_TIMERS_BY_ROW: dict[tuple[Any, ...], Timer] = {}


def _timer_from_cached_row(r: list[Any]) -> Timer:
    """As `_task_from_cached_row`: timers are mostly carried over unchanged."""
    key = tuple(r)
    timer = _TIMERS_BY_ROW.get(key)
    if timer is None:
        if len(_TIMERS_BY_ROW) > _MEMO_LIMIT:
            _TIMERS_BY_ROW.clear()
        timer = _TIMERS_BY_ROW[key] = _timer_from_row(r)
    return timer


# The JSON rows of tasks and timers already written, by the object's id. The entry holds the
# object itself, so the id cannot be reused while the entry lives, and a hit is confirmed by
# identity (`e[0] is t`). Tasks and timers are frozen, so a row never goes stale; most of them
# are carried over unchanged (or shared by `_task_from_cached_row`) from one command to the next.
_TASK_ROWS: dict[int, tuple[TaskState, tuple[Any, ...], bytes, bool]] = {}
"""id → (task, row, row's JSON, whether that JSON reads back to the task)"""
_TIMER_ROWS: dict[int, tuple[Timer, tuple[Any, ...]]] = {}


def _task_row(t: TaskState) -> tuple[Any, ...]:
    return _task_entry(t)[1]


def _task_entry(t: TaskState) -> tuple[TaskState, tuple[Any, ...], bytes, bool]:
    iso = _ISO.__getitem__
    row = (
        t.id,
        t.spec,
        t.kind,
        t.label,
        t.phase,
        t.responsible,
        t.party,
        t.status,
        iso(t.created_on),
        iso(t.due),
        t.blocking,
        iso(t.closed_on),
        t.reason,
        t.escalated_to,
        t.meeting,
    )
    if len(_TASK_ROWS) > _MEMO_LIMIT:
        _TASK_ROWS.clear()
    text = orjson.dumps(row)
    entry = _TASK_ROWS[id(t)] = (t, row, text, _reads_back(t))
    return entry


def _reads_back(t: TaskState) -> bool:
    """Loading the task's row gives it back: every field is of a type JSON keeps exactly (str,
    bool, None and plain dates, which go as their ISO text; orjson rejects strings it cannot encode)."""
    return all(type(value) in types for value, types in zip(_TASK_FIELDS(t), _TASK_TYPES, strict=True))


_S, _D, _B, _NONE = (str,), (date,), (bool,), type(None)
_TASK_TYPES = (
    _S,
    (str, _NONE),
    _S,
    _S,
    (str, _NONE),
    _S,
    _S,
    _S,
    _D,
    (date, _NONE),
    _B,
    (date, _NONE),
    (str, _NONE),
    (str, _NONE),
    _B,
)
_TASK_FIELDS = attrgetter(*TaskState.__slots__)


def _timer_row(t: Timer) -> tuple[Any, ...]:
    row = (t.id, _instant_text(t.at), t.kind, t.ref)
    if len(_TIMER_ROWS) > _MEMO_LIMIT:
        _TIMER_ROWS.clear()
    _TIMER_ROWS[id(t)] = (t, row)
    return row


# The task and timer lists are most of a state's JSON and of the time to load it, and a command
# leaves most of them as they were: the decoded lists are memoised by their text (the `[...]`
# after `"tasks":` and `"timers":` in the JSON as `to_json` writes it), and the rest of the
# document is parsed with a placeholder `0` where each list was. In JSON, `,"tasks":[` can only
# be a key followed by its array (a quote inside a string is escaped). The split is used only if
# the rest parses with the placeholders as the top-level "tasks" and "timers" (a valid state's
# are never numbers) and each list's text parses by itself (so it is exactly that list: it
# starts at the list's "[" and a list is no prefix of a longer value); else the whole text is
# parsed as before (other spellings, e.g. with spaces, take that path).

_KEYS = (',"tasks":[', ',"timers":[', ',"last_contact_on":', "0")
_KEYS_B = tuple(k.encode() for k in _KEYS)
_TASKS_BY_TEXT: dict[str | bytes, dict[str, TaskState]] = {}
_TIMERS_BY_TEXT: dict[str | bytes, dict[str, Timer]] = {}
_TASKS_JSON: dict[tuple[int, ...], tuple[tuple[TaskState, ...], str]] = {}
_LISTS_LIMIT = 2_000


def _tasks_json(tasks: dict[str, TaskState]) -> str:
    """`,"tasks":[...]` for a state's tasks, memoised by the tasks' ids (the entry holds the
    tasks, so their ids stay theirs while it lives); a new list is joined from its rows' texts.

    A new list's text is also entered in the memo `from_json` reads (write-through: a process
    loads back the states it saved), if loading that text gives these very tasks: each row reads
    back to an equal task with fields of the same types, and each task's key is its id."""
    values = tasks.values()
    key = tuple(map(id, values))
    hit = _TASKS_JSON.get(key)
    if hit is None:
        rows = _TASK_ROWS.get
        entries = [e if (e := rows(id(t))) is not None and e[0] is t else _task_entry(t) for t in values]
        text = b",".join([e[2] for e in entries]).decode()
        if len(_TASKS_JSON) > _LISTS_LIMIT:
            _TASKS_JSON.clear()
        hit = _TASKS_JSON[key] = (tuple(values), ',"tasks":[' + text + "]")
        if all(e[3] for e in entries) and all(type(k) is str and k == t.id for k, t in tasks.items()):
            _remember_tasks(hit[1][9:], dict(tasks))
    return hit[1]


def _split_lists(text: str | bytes) -> tuple[str | bytes, str | bytes, str | bytes] | None:
    """(the text with `0` for each list, the task list's text, the timer list's text)"""
    if type(text) is str:
        tasks_key, timers_key, next_key, zero = _KEYS
    elif type(text) is bytes:
        tasks_key, timers_key, next_key, zero = _KEYS_B  # type: ignore[assignment]
    else:
        return None
    tasks = text.find(tasks_key)  # type: ignore[arg-type]
    if tasks < 0:
        return None
    tasks += len(tasks_key) - 1  # at the list's "["
    timers_at = text.rfind(timers_key, tasks)  # type: ignore[arg-type]  # near the end: rfind is quick
    if timers_at < 0:
        return None
    timers = timers_at + len(timers_key) - 1
    end = text.rfind(next_key, timers)  # type: ignore[arg-type]
    if end < 0:
        return None
    rest = zero[:0].join((text[:tasks], zero, text[timers_at:timers], zero, text[end:]))  # type: ignore[arg-type]
    return rest, text[tasks:timers_at], text[timers:end]


def _tasks_from_text(text: str | bytes) -> dict[str, TaskState]:
    tasks = _TASKS_BY_TEXT.get(text)
    if tasks is None:
        tasks = {t[0]: _task_from_cached_row(t) for t in orjson.loads(text)}
        _remember_tasks(text, tasks)
    return dict(tasks)  # the state's own dict: decide() and callers may change it


def _remember_tasks(text: str | bytes, tasks: dict[str, TaskState]) -> None:
    if len(_TASKS_BY_TEXT) > _LISTS_LIMIT:
        _TASKS_BY_TEXT.clear()
    _TASKS_BY_TEXT[text] = tasks


def _timers_from_text(text: str | bytes) -> dict[str, Timer]:
    timers = _TIMERS_BY_TEXT.get(text)
    if timers is None:
        timers = {t[0]: _timer_from_cached_row(t) for t in orjson.loads(text)}
        if len(_TIMERS_BY_TEXT) > _LISTS_LIMIT:
            _TIMERS_BY_TEXT.clear()
        _TIMERS_BY_TEXT[text] = timers
    return dict(timers)


def _instant_text(at: datetime) -> str:
    """Timer instants are UTC (memoised); any other offset is written as it is."""
    if at.tzinfo is not UTC:
        return at.isoformat()
    text = _INSTANT_TEXTS.get(at)
    if text is None:
        if len(_INSTANT_TEXTS) > _MEMO_LIMIT:
            _INSTANT_TEXTS.clear()
        text = _INSTANT_TEXTS[at] = at.isoformat()
    return text


_INSTANT_TEXTS: dict[datetime, str] = {}


def _fact_out(value: Any) -> Any:
    if isinstance(value, date):
        return {"date": _ISO[value]}
    return value


def _fact_in(value: Any) -> Any:
    if isinstance(value, dict) and "date" in value:
        return _DATES[value["date"]]
    return value


def clear_memos() -> None:
    """Forget every memo keyed by a case's content (task and timer rows and lists), keeping the
    date memos that all cases share. The benchmark calls this before each lifecycle so that
    replaying the same lifecycle again is not flattered by memo hits a new case would not get."""
    for memo in (_TASKS_BY_ROW, _TIMERS_BY_ROW, _TASK_ROWS, _TIMER_ROWS, _TASKS_BY_TEXT, _TIMERS_BY_TEXT, _TASKS_JSON):
        memo.clear()
