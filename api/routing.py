"""The route class of every router (API and pages): checks a body before FastAPI parses it.

Issue 13: a JSON endpoint given another media type is 415 (not a 422 about "a valid dictionary"),
and JSON nested deeper than `MAX_JSON_DEPTH` is refused with 400 `body_too_deep` before `json`
or pydantic recurse into it (5,000 levels were a RecursionError). The body is read once here;
FastAPI's handler reads the same cached bytes.
"""

from __future__ import annotations

import email.message
import re
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.params import Form
from fastapi.routing import APIRoute

from api.problems import ApiError

MAX_JSON_DEPTH = 64
_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def json_depth_exceeds(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether the JSON text nests arrays/objects deeper than `limit` (strings do not count)."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    brackets = _STRINGS.sub(b"", body).translate(None, _NOT_BRACKETS)
    depth = 0
    for ch in brackets:
        if ch in b"[{":
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def media_type(request: Request) -> tuple[str, str] | None:
    value = request.headers.get("content-type")
    if not value:
        return None
    message = email.message.Message()
    message["content-type"] = value
    return message.get_content_maintype(), message.get_content_subtype()


def is_json(kind: tuple[str, str] | None) -> bool:
    return kind is not None and kind[0] == "application" and (kind[1] == "json" or kind[1].endswith("+json"))


class CheckedRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        body_field = self.body_field
        expects = None if body_field is None else "form" if isinstance(body_field.field_info, Form) else "json"

        async def checked(request: Request) -> Response:
            if request.method in ("POST", "PUT", "PATCH"):
                kind = media_type(request)
                if expects == "form":
                    if kind is not None and f"{kind[0]}/{kind[1]}" not in _FORM_TYPES:
                        raise _unsupported(kind, "application/x-www-form-urlencoded")
                elif is_json(kind) or (expects == "json" and kind is None):
                    body = await request.body()
                    if body and json_depth_exceeds(body):
                        raise ApiError(
                            "body_too_deep",
                            f"JSON får vara nästlad högst {MAX_JSON_DEPTH} nivåer / "
                            f"JSON may nest at most {MAX_JSON_DEPTH} levels",
                            400,
                        )
                elif expects == "json" and await request.body():
                    raise _unsupported(kind, "application/json")
            return await handler(request)

        return checked


def _unsupported(kind: tuple[str, str] | None, wanted: str) -> ApiError:
    got = f"{kind[0]}/{kind[1]}" if kind else ""
    return ApiError(
        "unsupported_media_type",
        f"Content-Type {got[:100]!r} stöds inte här; använd {wanted} / unsupported media type",
        415,
    )
