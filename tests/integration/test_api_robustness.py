"""Issue 13, the HTTP side: no 5xx, no leak, nothing lost. Every input the API cannot accept is a
4xx problem+json with a stable `type`, and the case is unchanged afterwards (SQLite and PostgreSQL).
"""

from __future__ import annotations

import jwt
import pytest

from tests.integration.api_kit import Api

SARA = "sara.samordnare@kommun"
PROBLEM = "application/problem+json"


def _problem(r: object, status: int, code: str) -> dict[str, object]:
    assert r.status_code == status, r.text[:500]  # type: ignore[attr-defined]
    assert r.headers["content-type"].startswith(PROBLEM)  # type: ignore[attr-defined]
    body: dict[str, object] = r.json()  # type: ignore[attr-defined]
    assert body["type"] == "https://insats.example/problems/" + code
    assert body["code"] == code
    return body


def _unchanged(api: Api, case: dict[str, object]) -> None:
    now = api.fresh(case)
    assert now["version"] == case["version"]


def _post(api: Api, case: dict[str, object], path: str, body: object, **kw: object) -> object:
    headers = {"If-Match": f'"{case["version"]}"', **kw.pop("headers", {})}  # type: ignore[dict-item]
    return api.post(f"/cases/{case['id']}{path}", SARA, body, headers=headers, **kw)


# --- 1. a detail named like a member of the problem (a task's `status`) ------------------------------


@pytest.mark.parametrize("command", ["complete", "accept", "decline"])
def test_command_on_a_task_that_is_not_open_is_409_task_not_open(api: Api, command: str) -> None:
    case = api.named()
    task = next(t for t in case["tasks"] if t["party"] == "kommun" and t["status"] == "open")
    case = api.cmd(case, f"/tasks/{task['task_id']}/complete", {"note": "klart"})
    body = {"reason": "inte aktuell"} if command == "decline" else {}
    problem = _problem(_post(api, case, f"/tasks/{task['task_id']}/{command}", body), 409, "task_not_open")
    assert problem["status"] == 409
    assert problem["details"] == {"status": "completed"}
    _unchanged(api, case)


def test_no_detail_name_can_collide_with_the_problem_or_its_builder() -> None:
    from api.problems import problem_response, service_error_parts
    from engine.service.errors import ServiceError

    names = ("status", "code", "type", "title", "detail", "instance", "errors", "headers", "request", "extensions")
    exc = ServiceError("some_rule", "nej", 409, details={n: f"x-{n}" for n in names} | {"when": object()})
    status, code, message, errors, extensions = service_error_parts(exc)
    r = problem_response(None, status, code, message, errors, extensions=extensions)
    import json

    body = json.loads(bytes(r.body))
    assert (body["status"], body["code"], body["type"]) == (
        409,
        "some_rule",
        "https://insats.example/problems/some_rule",
    )
    assert body["details"]["status"] == "x-status"
    assert body["request"] == "x-request"
    assert isinstance(body["when"], str)


# --- 2. bodies that cannot be parsed ---------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "[" * 5000 + "]" * 5000,
        '{"channel":' + "[" * 5000 + "]" * 5000 + "}",
        '{"a":' * 5000 + "1" + "}" * 5000,
        "[" * 5000,
        '{"channel": ' + "[" * 65 + "]" * 65 + "}",
    ],
    ids=["list", "inner", "objects", "unclosed", "65-levels"],
)
def test_deeply_nested_json_is_a_400_problem(api: Api, raw: str) -> None:
    case = api.named()
    r = _post(api, case, "/contacts", None, content=raw, headers={"Content-Type": "application/json"})
    _problem(r, 400, "body_too_deep")
    _unchanged(api, case)


def test_64_levels_are_still_parsed(api: Api) -> None:
    case = api.named()
    raw = '{"channel": ' + "[" * 63 + "]" * 63 + "}"
    r = _post(api, case, "/contacts", None, content=raw, headers={"Content-Type": "application/json"})
    _problem(r, 422, "validation_error")


def test_broken_json_is_a_400_problem(api: Api) -> None:
    case = api.named()
    r = _post(api, case, "/contacts", None, content=b'{"channel": "a', headers={"Content-Type": "application/json"})
    assert r.status_code in (400, 422), r.text  # type: ignore[attr-defined]
    assert r.headers["content-type"].startswith(PROBLEM)  # type: ignore[attr-defined]
    _unchanged(api, case)


