"""The pages router, mounted at `/`. Handlers are thin: read the form, call the service, render."""

from __future__ import annotations

import json
import logging
import os
import secrets
from collections.abc import Callable, Container
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from api.pages import labels as L
from api.pages.config import session_secret
from api.pages.diagram import describe, render_svg
from api.pages.session import Session, SessionCodec
from api.pages.stats import bar_chart
from engine.core import commands as c
from engine.core.decide import local_date
from engine.core.definition import Definition
from engine.core.loader import DefinitionError, loads
from engine.core.simulation import SimulationOptions, default_path
from engine.service.accounts import NOTIFY_MODES, AccountOut, AccountService
from engine.service.errors import ServiceError
from engine.service.overview import OverviewService
from engine.settings import Settings

log = logging.getLogger("insats.pages")
HERE = Path(__file__).resolve().parent
TEMPLATES = Jinja2Templates(directory=str(HERE.parent / "templates"))
TEMPLATES.env.globals["L"] = L
STOCKHOLM = ZoneInfo("Europe/Stockholm")
TEMPLATES.env.filters["lokal"] = lambda at: at.astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M")
STATIC_DIR = HERE.parent / "static"
MAX_YAML = 200_000

router = APIRouter(include_in_schema=False)


class LoginRequired(Exception):
    pass


class PageError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Web:
    accounts: AccountService
    overview: OverviewService
    codec: SessionCodec
    settings: Settings
    key_dir: Path
    demo_checked: bool = False
    labels_cache: dict[tuple[str, int], Definition] = field(default_factory=dict)
    http: Any = None
    """httpx.Client for the OIDC provider (tests put a fake IdP behind a MockTransport)."""
    oidc_meta: dict[str, Any] | None = None
    parties: Container[str] = field(default_factory=frozenset)
    """The parties an account may belong to: those the loaded definitions declare (api/parties.py)."""


def install(app: FastAPI) -> None:
    services = app.state.services
    settings: Settings = app.state.settings
    secure = settings.web_cookie_secure
    if secure is None:
        secure = settings.base_url.startswith("https://")
    app.state.web = Web(
        accounts=AccountService(services.uow, services.clock),
        overview=OverviewService(services.uow),
        codec=SessionCodec(session_secret(settings), settings.web_session_max_age_seconds, secure),
        settings=settings,
        key_dir=Path(settings.key_dir),
        parties=app.state.parties,
    )
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")

    async def _login_required(request: Request, exc: Exception) -> Response:
        target = request.url.path
        if request.url.query:
            target += "?" + request.url.query
        return _redirect(request, "/logga-in?nasta=" + quote(target, safe="/"))

    async def _page_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, PageError)
        if request.headers.get("accept", "").startswith("application/json"):
            return JSONResponse({"error": exc.message}, status_code=exc.status)
        return render(request, "error.html", {"status": exc.status, "message": exc.message}, status=exc.status)

    app.add_exception_handler(LoginRequired, _login_required)
    app.add_exception_handler(PageError, _page_error)


# --- plumbing -----------------------------------------------------------------------------------


def _web(request: Request) -> Web:
    web: Web = request.app.state.web
    return web


def _services(request: Request) -> Any:
    return request.app.state.services


def session(request: Request) -> Session:
    return _web(request).codec.load(request)


def render(request: Request, name: str, ctx: dict[str, Any], status: int = 200) -> HTMLResponse:
    web = _web(request)
    sess = web.codec.load(request)
    context = {
        "me": getattr(request.state, "account", None),
        "csrf": sess.csrf,
        "flash": sess.pop_flash(),
        "path": request.url.path,
        **ctx,
    }
    resp = TEMPLATES.TemplateResponse(request, name, context, status_code=status)
    web.codec.save(sess, resp)
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _redirect(request: Request, url: str) -> RedirectResponse:
    resp = RedirectResponse(url, status_code=303)
    _web(request).codec.save(session(request), resp)
    return resp


def _local(url: str | None, default: str) -> str:
    """Only same-site paths as redirect targets."""
    if not url or not url.startswith("/") or url.startswith("//") or "\\" in url:
        return default
    return url


