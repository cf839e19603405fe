"""Dependency aliases shared by the routers (FastAPI template style: `Annotated` aliases)."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import Depends, Header, Query, Request

from api.auth import CurrentCaller as CurrentCaller  # re-exported for the routers
from api.fields import QueryText
from api.problems import ApiError

API_PREFIX = "/api/v1"
"""As in api/app.py (which imports the routers, so cannot be imported here)."""


async def get_services(request: Request) -> Any:
    return request.app.state.services


ServicesDep = Annotated[Any, Depends(get_services)]

_ETAG = re.compile(r'^\s*(?:W/)?"?(\d{1,9})"?\s*$')


async def expected_version(
    if_match: Annotated[
        str | None,
        Header(
            description='Ärendets version från ETag, t.ex. `"3"` / the case version from the ETag',
            examples=['"3"'],
            max_length=100,
        ),
    ] = None,
) -> int | None:
    """The case version a command expects; missing → 428, `*` → any version."""
    if if_match is None or not if_match.strip():
        raise ApiError(
            "version_required",
            'Skicka If-Match med ärendets ETag (t.ex. If-Match: "3") / send If-Match with the case ETag',
            428,
        )
    if if_match.strip() == "*":
        return None
    m = _ETAG.match(if_match)
    if m is None:
        raise ApiError(
            "version_conflict",
            f"If-Match {if_match!r} matchar inte ärendets version",
            412,
            extensions={"current_version": None},
        )
    return int(m.group(1))


async def optional_version(
    if_match: Annotated[str | None, Header(description="Valfri: ärendets ETag", max_length=100)] = None,
) -> int | None:
    if if_match is None or not if_match.strip():
        return None
    return await expected_version(if_match)


ExpectedVersion = Annotated[int | None, Depends(expected_version)]
OptionalVersion = Annotated[int | None, Depends(optional_version)]
IdempotencyKey = Annotated[
    QueryText | None,
    Header(
        alias="Idempotency-Key",
        description="Samma nyckel igen ger samma svar och verkar en gång / a retry returns the first response",
        min_length=1,
        max_length=200,
        examples=["9f1c2d3e-refer-1"],
    ),
]
Limit = Annotated[int, Query(ge=1, le=500, description="Antal per sida / page size")]
PageNo = Annotated[int, Query(alias="page", ge=1, le=100_000, description="Sida, från 1 / page, from 1")]


async def purpose(request: Request) -> str:
    """Why personal data is read: the endpoint, written to the access log."""
    route = request.scope.get("route")
    path = getattr(route, "path", None)
    if path is None:
        return f"{request.method} {request.url.path[:200]}"
    # The routers are included under the API prefix; the route knows only its own part.
    return f"{request.method} {API_PREFIX}{path}"


Purpose = Annotated[str, Depends(purpose)]
