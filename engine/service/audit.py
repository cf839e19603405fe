"""The access log, for auditors only: one page of it with filters, or all of a filter as CSV."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta

from engine.core.decide import TZ
from engine.service import access
from engine.service.access import Caller
from engine.service.errors import ServiceError
from engine.service.query_ports import AccessLogFilter, AccessLogReader, AccessLogRecord
from engine.service.reports import Period
from engine.service.views import AccessLogOut, Page

EXPORT_MAX = 50_000
"""The most rows one export holds (narrow the filter for more)."""
_CASE_REF = re.compile(r"^([0-9A-F]{4,32})$")


def case_prefix(text: str | None) -> str | None:
    """A case reference as people say it (`INS-3F2A9C0D`) or a case id → the start of the case id."""
    if text is None or not text.strip():
        return None
    plain = text.strip().upper().removeprefix("INS-").replace("-", "")
    m = _CASE_REF.match(plain)
    if m is None:
        raise ServiceError(
            "validation_error", f"Okänd ärendereferens '{text[:40]}' (t.ex. INS-3F2A9C0D)", details={"field": "case"}
        )
    return m[1].lower()


def period_bounds(period: Period | None) -> tuple[datetime | None, datetime | None]:
    """A period of local dates as [start, end) in UTC."""
    if period is None:
        return None, None
    start = datetime.combine(period.start, time(0), TZ).astimezone(UTC)
    end = datetime.combine(period.end + timedelta(days=1), time(0), TZ).astimezone(UTC)
    return start, end


def _out(r: AccessLogRecord) -> AccessLogOut:
    return AccessLogOut(
        id=r.id,
        at=r.at,
        user_id=r.user_id,
        caller_kind=r.caller_kind,
        party=r.party,
        person_id=r.person_id,
        case_id=r.case_id,
        resource=r.resource,
        purpose=r.purpose,
    )


class AuditService:
    def __init__(self, log: AccessLogReader) -> None:
        self._log = log

    def access_log(
        self,
        caller: Caller,
        person_id: str | None = None,
        user_id: str | None = None,
        limit: int = 20,
        page: int = 1,
        case_id: str | None = None,
        *,
        party: str | None = None,
        purpose: str | None = None,
        case_ref: str | None = None,
        period: Period | None = None,
    ) -> Page[AccessLogOut]:
        access.require_auditor(caller)
        if limit < 1 or page < 1:
            raise ServiceError("validation_error", "limit och page ska vara minst 1", details={"field": "limit"})
        limit = min(limit, 500)
        where = self._filter(person_id, user_id, case_id, party, purpose, case_ref, period)
        total, rows = self._log.page(where, limit=limit, offset=(page - 1) * limit)
        return Page[AccessLogOut](items=[_out(r) for r in rows], limit=limit, page=page, total=total)

    def export(
        self,
        caller: Caller,
        *,
        user_id: str | None = None,
        party: str | None = None,
        purpose: str | None = None,
        case_ref: str | None = None,
        period: Period | None = None,
    ) -> Iterator[AccessLogOut]:
        """Every entry the filter matches, in id order, page by page (at most `EXPORT_MAX`)."""
        access.require_auditor(caller)
        where = self._filter(None, user_id, None, party, purpose, case_ref, period)
        offset = 0
        while offset < EXPORT_MAX:
            _, rows = self._log.page(where, limit=500, offset=offset)
            yield from (_out(r) for r in rows)
            if len(rows) < 500:
                return
            offset += 500

    @staticmethod
    def _filter(
        person_id: str | None, user_id: str | None, case_id: str | None, party: str | None, purpose: str | None,
        case_ref: str | None, period: Period | None,
    ) -> AccessLogFilter:  # fmt: skip
        start, end = period_bounds(period)

        def blank(v: str | None) -> str | None:
            return v.strip() if v and v.strip() else None

        return AccessLogFilter(
            person_id=blank(person_id), user_id=blank(user_id), case_id=blank(case_id),
            case_prefix=case_prefix(case_ref), party=blank(party), purpose=blank(purpose), start=start, end=end,
        )  # fmt: skip


def access_log_csv(rows: Iterator[AccessLogOut], names: dict[str, str], parties: dict[str, str]) -> bytes:
    """The entries as CSV the way Swedish Excel opens it; who by name and user id, the party by name."""
    from engine.service.notify_texts import case_reference

    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    w.writerow(["tid", "anvandare", "namn", "part", "arende", "resurs", "syfte", "person"])
    for r in rows:
        w.writerow([
            r.at.astimezone(TZ).strftime("%Y-%m-%d %H:%M:%S"), r.user_id, names.get(r.user_id, ""),
            parties.get(r.party or "", r.party or ""), case_reference(r.case_id) if r.case_id else "",
            r.resource, r.purpose, r.person_id or "",
        ])  # fmt: skip
    return buf.getvalue().encode("utf-8-sig")
