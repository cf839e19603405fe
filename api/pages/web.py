"""What every page shares: the `Web` state, sign-in checks (dependencies), CSRF, rendering and
redirects, the definitions' labels. The pages themselves are in the modules beside this one."""

from __future__ import annotations

import logging
from collections.abc import Container
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from api.fields import no_control_characters, no_control_characters_but_lines
from api.pages import labels as L
from api.pages.session import Session, SessionCodec
from engine.core import commands as c
from engine.core.decide import local_date
from engine.core.definition import Definition
from engine.service.access import Caller
from engine.service.accounts import AccountOut, AccountService
from engine.service.errors import ServiceError
from engine.service.notify_texts import case_reference
from engine.service.overview import OverviewService
from engine.settings import Settings

log = logging.getLogger("insats.pages")
HERE = Path(__file__).resolve().parent
TEMPLATES = Jinja2Templates(directory=str(HERE.parent / "templates"))
TEMPLATES.env.globals["L"] = L
TEMPLATES.env.filters["case_ref"] = case_reference  # INS-3F2A9C0D: the reference the e-mails and lists say
STOCKHOLM = ZoneInfo("Europe/Stockholm")
TEMPLATES.env.filters["lokal"] = lambda at: at.astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M")
STATIC_DIR = HERE.parent / "static"
MAX_YAML = 200_000


class LoginRequired(Exception):
    """Not signed in; `expired`: a form was posted on a session that has run out."""

    def __init__(self, expired: bool = False) -> None:
        super().__init__("login required")
        self.expired = expired


