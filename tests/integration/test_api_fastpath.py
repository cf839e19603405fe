"""The short path for case commands (api/fastpath.py) answers exactly as FastAPI's routing does.

Two apps share one database and one clock: the normal one, and one built with
`command_fast_path=False`. Every request below is sent to both, each on its own but identical case,
and the answers must agree byte for byte (case ids aside): status, body, and the headers a client
reads. The well-formed commands must have been answered by the short path itself.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from api.app import create_app
from api.fastpath import CommandFastPath
from tests.integration.api_kit import Api, make_api, new_personnummer

SARA = "sara.samordnare@kommun"
ANNA = "anna.handlaggare@af"
ADMIN = "forbund.admin"


@pytest.fixture(scope="module")
def pair(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Api, Api]]:
    fast = make_api(database_url, tmp_path_factory.mktemp("keys"))
    slow_app = create_app(fast.app.state.settings, clock=fast.clock, command_fast_path=False)
    slow_app.state.authenticator = fast.app.state.authenticator  # the same tokens verify on both
    slow = Api(
        client=TestClient(slow_app, raise_server_exceptions=False), app=slow_app, clock=fast.clock, tokens=fast.tokens
    )
    try:
        yield fast, slow
    finally:
        for a in (fast, slow):
            a.client.close()
            a.app.state.services.close()


def _middleware(app: Any) -> CommandFastPath:
    assert isinstance(app.fast_path, CommandFastPath), "the short path is not in front of the app"
    return app.fast_path


def _both(pair: tuple[Api, Api]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The same named case (one person, consent for kommun and AF) once through each app."""
    pnr = new_personnummer()
    return tuple(a.named(consent=("kommun", "af"), personnummer=pnr) for a in pair)  # type: ignore[return-value]


def _send(a: Api, case: dict[str, Any], method_path: str, **kw: Any) -> Any:
    path = method_path.replace("{id}", case["id"])
    return a.client.post("/api/v1" + path, **kw)


def _normalised(r: Any, case: dict[str, Any]) -> tuple[int, dict[str, str], str]:
    headers = {k: v for k, v in r.headers.items() if k in ("content-type", "etag", "cache-control", "www-authenticate")}
    return r.status_code, headers, r.text.replace(case["id"], "<id>")


def _auth(a: Api, who: str | None, **extra: str) -> dict[str, str]:
    return a.h(who, **extra)


CUR = {"If-Match": "CURRENT"}
FACT = {"fact": "inskrivningssamtal_hallet", "value": "2026-11-24"}
CASES: list[tuple[str, str, Any, dict[str, str], str | None]] = [
    # (name, path, body (json / bytes / None), headers besides auth, who)
    ("contact", "/cases/{id}/contacts", {"channel": "telefon"}, {"If-Match": "CURRENT"}, SARA),
    ("contact with date", "/cases/{id}/contacts", {"on": "2026-11-20"}, {"If-Match": "CURRENT"}, SARA),
    (
        "fact",
        "/cases/{id}/facts",
        {"fact": "inskrivningssamtal_hallet", "value": "2026-11-24"},
        {"If-Match": "CURRENT"},
        SARA,
    ),
    ("weak etag", "/cases/{id}/contacts", {}, {"If-Match": 'W/"CUR"'}, SARA),
    ("star", "/cases/{id}/contacts", {}, {"If-Match": "*"}, SARA),
    ("missing if-match", "/cases/{id}/contacts", {}, {}, SARA),
    ("malformed if-match", "/cases/{id}/contacts", {}, {"If-Match": "abc"}, SARA),
    ("stale if-match", "/cases/{id}/contacts", {}, {"If-Match": '"999"'}, SARA),
    ("body of the wrong type", "/cases/{id}/contacts", {"channel": 5}, {"If-Match": "CURRENT"}, SARA),
    ("body not json", "/cases/{id}/contacts", b"{", {"If-Match": "CURRENT", "Content-Type": "application/json"}, SARA),
    ("body as text", "/cases/{id}/contacts", b"{}", {"If-Match": "CURRENT", "Content-Type": "text/plain"}, SARA),
    (
        "blank body",
        "/cases/{id}/tasks/x/complete",
        b" \n",
        {"If-Match": "CURRENT", "Content-Type": "application/json"},
        SARA,
    ),
    ("fact as a digit string", "/cases/{id}/facts", {"fact": "inskrivningssamtal_hallet", "value": "0"}, CUR, SARA),
    ("required body missing", "/cases/{id}/facts", None, {"If-Match": "CURRENT"}, SARA),
    ("unknown phase", "/cases/{id}/phase", {"phase": "nowhere"}, {"If-Match": "CURRENT"}, SARA),
    ("rule violation", "/cases/{id}/exit", {"outcome": "arbete"}, {"If-Match": "CURRENT"}, SARA),
    ("no credentials", "/cases/{id}/contacts", {}, {"If-Match": "CURRENT"}, None),
    ("bad token", "/cases/{id}/contacts", {}, {"If-Match": "CURRENT", "Authorization": "Bearer nope"}, None),
    ("basic auth", "/cases/{id}/contacts", {}, {"If-Match": "CURRENT", "Authorization": "Basic eDp5"}, None),
    ("party outside the consent", "/cases/{id}/contacts", {}, {"If-Match": "CURRENT"}, "rut.rehab@region"),
    ("förbund admin", "/cases/{id}/contacts", {}, {"If-Match": "CURRENT"}, ADMIN),
    ("unknown case", "/cases/nosuchcase/contacts", {}, {"If-Match": '"1"'}, SARA),
    ("bad case id", "/cases/bad%20id/contacts", {}, {"If-Match": '"1"'}, SARA),
    ("personnummer in the path", "/cases/191212121212/contacts", {}, {"If-Match": '"1"'}, SARA),
    ("query string", "/cases/{id}/contacts?x=1", {}, {"If-Match": "CURRENT"}, SARA),
    (
        "idempotency key too long",
        "/cases/{id}/contacts",
        {},
        {"If-Match": "CURRENT", "Idempotency-Key": "k" * 201},
        SARA,
    ),
    ("unknown task", "/cases/{id}/tasks/nosuchtask/complete", None, {"If-Match": "CURRENT"}, SARA),
    ("decline without reason", "/cases/{id}/tasks/x/decline", {}, {"If-Match": "CURRENT"}, SARA),
]

