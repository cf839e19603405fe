"""Sign-in: local accounts (embedded default, demo accounts) and OIDC against the region's or kommun's IdP."""

from __future__ import annotations

import json
import os
import secrets

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.limits import sign_in_limiter
from api.pages.web import (
    Csrf,
    PageError,
    Web,
    form_of,
    local_path,
    log,
    redirect,
    render,
    session,
    web_of,
)
from api.routing import CheckedRoute

router = APIRouter(include_in_schema=False, route_class=CheckedRoute)


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
    account = web_of(request).accounts.get(sess.user_id) if sess.user_id else None
    if account is None:
        return redirect(request, "/logga-in")
    if account.kind == "forbund_admin":
        return redirect(request, "/admin/definitioner")
    if account.caller().is_party:
        return redirect(request, "/uppgifter")
    if account.kind == "auditor":
        return redirect(request, "/granskning/atkomstlogg")
    return redirect(request, "/installningar")


@router.get("/logga-in", response_class=HTMLResponse)
def login_page(request: Request, nasta: str | None = None, utgangen: str | None = None) -> Response:
    web = web_of(request)
    seed_demo_accounts(web)
    return render(
        request,
        "login.html",
        {
            "next": local_path(nasta, "/"),
            "local": web.settings.web_local_accounts,
            "oidc": web.settings.web_oidc_enabled,
            "expired": utgangen == "1",
        },
    )


@router.post("/logga-in", response_class=HTMLResponse, dependencies=Csrf)
async def login(request: Request) -> Response:
    web = web_of(request)
    form = await form_of(request)
    target = local_path(form.get("nasta"), "/")
    if not web.settings.web_local_accounts:
        raise PageError(404, "Inloggning med lösenord är avstängd; logga in via identitetsleverantören.")
    limiter = sign_in_limiter(request)
    wait = limiter.check(request, form.get("anvandare", ""))
    if wait is not None:
        resp = render(
            request,
            "login.html",
            {
                "next": target,
                "local": True,
                "oidc": web.settings.web_oidc_enabled,
                "error": f"För många inloggningsförsök. Vänta {_minutes(wait)} och försök igen.",
                "user": form.get("anvandare", ""),
            },
            status=429,
        )
        resp.headers["Retry-After"] = str(wait)
        return resp
    account = web.accounts.authenticate(form.get("anvandare", ""), form.get("losenord", ""))
    if account is None:
        limiter.failed(request, form.get("anvandare", ""))
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
    return redirect(request, target)


def _minutes(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} sekunder" if seconds != 1 else "en sekund"
    minutes = -(-seconds // 60)
    return f"{minutes} minuter" if minutes != 1 else "en minut"


@router.get("/logga-in/oidc")
def oidc_start(request: Request, nasta: str | None = None) -> Response:
    """Production sign-in: authorization code flow with PKCE against the region's or kommun's IdP."""
    from api.pages import oidc

    web = web_of(request)
    if not web.settings.web_oidc_enabled:
        raise PageError(404, "Inloggning via identitetsleverantör är inte konfigurerad.")
    url, pending = oidc.start(web, local_path(nasta, "/"))
    sess = session(request)
    sess.extra["oidc"] = pending
    sess.changed = True
    return redirect(request, url)


@router.get("/logga-in/oidc/svar")
def oidc_callback(request: Request, code: str = "", state: str = "", error: str | None = None) -> Response:
    from api.pages import oidc

    web = web_of(request)
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
    return redirect(request, local_path(pending.get("next"), "/"))


@router.post("/logga-ut", dependencies=Csrf)
def logout(request: Request) -> Response:
    resp = RedirectResponse("/logga-in", status_code=303)
    web_of(request).codec.clear(resp)
    return resp