class PageError(Exception):
    """A page that cannot be shown: rendered by api/pages/errors.py with the menu and a way back."""

    def __init__(self, status: int, message: str, title: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.title = title


CSRF_TITLE = "Formuläret har gått ut"


@dataclass
class Web:
    accounts: AccountService
    overview: OverviewService
    codec: SessionCodec
    settings: Settings
    key_dir: Path
    demo_checked: bool = False
    http: Any = None
    """httpx.Client for the OIDC provider (tests put a fake IdP behind a MockTransport)."""
    oidc_meta: dict[str, Any] | None = None
    parties: Container[str] = field(default_factory=frozenset)
    """The parties an account may belong to: those the loaded definitions declare (api/parties.py)."""


# --- plumbing -----------------------------------------------------------------------------------


def web_of(request: Request) -> Web:
    web: Web = request.app.state.web
    return web


def services_of(request: Request) -> Any:
    return request.app.state.services


def session(request: Request) -> Session:
    return web_of(request).codec.load(request)


def render(request: Request, name: str, ctx: dict[str, Any], status: int = 200) -> HTMLResponse:
    web = web_of(request)
    sess = web.codec.load(request)
    me = ctx.get("me", getattr(request.state, "account", None))
    context = {
        "me": me,
        "unread": unread_count(request, me),
        "csrf": sess.csrf,
        "flash": sess.pop_flash(),
        "path": request.url.path,
        **ctx,
    }
    resp = TEMPLATES.TemplateResponse(request, name, context, status_code=status)
    web.codec.save(sess, resp)
    resp.headers["Cache-Control"] = "no-store"
    return resp


def unread_count(request: Request, me: Any) -> int:
    """The count beside "Aviseringar" in the menu (handläggare and samordnare only)."""
    if me is None or not getattr(me, "party", None):
        return 0
    count: int = services_of(request).notifications.unread(me.caller())
    return count


def redirect(request: Request, url: str) -> RedirectResponse:
    resp = RedirectResponse(url, status_code=303)
    web_of(request).codec.save(session(request), resp)
    return resp


def local_path(url: str | None, default: str) -> str:
    """Only same-site paths as redirect targets."""
    if not url or not url.startswith("/") or url.startswith("//") or "\\" in url:
        return default
    return url


class SignedIn(AccountOut):
    """The signed-in person as the pages' caller: their account with the absent colleagues they
    stand in for today (as the API's caller, api/auth.py: `SubstituteService.with_stand_ins`)."""

    stands_in_for: tuple[str, ...] = ()

    def caller(self) -> Caller:
        return replace(super().caller(), stands_in_for=self.stands_in_for)


def current_account(request: Request) -> AccountOut:
    sess = session(request)
    if not sess.user_id:
        raise LoginRequired()
    account = web_of(request).accounts.get(sess.user_id)
    if account is None:
        raise LoginRequired()
    caller = services_of(request).substitutes.with_stand_ins(account.caller())
    signed_in = SignedIn(**account.model_dump(), stands_in_for=caller.stands_in_for)
    request.state.account = signed_in
    return signed_in


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


def case_caller(request: Request, me: AccountOut) -> Caller:
    """The person as the case services see them: with whom they stand in for today (substitutes),
    as the API's callers are (api/auth.py)."""
    caller: Caller = services_of(request).substitutes.with_stand_ins(me.caller())
    return caller
AdminMe = Annotated[AccountOut, Depends(admin_account)]


async def check_csrf(request: Request) -> None:
    sess = session(request)
    token = request.headers.get("x-csrf-token")
    if token is None:
        form = await request.form()
        value = form.get("csrf_token")
        token = value if isinstance(value, str) else None
    if not SessionCodec.csrf_ok(sess, token):
        if not sess.user_id and request.url.path != "/logga-in":
            raise LoginRequired(expired=True)  # the session ran out while the form was open
        raise PageError(
            403,
            "Formuläret saknar giltig säkerhetskod (CSRF), till exempel för att det var öppet länge eller i en "
            "annan flik. Gå tillbaka, ladda om sidan och försök igen.",
            title=CSRF_TITLE,
        )


Csrf = [Depends(check_csrf)]


async def form_of(request: Request) -> dict[str, str]:
    """The form's text fields; control characters other than tab and newlines are refused here,
    for every page at once (PostgreSQL refuses NUL in text: issue 13)."""
    form = await request.form()
    out = {k: v for k, v in form.items() if isinstance(v, str)}
    for name, value in out.items():
        try:
            no_control_characters(name)
            no_control_characters_but_lines(value)
        except ValueError:
            raise PageError(422, f"Fältet {name[:50]!r} innehåller otillåtna tecken (styrtecken).") from None
    return out


def service_error_message(exc: ServiceError) -> str:
    msg = exc.message
    if exc.code == "version_conflict":
        msg = "Ärendet har ändrats av någon annan sedan sidan visades. Sidan är uppdaterad, försök igen."
    return msg


def definition_of(request: Request, definition_id: str, version: int) -> Definition:
    """The parsed definition, for the editor alone (it draws and simulates the whole process);
    every other page reads the labels stored with the row (`labels_of`)."""
    parsed: Definition = services_of(request).definitions.parsed(definition_id, version)
    return parsed


def labels_of(request: Request, definition_id: str, version: int) -> dict[str, Any]:
    """The labels stored with that version (`stored_labels`): no definition is parsed to show a page."""
    labels: dict[str, Any] = services_of(request).definitions.labels(definition_id, version)
    return labels


def phase_labels(request: Request, only: str | None = None) -> dict[str, str]:
    """Phase id → label over the newest version of each definition (or of `only`), from the labels
    stored with the rows (issue 13: a 10,000-phase definition must not be parsed for an inbox)."""
    out: dict[str, str] = {}
    for did, labels in sorted(services_of(request).definitions.latest_labels().items()):
        if only is None or did == only:
            for pid, label in labels.get("phases", {}).items():
                out.setdefault(pid, label)
    return out


def today_of(request: Request) -> date:
    return local_date(services_of(request).clock())


def execute_command(
    request: Request, me: AccountOut, case_id: str, command: c.Command, form: dict[str, str], done: str
) -> bool:
    sess = session(request)
    version = form.get("version")
    expected = int(version) if version and version.isdigit() else None
    try:
        services_of(request).cases.execute(case_caller(request, me), case_id, command, expected_version=expected)
    except ServiceError as exc:
        sess.message("fel", service_error_message(exc))
        return False
    sess.message("ok", done)
    return True