HANDLED = {"contact", "contact with date", "fact", "weak etag", "star", "stale if-match", "unknown phase",
           "rule violation", "party outside the consent", "fact as a digit string", "förbund admin",
           "unknown case", "unknown task"}  # fmt: skip


@pytest.mark.parametrize(("name", "path", "body", "headers", "who"), CASES, ids=[c[0] for c in CASES])
def test_short_path_answers_as_fastapi_does(
    pair: tuple[Api, Api], name: str, path: str, body: Any, headers: dict[str, str], who: str | None
) -> None:
    fast, slow = pair
    answers = []
    counter = _middleware(fast.app)
    cases = _both(pair)
    before = counter.handled
    for a, case in zip(pair, cases, strict=True):
        hdrs = {
            k: v.replace("CURRENT", f'"{case["version"]}"').replace("CUR", str(case["version"]))
            for k, v in headers.items()
        }
        kw: dict[str, Any] = {"headers": _auth(a, who, **hdrs)}
        if isinstance(body, bytes):
            kw["content"] = body
        elif body is not None:
            kw["json"] = body
        answers.append(_normalised(_send(a, case, path, **kw), case))
    assert answers[0][:2] == answers[1][:2]
    assert answers[0][2] == answers[1][2]
    assert answers[0][0] < 500, answers[0]
    assert (counter.handled - before == 1) == (name in HANDLED), (name, answers[0])


def test_idempotent_retry_through_the_short_path(pair: tuple[Api, Api]) -> None:
    fast, slow = pair
    counter = _middleware(fast.app)
    for a, case in zip(pair, _both(pair), strict=True):
        headers = _auth(a, SARA, **{"If-Match": f'"{case["version"]}"', "Idempotency-Key": f"retry-{case['id']}"})
        first = _send(a, case, "/cases/{id}/contacts", json={"channel": "besök"}, headers=headers)
        again = _send(a, case, "/cases/{id}/contacts", json={"channel": "besök"}, headers=headers)
        other = _send(a, case, "/cases/{id}/contacts", json={"channel": "telefon"}, headers=headers)
        assert first.status_code == again.status_code == 200
        assert first.json() == again.json()
        assert other.status_code == 422
        assert other.json()["code"] == "idempotency_conflict"
        timeline = a.get(f"/cases/{case['id']}/timeline?limit=50", SARA).json()
        assert [e["type"] for e in timeline["items"]].count("ContactRecorded") == 1
    assert counter.handled >= 3


def test_task_command_without_body_through_the_short_path(pair: tuple[Api, Api]) -> None:
    fast, _ = pair
    counter = _middleware(fast.app)
    case, _ = _both(pair)
    task = next(t for t in case["tasks"] if t["party"] == "kommun" and t["status"] == "open")
    before = counter.handled
    r = fast.post(
        f"/cases/{case['id']}/tasks/{task['task_id']}/complete",
        SARA,
        None,
        headers={"If-Match": f'"{case["version"]}"'},
    )
    assert r.status_code == 200, r.text
    assert next(t for t in r.json()["tasks"] if t["task_id"] == task["task_id"])["status"] == "completed"
    assert counter.handled == before + 1
