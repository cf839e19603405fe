"""Authorization matrix: every endpoint × every role × named / anonymous / protected case.

Roles: a party the consent covers (AF), a party it never covered (FK), a party after withdrawal
(region, which still owns a kartläggning task), the förbund admin, the auditor, and a caller
without a token. Each personal-data read that succeeds must be in the access log.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.api_kit import Api, new_personnummer

SARA = "sara.samordnare@kommun"
ROLES = {
    "party_with_consent": "anna.handlaggare@af",
    "party_without_consent": "fredrik.handlaggare@fk",
    "party_after_withdrawal": "rut.rehab@region",
    "forbund_admin": "forbund.admin",
    "auditor": "ida.auditor",
    "no_token": None,
}
KINDS = ("named", "anonymous", "protected")


@pytest.fixture(scope="module")
def world(api: Api) -> dict[str, Any]:
    """Three cases in kartläggning; consent af+kommun+region, then region withdrawn."""
    pnrs: dict[str, str] = {}
    cases: dict[str, dict[str, Any]] = {}
    for kind in KINDS:
        if kind == "anonymous":
            case = api.refer(anonymous=True, gender="man", birth_year=1990)
        else:
            pnrs[kind] = new_personnummer()
            case = api.refer(personnummer=pnrs[kind], name=f"Person {kind}")
        case = api.to(case, "kartlaggning", consent=("af", "kommun", "region"))
        case = api.cmd(case, "/consents/withdraw", {"parties": ["region"], "reason": "test"})
        if kind == "protected":
            r = api.post(f"/cases/{case['id']}/protected-identity", SARA, {})
            assert r.status_code == 200, r.text
            case = r.json()
            assert case["person"] is None
            assert case["protected_identity"]
        cases[kind] = case
    return {"cases": cases, "pnrs": pnrs}


def _log_count(api: Api, user: str, case_id: str) -> int:
    r = api.get(f"/access-log?user_id={user}&case_id={case_id}&limit=500", "ida.auditor")
    assert r.status_code == 200, r.text
    return int(r.json()["total"])


def _expect_case(role: str, kind: str) -> tuple[int, str | None]:
    """(status, access level) of GET /cases/{id}."""
    if role == "no_token":
        return 401, None
    if role in ("forbund_admin", "auditor"):
        return 403, None
    if role == "party_with_consent":
        return 200, "full" if kind == "named" else "case"
    if role == "party_after_withdrawal":
        return 200, "tasks"  # region owns medicinskt_underlag
    return 404, None  # FK: no consent, no task: the case does not exist for it


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("role", list(ROLES))
def test_get_case(api: Api, world: dict[str, Any], role: str, kind: str) -> None:
    who = ROLES[role]
    case = world["cases"][kind]
    before = _log_count(api, who, case["id"]) if who else 0
    r = api.get(f"/cases/{case['id']}", who)
    status, level = _expect_case(role, kind)
    assert r.status_code == status, r.text
    text = r.text
    if kind != "named" or level != "full":
        assert "Person " not in text
        assert world["pnrs"].get(kind, "§") not in text
    if status == 200:
        body = r.json()
        assert body["access"] == level
        if level == "full":
            assert body["person"]["name"] == "Person named"
            assert body["person"]["personnummer"] == world["pnrs"]["named"]
        else:
            assert body["person"] is None
        if level in ("full", "case"):
            assert _log_count(api, who, case["id"]) == before + 1  # type: ignore[arg-type]
        if level == "tasks":
            assert all(t["party"] == "region" for t in body["tasks"])
            assert body["facts"] == {}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("role", list(ROLES))
def test_timeline(api: Api, world: dict[str, Any], role: str, kind: str) -> None:
    who = ROLES[role]
    case = world["cases"][kind]
    r = api.get(f"/cases/{case['id']}/timeline", who)
    expected = {
        "party_with_consent": 200,
        "party_without_consent": 404,
        "party_after_withdrawal": 403,
        "forbund_admin": 403,
        "auditor": 403,
        "no_token": 401,
    }[role]
    assert r.status_code == expected, r.text
    assert world["pnrs"].get(kind, "§") not in r.text
    if expected == 200:
        assert _log_count(api, who, case["id"]) >= 1  # type: ignore[arg-type]


@pytest.mark.parametrize("role", list(ROLES))
def test_inbox(api: Api, world: dict[str, Any], role: str) -> None:
    who = ROLES[role]
    r = api.get("/tasks?status=all&limit=500", who)
    if role == "no_token":
        assert r.status_code == 401
        return
    if role in ("forbund_admin", "auditor"):
        assert r.status_code == 403
        return
    assert r.status_code == 200, r.text
    ids = {k: c["id"] for k, c in world["cases"].items()}
    mine = [t for t in r.json()["items"] if t["case_id"] in ids.values()]
    party = {"party_with_consent": "af", "party_without_consent": "fk", "party_after_withdrawal": "region"}[role]
    assert all(t["party"] == party for t in mine)
    for t in mine:
        named = t["case_id"] == ids["named"]
        if role == "party_with_consent" and named:
            assert t["person"]["personnummer"] == world["pnrs"]["named"]
        else:
            assert t["person"] is None
    if role == "party_after_withdrawal":
        assert {t["case_id"] for t in mine} == set(ids.values())  # own tasks, case reference only
    if role == "party_without_consent":
        assert mine == []


@pytest.mark.parametrize("kind", ["named", "protected"])
@pytest.mark.parametrize("role", list(ROLES))
def test_person_search(api: Api, world: dict[str, Any], role: str, kind: str) -> None:
    who = ROLES[role]
    r = api.post("/persons/search", who, {"personnummer": world["pnrs"][kind]})
    expected = {"no_token": 401, "forbund_admin": 403, "auditor": 403}.get(role, 200)
    assert r.status_code == expected, r.text
    if expected != 200:
        return
    items = r.json()["items"]
    if role == "party_with_consent" and kind == "named":
        assert [c["id"] for c in items] == [world["cases"]["named"]["id"]]
        assert items[0]["person"]["name"] == "Person named"
        assert _log_count(api, who, items[0]["id"]) >= 1  # type: ignore[arg-type]
    else:
        assert items == []  # protected: the personnummer is gone; others: not covered


@pytest.mark.parametrize("role", list(ROLES))
def test_event_feed(api: Api, world: dict[str, Any], role: str) -> None:
    who = ROLES[role]
    r = api.get("/events?after=0&limit=1000", who)
    expected = {"no_token": 401, "forbund_admin": 403, "auditor": 403}.get(role, 200)
    assert r.status_code == expected, r.text
    if expected != 200:
        return
    ids = {c["id"] for c in world["cases"].values()}
    seen = {e["case_id"] for e in r.json()["items"]} & ids
    if role == "party_with_consent":
        assert seen == ids
    elif role == "party_without_consent":
        assert seen == set()
    for pnr in world["pnrs"].values():
        assert pnr not in r.text


@pytest.mark.parametrize("role", list(ROLES))
def test_access_log_is_for_auditors_only(api: Api, world: dict[str, Any], role: str) -> None:
    r = api.get("/access-log", ROLES[role])
    expected = {"auditor": 200, "no_token": 401}.get(role, 403)
    assert r.status_code == expected, r.text


@pytest.mark.parametrize("role", list(ROLES))
def test_definitions(api: Api, role: str) -> None:
    who = ROLES[role]
    r = api.get("/definitions", who)
    assert r.status_code == (401 if who is None else 200)
    up = api.post("/definitions", who, {"yaml": "id: x\n"})
    assert up.status_code == {"forbund_admin": 422, "no_token": 401}.get(role, 403), up.text


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("role", list(ROLES))
def test_command_record_contact(api: Api, world: dict[str, Any], role: str, kind: str) -> None:
    who = ROLES[role]
    case = api.fresh(world["cases"][kind], SARA)
    # A party that may not see the case at all gets 404 on commands too, exactly as on reads: a 403
    # would tell it that the case id exists. A party that sees the case (region still owns a task)
    # but may not act on the case as a whole gets 403.
    r = api.post(
        f"/cases/{case['id']}/contacts", who, {"channel": "telefon"}, headers={"If-Match": f'"{case["version"]}"'}
    )
    expected = {
        "party_with_consent": 200,
        "party_without_consent": 404,  # cannot see the case: same answer as a read, no existence leak
        "party_after_withdrawal": 403,
        "forbund_admin": 403,
        "auditor": 403,
        "no_token": 401,
    }[role]
    assert r.status_code == expected, r.text
    if expected == 200:
        body = r.json()
        assert (body["person"] is not None) == (kind == "named")
    assert "Person " not in r.text or (kind == "named" and role == "party_with_consent")


@pytest.mark.parametrize("role", list(ROLES))
def test_region_task_command_after_withdrawal(api: Api, world: dict[str, Any], role: str) -> None:
    """Without consent a party still answers its own tasks, with no personal data in the reply."""
    who = ROLES[role]
    case = api.fresh(world["cases"]["named"], SARA)
    task = next(t for t in case["tasks"] if t["party"] == "region" and t["status"] in ("open", "accepted"))
    r = api.post(
        f"/cases/{case['id']}/tasks/{task['task_id']}/comments",
        who,
        {"text": "hej"},
        headers={"If-Match": f'"{case["version"]}"'},
    )
    expected = {
        "party_with_consent": 200,
        "party_without_consent": 404,  # cannot see the case: same answer as a read, no existence leak
        "party_after_withdrawal": 200,
        "forbund_admin": 403,
        "auditor": 403,
        "no_token": 401,
    }[role]
    assert r.status_code == expected, r.text
    if role == "party_after_withdrawal":
        assert r.json()["access"] == "tasks"
        assert r.json()["person"] is None


def test_access_log_filters_by_party_purpose_case_reference_and_period(api: Api, world: dict[str, Any]) -> None:
    everything = api.get("/access-log?limit=500", "ida.auditor").json()
    assert everything["total"] > 0
    entry = everything["items"][0]
    ref = "INS-" + entry["case_id"][:8].upper()
    by_ref = api.get(f"/access-log?case_ref={ref}&limit=500", "ida.auditor").json()
    assert by_ref["total"] >= 1
    assert all(i["case_id"].startswith(entry["case_id"][:8]) for i in by_ref["items"])
    party = next(i["party"] for i in everything["items"] if i["party"])
    by_party = api.get(f"/access-log?party={party}&limit=500", "ida.auditor").json()
    assert {i["party"] for i in by_party["items"]} == {party}
    word = entry["purpose"][1:4].upper()
    by_purpose = api.get(f"/access-log?purpose={word}&limit=500", "ida.auditor").json()
    assert all(word.lower() in i["purpose"].lower() for i in by_purpose["items"])
    assert by_purpose["total"] >= 1
    assert api.get("/access-log?period=1999", "ida.auditor").json()["total"] == 0
    bad = api.get("/access-log?period=igår", "ida.auditor")
    assert bad.status_code == 422
    assert bad.headers["content-type"] == "application/problem+json"
