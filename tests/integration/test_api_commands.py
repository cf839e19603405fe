"""The case commands through HTTP: every shape of request a party system may send (well-formed or
not) gets the answer and the problem+json `code` it always had."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.api_kit import Api

SARA = "sara.samordnare@kommun"
ADMIN = "forbund.admin"
CUR = {"If-Match": "CURRENT"}
JSON = {"Content-Type": "application/json"}
FACT = {"fact": "inskrivningssamtal_hallet", "value": "2026-11-24"}
CASES: list[tuple[str, str, Any, dict[str, str], str | None, int, str | None]] = [
    # (name, path, body (json / bytes / None), headers besides auth, who, status, problem code)
    ("contact", "/cases/{id}/contacts", {"channel": "telefon"}, CUR, SARA, 200, None),
    ("contact with date", "/cases/{id}/contacts", {"on": "2026-11-20"}, CUR, SARA, 200, None),
    ("fact", "/cases/{id}/facts", FACT, CUR, SARA, 200, None),
    ("weak etag", "/cases/{id}/contacts", {}, {"If-Match": 'W/"CUR"'}, SARA, 200, None),
    ("star", "/cases/{id}/contacts", {}, {"If-Match": "*"}, SARA, 200, None),
    ("query string", "/cases/{id}/contacts?x=1", {}, CUR, SARA, 200, None),
    ("missing if-match", "/cases/{id}/contacts", {}, {}, SARA, 428, "version_required"),
    ("malformed if-match", "/cases/{id}/contacts", {}, {"If-Match": "abc"}, SARA, 412, "version_conflict"),
    ("stale if-match", "/cases/{id}/contacts", {}, {"If-Match": '"999"'}, SARA, 412, "version_conflict"),
    ("body of the wrong type", "/cases/{id}/contacts", {"channel": 5}, CUR, SARA, 422, "validation_error"),
    ("body not json", "/cases/{id}/contacts", b"{", {**CUR, **JSON}, SARA, 422, "validation_error"),
    (
        "body as text",
        "/cases/{id}/contacts",
        b"{}",
        {**CUR, "Content-Type": "text/plain"},
        SARA,
        415,
        "unsupported_media_type",
    ),
    ("blank body", "/cases/{id}/tasks/x/complete", b" \n", {**CUR, **JSON}, SARA, 422, "validation_error"),
    (
        "fact as a digit string",
        "/cases/{id}/facts",
        {"fact": "inskrivningssamtal_hallet", "value": "0"},
        CUR,
        SARA,
        422,
        "invalid_fact_value",
    ),
    ("required body missing", "/cases/{id}/facts", None, CUR, SARA, 422, "validation_error"),
    ("unknown phase", "/cases/{id}/phase", {"phase": "nowhere"}, CUR, SARA, 422, "unknown_phase"),
    ("rule violation", "/cases/{id}/exit", {"outcome": "arbete"}, CUR, SARA, 409, "exit_phase_required"),
    ("no credentials", "/cases/{id}/contacts", {}, CUR, None, 401, "unauthenticated"),
    (
        "bad token",
        "/cases/{id}/contacts",
        {},
        {**CUR, "Authorization": "Bearer nope"},
        None,
        401,
        "invalid_token",
    ),
    (
        "basic auth",
        "/cases/{id}/contacts",
        {},
        {**CUR, "Authorization": "Basic eDp5"},
        None,
        401,
        "unauthenticated",
    ),
    ("party outside the consent", "/cases/{id}/contacts", {}, CUR, "rut.rehab@region", 404, "not_found"),
    ("förbund admin", "/cases/{id}/contacts", {}, CUR, ADMIN, 403, "forbidden"),
    ("unknown case", "/cases/nosuchcase/contacts", {}, {"If-Match": '"1"'}, SARA, 404, "not_found"),
    ("bad case id", "/cases/bad%20id/contacts", {}, {"If-Match": '"1"'}, SARA, 422, "validation_error"),
    (
        "personnummer in the path",
        "/cases/191212121212/contacts",
        {},
        {"If-Match": '"1"'},
        SARA,
        400,
        "personnummer_in_url",
    ),
    (
        "idempotency key too long",
        "/cases/{id}/contacts",
        {},
        {**CUR, "Idempotency-Key": "k" * 201},
        SARA,
        422,
        "validation_error",
    ),
    ("unknown task", "/cases/{id}/tasks/nosuchtask/complete", None, CUR, SARA, 422, "unknown_task"),
    ("decline without reason", "/cases/{id}/tasks/x/decline", {}, CUR, SARA, 422, "validation_error"),
]


@pytest.mark.parametrize(("name", "path", "body", "headers", "who", "status", "code"), CASES, ids=[c[0] for c in CASES])
def test_a_command_request_gets_its_answer(
    api: Api, name: str, path: str, body: Any, headers: dict[str, str], who: str | None, status: int, code: str | None
) -> None:
    case = api.named(consent=("kommun", "af"))
    version = str(case["version"])
    hdrs = {k: v.replace("CURRENT", f'"{version}"').replace("CUR", version) for k, v in headers.items()}
    kw: dict[str, Any] = {"headers": api.h(who, **hdrs)}
    if isinstance(body, bytes):
        kw["content"] = body
    elif body is not None:
        kw["json"] = body
    r = api.client.post("/api/v1" + path.replace("{id}", case["id"]), **kw)
    assert r.status_code == status, r.text
    if code != "personnummer_in_url":  # refused before the app: no header added
        assert r.headers["Cache-Control"] == "no-store"
    if code is None:
        assert r.headers["ETag"] == f'"{r.json()["version"]}"'
    else:
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["code"] == code
        assert r.json()["type"].endswith("/" + code)


def test_a_task_is_completed_without_a_body(api: Api) -> None:
    case = api.named(consent=("kommun", "af"))
    task = next(t for t in case["tasks"] if t["party"] == "kommun" and t["status"] == "open")
    r = api.post(
        f"/cases/{case['id']}/tasks/{task['task_id']}/complete",
        SARA,
        None,
        headers={"If-Match": f'"{case["version"]}"'},
    )
    assert r.status_code == 200, r.text
    assert next(t for t in r.json()["tasks"] if t["task_id"] == task["task_id"])["status"] == "completed"


def test_an_unexpected_error_is_a_logged_problem_500(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    case = api.named()

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the store fell over")

    monkeypatch.setattr(api.app.state.services.cases, "execute", broken)
    r = api.post(f"/cases/{case['id']}/contacts", SARA, {}, headers={"If-Match": f'"{case["version"]}"'})
    assert r.status_code == 500
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == "internal_error"
    assert "fell over" not in r.text