def current_account(request: Request) -> AccountOut:
    sess = session(request)
    if not sess.user_id:
        raise LoginRequired()
    account = _web(request).accounts.get(sess.user_id)
    if account is None:
        raise LoginRequired()
    request.state.account = account
    return account


Me = Annotated[AccountOut, Depends(current_account)]


def party_account(me: Me) -> AccountOut:
    if not me.caller().is_party:
        raise PageError(403, "Sidan är till för handläggare och samordnare hos parterna.")
    return me


def admin_account(me: Me) -> AccountOut:
    if me.kind != "forbund_admin":
        raise PageError(403, "Sidan är till för förbundets administratörer.")
    return me


PartyMe = Annotated[AccountOut, Depends(party_account)]
AdminMe = Annotated[AccountOut, Depends(admin_account)]


async def check_csrf(request: Request) -> None:
    sess = session(request)
    token = request.headers.get("x-csrf-token")
    if token is None:
        form = await request.form()
        value = form.get("csrf_token")
        token = value if isinstance(value, str) else None
    if not SessionCodec.csrf_ok(sess, token):
        raise PageError(403, "Formuläret saknar giltig säkerhetskod (CSRF). Ladda om sidan och försök igen.")


Csrf = [Depends(check_csrf)]


async def form_of(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


def _service_error(exc: ServiceError) -> str:
    msg = exc.message
    if exc.code == "version_conflict":
        msg = "Ärendet har ändrats av någon annan sedan sidan visades. Sidan är uppdaterad, försök igen."
    return msg


def definition_of(request: Request, definition_id: str, version: int) -> Definition:
    web = _web(request)
    key = (definition_id, version)
    if key not in web.labels_cache:
        detail = _services(request).definitions.get(definition_id, version)
        web.labels_cache[key] = loads(detail.yaml, f"{definition_id}@{version}")
    return web.labels_cache[key]


def phase_labels(request: Request) -> dict[str, str]:
    """Phase id → label over the newest version of each definition (for the inbox)."""
    out: dict[str, str] = {}
    latest: dict[str, int] = {}
    for d in _services(request).definitions.list():
        latest[d.id] = max(latest.get(d.id, 0), d.version)
    for did, version in latest.items():
        for p in definition_of(request, did, version).phases:
            out.setdefault(p.id, p.label)
    return out


def today_of(request: Request) -> date:
    return local_date(_services(request).clock())


# --- sign in ------------------------------------------------------------------------------------


def seed_demo_accounts(web: Web) -> None:
    """Embedded default: when there are no accounts, one per demo person, passwords in a 0600 file."""
    if web.demo_checked:
        return
    web.demo_checked = True
    if not web.settings.web_demo_accounts or not web.settings.web_local_accounts or web.accounts.count() > 0:
        return
    from api.auth import DEMO_IDENTITIES

    plain: dict[str, str] = {}
    for ident in DEMO_IDENTITIES:
        if ident.kind == "party_system":
            continue
        password = secrets.token_urlsafe(12)
        web.accounts.save(
            ident.client_id, kind=ident.kind, party=ident.party, roles=ident.roles, name=ident.name, password=password
        )
        plain[ident.client_id] = password
    path = web.key_dir / "demo-web-passwords.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(plain, fh, indent=2)
    log.warning("Demokonton för webbsidorna skapade; lösenorden finns i %s", path)


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> Response:
    sess = session(request)
    account = _web(request).accounts.get(sess.user_id) if sess.user_id else None
    if account is None:
        return _redirect(request, "/logga-in")
    if account.kind == "forbund_admin":
        return _redirect(request, "/admin/definitioner")
    if account.caller().is_party:
        return _redirect(request, "/uppgifter")
    return _redirect(request, "/installningar")


@router.get("/logga-in", response_class=HTMLResponse)
def login_page(request: Request, nasta: str | None = None) -> Response:
    web = _web(request)
    seed_demo_accounts(web)
    return render(
        request,
        "login.html",
        {"next": _local(nasta, "/"), "local": web.settings.web_local_accounts, "oidc": web.settings.web_oidc_enabled},
    )


@router.post("/logga-in", response_class=HTMLResponse, dependencies=Csrf)
async def login(request: Request) -> Response:
    web = _web(request)
    form = await form_of(request)
    target = _local(form.get("nasta"), "/")
    if not web.settings.web_local_accounts:
        raise PageError(404, "Inloggning med lösenord är avstängd; logga in via identitetsleverantören.")
    account = web.accounts.authenticate(form.get("anvandare", ""), form.get("losenord", ""))
    if account is None:
        return render(
            request,
            "login.html",
            {
                "next": target,
                "local": True,
                "oidc": web.settings.web_oidc_enabled,
                "error": "Fel användarnamn eller lösenord.",
                "user": form.get("anvandare", ""),
            },
            status=401,
        )
    session(request).sign_in(account.user_id, web.codec.max_age)
    return _redirect(request, target)


@router.get("/logga-in/oidc")
def oidc_start(request: Request, nasta: str | None = None) -> Response:
    """Production sign-in: authorization code flow with PKCE against the region's or kommun's IdP."""
    from api.pages import oidc

    web = _web(request)
    if not web.settings.web_oidc_enabled:
        raise PageError(404, "Inloggning via identitetsleverantör är inte konfigurerad.")
    url, pending = oidc.start(web, _local(nasta, "/"))
    sess = session(request)
    sess.extra["oidc"] = pending
    sess.changed = True
    return _redirect(request, url)


@router.get("/logga-in/oidc/svar")
def oidc_callback(request: Request, code: str = "", state: str = "", error: str | None = None) -> Response:
    from api.pages import oidc

    web = _web(request)
    if not web.settings.web_oidc_enabled:
        raise PageError(404, "Inloggning via identitetsleverantör är inte konfigurerad.")
    sess = session(request)
    pending = sess.extra.pop("oidc", None)
    sess.changed = True
    if error or not isinstance(pending, dict):
        raise PageError(401, "Inloggningen avbröts eller har gått ut. Försök igen.")
    try:
        account = oidc.finish(web, pending, code, state)
    except oidc.OidcError as exc:
        log.warning("OIDC-inloggning nekad: %s", exc)
        raise PageError(401, "Inloggningen kunde inte verifieras. Försök igen eller kontakta förvaltningen.") from None
    sess.sign_in(account.user_id, web.codec.max_age)
    return _redirect(request, _local(pending.get("next"), "/"))


@router.post("/logga-ut", dependencies=Csrf)
def logout(request: Request) -> Response:
    resp = RedirectResponse("/logga-in", status_code=303)
    _web(request).codec.clear(resp)
    return resp


# --- handläggare: tasks ---------------------------------------------------------------------------

FILTERS = {"open": "Öppna", "overdue": "Försenade", "due_this_week": "Förfaller denna vecka", "all": "Alla"}
SORTS = {"due": "Förfallodag", "case": "Ärende", "label": "Uppgift", "phase": "Fas"}


@router.get("/uppgifter", response_class=HTMLResponse)
def tasks_page(
    request: Request, me: PartyMe, visa: str = "open", sortera: str = "due", sok: str = "", omvand: bool = False
) -> Response:
    visa = visa if visa in FILTERS else "open"
    sortera = sortera if sortera in SORTS else "due"
    page = _services(request).cases.inbox(me.caller(), visa, limit=500, page=1, purpose="GET /uppgifter")
    items = list(page.items)
    needle = sok.strip().lower()
    if needle:
        items = [t for t in items if needle in t.label.lower() or needle in t.case_id.lower()]
    keys: dict[str, Callable[[Any], Any]] = {
        "due": lambda t: (t.due is None, t.due or date.max, t.label),
        "case": lambda t: (t.case_id, t.due or date.max),
        "label": lambda t: (t.label.lower(), t.due or date.max),
        "phase": lambda t: (t.phase or "", t.due or date.max),
    }
    items.sort(key=keys[sortera], reverse=omvand)
    return render(
        request,
        "tasks.html",
        {
            "tasks": items,
            "filters": FILTERS,
            "sorts": SORTS,
            "visa": visa,
            "sortera": sortera,
            "sok": sok,
            "omvand": omvand,
            "phases": phase_labels(request),
            "overdue_count": sum(1 for t in items if t.overdue),
        },
    )


TASK_ACTIONS = ("acceptera", "avboj", "slutfor", "kommentera")


@router.post("/uppgifter/{case_id}/{task_id}/{action}", dependencies=Csrf)
async def task_action(request: Request, me: PartyMe, case_id: str, task_id: str, action: str) -> Response:
    form = await form_of(request)
    back = _local(form.get("tillbaka"), "/uppgifter")
    sess = session(request)
    command: c.Command
    if action == "acceptera":
        command, done = c.AcceptTask(task_id=task_id), "Uppgiften är accepterad."
    elif action == "avboj":
        reason = form.get("orsak", "").strip()
        if not reason:
            sess.message("fel", "Ange en orsak när du avböjer en uppgift.")
            return _redirect(request, back)
        command, done = c.DeclineTask(task_id=task_id, reason=reason), "Uppgiften är avböjd."
    elif action == "slutfor":
        command, done = c.CompleteTask(task_id=task_id, note=form.get("anteckning") or None), "Uppgiften är klar."
    elif action == "kommentera":
        text = form.get("kommentar", "").strip()
        if not text:
            sess.message("fel", "Skriv en kommentar.")
            return _redirect(request, back)
        command, done = c.CommentTask(task_id=task_id, text=text), "Kommentaren är sparad."
    else:
        raise PageError(404, "Okänd åtgärd.")
    _execute(request, me, case_id, command, form, done)
    return _redirect(request, back)


def _execute(
    request: Request, me: AccountOut, case_id: str, command: c.Command, form: dict[str, str], done: str
) -> bool:
    sess = session(request)
    version = form.get("version")
    expected = int(version) if version and version.isdigit() else None
    try:
        _services(request).cases.execute(me.caller(), case_id, command, expected_version=expected)
    except ServiceError as exc:
        sess.message("fel", _service_error(exc))
        return False
    sess.message("ok", done)
    return True


# --- handläggare: a case --------------------------------------------------------------------------


@router.get("/arenden/{case_id}", response_class=HTMLResponse)
def case_page(request: Request, me: PartyMe, case_id: str) -> Response:
    svc = _services(request)
    caller = me.caller()
    try:
        case = svc.cases.get_case(caller, case_id, purpose="GET /arenden/{case_id}")
    except ServiceError as exc:
        raise PageError(exc.status, exc.message) from None
    d = definition_of(request, case.definition_id, case.definition_version)
    timeline: list[Any] = []
    if case.access in ("full", "case"):
        timeline = list(svc.cases.timeline(caller, case_id, limit=500, page=1, purpose="GET /arenden/{case_id}").items)
        timeline.reverse()
    phase = d.phase_by_id.get(case.phase or "")
    return render(
        request,
        "case.html",
        {
            "case": case,
            "d": d,
            "parties": {p.id: p.label for p in d.parties},
            "who": {**{p.id: p.label for p in d.parties}, **{r.id: r.label for r in d.roles}},
            "phases": {p.id: p.label for p in d.phases},
            "transitions": phase.transitions if phase is not None and case.access != "tasks" else [],
            "timeline": timeline,
            "today": today_of(request),
            "mine": {t.task_id for t in case.tasks if t.party == me.party or t.responsible in me.roles},
            "may_handle_consent": may_handle_consent(me, case),
        },
    )


def may_handle_consent(me: AccountOut, case: Any) -> bool:
    """Show the consent and protection forms to the samordnare and to handläggare whose party the
    active consent covers; the service still decides (access.authorize_command)."""
    if case.access == "tasks" or case.status != "active":
        return False
    if me.kind == "samordnare":
        return True
    consent = case.consent
    return bool(consent is not None and consent.active and me.party in consent.parties)


@router.post("/arenden/{case_id}/kontakt", dependencies=Csrf)
async def record_contact(request: Request, me: PartyMe, case_id: str) -> Response:
    form = await form_of(request)
    try:
        on = date.fromisoformat(form["datum"]) if form.get("datum") else None
    except ValueError:
        session(request).message("fel", "Ange datum som ÅÅÅÅ-MM-DD.")
        return _redirect(request, f"/arenden/{case_id}")
    channel = form.get("kanal") or None
    _execute(request, me, case_id, c.RecordContact(on=on, channel=channel), form, "Kontakten är registrerad.")
    return _redirect(request, f"/arenden/{case_id}")


@router.post("/arenden/{case_id}/fas", dependencies=Csrf)
async def start_phase(request: Request, me: PartyMe, case_id: str) -> Response:
    form = await form_of(request)
    phase = form.get("fas", "")
    _execute(request, me, case_id, c.StartPhase(phase=phase), form, "Ärendet har gått vidare till nästa fas.")
    return _redirect(request, f"/arenden/{case_id}")


@router.post("/arenden/{case_id}/samtycke/aterkalla", dependencies=Csrf)
async def withdraw_consent(request: Request, me: PartyMe, case_id: str) -> Response:
    """The participant withdraws consent (for some parties, or all of it). Who may is the service's rule."""
    form = await form_of(request)
    chosen = tuple(dict.fromkeys(v for v in (await request.form()).getlist("parter") if isinstance(v, str)))
    everything = form.get("omfattning", "alla") == "alla"
    if not everything and not chosen:
        session(request).message("fel", "Välj vilka parter återkallelsen gäller, eller hela samtycket.")
        return _redirect(request, f"/arenden/{case_id}")
    command = c.WithdrawConsent(parties=None if everything else chosen, reason=form.get("orsak", "").strip() or None)
    _execute(request, me, case_id, command, form, "Samtycket är återkallat.")
    return _redirect(request, f"/arenden/{case_id}")


@router.post("/arenden/{case_id}/skyddad-identitet", dependencies=Csrf)
async def set_protected_identity(request: Request, me: PartyMe, case_id: str) -> Response:
    """Skyddade personuppgifter: name and personnummer are removed at once, and cannot come back."""
    form = await form_of(request)
    sess = session(request)
    if form.get("bekrafta") != "ja":
        sess.message("fel", "Bekräfta att deltagaren har skyddade personuppgifter.")
        return _redirect(request, f"/arenden/{case_id}")
    try:
        # No version check: protection must never wait for a reload (as in the API).
        _services(request).cases.set_protected_identity(me.caller(), case_id)
    except ServiceError as exc:
        sess.message("fel", _service_error(exc))
    else:
        sess.message("ok", "Skyddade personuppgifter: namn och personnummer är borttagna.")
    return _redirect(request, f"/arenden/{case_id}")


# --- everyone: notification settings ------------------------------------------------------------

MODES = {"event": "E-post för varje händelse", "digest": "En sammanfattning per dag", "none": "Ingen e-post"}


@router.get("/installningar", response_class=HTMLResponse)
def settings_page(request: Request, me: Me) -> Response:
    return render(request, "settings.html", {"modes": MODES, "email": me.email or "", "mode": me.notify_mode})


@router.post("/installningar", dependencies=Csrf)
async def save_settings(request: Request, me: Me) -> Response:
    form = await form_of(request)
    mode = form.get("lage", "event")
    if mode not in NOTIFY_MODES:
        mode = "event"
    try:
        _web(request).accounts.set_notifications(me.caller(), form.get("epost") or None, mode)
    except ServiceError as exc:
        return render(
            request,
            "settings.html",
            {"modes": MODES, "email": form.get("epost", ""), "mode": mode, "error": exc.message},
            status=422,
        )
    session(request).message("ok", "Aviseringarna är sparade.")
    return _redirect(request, "/installningar")


# --- förbund admin: definitions -------------------------------------------------------------------


@router.get("/admin/definitioner", response_class=HTMLResponse)
def definitions_page(request: Request, me: AdminMe) -> Response:
    svc = _services(request)
    running = _web(request).overview.running_per_version(me.caller())
    grouped: dict[str, list[Any]] = {}
    for d in svc.definitions.list():
        grouped.setdefault(d.id, []).append(d)
    return render(request, "definitions.html", {"grouped": grouped, "running": running})


def _editor_ctx(request: Request, me: AccountOut, definition_id: str, version: int | None) -> dict[str, Any]:
    svc = _services(request)
    try:
        detail = svc.definitions.get(definition_id, version)
    except ServiceError as exc:
        raise PageError(exc.status, exc.message) from None
    d = definition_of(request, detail.id, detail.version)
    versions = [v for v in svc.definitions.list() if v.id == definition_id]
    running = _web(request).overview.running_per_version(me.caller(), definition_id)
    return {
        "detail": detail,
        "d": d,
        "yaml": detail.yaml,
        "problems": [],
        "svg": render_svg(d),
        "rows": describe(d),
        "versions": versions,
        "running": running,
        "sim_start": today_of(request).isoformat(),
        "sim_path": ",".join(default_path(d)),
        "simulation": None,
        "report": None,
    }


@router.get("/admin/definitioner/{definition_id}", response_class=HTMLResponse)
def editor_page(request: Request, me: AdminMe, definition_id: str, version: int | None = None) -> Response:
    return render(request, "editor.html", _editor_ctx(request, me, definition_id, version))


def _problems(text: str) -> tuple[Definition | None, list[dict[str, Any]]]:
    try:
        return loads(text, "definition.yaml"), []
    except DefinitionError as exc:
        return None, [{"line": p.line, "message": p.message, "path": p.path} for p in exc.problems]


@router.post("/admin/validera", dependencies=Csrf)
async def validate(request: Request, me: AdminMe) -> JSONResponse:
    """Live validation for the editor: the same loader and validator as `python -m engine validate`."""
    try:
        body = await request.json()
    except ValueError:
        raise PageError(422, 'Skicka JSON: {"yaml": "..."}') from None
    text = body.get("yaml") if isinstance(body, dict) else None
    if not isinstance(text, str) or len(text) > MAX_YAML:
        raise PageError(422, "Fältet yaml saknas eller är för långt.")
    d, problems = _problems(text)
    out: dict[str, Any] = {"ok": d is not None, "problems": problems}
    if d is not None:
        out["svg"] = render_svg(d)
        out["name"] = d.name
    return JSONResponse(out, headers={"Cache-Control": "no-store"})


@router.post("/admin/definitioner/{definition_id}/spara", dependencies=Csrf)
async def save_definition(request: Request, me: AdminMe, definition_id: str) -> Response:
    form = await form_of(request)
    text = form.get("yaml", "")
    try:
        out = _services(request).definitions.upload(me.caller(), text)
    except ServiceError as exc:
        ctx = _editor_ctx(request, me, definition_id, None)
        problems = exc.details.get("problems", []) if exc.code == "definition_invalid" else []
        ctx.update(yaml=text, problems=problems, error=exc.message)
        return render(request, "editor.html", ctx, status=422)
    session(request).message("ok", f"Version {out.version} är sparad men inte publicerad.")
    return _redirect(request, f"/admin/definitioner/{out.id}?version={out.version}")


@router.post("/admin/definitioner/{definition_id}/{version}/publicera", dependencies=Csrf)
def publish(request: Request, me: AdminMe, definition_id: str, version: int) -> Response:
    try:
        _services(request).definitions.publish(me.caller(), definition_id, version)
        session(request).message(
            "ok",
            f"Version {version} är publicerad: nya ärenden startar på den. Pågående ärenden stannar på sin version.",
        )
    except ServiceError as exc:
        session(request).message("fel", exc.message)
    return _redirect(request, f"/admin/definitioner/{definition_id}?version={version}")


@router.post("/admin/definitioner/{definition_id}/{version}/simulera", response_class=HTMLResponse, dependencies=Csrf)
async def simulate(request: Request, me: AdminMe, definition_id: str, version: int) -> Response:
    form = await form_of(request)
    ctx = _editor_ctx(request, me, definition_id, version)
    try:
        start = date.fromisoformat(form.get("start", ""))
        sick = date.fromisoformat(form["sjukperiod"]) if form.get("sjukperiod") else None
    except ValueError:
        ctx["sim_error"] = "Ange datum som ÅÅÅÅ-MM-DD."
        return render(request, "editor.html", ctx, status=422)
    path = tuple(p.strip() for p in form.get("vag", "").replace(";", ",").split(",") if p.strip())
    ctx.update(sim_start=start.isoformat(), sim_path=",".join(path), sim_sick=form.get("sjukperiod", ""))
    try:
        result = _services(request).definitions.simulate(
            definition_id, version, SimulationOptions(start=start, path=path, sick_period_start=sick)
        )
    except ServiceError as exc:
        ctx["sim_error"] = exc.message
        return render(request, "editor.html", ctx, status=422)
    per_party: dict[str, list[Any]] = {}
    for line in result.lines:
        per_party.setdefault(line.who, []).append(line)
    ctx["simulation"] = {"result": result, "per_party": per_party}
    return render(request, "editor.html", ctx)


@router.post("/admin/definitioner/{definition_id}/migrera", response_class=HTMLResponse, dependencies=Csrf)
async def migrate(request: Request, me: AdminMe, definition_id: str) -> Response:
    form = await form_of(request)
    try:
        from_v, to_v = int(form.get("fran", "")), int(form.get("till", ""))
    except ValueError:
        raise PageError(422, "Välj versioner att migrera mellan.") from None
    phase_map: dict[str, str] = {}
    for line in form.get("fasmappning", "").splitlines():
        if "=" in line:
            old, new = line.split("=", 1)
            if old.strip() and new.strip():
                phase_map[old.strip()] = new.strip()
    dry = form.get("provkorning") == "ja"
    ctx = _editor_ctx(request, me, definition_id, to_v)
    try:
        ctx["report"] = _services(request).definitions.migrate(
            me.caller(), definition_id, from_v, to_v, phase_map, dry_run=dry
        )
    except ServiceError as exc:
        ctx["migrate_error"] = exc.message
        return render(request, "editor.html", ctx, status=422)
    if not dry:
        ctx["running"] = _web(request).overview.running_per_version(me.caller(), definition_id)
    return render(request, "editor.html", ctx)


# --- förbund admin: statistics ------------------------------------------------------------------


@router.get("/admin/statistik", response_class=HTMLResponse)
def statistics(
    request: Request, me: AdminMe, definition: str | None = None, period: str | None = None, troskel: int = 5
) -> Response:
    """Uppföljning Finsam (engine/service/reports.py): counts per insats by gender, small counts
    suppressed; plus running cases per phase, suppressed the same way. Never a person."""
    from engine.service.reports import DEFAULT_THRESHOLD, ReportService, parse_period, suppress_group

    svc = _services(request)
    ids = sorted({d.id for d in svc.definitions.list()})
    chosen = definition if definition in ids else None
    threshold = min(max(troskel, DEFAULT_THRESHOLD), 50)  # an admin may raise it, never lower it
    label = (period or "").strip() or str(today_of(request).year)
    error = None
    try:
        chosen_period = parse_period(label)
    except ServiceError as exc:
        error, label = exc.message, str(today_of(request).year)
        chosen_period = parse_period(label)
    report = ReportService(svc.uow, svc.clock).finsam(me.caller(), chosen_period, threshold, chosen)
    fu = _web(request).overview.follow_up(me.caller(), chosen)
    phases: dict[str, str] = {}
    for did in [chosen] if chosen else ids:
        versions = [v.version for v in svc.definitions.list() if v.id == did]
        for p in definition_of(request, did, max(versions)).phases:
            phases.setdefault(p.id, p.label)
    by_phase = suppress_group({**fu.by_phase, "total": fu.active}, threshold)
    phase_rows = [(phases.get(k, k), by_phase[k]) for k in sorted(fu.by_phase, key=lambda k: -fu.by_phase[k])]
    outcome_rows = [(L.OUTCOMES.get(k, k), v) for k, v in report.total.ended_by_outcome.items() if k != "total"]
    month_rows = [(m.month, m.started) for m in report.months]
    return render(
        request,
        "stats.html",
        {
            "report": report,
            "ids": ids,
            "chosen": chosen,
            "period": label,
            "threshold": threshold,
            "error": error,
            "phase_rows": phase_rows,
            "active_total": by_phase["total"],
            "genders": ("kvinna", "man", "annat", "okänt"),
            "phase_chart": bar_chart([(a, b) for a, b in phase_rows if b], "Pågående deltagare per fas"),
            "outcome_chart": bar_chart([(a, b) for a, b in outcome_rows if b], "Avslutade per utfall"),
            "month_chart": bar_chart([(a, b) for a, b in month_rows if b], "Påbörjade per månad"),
        },
    )
