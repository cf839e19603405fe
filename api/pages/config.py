"""The session cookie's key (the web pages' settings are `web_*` in engine/settings.py)."""

from __future__ import annotations

import secrets
from pathlib import Path

from api.auth import create_once
from engine.settings import Settings


def session_secret(settings: Settings) -> bytes:
    """WEB_SESSION_SECRET, or a random key made once and kept in `<key_dir>/web-session.key`."""
    if settings.web_session_secret:
        return settings.web_session_secret.encode()
    path = Path(settings.key_dir) / "web-session.key"
    if not path.exists():
        create_once(path, secrets.token_urlsafe(48).encode())
    return path.read_text().strip().encode()
