"""Property-based run over the OpenAPI spec (schemathesis): no 5xx, responses match their schemas,
on SQLite and on PostgreSQL (issue 13: a NUL was a 500 only on PostgreSQL).

Requests carry a real token (the samordnare's, or the förbund admin's for definitions) and run
against the real app on a real database; schemathesis generates bodies, path and query
parameters, valid and invalid. The stateful run follows the links schemathesis infers from the
spec (a referral's `id` into the case's commands, and so on), so commands reach real cases.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import schemathesis
    from hypothesis import HealthCheck, settings
    from hypothesis.errors import FlakyStrategyDefinition
    from hypothesis.stateful import run_state_machine_as_test
    from schemathesis import GenerationMode
    from schemathesis.checks import content_type_conformance, not_a_server_error, response_schema_conformance

from tests.integration.api_kit import Api, make_api

CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
NEGATIVE_CHECKS = [not_a_server_error, content_type_conformance]
EXAMPLES = int(os.environ.get("INSATS_SCHEMATHESIS_EXAMPLES", "25"))


@pytest.fixture(scope="module")
def st_api(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    api = make_api(database_url, Path(tmp_path_factory.mktemp("st-keys")))
    r = api.post("/cases", "sara.samordnare@kommun", {"personnummer": "191212121212", "name": "Tolvan"})
    assert r.status_code == 201, r.text
    try:
        yield api
    finally:
        api.client.close()
        api.app.state.services.close()


@pytest.fixture(scope="module")
def api_schema(st_api: Api) -> Any:
    return schemathesis.openapi.from_asgi("/api/v1/openapi.json", st_api.app)


def _authorise(st_api: Api, case: Any) -> None:
    who: str | None = "forbund.admin" if "definitions" in case.path else "sara.samordnare@kommun"
    if case.path.endswith("/token"):
        who = None
    headers = dict(case.headers or {})
    if who is not None and "Authorization" not in headers:
        headers["Authorization"] = "Bearer " + st_api.tokens[who]
    case.headers = headers


def _positive(case: Any) -> bool:
    mode = getattr(getattr(case.meta, "generation", None), "mode", None)
    return mode is None or mode == GenerationMode.POSITIVE


def test_no_server_errors_and_responses_match_schema(api_schema: Any, st_api: Api) -> None:
    """Every operation of the spec, each with its own hypothesis run (valid and invalid data)."""
    from hypothesis import given, strategies

    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 25
    for operation in operations:
        both = strategies.one_of(
            operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE)
        )

        @given(case=both)
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def run(case: schemathesis.Case) -> None:
            _authorise(st_api, case)
            response = case.call()
            case.validate_response(response, checks=CHECKS if case.meta is None or _positive(case) else NEGATIVE_CHECKS)

        try:
            run()
        except Exception as exc:
            raise AssertionError(f"{operation.method.upper()} {operation.path}: {exc}") from exc


def test_stateful_links_never_make_a_server_error(api_schema: Any, st_api: Api) -> None:
    """Sequences of calls along the inferred links (refer → get → commands with the case's id)."""
    api_schema.apply_stateful_inference(None)
    machine = api_schema.as_state_machine()

    class Workflow(machine):  # type: ignore[misc,valid-type]
        def before_call(self, case: Any) -> None:
            headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
            case.headers = headers
            _authorise(st_api, case)  # always a real token here: the links are what is tested
            headers = dict(case.headers or {})
            if case.method.upper() == "POST" and "/cases/" in case.path:
                headers.setdefault("If-Match", "*")
            case.headers = headers

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            case.validate_response(response, checks=[not_a_server_error, content_type_conformance])

    # schemathesis' link strategies feed earlier responses into later draws, which hypothesis may
    # take for a strategy that changed under it (FlakyStrategyDefinition: a fault of the generator,
    # not of the API, known upstream). Such a run is started again with a new seed; a server error
    # or a wrong media type fails at once, and a run that keeps flaking fails too.
    for _attempt in range(5):
        try:
            run_state_machine_as_test(
                Workflow,
                settings=settings(
                    max_examples=int(os.environ.get("INSATS_STATEFUL_EXAMPLES", "40")),
                    stateful_step_count=6,
                    deadline=None,
                    database=None,
                    suppress_health_check=list(HealthCheck),
                ),
            )
            return
        except FlakyStrategyDefinition:
            continue
    pytest.fail("the stateful run flaked in data generation five times in a row")
