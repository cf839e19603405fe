"""A case from referral to exit through HTTP, with ETags, If-Match, Idempotency-Key and problem+json."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from api.guard import looks_like_personnummer
from tests.integration.api_kit import Api, new_personnummer

PROBLEM = "application/problem+json"
SARA = "sara.samordnare@kommun"


def assert_problem(r: object, status: int, code: str) -> dict:  # type: ignore[type-arg]
    assert r.status_code == status, r.text  # type: ignore[attr-defined]
    assert r.headers["content-type"].startswith(PROBLEM)  # type: ignore[attr-defined]
    body = r.json()  # type: ignore[attr-defined]
    assert body["type"] == f"https://insats.example/problems/{code}"
    assert body["code"] == code
    assert body["status"] == status
    assert {"title", "detail", "instance"} <= body.keys()
    return body  # type: ignore[no-any-return]


def test_api_info_and_openapi_metadata(api: Api) -> None:
    info = api.get("/api-info", None).json()
    assert info["api_name"] == "insats"
    assert info["licence"] == "EUPL-1.2"
    spec = api.get("/openapi.json", None).json()
    assert spec["info"]["license"]["name"] == "EUPL-1.2"
    assert spec["info"]["contact"]["email"]
    assert "Svenska" in spec["info"]["description"]
    assert "English" in spec["info"]["description"]
    for path in spec["paths"]:
        assert path.startswith("/api/v1/")
        assert path == path.lower()
        assert "_" not in path.replace("{case_id}", "").replace("{task_id}", "").replace("{definition_id}", "")
    for name, schema in spec["components"]["schemas"].items():
        if name.endswith(("Create", "Public", "Withdraw", "Move", "Search", "Page", "Feed", "List")):
            assert schema.get("examples"), f"{name} has no example"


def test_named_case_from_referral_to_exit(api: Api) -> None:
    pnr = new_personnummer()
    case = api.refer(personnummer=pnr, name="Alva Exempel")
    assert case["version"] == 1
    assert case["person"] is None
    case = api.cmd(case, "/consents", {"parties": ["af", "fk", "kommun", "region"], "given_on": "2026-11-24"})
    assert case["phase"] == "aktualisering"
    assert case["person"]["personnummer"] == pnr
    case = api.to(case, "arbetstraning")
    assert case["consent"]["active"]
    assert case["decision"] == "admitted"
    case = api.cmd(case, "/contacts", {"on": api.clock.today.isoformat(), "channel": "telefon"})
    case = api.cmd(case, "/extend", {"reason": "mer tid"})
    task = next(t for t in case["tasks"] if t["status"] == "open" and t["party"] == "af")
    case = api.cmd(case, f"/tasks/{task['task_id']}/accept", who="anna.handlaggare@af")
    case = api.cmd(case, f"/tasks/{task['task_id']}/comments", {"text": "Vi ringer"}, who="anna.handlaggare@af")
    case = api.cmd(case, "/phase", {"phase": "avslut"})
    case = api.finish_tasks(case)
    tl = api.get(f"/cases/{case['id']}/timeline?limit=500", SARA).json()
    types = [e["type"] for e in tl["items"]]
    assert types[0] == "CaseReferred"
    assert "ConsentRecorded" in types
    assert "PhaseEntered" in types
    assert tl["total"] == len(tl["items"])
    assert tl["items"][0]["at"].endswith("Z")
    case = api.cmd(case, "/exit", {"outcome": "studier"})
    # Consent ends at avslut; the parties it covered then keep read access to the closed case
    # (its outcome and its history up to exit) until gallring.
    assert case["access"] == "full"
    assert case["person"] is not None
    assert (case["status"], case["outcome"]) == ("closed", "studier")
    assert_problem(
        api.post(f"/cases/{case['id']}/contacts", SARA, {}, headers={"If-Match": f'"{case["version"]}"'}),
        409,
        "case_closed",
    )


def test_anonymous_case_carries_no_person(api: Api) -> None:
    case = api.refer(anonymous=True, gender="kvinna", birth_year=1991)
    assert case["person"] is None
    assert case["anonymous"] is True
    r = api.post("/cases", SARA, {"anonymous": True, "personnummer": new_personnummer(), "gender": "man"})
    assert r.status_code == 422
    assert r.json()["errors"]


def test_abort_from_any_phase(api: Api) -> None:
    case = api.named()
    closed = api.cmd(case, "/abort", {"reason": "flytt"})
    assert closed["version"] > case["version"]
    again = api.post(f"/cases/{case['id']}/contacts", SARA, {}, headers={"If-Match": f'"{closed["version"]}"'})
    assert_problem(again, 409, "case_closed")


def test_withdraw_consent_then_party_loses_personal_data(api: Api) -> None:
    case = api.to(api.refer(personnummer=new_personnummer(), name="Bo"), "beslut")
    assert api.get(f"/cases/{case['id']}", "anna.handlaggare@af").json()["person"]["name"] == "Bo"
    case = api.cmd(case, "/consents/withdraw", {"parties": ["af"]})
    r = api.get(f"/cases/{case['id']}", "anna.handlaggare@af")
    assert r.status_code in (403, 404) or r.json()["person"] is None


def test_stale_if_match_is_412_and_missing_is_428(api: Api) -> None:
    case = api.fresh(api.refer(personnummer=new_personnummer()))
    api.cmd(case, "/contacts", {})
    stale = api.post(f"/cases/{case['id']}/contacts", SARA, {}, headers={"If-Match": f'"{case["version"]}"'})
    assert_problem(stale, 412, "version_conflict")
    assert_problem(api.post(f"/cases/{case['id']}/contacts", SARA, {}), 428, "version_required")


def test_idempotency_key_twice_gives_same_response_and_one_effect(api: Api) -> None:
    case = api.named()
    headers = {"If-Match": f'"{case["version"]}"', "Idempotency-Key": "contact-1"}
    first = api.post(f"/cases/{case['id']}/contacts", SARA, {"channel": "telefon"}, headers=headers)
    again = api.post(f"/cases/{case['id']}/contacts", SARA, {"channel": "telefon"}, headers=headers)
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    assert first.headers["ETag"] == again.headers["ETag"]
    tl = api.get(f"/cases/{case['id']}/timeline?limit=500", SARA).json()["items"]
    assert [e["type"] for e in tl].count("ContactRecorded") == 1
    other = api.post(f"/cases/{case['id']}/contacts", SARA, {"channel": "brev"}, headers=headers)
    assert_problem(other, 422, "idempotency_conflict")


def test_idempotent_referral_concurrently_creates_one_case(api: Api) -> None:
    body = {"personnummer": new_personnummer(), "name": "Samma"}

    def send(_: int) -> tuple[int, str]:
        r = api.post("/cases", SARA, body, headers={"Idempotency-Key": "refer-concurrent-1"})
        return r.status_code, r.json().get("id", r.text)

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(send, range(4)))
    ok = [r for r in results if r[0] == 201]
    assert ok, results
    assert len({r[1] for r in ok}) == 1, results
    assert all(r[0] in (201, 409) for r in results), results


def test_validation_errors_name_the_field(api: Api) -> None:
    body = assert_problem(api.post("/cases", SARA, {"personnummer": "19900101-0018"}), 422, "person_invalid")
    assert body["detail"]
    body = assert_problem(api.post("/cases", SARA, {"gender": "okänd", "anonymous": True}), 422, "validation_error")
    assert body["errors"][0]["field"] == "gender"
    case = api.fresh(api.refer(personnummer=new_personnummer()))
    body = assert_problem(
        api.post(
            f"/cases/{case['id']}/consents",
            SARA,
            {"parties": ["af"], "given_on": "2026-13-01"},
            headers={"If-Match": f'"{case["version"]}"'},
        ),
        422,
        "validation_error",
    )
    assert body["errors"][0]["field"] == "given_on"
    body = assert_problem(
        api.post(
            f"/cases/{case['id']}/facts",
            SARA,
            {"fact": "nope", "value": 1},
            headers={"If-Match": f'"{case["version"]}"'},
        ),
        422,
        "unknown_fact",
    )
    assert body["errors"][0]["field"] == "fact"


def test_not_found_and_method_not_allowed_are_problems(api: Api) -> None:
    assert_problem(api.get("/cases/doesnotexist", SARA), 404, "not_found")
    assert_problem(api.get("/no-such-thing", SARA), 404, "not_found")
    assert_problem(api.client.delete("/api/v1/api-info"), 405, "method_not_allowed")
    assert_problem(api.get("/tasks", None), 401, "unauthenticated")
    assert_problem(api.get("/tasks", None, headers={"Authorization": "Basic dXNlcjpwYXNz"}), 401, "unauthenticated")
    assert_problem(api.get("/tasks", None, headers={"Authorization": "Bearer not.a.jwt"}), 401, "invalid_token")


def test_personnummer_is_never_accepted_in_a_url(api: Api) -> None:
    pnr = new_personnummer()
    api.refer(personnummer=pnr)
    for url in (
        f"/tasks?q={pnr}",
        f"/cases/{pnr}",
        f"/access-log?person_id={pnr[:8]}-{pnr[8:]}",
        f"/events?after=0&personnummer={pnr[2:]}",
    ):
        assert_problem(api.get(url, "ida.auditor"), 400, "personnummer_in_url")
    found = api.post("/persons/search", SARA, {"personnummer": pnr}).json()["items"]
    assert found == [] or found[0]["person"]["personnummer"] == pnr


def test_inbox_filters_and_paging(api: Api) -> None:
    for _ in range(3):
        api.refer(personnummer=new_personnummer())
    r = api.get("/tasks?status=open&limit=2&page=1", SARA).json()
    assert r["limit"] == 2
    assert r["page"] == 1
    assert len(r["items"]) == 2
    assert r["total"] >= 3
    for status in ("overdue", "due_this_week", "all"):
        assert api.get(f"/tasks?status={status}", SARA).status_code == 200
    assert_problem(api.get("/tasks?status=late", SARA), 422, "validation_error")
    assert_problem(api.get("/tasks?limit=0", SARA), 422, "validation_error")


def test_event_feed_is_resumable(api: Api) -> None:
    api.refer(personnummer=new_personnummer())
    first = api.get("/events?after=0&limit=3", "kommun-system").json()
    assert len(first["items"]) <= 3
    rest = api.get(f"/events?after={first['next_cursor']}&limit=1000", "kommun-system").json()
    ids = [e["id"] for e in first["items"] + rest["items"]]
    assert ids == sorted(set(ids))


def test_api_key_and_client_credentials(api: Api) -> None:
    import json

    settings = api.app.state.settings
    secrets = json.loads((settings.key_dir / "demo-secrets.json").read_text())
    r = api.client.post(
        "/api/v1/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "af-system",
            "client_secret": secrets["af-system"]["client_secret"],
        },
    )
    assert r.status_code == 200
    assert r.json()["token_type"] == "Bearer"
    token = r.json()["access_token"]
    assert api.client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert api.client.get("/api/v1/tasks", headers={"X-API-Key": secrets["af-system"]["api_key"]}).status_code == 200
    assert_problem(api.client.get("/api/v1/tasks", headers={"X-API-Key": "nope"}), 401, "invalid_token")
    bad = api.client.post(
        "/api/v1/token", data={"grant_type": "client_credentials", "client_id": "af-system", "client_secret": "wrong"}
    )
    assert_problem(bad, 401, "invalid_client")


def test_definitions_get_yaml_json_upload_and_errors_by_line(api: Api) -> None:
    admin = "forbund.admin"
    listing = api.get("/definitions", admin).json()
    assert any(d["id"] == "finsam-insats" and d["published"] for d in listing["items"])
    as_json = api.get("/definitions/finsam-insats/versions/1", admin)
    assert as_json.json()["definition"]["id"] == "finsam-insats"
    as_yaml = api.get("/definitions/finsam-insats/versions/1", admin, headers={"Accept": "application/yaml"})
    assert as_yaml.headers["content-type"].startswith("application/yaml")
    assert "finsam-insats" in as_yaml.text
    assert api.get("/definitions/finsam-insats/versions/1?format=yaml", admin).text == as_yaml.text
    bad = "id: trasig\nversion: 1\nname: Trasig\nstart: a\nphases:\n  - id: a\n    label: A\n    kind: nonsense\n"
    r = api.post("/definitions", admin, content=bad, headers={"Content-Type": "application/yaml"})
    body = assert_problem(r, 422, "definition_invalid")
    assert any(e.get("line") for e in body["errors"]), body
    yaml_text = as_yaml.text
    r = api.post("/definitions", admin, {"yaml": yaml_text})
    assert r.status_code == 201, r.text
    new = r.json()
    assert new["version"] >= 2
    assert not new["published"]
    assert_problem(api.post("/definitions", SARA, {"yaml": yaml_text}), 403, "forbidden")
    r = api.post(f"/definitions/finsam-insats/versions/{new['version']}/publish", admin)
    assert r.status_code == 200
    assert r.json()["published"]
    sim = api.post("/definitions/finsam-insats/simulate", admin, {"start": "2026-06-15", "outcome": "studier"})
    assert sim.status_code == 200
    assert sim.json()["lines"]
    mig = api.post("/definitions/finsam-insats/migrations", admin, {"from_version": 1, "to_version": new["version"]})
    assert mig.status_code == 200, mig.text
    assert mig.json()["dry_run"] is True


def test_a_case_id_holding_a_personnummer_like_run_of_digits_is_not_refused(api: Api) -> None:
    """Case ids are hex: about one in two thousand holds ten digits that pass the personnummer check.
    Only a number standing on its own in the URL is refused; a case with such an id is reachable."""
    pnr = new_personnummer()
    assert looks_like_personnummer(f"/cases/{pnr}")
    for wrapped in (f"/cases/ab{pnr}cd", f"/cases/72f3bb{pnr[2:]}b385ec"):
        assert not looks_like_personnummer(wrapped)
        assert_problem(api.get(wrapped, "sara.samordnare@kommun"), 404, "not_found")
