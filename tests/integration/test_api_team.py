"""The case team over HTTP (issue 14), on SQLite and PostgreSQL: need-to-know per kind of person
(team member, non-member, party-wide role, substitute, emergency access), claiming from the
party's pool, assignment only to members, removal, hand-over, priority, follow-up, the party's
own reference, and the read-model rows (case_members, case_refs, tasks) the lists query."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from engine.adapters.store.models import AccessLogRow, TaskRow
from engine.adapters.store.team_models import CaseMemberRow, CaseRefRow
from engine.service.access import Caller
from engine.service.reports import parse_period
from tests.integration.api_kit import Api, new_personnummer

SARA = "sara.samordnare@kommun"  # samordnare and teamledare (party-wide) of kommun
ANNA = "anna.handlaggare@af"
NILS = "nils.handlaggare@kommun"  # a kommun handläggare on no team
VERA = "vera.handlaggare@kommun"
LEDA = "leda.teamledare@kommun"
PEOPLE = {
    NILS: Caller(NILS, "handlaggare", "kommun", (), "Nils Nord"),
    VERA: Caller(VERA, "handlaggare", "kommun", (), "Vera Väst"),
    LEDA: Caller(LEDA, "handlaggare", "kommun", ("teamledare",), "Leda Ledare"),
}


@pytest.fixture(scope="module")
def people(api: Api) -> Api:
    for user_id, caller in PEOPLE.items():
        api.tokens[user_id] = api.app.state.authenticator.issue(caller, ttl=86400)
    svc = api.app.state.services
    for caller in PEOPLE.values():
        svc.accounts.save(caller.user_id, kind=caller.kind, party=caller.party, roles=caller.roles, name=caller.name)
    return api


def new_case(api: Api) -> dict[str, Any]:
    """A named case referred by AF's Anna (she joins af's team), consent for every party."""
    case = api.refer(who=ANNA, personnummer=new_personnummer(), name="Tea Team")
    today = api.clock.today.isoformat()
    return api.cmd(case, "/consents", {"parties": ["af", "fk", "kommun", "region"], "given_on": today}, who=SARA)


def post(api: Api, case: dict[str, Any], path: str, who: str, body: Any = None) -> Any:
    return api.post(f"/cases/{case['id']}{path}", who, body or {}, headers={"If-Match": "*"})


def rows(api: Api, model: Any, case_id: str) -> list[Any]:
    with api.app.state.services.uow() as uow:
        found = list(uow.session.scalars(select(model).where(model.case_id == case_id)).all())
        uow.session.expunge_all()
        return found


def test_the_referrer_is_on_the_team_and_the_rows_are_projected(people: Api) -> None:
    api = people
    case = new_case(api)
    assert {(m["party"], m["user_id"]) for m in case["team"]} >= {("af", ANNA), ("kommun", SARA)}
    members = {(r.party, r.user_id) for r in rows(api, CaseMemberRow, case["id"])}
    assert members == {(m["party"], m["user_id"]) for m in case["team"]}


def test_need_to_know_member_non_member_party_wide(people: Api) -> None:
    api = people
    case = new_case(api)
    assert api.get(f"/cases/{case['id']}", SARA).status_code == 200  # on the team (and party-wide)
    assert api.get(f"/cases/{case['id']}", LEDA).json()["access"] == "full"  # party-wide teamledare
    r = api.get(f"/cases/{case['id']}", NILS)  # kommun is covered, but Nils is on no team
    assert r.status_code == 404
    assert api.get(f"/cases/{case['id']}/timeline", NILS).status_code == 404
    pool = [t for t in api.get("/tasks?limit=500", NILS).json()["items"] if t["case_id"] == case["id"]]
    assert pool  # kommun's unassigned tasks stay in its people's inbox, without the person
    assert all(t["party"] == "kommun" and t["assignee"] is None and t["person"] is None for t in pool)
    r = post(api, case, "/contacts", NILS, {"channel": "telefon"})
    assert r.status_code == 404, r.text  # commands too: hidden like any other case


def test_a_non_member_with_no_pool_task_gets_404(people: Api) -> None:
    api = people
    case = new_case(api)
    for t in case["tasks"]:
        if t["party"] == "kommun" and t["status"] in ("open", "accepted") and t["assignee"] is None:
            case = api.cmd(case, f"/tasks/{t['task_id']}/claim", who=SARA)
    assert api.get(f"/cases/{case['id']}", NILS).status_code == 404


def test_claim_from_the_pool_joins_the_team(people: Api) -> None:
    api = people
    case = new_case(api)
    pool = [t for t in api.get("/tasks?limit=500", VERA).json()["items"] if t["case_id"] == case["id"]]
    assert pool
    r = post(api, case, f"/tasks/{pool[0]['task_id']}/claim", VERA)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["access"] == "full"
    task = next(t for t in body["tasks"] if t["task_id"] == pool[0]["task_id"])
    assert (task["assignee"], task["assignee_name"]) == (VERA, "Vera Väst")
    assert ("kommun", VERA) in {(m["party"], m["user_id"]) for m in body["team"]}
    row = next(t for t in rows(api, TaskRow, case["id"]) if t.task_id == task["task_id"])
    assert (row.assignee, row.assignee_name) == (VERA, "Vera Väst")


def test_assign_only_to_a_member_and_removal_hides_the_case(people: Api) -> None:
    api = people
    case = new_case(api)
    task = next(t for t in case["tasks"] if t["party"] == "kommun" and t["status"] == "open")
    r = post(api, case, f"/tasks/{task['task_id']}/assign", SARA, {"user_id": NILS})
    assert r.status_code == 409
    assert r.json()["type"].endswith("/assignee_not_member")
    r = post(api, case, "/team", SARA, {"party": "kommun", "user_id": NILS, "name": "Nils Nord"})
    assert r.status_code == 200, r.text
    r = post(api, case, f"/tasks/{task['task_id']}/assign", SARA, {"user_id": NILS})
    assert r.status_code == 200, r.text
    assert api.get(f"/cases/{case['id']}", NILS).json()["access"] == "full"
    r = api.client.delete(f"/api/v1/cases/{case['id']}/team/kommun/{NILS}", headers=api.h(SARA, **{"If-Match": "*"}))
    assert r.status_code == 200, r.text
    moved = next(t for t in r.json()["tasks"] if t["task_id"] == task["task_id"])
    assert moved["assignee"] != NILS
    assert api.get(f"/cases/{case['id']}", NILS).status_code == 404  # removed: sees nothing of the case
    assert NILS not in {r.user_id for r in rows(api, CaseMemberRow, case["id"])}
    assert next(t for t in rows(api, TaskRow, case["id"]) if t.task_id == task["task_id"]).assignee != NILS
    r = post(api, case, "/team", ANNA, {"party": "kommun", "user_id": VERA, "name": "Vera"})
    assert r.status_code == 403  # another party's team
    assert r.json()["type"].endswith("/forbidden")
    r = api.client.delete(f"/api/v1/cases/{case['id']}/team/kommun/{NILS}", headers=api.h(SARA, **{"If-Match": "*"}))
    assert r.status_code == 409
    assert r.json()["type"].endswith("/not_team_member")


def test_hand_over_priority_follow_up_and_reference(people: Api) -> None:
    api = people
    case = new_case(api)
    r = post(api, case, "/team/hand-over", ANNA, {"party": "af", "from_user": ANNA, "to_user": "ove@af",
                                                  "to_name": "Ove Öst"})  # fmt: skip
    assert r.status_code == 200, r.text
    assert [m["user_id"] for m in r.json()["team"] if m["party"] == "af"] == ["ove@af"]
    assert api.get(f"/cases/{case['id']}", ANNA).status_code == 404  # she handed the case over (no af pool)
    task = next(t for t in case["tasks"] if t["party"] == "kommun" and t["status"] == "open")
    r = post(api, case, f"/tasks/{task['task_id']}/priority", SARA, {"priority": "high"})
    assert next(t for t in r.json()["tasks"] if t["task_id"] == task["task_id"])["priority"] == "high"
    day = (api.clock.today + timedelta(days=3)).isoformat()
    r = post(api, case, f"/tasks/{task['task_id']}/follow-up", SARA, {"on": day})
    assert next(t for t in r.json()["tasks"] if t["task_id"] == task["task_id"])["follow_up"] == day
    assert post(api, case, f"/tasks/{task['task_id']}/priority", SARA, {"priority": "urgent"}).status_code == 422
    r = post(api, case, "/external-reference", "fk-system", {"party": "fk", "reference": "FK-2026-0"})
    assert r.status_code == 200, r.text
    r = post(api, case, "/external-reference", "fk-system", {"party": "fk", "reference": "FK-2026-1"})
    assert r.status_code == 200, r.text  # replaced: one row per party
    assert post(api, case, "/external-reference", SARA, {"party": "fk", "reference": "X"}).status_code == 403
    assert [(x.party, x.reference) for x in rows(api, CaseRefRow, case["id"])] == [("fk", "FK-2026-1")]
    assert api.get(f"/cases/{case['id']}", SARA).json()["external_references"] == {"fk": "FK-2026-1"}  # full


def test_a_reference_used_by_another_case_of_the_party_is_409(people: Api) -> None:
    api = people
    first, second = new_case(api), new_case(api)
    body = {"party": "fk", "reference": f"FK-{first['id'][:8]}"}
    assert post(api, first, "/external-reference", "fk-system", body).status_code == 200
    r = post(api, second, "/external-reference", "fk-system", body)
    assert r.status_code == 409, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["type"].endswith("/reference_taken")
    assert r.json()["detail"] == "Diarienumret används redan i ett annat ärende hos er part"
    assert rows(api, CaseRefRow, second["id"]) == []
    r = post(api, second, "/external-reference", "af-system", {"party": "af", "reference": body["reference"]})
    assert r.status_code == 200, r.text  # another party's numbers are its own


def test_emergency_access_is_logged_and_flagged(people: Api) -> None:
    api = people
    case = new_case(api)
    for t in case["tasks"]:  # no pool left for kommun: Nils sees nothing
        if t["party"] == "kommun" and t["status"] in ("open", "accepted") and t["assignee"] is None:
            case = api.cmd(case, f"/tasks/{t['task_id']}/claim", who=SARA)
    assert api.get(f"/cases/{case['id']}", NILS).status_code == 404
    r = post(api, case, "/emergency-access", NILS, {"reason": "kort"})
    assert r.status_code == 422
    assert r.json()["type"].endswith("/reason_required")
    r = post(api, case, "/emergency-access", NILS, {"reason": "Deltagaren ringer i kris nu"})
    assert r.status_code == 200, r.text
    assert r.json()["access"] == "full"
    assert api.get(f"/cases/{case['id']}", NILS).status_code == 200
    with api.app.state.services.uow() as uow:
        purposes = list(uow.session.scalars(select(AccessLogRow.purpose).where(AccessLogRow.user_id == NILS)))
    assert "nodatkomst: Deltagaren ringer i kris nu" in purposes
    report = api.app.state.services.loggkontroll.sample(
        Caller("ida.auditor", "auditor", None), parse_period(api.clock.today.strftime("%Y-%m")), size=0
    )
    assert any("emergency" in e.flags and e.purpose.startswith("nodatkomst") for e in report.flagged)
    api.clock.advance(hours=25)
    assert api.get(f"/cases/{case['id']}", NILS).status_code == 404  # the grant has run out


def test_a_substitute_sees_the_absent_persons_cases_and_tasks(people: Api) -> None:
    api = people
    case = new_case(api)
    r = post(api, case, "/team", SARA, {"party": "kommun", "user_id": VERA, "name": "Vera Väst"})
    task = next(t for t in r.json()["tasks"] if t["party"] == "kommun" and t["status"] in ("open", "accepted"))
    post(api, case, f"/tasks/{task['task_id']}/assign", SARA, {"user_id": VERA})
    assert api.post("/me/substitutes", VERA, {"substitute_id": "okand@kommun", "starts_on": api.clock.today.isoformat(),
                                               "ends_on": api.clock.today.isoformat()}).status_code == 422  # fmt: skip
    assert api.get(f"/cases/{case['id']}", NILS).status_code == 404
    today = api.clock.today
    r = api.post("/me/substitutes", VERA, {"substitute_id": NILS, "starts_on": today.isoformat(),
                                           "ends_on": (today + timedelta(days=5)).isoformat()})  # fmt: skip
    assert r.status_code == 201, r.text
    assert r.json()["substitute_name"] == "Nils Nord"
    seen = api.get(f"/cases/{case['id']}", NILS).json()
    assert seen["access"] == "full"
    mine = next(t for t in seen["tasks"] if t["task_id"] == task["task_id"])
    assert (mine["on_behalf_of"], mine["on_behalf_of_name"]) == (VERA, "Vera Väst")
    assert [s["substitute_id"] for s in api.get("/me/substitutes", VERA).json()] == [NILS]
    r = api.client.delete(f"/api/v1/me/substitutes/{r.json()['id']}", headers=api.h(VERA))
    assert r.status_code == 204
    assert api.get(f"/cases/{case['id']}", NILS).status_code == 404  # the period is over
    assert api.post("/me/substitutes", "kommun-system", {"substitute_id": NILS, "starts_on": today.isoformat(),
                                                         "ends_on": today.isoformat()}).status_code == 403  # fmt: skip
