"""Settings of the web pages, from environment variables (prefix `WEB_`).

Embedded default: local accounts (argon2 hashes in `web_accounts`), sign-in at /logga-in.
Production: set `WEB_OIDC_ISSUER`, `WEB_OIDC_CLIENT_ID`, `WEB_OIDC_CLIENT_SECRET` and
`WEB_OIDC_REDIRECT_URL` (…/logga-in/oidc/svar) to sign staff in through the region's or
kommun's identity provider (SITHS via its OIDC front, authorization code flow with PKCE); the
ID token's claims `kind`, `party`, `roles` (names configurable) say who the person is.
`WEB_LOCAL_ACCOUNTS=false` then turns the password form off.
"""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class WebSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WEB_", extra="ignore")

    session_secret: str | None = None
    """HMAC key for the session cookie; default: a random key kept in `<key_dir>/web-session.key`."""
    session_max_age_seconds: int = 8 * 3600
    cookie_secure: bool | None = None
    """Secure flag on the cookie; default: on when BASE_URL is https."""
    local_accounts: bool = True
    demo_accounts: bool = True
    """Create demo accounts (passwords in `<key_dir>/demo-web-passwords.json`) when there are none."""
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None
    oidc_redirect_url: str | None = None
    oidc_scopes: str = "openid profile email"
    oidc_kind_claim: str = "kind"
    oidc_party_claim: str = "party"
    oidc_roles_claim: str = "roles"
    oidc_user_claim: str = "sub"
    """The claim that names the person (e.g. an HSA-id claim); it becomes the user id in logs."""
    oidc_name_claim: str = "name"

    @property
    def oidc_enabled(self) -> bool:
        return bool(self.oidc_issuer and self.oidc_client_id)


@lru_cache(maxsize=1)
def get_web_settings() -> WebSettings:
    return WebSettings()


def session_secret(web: WebSettings, key_dir: Path) -> bytes:
    if web.session_secret:
        return web.session_secret.encode()
    path = Path(key_dir) / "web-session.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
        os.replace(tmp, path)
    return path.read_text().strip().encode()
