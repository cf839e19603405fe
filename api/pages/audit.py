"""Auditors (kind `auditor`): the access log with filters and paging, and loggkontroll (a
reproducible sample with flags) with its findings as Swedish sentences; both as CSV. Everything
through the services (engine/service/audit.py, loggkontroll.py): no query of its own."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from api.pages.web import Me, PageError, render, services_of, today_of, web_of
from api.routing import CheckedRoute
from engine.core.decide import TZ
from engine.service.accounts import AccountOut
from engine.service.audit import access_log_csv
from engine.service.errors import ServiceError
from engine.service.loggkontroll import LogEntry, LoggkontrollSample
from engine.service.notify_texts import case_reference, swedish_date
from engine.service.reports import Period, parse_period

router = APIRouter(include_in_schema=False, route_class=CheckedRoute)
PAGE_SIZE = 50

RESOURCES = {"case": "ärendet", "search": "en sökning", "event_feed": "händelseflödet", "export": "en export"}
KINDS = {
    "handlaggare": "handläggare",
    "samordnare": "samordnare",
    "party_system": "partens system",
    "auditor": "granskare",
    "forbund_admin": "förbundets administratör",
    "system": "systemet",
}
FLAGS = {
    "outside_task": "utan att parten hade en öppen uppgift i ärendet den dagen",
    "night": "på natten",
    "bulk": "som en av många läsningar av olika personer på kort tid",
}


def auditor_account(me: Me) -> AccountOut:
    if me.kind != "auditor":
        raise PageError(403, "Sidan är till för granskare (loggkontroll).")
    return me


AuditorMe = Annotated[AccountOut, Depends(auditor_account)]


@dataclass(frozen=True)
class Names:
    """How people and parties are named on these pages: by name and label, with the user id beside."""

    users: dict[str, str]
    parties: dict[str, str]

    def user(self, user_id: str) -> str:
        name = self.users.get(user_id)
        return f"{name} ({user_id})" if name else user_id

    def party(self, party: str | None) -> str:
        return self.parties.get(party or "", party or "")


def _names(request: Request, user_ids: set[str]) -> Names:
    accounts = web_of(request).accounts
    users = {}
    for uid in sorted(user_ids):
        account = accounts.get(uid)
        if account is not None and account.name:
            users[uid] = account.name
    parties: dict[str, str] = {}
    for labels in services_of(request).definitions.latest_labels().values():
        for pid, label in labels.get("parties", {}).items():
            parties.setdefault(pid, label)
    return Names(users, parties)


COMMANDS = {
    "Refer": "registrerade en remiss",
    "refer": "registrerade en remiss",
    "RecordConsent": "registrerade samtycke",
    "WithdrawConsent": "återkallade samtycke",
    "DecideParticipation": "registrerade beslut om deltagande",
    "StartPhase": "flyttade ärendet till en ny fas",
    "AcceptTask": "accepterade en uppgift",
    "DeclineTask": "avböjde en uppgift",
    "CompleteTask": "markerade en uppgift som klar",
    "CommentTask": "kommenterade en uppgift",
    "RecordContact": "registrerade en kontakt",
    "RecordFact": "registrerade en uppgift om deltagaren",
    "ExtendPhase": "förlängde en fas",
    "FireTimer": "lät en påminnelse gå",
    "ExitCase": "avslutade ärendet",
    "AbortCase": "registrerade ett avbrott",
    "ProtectIdentity": "skyddade deltagarens identitet",
    "idempotent_replay": "fick ett tidigare svar upprepat",
    "get_case": "läste ärendet",
    "timeline": "läste ärendets tidslinje",
    "inbox": "läste sina uppgifter",
    "search_person": "sökte på personnummer",
    "event_feed": "läste händelseflödet",
}


def purpose_text(purpose: str, resource: str) -> str:
    """What the entry says was done, in Swedish (the raw purpose stays in the export)."""
    if purpose in COMMANDS:
        return COMMANDS[purpose]
    if purpose.startswith("GET "):
        return f"läste {RESOURCES.get(resource, 'uppgifter')}"
    return f"använde {RESOURCES.get(resource, 'tjänsten')} ({purpose[:60]})"


def when(at: datetime) -> str:
    local = at.astimezone(TZ)
    return f"{swedish_date(local.date())} kl. {local:%H:%M}"


def _period(text: str | None, default: str) -> tuple[Period, str, str | None]:
    label = (text or "").strip() or default
    try:
        return parse_period(label), label, None
    except ServiceError as exc:
        return parse_period(default), default, exc.message


# --- the access log -----------------------------------------------------------------------


@router.get("/granskning/atkomstlogg", response_class=HTMLResponse)
def access_log_page(
    request: Request,
    me: AuditorMe,
    period: str | None = None,
    part: str | None = None,
    anvandare: str | None = None,
    syfte: str | None = None,
    arende: str | None = None,
    sida: int = 1,
) -> Response:
    chosen, label, error = _period(period, f"{today_of(request):%Y-%m}")
    filters = {"period": label, "part": part or "", "anvandare": anvandare or "", "syfte": syfte or "",
               "arende": arende or ""}  # fmt: skip
    page = None
    try:
        page = services_of(request).audit.access_log(
            me.caller(), user_id=anvandare, limit=PAGE_SIZE, page=max(sida, 1), party=part or None,
            purpose=syfte, case_ref=arende, period=chosen,
        )  # fmt: skip
    except ServiceError as exc:
        error = exc.message
    names = _names(request, {r.user_id for r in page.items} if page else set())
    query = "&".join(f"{k}={v}" for k, v in filters.items())
    pages = max(1, -(-page.total // PAGE_SIZE)) if page else 1
    return render(
        request,
        "audit_log.html",
        {
            "page": page,
            "pages": pages,
            "filters": filters,
            "query": query,
            "error": error,
            "names": names,
            "purpose_text": purpose_text,
            "when": when,
            "case_reference": case_reference,
            "kinds": KINDS,
        },
    )


@router.get("/granskning/atkomstlogg.csv")
def access_log_export(
    request: Request,
    me: AuditorMe,
    period: str | None = None,
    part: str | None = None,
    anvandare: str | None = None,
    syfte: str | None = None,
    arende: str | None = None,
) -> Response:
    chosen, label, error = _period(period, f"{today_of(request):%Y-%m}")
    if error:
        raise PageError(422, error)
    try:
        rows = list(
            services_of(request).audit.export(
                me.caller(), user_id=anvandare or None, party=part or None, purpose=syfte, case_ref=arende,
                period=chosen,
            )  # fmt: skip
        )
    except ServiceError as exc:
        raise PageError(422, exc.message) from None
    names = _names(request, {r.user_id for r in rows})
    return Response(
        access_log_csv(iter(rows), names.users, names.parties),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="atkomstlogg-{chosen.label}.csv"'},
    )


# --- loggkontroll ---------------------------------------------------------------------------


def finding(e: LogEntry, names: Names) -> str:
    """One flagged entry as a sentence: who, of which party, did what, when, and why it stands out."""
    name = names.users.get(e.user_id)
    who = f"{name} ({e.user_id}{', ' + names.party(e.party) if e.party else ''})" if name else e.user_id
    what = purpose_text(e.purpose, e.resource)
    if e.case_id:
        ref = case_reference(e.case_id)
        what = what.removesuffix("ärendet") + f"ärende {ref}" if what.endswith("ärendet") else f"{what} i ärende {ref}"
    why = ", ".join(FLAGS.get(f, f) for f in e.flags)
    return f"{who} {what} {when(e.at)}, {why}."


def summary(s: LoggkontrollSample, night: str) -> list[str]:
    out = [
        f"Perioden {s.period_start} – {s.period_end} har {s.entries_in_period} läsningar i åtkomstloggen; "
        f"urvalet visar {len(s.sample)} av dem (slumptal {s.seed}, samma urval varje gång)."
    ]
    counts = s.flag_counts
    if not counts:
        out.append("Ingen läsning sticker ut: alla gjordes dagtid av en part med en öppen uppgift i ärendet.")
    if counts.get("outside_task"):
        out.append(f"{counts['outside_task']} läsningar gjordes av en part som inte hade en öppen uppgift i ärendet.")
    if counts.get("night"):
        out.append(f"{counts['night']} läsningar gjordes på natten ({night.replace('-', '–')}).")
    if counts.get("bulk"):
        out.append(f"{counts['bulk']} läsningar ingår i att en användare läste många olika personer på kort tid.")
    return out


def _sample(
    request: Request, me: AccountOut, period: str | None, urval: int, slumptal: str | None, natt: str | None
) -> tuple[LoggkontrollSample | None, dict[str, str], str | None]:
    default = f"{today_of(request):%Y-%m}"
    chosen, label, error = _period(period, default)
    night = (natt or "").strip() or "22:00-06:00"
    seed = int(slumptal) if slumptal and slumptal.strip().isdigit() else None
    form = {"period": label, "urval": str(urval), "slumptal": slumptal or "", "natt": night}
    try:
        sample = services_of(request).loggkontroll.sample(
            me.caller(), chosen, size=min(max(urval, 0), 500), seed=seed, night=night
        )
    except ServiceError as exc:
        return None, form, exc.message
    return sample, form, error


@router.get("/granskning/loggkontroll", response_class=HTMLResponse)
def loggkontroll_page(
    request: Request,
    me: AuditorMe,
    period: str | None = None,
    urval: int = 50,
    slumptal: str | None = None,
    natt: str | None = None,
) -> Response:
    sample, form, error = _sample(request, me, period, urval, slumptal, natt)
    users = {e.user_id for e in (sample.sample + sample.flagged)} if sample else set()
    names = _names(request, users)
    return render(
        request,
        "loggkontroll.html",
        {
            "sample": sample,
            "form": form,
            "error": error,
            "summary": summary(sample, form["natt"]) if sample else [],
            "findings": [finding(e, names) for e in sample.flagged] if sample else [],
            "names": names,
            "flags": FLAGS,
            "purpose_text": purpose_text,
            "when": when,
            "case_reference": case_reference,
            "query": "&".join(f"{k}={v}" for k, v in form.items()),
        },
    )


@router.get("/granskning/loggkontroll.csv")
def loggkontroll_export(
    request: Request,
    me: AuditorMe,
    period: str | None = None,
    urval: int = 50,
    slumptal: str | None = None,
    natt: str | None = None,
) -> Response:
    sample, _, error = _sample(request, me, period, urval, slumptal, natt)
    if sample is None:
        raise PageError(422, error or "Loggkontrollen kunde inte tas fram.")
    names = _names(request, {e.user_id for e in sample.sample + sample.flagged})
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    w.writerow(["urval_eller_flagga", "tid", "anvandare", "namn", "part", "arende", "resurs", "syfte", "flaggor",
                "beskrivning"])  # fmt: skip
    for kind, entries in (("urval", sample.sample), ("flaggad", sample.flagged)):
        for e in entries:
            w.writerow([
                kind, e.at.astimezone(TZ).strftime("%Y-%m-%d %H:%M:%S"), e.user_id, names.users.get(e.user_id, ""),
                names.party(e.party), case_reference(e.case_id) if e.case_id else "", e.resource, e.purpose,
                ",".join(e.flags), finding(e, names) if e.flags else "",
            ])  # fmt: skip
    return Response(
        buf.getvalue().encode("utf-8-sig"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="loggkontroll-{sample.period}.csv"'},
    )
