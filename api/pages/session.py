"""The session cookie: signed (HMAC-SHA256), HttpOnly, SameSite=Lax; a CSRF token per session.

The cookie holds only the user id, the CSRF token, an expiry and one-shot messages; never case
data. Expiry uses the wall clock (the service clock may be a test's fake clock).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

COOKIE = "insats_session"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Session:
    user_id: str | None = None
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    expires: int = 0
    flash: list[tuple[str, str]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    changed: bool = False

    def message(self, kind: str, text: str) -> None:
        self.flash.append((kind, text))
        self.changed = True

    def pop_flash(self) -> list[tuple[str, str]]:
        out, self.flash = self.flash, []
        if out:
            self.changed = True
        return out

    def sign_in(self, user_id: str, max_age: int) -> None:
        """A new CSRF token at sign-in (no fixation of a token seen before)."""
        self.user_id = user_id
        self.csrf = secrets.token_urlsafe(32)
        self.expires = int(time.time()) + max_age
        self.changed = True


class SessionCodec:
    def __init__(self, secret: bytes, max_age: int, secure: bool) -> None:
        self._secret = secret
        self.max_age = max_age
        self.secure = secure

    def _sig(self, body: str) -> str:
        return _b64(hmac.new(self._secret, body.encode(), hashlib.sha256).digest())

    def load(self, request: Request) -> Session:
        cached = getattr(request.state, "web_session", None)
        if cached is not None:
            return cached  # type: ignore[no-any-return]
        session = self._decode(request.cookies.get(COOKIE, ""))
        if session is None:
            session = Session(expires=int(time.time()) + self.max_age, changed=True)
        request.state.web_session = session
        return session

    def _decode(self, raw: str) -> Session | None:
        body, _, sig = raw.partition(".")
        if not body or not sig or not hmac.compare_digest(self._sig(body), sig):
            return None
        try:
            data = json.loads(_unb64(body))
        except ValueError:
            return None
        if not isinstance(data, dict) or int(data.get("e", 0)) < time.time():
            return None
        return Session(
            user_id=data.get("u"),
            csrf=str(data.get("c") or secrets.token_urlsafe(32)),
            expires=int(data["e"]),
            flash=[(str(k), str(t)) for k, t in data.get("f", [])],
            extra=dict(data.get("x", {})),
        )

    def save(self, session: Session, response: Response) -> None:
        if not session.changed:
            return
        body = _b64(
            json.dumps(
                {"u": session.user_id, "c": session.csrf, "e": session.expires, "f": session.flash, "x": session.extra},
                separators=(",", ":"),
                ensure_ascii=False,
            ).encode()
        )
        response.set_cookie(
            COOKIE,
            f"{body}.{self._sig(body)}",
            max_age=max(session.expires - int(time.time()), 0),
            httponly=True,
            samesite="lax",
            secure=self.secure,
            path="/",
        )

    def clear(self, response: Response) -> None:
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax", secure=self.secure)

    @staticmethod
    def csrf_ok(session: Session, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(session.csrf.encode(), str(token).encode())
