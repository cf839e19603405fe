"""The event feed over HTTP: a cursor beyond the newest event is a 400 problem, documented in the
OpenAPI document (issue 13), on SQLite and PostgreSQL."""

from __future__ import annotations

from tests.integration.api_kit import Api, new_personnummer

PROBLEM = "application/problem+json"


def test_a_cursor_beyond_the_newest_event_is_400_cursor_invalid_not_echoed(api: Api) -> None:
    api.refer(personnummer=new_personnummer())
    end = api.get("/events?after=0&limit=1000", "kommun-system").json()["next_cursor"]
    assert api.get(f"/events?after={end}", "kommun-system").json() == {"items": [], "next_cursor": end}

    r = api.get("/events?after=999999", "kommun-system")
    assert r.status_code == 400, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    body = r.json()
    assert body["type"] == "https://insats.example/problems/cursor_invalid"
    assert (body["code"], body["status"]) == ("cursor_invalid", 400)
    assert "senaste händelsen" in body["detail"]
    assert body["errors"][0]["field"] == "after"
    assert "next_cursor" not in body


def test_the_openapi_document_says_a_cursor_beyond_the_newest_event_is_refused(api: Api) -> None:
    op = api.get("/openapi.json", None).json()["paths"]["/api/v1/events"]["get"]
    assert "https://insats.example/problems/cursor_invalid" in op["description"]
    assert "not clamped" in op["description"]
    assert op["responses"]["400"]["content"][PROBLEM]["schema"] == {"$ref": "#/components/schemas/Problem"}