# --- 3. NUL and other control characters -------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/contacts", {"channel": "tele\x00fon"}, "channel"),
        ("/contacts", {"channel": "tele\nfon"}, "channel"),
        ("/consents", {"parties": ["kommun"], "given_on": "2026-11-24", "form": "munt\x00ligt"}, "form"),
        ("/decision", {"decision": "admitted", "note": "bra\x00"}, "note"),
        ("/abort", {"reason": "flytt", "note": "a\x07b"}, "note"),
        ("/extend", {"reason": "\x1b[31m"}, "reason"),
        ("/facts", {"fact": "inskrivningssamtal_hallet", "value": "x\x00"}, "value"),
        ("/consents/withdraw", {"reason": "\x00"}, "reason"),
        ("/exit", {"outcome": "studier\x00"}, "outcome"),
    ],
)
def test_control_characters_in_text_are_422_naming_the_field(api: Api, path: str, body: object, field: str) -> None:
    case = api.named()
    problem = _problem(_post(api, case, path, body), 422, "validation_error")
    assert field in {e["field"] for e in problem["errors"]}  # type: ignore[attr-defined,union-attr]
    _unchanged(api, case)


def test_nul_in_a_task_comment_and_a_referral_is_422(api: Api) -> None:
    case = api.named()
    task = next(t for t in case["tasks"] if t["party"] == "kommun")
    _problem(_post(api, case, f"/tasks/{task['task_id']}/comments", {"text": "hej\x00"}), 422, "validation_error")
    r = api.post("/cases", SARA, {"anonymous": True, "gender": "man", "birth_year": 1980, "note": "\x00"})
    assert "note" in {e["field"] for e in _problem(r, 422, "validation_error")["errors"]}  # type: ignore[attr-defined,union-attr]
    r = api.post("/cases", SARA, {"personnummer": "19121212\x001212", "name": "Tolvan"})
    _problem(r, 422, "validation_error")
    _unchanged(api, case)


def test_free_text_keeps_newlines_and_tabs(api: Api) -> None:
    case = api.named()
    task = next(t for t in case["tasks"] if t["party"] == "kommun")
    api.cmd(case, f"/tasks/{task['task_id']}/comments", {"text": "rad ett\nrad\ttvå\r\n"})


def test_nul_in_query_parameters_and_idempotency_key_is_422(api: Api) -> None:
    r = api.get("/access-log", "ida.auditor", params={"user_id": "a\x00b"})
    assert "user_id" in {e["field"] for e in _problem(r, 422, "validation_error")["errors"]}  # type: ignore[attr-defined,union-attr]
    r = api.get("/access-log", "ida.auditor", params={"case_id": "\x00"})
    _problem(r, 422, "validation_error")
    case = api.named()
    r = _post(api, case, "/contacts", {}, headers={"Idempotency-Key": "k\x01ey"})
    assert r.status_code in (400, 422), r.text  # type: ignore[attr-defined]
    _unchanged(api, case)


# --- 4. tokens PyJWT or our claim checks cannot accept ---------------------------------------------


@pytest.mark.parametrize(
    "token",
    [
        "eyJhbGciOiJFUzI1NiJ9.e30.AAAA",
        "eyJhbGciOiJQUzI1NiJ9.e30.AAAA",
        "eyJhbGciOiJIUzI1NiJ9.e30.AAAA",
        "eyJhbGciOiJub25lIn0.e30.",
        "eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.AAAA",
        "a.b.c",
        "x" * 20000,
        "\u00e5\u00e4\u00f6",
    ],
)
def test_a_token_pyjwt_cannot_accept_is_401(api: Api, token: str) -> None:
    case = api.named()
    header = ("Bearer " + token).encode("latin-1")
    r = api.client.get(f"/api/v1/cases/{case['id']}", headers={"Authorization": header})  # type: ignore[dict-item]
    _problem(r, 401, "invalid_token")


@pytest.mark.parametrize(
    "claims",
    [
        {"sub": "x" * 201},
        {"name": "n" * 201},
        {"party": "p" * 101},
        {"roles": ["r"] * 51},
        {"roles": ["r" * 101]},
        {"roles": [{"a": 1}]},
        {"sub": "a\x00b"},
        {"name": ["not", "text"]},
        {"sub": 12},
        {"kind": ["samordnare"]},
    ],
)
def test_signed_tokens_with_unacceptable_claims_are_401(api: Api, claims: dict[str, object]) -> None:
    auth = api.app.state.authenticator
    good = jwt.decode(api.tokens[SARA], options={"verify_signature": False})
    token = jwt.encode(good | claims, auth.private_key, algorithm="RS256", headers={"kid": auth.kid})
    case = api.named()
    r = api.client.get(f"/api/v1/cases/{case['id']}", headers={"Authorization": "Bearer " + token})
    _problem(r, 401, "invalid_token")


