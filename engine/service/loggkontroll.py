"""Loggkontroll: a random, reproducible sample of the access log for an auditor, with flags.

For a period, the auditor gets `size` entries drawn at random with a seed (the same seed and
period always give the same sample, so a second auditor can check the first), plus every entry
flagged as unusual, which should always be looked at:

- `outside_task`: a party read a person's case on a day when that party had no open task in the
  case (a task that was created on or before the day and not closed before it);
- `night`: the read happened at night, Swedish time (default 22:00–06:00);
- `bulk`: the same user read more than `bulk_persons` different persons within `bulk_minutes`;
- `emergency`: an emergency access (nödåtkomst: purpose `nodatkomst: <reason>`), and every read of
  that case by that user during the 24 hours the grant lasts.

Only the access log and the tasks projection are read; the sample names users and case ids, never
the participants.
"""

from __future__ import annotations

import hashlib
import random
from collections import defaultdict, deque
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

from pydantic import BaseModel, ConfigDict

from engine.core.decide import TZ, local_date
from engine.service.access import NODATKOMST, Caller, require_auditor
from engine.service.errors import ServiceError
from engine.service.query_ports import AccessLogReader, AccessLogRecord
from engine.service.reports import Period

PARTY_KINDS = ("party_system", "handlaggare", "samordnare")


class LogEntry(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    at: datetime
    user_id: str
    caller_kind: str
    party: str | None
    case_id: str | None
    resource: str
    purpose: str
    flags: list[str]


class LoggkontrollSample(BaseModel):
    model_config = ConfigDict(frozen=True)

    period: str
    period_start: date
    period_end: date
    seed: int
    entries_in_period: int
    sample: list[LogEntry]
    flagged: list[LogEntry]
    flag_counts: dict[str, int]


def default_seed(period: Period) -> int:
    """A seed that follows from the period, so the sample is reproducible without noting a number."""
    digest = hashlib.sha256(f"loggkontroll:{period.start}:{period.end}".encode()).digest()
    return int.from_bytes(digest[:4], "big")


def parse_night(text: str) -> tuple[time, time]:
    try:
        a, b = (time.fromisoformat(x.strip()) for x in text.split("-"))
    except ValueError:
        raise ServiceError("validation_error", f"Ogiltigt nattintervall '{text}' (t.ex. 22:00-06:00)") from None
    return a, b


def _is_night(at: datetime, night: tuple[time, time]) -> bool:
    t = at.astimezone(TZ).time()
    start, end = night
    return (t >= start or t < end) if start > end else (start <= t < end)


class LoggkontrollService:
    def __init__(self, log: AccessLogReader, clock: Callable[[], datetime]) -> None:
        self._log = log
        self._clock = clock

    def sample(
        self,
        caller: Caller,
        period: Period,
        *,
        size: int = 50,
        seed: int | None = None,
        night: str = "22:00-06:00",
        bulk_persons: int = 20,
        bulk_minutes: int = 60,
    ) -> LoggkontrollSample:
        if caller.kind != "system":
            require_auditor(caller)
        if size < 0:
            raise ServiceError("validation_error", "Urvalet kan inte vara negativt", details={"field": "size"})
        night_span = parse_night(night)
        seed = default_seed(period) if seed is None else seed
        start = datetime.combine(period.start, time(0), TZ).astimezone(UTC)
        end = datetime.combine(period.end + timedelta(days=1), time(0), TZ).astimezone(UTC)
        rows, tasks = self._log.period(start, end)
        open_spans: dict[tuple[str, str], list[tuple[date, date | None]]] = defaultdict(list)
        for t in tasks:
            closed = t.closed_on if t.status not in ("open", "accepted") else None
            open_spans[(t.case_id, t.party)].append((t.created_on, closed))
        flags: dict[int, list[str]] = {r.id: [] for r in rows}
        for r in rows:
            if r.caller_kind in PARTY_KINDS and r.person_id is not None:
                day = local_date(r.at)
                spans = open_spans.get((r.case_id or "", r.party or ""), [])
                if not any(a <= day and (b is None or b >= day) for a, b in spans):
                    flags[r.id].append("outside_task")
            if _is_night(r.at, night_span):
                flags[r.id].append("night")
        self._flag_bulk(rows, flags, bulk_persons, timedelta(minutes=bulk_minutes))
        self._flag_emergency(rows, flags)
        entries = [
            LogEntry(
                id=r.id,
                at=r.at,
                user_id=r.user_id,
                caller_kind=r.caller_kind,
                party=r.party,
                case_id=r.case_id,
                resource=r.resource,
                purpose=r.purpose,
                flags=flags[r.id],
            )  # fmt: skip
            for r in rows
        ]
        rng = random.Random(seed)
        picked = sorted(rng.sample(range(len(entries)), min(size, len(entries))))
        counts: dict[str, int] = defaultdict(int)
        for e in entries:
            for f in e.flags:
                counts[f] += 1
        return LoggkontrollSample(
            period=period.label,
            period_start=period.start,
            period_end=period.end,
            seed=seed,
            entries_in_period=len(entries),
            sample=[entries[i] for i in picked],
            flagged=[e for e in entries if e.flags],
            flag_counts=dict(sorted(counts.items())),
        )

    @staticmethod
    def _flag_emergency(rows: list[AccessLogRecord], flags: dict[int, list[str]]) -> None:
        grants = [(r.user_id, r.case_id, r.at) for r in rows if r.purpose.startswith(NODATKOMST)]
        for r in rows:
            if any(u == r.user_id and c == r.case_id and at <= r.at <= at + timedelta(hours=24) for u, c, at in grants):
                flags[r.id].append("emergency")

    @staticmethod
    def _flag_bulk(rows: list[AccessLogRecord], flags: dict[int, list[str]], limit: int, window: timedelta) -> None:
        """Slide a window over each user's reads; when it holds more than `limit` persons, flag it."""
        by_user: dict[str, list[AccessLogRecord]] = defaultdict(list)
        for r in rows:
            if r.person_id is not None:
                by_user[r.user_id].append(r)
        for reads in by_user.values():
            reads.sort(key=lambda r: (r.at, r.id))
            win: deque[AccessLogRecord] = deque()
            persons: dict[str, int] = defaultdict(int)
            for r in reads:
                win.append(r)
                persons[str(r.person_id)] += 1
                while win and r.at - win[0].at > window:
                    old = win.popleft()
                    persons[str(old.person_id)] -= 1
                    if persons[str(old.person_id)] == 0:
                        del persons[str(old.person_id)]
                if len(persons) > limit:
                    for w in win:
                        if "bulk" not in flags[w.id]:
                            flags[w.id].append("bulk")
