"""Service results → response schemas. The service returns plain dataclasses or pydantic models;
this reads them duck-typed so a new field in the service does not break the API."""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

from fastapi import Response
from pydantic import BaseModel

from api.schemas import CasePublic

M = TypeVar("M", bound=BaseModel)


def as_dict(obj: Any) -> Any:
    if obj is None or isinstance(obj, str | int | float | bool):
        return obj
    if isinstance(obj, BaseModel):
        return obj.model_dump()
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: as_dict(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {k: as_dict(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [as_dict(v) for v in obj]
    return obj


def to(model: type[M], obj: Any) -> M:
    return model.model_validate(as_dict(obj))


def case_response(out: Any, response: Response) -> CasePublic:
    case = to(CasePublic, out)
    response.headers["ETag"] = f'"{case.version}"'
    return case


def case_json_response(out: Any, status_code: int = 200) -> Response:
    """The same bytes FastAPI would send for `response_model=CasePublic`, with the ETag, built once:
    returning a `Response` skips FastAPI's second validation of the model (in a thread) and its
    serialisation of it."""
    if isinstance(out, BaseModel):
        case = CasePublic.model_validate(out, from_attributes=True)
    else:
        case = to(CasePublic, out)
    return Response(
        content=case.model_dump_json(by_alias=True),
        status_code=status_code,
        media_type="application/json",
        headers={"ETag": f'"{case.version}"'},
    )


def page(model: type[M], result: Any, limit: int, page_no: int) -> M:
    """A service `Page` (items, total, ...) → the response page model."""
    d = as_dict(result)
    if isinstance(d, list):
        d = {"items": d, "total": len(d)}
    d.setdefault("limit", limit)
    d.setdefault("page", page_no)
    return model.model_validate(d)
