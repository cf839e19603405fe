"""One settings object for the whole application, read from environment variables.

A field's environment variable is its name in capitals (`web_session_secret` reads
`WEB_SESSION_SECRET`); settings with a fixed set of values are `Literal`s, so a typo fails at start.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore", env_ignore_empty=True)
    """An empty variable (`CONTACTS_FILE=` in docker/.env) means the default, not an empty value."""

    database_url: str = Field(default="sqlite:///var/insats.db", description="DATABASE_URL")
    definitions_dir: Path = REPO_ROOT / "definitions"
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    jwks_url: str | None = None
    key_dir: Path = Path("var/keys")
    base_url: str = "http://127.0.0.1:8000"
    port: int | None = None
    """PORT: where `engine run` listens (`--port` wins; default: BASE_URL's port, 8000)."""
    timezone: str = "Europe/Stockholm"
    sync_definitions: bool = True
    """Load definitions/*.yaml as published versions when the services start."""

    # --- HTTP limits (issue 13) ------------------------------------------------------------------
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    """Largest request body (MAX_BODY_BYTES); a larger one is 413 before it is read."""
    max_definition_body_bytes: int = Field(default=2 * 1024 * 1024, ge=1024)
    """Largest body for POST /api/v1/definitions and the definitions editor's pages (/admin/...)."""
    login_rate_limit: str = "10/minute"
    """Sign-in attempts (POST /logga-in, POST /api/v1/token) per client address and user or client_id,
    in the `limits` package's notation (moving window, kept in memory per process)."""
    login_rate_limit_per_address: str = "60/minute"
    """All sign-in attempts from one client address, whatever the user."""

    # --- notifications (issue 5): SMTP, office hours, webhooks, the worker -------------------
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_security: Literal["none", "starttls", "tls"] = "none"
    """none | starttls | tls (implicit TLS, usually port 465)."""
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_timeout_seconds: float = 10.0
    mail_from: str = "insats@example.org"
    office_hours: str = "07:00-17:00"
    """When e-mail goes out (local time, working days only)."""
    notify_max_attempts: int = 8
    notify_backoff_seconds: float = 30.0
    webhook_timeout_seconds: float = 10.0
    case_link: str = "{base_url}/arenden/{case_id}"
    contacts_file: Path | None = None
    """YAML with e-mail addresses per role/party and webhook endpoints per party (see engine/service/contacts.py)."""
    worker_interval_seconds: float = 5.0
    embedded_worker: bool = True
    web_workers: int = Field(default=1, ge=1, le=64)
    """Web server processes for `python -m engine run` (WEB_WORKERS): one process uses one core,
    so about one per core."""

    # --- web pages (issue 7): sign-in, session cookie, OIDC -------------------------------------
    # Embedded default: local accounts (argon2 hashes in `web_accounts`), sign-in at /logga-in.
    # Production: WEB_OIDC_ISSUER, WEB_OIDC_CLIENT_ID, WEB_OIDC_CLIENT_SECRET and
    # WEB_OIDC_REDIRECT_URL (…/logga-in/oidc/svar) sign staff in through the region's or kommun's
    # identity provider (SITHS via its OIDC front, authorization code flow with PKCE); the ID
    # token's claims `kind`, `party`, `roles` (names configurable) say who the person is.
    # WEB_LOCAL_ACCOUNTS=false then turns the password form off.
    web_session_secret: str | None = None
    """HMAC key for the session cookie; default: a random key kept in `<key_dir>/web-session.key`."""
    web_session_max_age_seconds: int = 8 * 3600
    web_cookie_secure: bool | None = None
    """Secure flag on the cookie; default: on when BASE_URL is https."""
    web_local_accounts: bool = True
    web_demo_accounts: bool = True
    """Create demo accounts (passwords in `<key_dir>/demo-web-passwords.json`) when there are none."""
    web_oidc_issuer: str | None = None
    web_oidc_client_id: str | None = None
    web_oidc_client_secret: str | None = None
    web_oidc_redirect_url: str | None = None
    web_oidc_scopes: str = "openid profile email"
    web_oidc_kind_claim: str = "kind"
    web_oidc_party_claim: str = "party"
    web_oidc_roles_claim: str = "roles"
    web_oidc_user_claim: str = "sub"
    """The claim that names the person (e.g. an HSA-id claim); it becomes the user id in logs."""
    web_oidc_name_claim: str = "name"

    # --- batch work (issue 6): reports, gallring, digests, loggkontroll, Prefect -------------
    report_suppression_threshold: int = 5
    """Counts below this are suppressed in reports (shown as `<5` / null)."""
    reports_dir: Path = Path("var/reports")
    report_excel: bool = False
    """CSV for Swedish Excel: semicolons, decimal comma, BOM."""
    gallring_retention_years: int = 5
    """Personal data goes this many years after a closed case's last entry."""
    access_log_retention_years: int = 5
    loggkontroll_sample_size: int = 50
    loggkontroll_night: str = "22:00-06:00"
    loggkontroll_bulk_persons: int = 20
    """More persons than this read by one user within loggkontroll_bulk_minutes is flagged as bulk."""
    loggkontroll_bulk_minutes: int = 60
    flows_work_pool: str = "insats"
    """The Prefect work pool the deployments are served to."""

    @property
    def web_oidc_enabled(self) -> bool:
        return bool(self.web_oidc_issuer and self.web_oidc_client_id)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
