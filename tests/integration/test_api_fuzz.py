"""Issue 13, kept so: arbitrary JSON values and arbitrary bytes posted to every command endpoint
(enumerated from the app's own OpenAPI document, not listed by hand) never make a 5xx, and every
4xx is problem+json with a stable `type` (SQLite)."""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integration.api_kit import Api, make_api

PROBLEM_TYPE = re.compile(r"^https://insats\.example/problems/[a-z_]+$")
FIELD_NAMES = [
    "parties", "given_on", "form", "reason", "decision", "note", "phase", "text", "on", "channel", "fact",
    "value", "outcome", "personnummer", "name", "anonymous", "gender", "birth_year", "sick_period_start",
    "definition_id", "protected_identity", "yaml", "start", "path", "abort_in", "extensions", "late",
    "contact_every", "version", "from_version", "to_version", "phase_map", "dry_run", "outcome_reason",
]  # fmt: skip

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
    | st.text(alphabet=st.characters(codec="utf-8", categories=["Cc", "Zs", "Lo"]), max_size=10)
    | st.sampled_from(["2026-11-24", "0", "20261124", "kommun", "admitted", "kartlaggning", "\x00", "\ud800"])
)
keys = st.sampled_from(FIELD_NAMES) | st.text(max_size=20)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(keys, children, max_size=6),
    max_leaves=20,
)
objects = st.dictionaries(keys, json_values, max_size=8)


@pytest.fixture(scope="module")
def fuzz_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Api, list[str]]]:
    tmp = Path(tmp_path_factory.mktemp("fuzz"))
    api = make_api(f"sqlite:///{tmp / 'fuzz.db'}", tmp / "keys")
    case = api.named()
    task = case["tasks"][0]["task_id"]
    values = {"case_id": case["id"], "task_id": task, "definition_id": "finsam-insats", "version": "1"}
    paths = [
        re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)
        for path, item in api.app.openapi()["paths"].items()
        if "post" in item
    ]
    assert len(paths) >= 15, paths
    try:
        yield api, paths
    finally:
        api.client.close()
        api.app.state.services.close()


def _check(r: Any) -> None:
    from hypothesis import event

    event(str(r.status_code))
    assert r.status_code < 500, (r.status_code, r.text[:500], r.request.url.path, r.request.content[:500])
    if r.status_code >= 400:
        assert r.headers["content-type"].startswith("application/problem+json"), r.text[:300]
        body = r.json()
        assert PROBLEM_TYPE.match(body["type"]), body
        assert body["status"] == r.status_code
    assert len(r.content) < 100_000


def _post(api: Api, path: str, content: bytes, content_type: str = "application/json") -> Any:
    who = "forbund.admin" if path.startswith("/api/v1/definitions") else "sara.samordnare@kommun"
    headers = api.h(who, **{"If-Match": "*", "Content-Type": content_type})
    return api.client.post(path, content=content, headers=headers)


def _dumps(value: Any) -> bytes:
    text = json.dumps(value, ensure_ascii=False, allow_nan=True)
    return text.encode("utf-8", "surrogatepass")


_SETTINGS = settings(
    max_examples=int(os.environ.get("INSATS_FUZZ_EXAMPLES", "300")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)


@_SETTINGS
@given(data=st.data(), value=objects | json_values)
def test_arbitrary_json_on_every_command_endpoint_is_never_a_5xx(
    fuzz_api: tuple[Api, list[str]], data: st.DataObject, value: Any
) -> None:
    api, paths = fuzz_api
    path = data.draw(st.sampled_from(paths), label="path")
    _check(_post(api, path, _dumps(value)))


@_SETTINGS
@given(data=st.data(), raw=st.binary(max_size=200))
def test_arbitrary_bytes_on_every_command_endpoint_are_never_a_5xx(
    fuzz_api: tuple[Api, list[str]], data: st.DataObject, raw: bytes
) -> None:
    api, paths = fuzz_api
    path = data.draw(st.sampled_from(paths), label="path")
    ctype = data.draw(
        st.sampled_from(["application/json", "text/plain", "application/yaml", "application/x-www-form-urlencoded"]),
        label="content type",
    )
    _check(_post(api, path, raw, ctype))


def test_the_fuzzed_routes_are_all_post_routes_of_the_app(fuzz_api: tuple[Api, list[str]]) -> None:
    api, paths = fuzz_api
    assert any(p.endswith("/contacts") for p in paths)
    assert any(p.endswith("/api/v1/definitions") for p in paths)
    assert not math.isnan(len(paths))