# --- 5. dates are RFC 3339 strings, nothing else ----------------------------------------------------


@pytest.mark.parametrize("value", [0, "0", 1700000000, "20261124", "2026-W48-2", 20261124.0, True, "2026-11-24T00:00"])
def test_a_date_is_a_yyyy_mm_dd_string_only(api: Api, value: object) -> None:
    case = api.named()
    _problem(_post(api, case, "/contacts", {"on": value}), 422, "validation_error")
    body = {"parties": ["kommun"], "given_on": value}
    _problem(_post(api, case, "/consents", body), 422, "validation_error")
    r = api.post("/cases", SARA, {"anonymous": True, "gender": "man", "birth_year": 1980, "sick_period_start": value})
    _problem(r, 422, "validation_error")
    _unchanged(api, case)


@pytest.mark.parametrize("value", [0, "20261124", "2026-W48-2"])
def test_a_date_fact_is_a_yyyy_mm_dd_string_only(api: Api, value: object) -> None:
    case = api.named()
    r = _post(api, case, "/facts", {"fact": "inskrivningssamtal_hallet", "value": value})
    assert r.status_code == 422, r.text  # type: ignore[attr-defined]
    _unchanged(api, case)
    ok = api.cmd(case, "/facts", {"fact": "inskrivningssamtal_hallet", "value": "2026-11-24"})
    assert ok["version"] == case["version"] + 1


# --- 6. error bodies stay small ----------------------------------------------------------------------


def test_a_huge_unknown_field_is_not_echoed(api: Api) -> None:
    case = api.named()
    body = {("x" * 500_000) + str(i): 1 for i in range(2)} | {"on": "bad", "channel": 5}
    problem = _problem(_post(api, case, "/contacts", body), 422, "validation_error")
    r_len = len(str(problem))
    assert r_len < 5000
    assert all(len(e["field"]) <= 200 for e in problem["errors"])  # type: ignore[attr-defined,index]


def test_the_number_of_errors_is_capped(api: Api) -> None:
    case = api.named()
    body = {"parties": ["ok"] + ["!"] * 49, "given_on": "x"} | {f"extra{i}": i for i in range(200)}
    problem = _problem(_post(api, case, "/consents", body), 422, "validation_error")
    assert len(problem["errors"]) <= 50  # type: ignore[arg-type]


# --- 9. a body that is not JSON ----------------------------------------------------------------------


@pytest.mark.parametrize("ctype", ["text/plain", "application/xml", "application/x-www-form-urlencoded"])
def test_a_json_endpoint_given_another_media_type_is_415(api: Api, ctype: str) -> None:
    case = api.named()
    r = _post(api, case, "/contacts", None, content=b'{"channel": "telefon"}', headers={"Content-Type": ctype})
    _problem(r, 415, "unsupported_media_type")
    _unchanged(api, case)
    r = api.client.post("/api/v1/cases", content=b'{"anonymous": true}', headers=api.h(SARA, **{"Content-Type": ctype}))
    _problem(r, 415, "unsupported_media_type")


def test_json_with_a_charset_and_plus_json_are_accepted(api: Api) -> None:
    case = api.named()
    for ctype in ("application/json; charset=utf-8", "application/merge-patch+json"):
        r = _post(api, case, "/contacts", None, content=b'{"channel": "telefon"}', headers={"Content-Type": ctype})
        assert r.status_code == 200, r.text  # type: ignore[attr-defined]
        case = r.json()  # type: ignore[attr-defined]


def test_the_openapi_example_of_purpose_is_what_the_server_writes(api: Api) -> None:
    spec = api.get("/openapi.json", None).json()
    example = spec["components"]["schemas"]["AccessLogOut"]["examples"][0]["purpose"]
    case = api.named()
    api.fresh(case)
    rows = api.get("/access-log", "ida.auditor", params={"case_id": case["id"], "limit": 50}).json()["items"]
    written = {row["purpose"] for row in rows}
    assert "GET /api/v1/cases/{case_id}" in written
    method, _, path = example.partition(" ")
    assert method in ("GET", "POST"), example
    assert path.startswith("/api/v1/"), example


@pytest.mark.parametrize("text", ["=", "[" * 5000 + "]" * 5000, "a:\n" + "  " * 3000 + "b: 1"])
def test_a_definition_the_loader_cannot_read_is_a_422(api: Api, text: str) -> None:
    headers = api.h("forbund.admin", **{"Content-Type": "application/yaml"})
    r = api.client.post("/api/v1/definitions", content=text.encode(), headers=headers)
    assert r.status_code == 422, r.text[:300]
    assert r.headers["content-type"].startswith(PROBLEM)
