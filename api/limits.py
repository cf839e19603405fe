"""Limits on what one client can make the server do (issue 13): the size of a request body, and
how often one may try to sign in.

`BodyLimit` is a plain ASGI middleware that only refuses: a `Content-Length` over the limit is 413
problem+json before a byte is read; a streamed (chunked) body is counted as the app reads it and
refused once over the limit. `max_body_bytes` (1 MiB) holds everywhere except the definitions'
upload and the editor's pages, which get `max_definition_body_bytes`.

`SignInLimiter` uses the `limits` package (moving window, memory storage: per process, so with N
web workers a client gets at most N times the limit; a shared store would be `limits`' Redis
storage). Failed attempts count, against the client address with the user name or client_id and,
more loosely, against the address alone; once over, every attempt is 429 until the window moves.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from fastapi import HTTPException, Request
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import problem_response

DEFINITION_PATHS = ("/api/v1/definitions", "/admin/")


class BodyTooLarge(HTTPException):
    """Raised from `receive` when a streamed body passes the limit; FastAPI re-raises HTTP
    exceptions from body reading, so it reaches the problem handler as a 413."""

    problem_code = "payload_too_large"

    def __init__(self, limit: int) -> None:
        super().__init__(413, _too_large(limit))


def _too_large(limit: int) -> str:
    return f"Begäran är större än {limit} byte / the request body is larger than {limit} bytes"


class BodyLimit:
    def __init__(self, app: ASGIApp, max_body_bytes: int, max_definition_body_bytes: int) -> None:
        self.app = app
        self.default = max_body_bytes
        self.definitions = max_definition_body_bytes

    def limit_for(self, path: str) -> int:
        if path == DEFINITION_PATHS[0] or path.startswith(DEFINITION_PATHS[1]):
            return self.definitions
        return self.default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope.get("path", ""))
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await problem_response(None, 413, "payload_too_large", _too_large(limit), instance=scope["path"])(
                scope, receive, send
            )
            return
        seen = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except BodyTooLarge:
            if started:
                raise
            await problem_response(None, 413, "payload_too_large", _too_large(limit), instance=scope["path"])(
                scope, receive, send
            )


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


# --- sign-in attempts --------------------------------------------------------------------------


@dataclass
class SignInLimiter:
    per_user: RateLimitItem
    per_address: RateLimitItem
    clock: Callable[[], float] = time.time
    limiter: MovingWindowRateLimiter = field(default_factory=lambda: MovingWindowRateLimiter(MemoryStorage()))

    @classmethod
    def from_settings(cls, settings: object) -> SignInLimiter:
        return cls(
            per_user=parse(str(getattr(settings, "login_rate_limit", "10/minute"))),
            per_address=parse(str(getattr(settings, "login_rate_limit_per_address", "60/minute"))),
        )

    def _keys(self, request: Request, who: str) -> list[tuple[RateLimitItem, tuple[str, ...]]]:
        address = request.client.host if request.client else "-"
        user = (who or "-")[:200]
        return [
            (self.per_address, ("sign-in", "address", address)),
            (self.per_user, ("sign-in", "user", address, user)),
        ]

    def check(self, request: Request, who: str) -> int | None:
        """None when another attempt is allowed, else the seconds to wait (for Retry-After)."""
        for item, keys in self._keys(request, who):
            if not self.limiter.test(item, *keys):
                reset = self.limiter.get_window_stats(item, *keys).reset_time
                return max(1, math.ceil(reset - self.clock()))
        return None

    def failed(self, request: Request, who: str) -> None:
        """Count a failed attempt (a wrong password or secret); a successful sign-in costs nothing."""
        for item, keys in self._keys(request, who):
            self.limiter.hit(item, *keys)


def sign_in_limiter(request: Request) -> SignInLimiter:
    limiter: SignInLimiter = request.app.state.sign_in_limiter
    return limiter
