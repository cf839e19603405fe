"""Property-based run over the OpenAPI spec (schemathesis): no 5xx, responses match their schemas.

Requests carry a real token (the samordnare's, or the förbund admin's for definitions) and run
against the real app on a real SQLite database; schemathesis generates bodies, path and query
parameters, valid and invalid.
"""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import schemathesis
    from hypothesis import HealthCheck, settings
    from schemathesis.checks import content_type_conformance, not_a_server_error, response_schema_conformance

from tests.integration.api_kit import make_api

_tmp = Path(tempfile.mkdtemp(prefix="insats-schemathesis-"))
API = make_api(f"sqlite:///{_tmp / 'st.db'}", _tmp / "keys")
schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", API.app)


def _seed() -> None:
    if getattr(_seed, "done", False):
        return
    r = API.post("/cases", "sara.samordnare@kommun", {"personnummer": "191212121212", "name": "Tolvan"})
    assert r.status_code == 201, r.text
    _seed.done = True  # type: ignore[attr-defined]


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors_and_responses_match_schema(case: schemathesis.Case) -> None:
    _seed()
    who: str | None = "forbund.admin" if "definitions" in case.path else "sara.samordnare@kommun"
    if case.path.endswith("/token"):
        who = None
    headers = dict(case.headers or {})
    if who is not None and "Authorization" not in headers:
        headers["Authorization"] = "Bearer " + API.tokens[who]
    case.headers = headers
    response = case.call()
    case.validate_response(response, checks=[not_a_server_error, response_schema_conformance, content_type_conformance])
