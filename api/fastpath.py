"""A short path through the HTTP layer for the case commands (`POST /api/v1/cases/{id}/...`).

Party systems send these commands all day; FastAPI's routing over every route, its dependency
solving, its middleware layers and its threadpool hop cost the server more CPU than the command
itself. This ASGI layer, in front of FastAPI's whole stack, takes a command request that is
well-formed in every respect (a bearer token or an API key, JSON body valid for the endpoint's
model, a parseable If-Match, no query string) and calls the very endpoint function FastAPI would
call, with the same arguments. Anything else — a missing or malformed header, a body the model
rejects, an unknown path, a token that does not verify — is handed on untouched (body included) to
the FastAPI app, so every error keeps the exact problem+json the rest of the API gives. Commands are
registered with `@fast_command` next to their route; their OpenAPI description stays with FastAPI.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import re
import typing
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from pydantic import BaseModel, ValidationError
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.auth import Authenticator
from api.deps import version_from_if_match
from api.guard import looks_like_personnummer
from api.problems import ApiError, problem_response, service_error_parts
from engine.service.errors import ServiceError

Endpoint = Callable[..., Response]

_PARAM_PATTERNS = {
    "case_id": r"[A-Za-z0-9\-]{1,64}",
    "task_id": r"[\w\-.]{1,100}",
}
_KNOWN = {"case_id", "task_id", "body", "caller", "services", "response", "version", "idempotency_key"}
_registry: list[tuple[str, Endpoint]] = []
_MAX_BODY = 1 << 20
log = logging.getLogger("insats.api")


def fast_command(path: str) -> Callable[[Endpoint], Endpoint]:
    """Register a command endpoint (its path relative to /api/v1) for the short path."""

    def register(endpoint: Endpoint) -> Endpoint:
        unknown = set(inspect.signature(endpoint).parameters) - _KNOWN
        if unknown:  # pragma: no cover - a programming error, caught at import
            raise TypeError(f"{endpoint.__name__}: the short path cannot supply {sorted(unknown)}")
        _registry.append((path, endpoint))
        return endpoint

    return register


@dataclass(frozen=True, slots=True)
class _Route:
    pattern: re.Pattern[str]
    endpoint: Endpoint
    body_model: type[BaseModel] | None
    body_required: bool
    params: frozenset[str]


def _route(prefix: str, path: str, endpoint: Endpoint) -> _Route:
    parts = re.split(r"\{(\w+)\}", prefix + path)  # literal, name, literal, name, ..., literal
    regex = "".join(
        re.escape(part) if i % 2 == 0 else f"(?P<{part}>{_PARAM_PATTERNS[part]})" for i, part in enumerate(parts)
    )
    sig = inspect.signature(endpoint)
    hints = typing.get_type_hints(endpoint, include_extras=True)
    model: type[BaseModel] | None = None
    required = False
    if "body" in sig.parameters:
        hint = hints["body"]
        if typing.get_origin(hint) is typing.Annotated:
            hint = typing.get_args(hint)[0]
        candidates = [a for a in typing.get_args(hint) if a is not type(None)] or [hint]
        model = candidates[0]
        required = sig.parameters["body"].default is inspect.Parameter.empty
    return _Route(re.compile(regex + "$"), endpoint, model, required, frozenset(sig.parameters))


class CommandFastPath:
    """See the module docstring. It sits in front of the whole FastAPI stack: `app` is that stack
    (FastAPI's own `__call__`), `state` the FastAPI app's state (authenticator, services). What the
    middlewares it passes by would add, it does itself: the personnummer-in-URL guard (such a
    request goes on to FastAPI, which refuses it), `Cache-Control: no-store`, and a problem+json 500
    for an unexpected error."""

    def __init__(self, app: ASGIApp, state: Any, prefix: str = "/api/v1", threads: int = 40) -> None:
        self.app = app
        self.state = state
        self.routes = [_route(prefix, path, endpoint) for path, endpoint in _registry]
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="insats-command")
        self.prefix = prefix + "/cases/"
        self.handled = 0
        """Commands answered here (the rest went on to FastAPI): the tests read it."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or scope["query_string"]
            or not scope["path"].startswith(self.prefix)
        ):
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if looks_like_personnummer(unquote(path)):
            await self.app(scope, receive, send)
            return
        for route in self.routes:
            match = route.pattern.match(path)
            if match is not None:
                break
        else:
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more and size <= _MAX_BODY:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            chunks.append(chunk)
            size += len(chunk)
            more = bool(message.get("more_body", False))
        body = b"".join(chunks)
        response = None if more else await self._handle(scope, route, match, body)
        if response is None:
            await self.app(scope, _replay(body, more, receive), send)
            return
        self.handled += 1
        response.headers["Cache-Control"] = "no-store"
        await response(scope, receive, send)

    async def _handle(self, scope: Scope, route: _Route, match: re.Match[str], body: bytes) -> Response | None:
        """The endpoint's response, or None to let FastAPI answer (with its own error)."""
        headers: dict[bytes, bytes] = {}
        for name, value in scope["headers"]:
            if name in headers:  # a repeated header: FastAPI decides what that means
                return None
            headers[name] = value
        auth: Authenticator = self.state.authenticator
        kwargs: dict[str, Any] = dict(match.groupdict())
        try:
            caller = _caller(auth, headers)
        except ApiError:
            return None
        if caller is None:
            return None
        kwargs["caller"] = caller
        if "version" in route.params:
            if_match = headers.get(b"if-match", b"").decode("latin-1")
            if len(if_match) > 100:  # FastAPI's header limit: its 422
                return None
            try:
                kwargs["version"] = version_from_if_match(if_match)
            except ApiError:  # missing (428) or malformed (412): FastAPI answers
                return None
        key = headers.get(b"idempotency-key")
        if key is not None:
            if not 1 <= len(key) <= 200:
                return None
            kwargs["idempotency_key"] = key.decode("latin-1")
        elif "idempotency_key" in route.params:
            kwargs["idempotency_key"] = None
        if route.body_model is not None:
            if body:
                content_type = headers.get(b"content-type", b"").split(b";", 1)[0].strip().lower()
                if content_type != b"application/json":
                    return None
                try:
                    # As FastAPI does it: JSON to Python, then the model in Python mode (JSON
                    # mode would, say, read the string "0" as a date for a `date | str` field).
                    kwargs["body"] = route.body_model.model_validate(json.loads(body))
                except (ValueError, ValidationError):
                    return None
            elif route.body_required:
                return None
            else:
                kwargs["body"] = None
        elif body:
            return None
        services = self.state.services
        kwargs["response"] = Response()
        instance = scope["path"]
        try:
            kwargs["services"] = services
            loop = asyncio.get_running_loop()
            response = await loop.run_in_executor(self.executor, _call, route.endpoint, kwargs)
        except ApiError as exc:
            response = problem_response(
                None, exc.status, exc.code, exc.detail, exc.errors, exc.headers, instance=instance, **exc.extra
            )
        except ServiceError as exc:
            status, code, message, errors, extra = service_error_parts(exc)
            headers_out = {"WWW-Authenticate": "Bearer"} if status == 401 else None
            response = problem_response(None, status, code, message, errors, headers_out, instance=instance, **extra)
        except Exception:
            log.exception("unhandled error on POST %s", instance)
            response = problem_response(
                None, 500, "internal_error", "Ett oväntat fel inträffade; det är loggat.", instance=instance
            )
        return response


def _call(endpoint: Endpoint, kwargs: dict[str, Any]) -> Response:
    return endpoint(**kwargs)


def _caller(auth: Authenticator, headers: dict[bytes, bytes]) -> Any:
    authorization = headers.get(b"authorization")
    if authorization is not None:
        scheme, _, token = authorization.decode("latin-1").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        return auth.verify(token)
    api_key = headers.get(b"x-api-key")
    if api_key:
        return auth.by_api_key(api_key.decode("latin-1"))
    return None


def _replay(body: bytes, more: bool, receive: Receive) -> Receive:
    """A `receive` that gives the body read so far again, then the rest of the stream."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": more}
        return await receive()

    return replay
