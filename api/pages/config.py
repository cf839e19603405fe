"""The session cookie's key (the web pages' settings are `web_*` in engine/settings.py)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from engine.settings import Settings


def session_secret(settings: Settings) -> bytes:
    """WEB_SESSION_SECRET, or a random key made once and kept in `<key_dir>/web-session.key`."""
    if settings.web_session_secret:
        return settings.web_session_secret.encode()
    path = Path(settings.key_dir) / "web-session.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
        os.replace(tmp, path)
    return path.read_text().strip().encode()
