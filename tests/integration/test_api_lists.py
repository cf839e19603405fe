"""The lists people work from over HTTP, on SQLite and PostgreSQL: `GET /tasks` (filters, sorting,
paging, assignee me/unassigned/roles with substitutes), `GET /cases` (mine/party, filters, what a
GET would hide stays hidden, the access log) and the saved views `GET/POST/DELETE /me/views`.
The team, the assignments, the substitutes and the references are made through the API's own
endpoints (the case-team work's), as a user would."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from engine.adapters.store.models import AccessLogRow
from engine.service.access import Caller
from tests.integration.api_kit import Api

SARA = "sara.samordnare@kommun"
ANNA = "anna.handlaggare@af"


def person(api: Api, party: str, name: str, roles: tuple[str, ...] = ()) -> str:
    """A handläggare of `party` with a token and an account of their own (a fresh user id per call)."""
    user_id = f"{name.split()[0].lower()}.{uuid.uuid4().hex[:6]}@{party}"
    caller = Caller(user_id, "handlaggare", party, roles, name)
    api.tokens[user_id] = api.app.state.authenticator.issue(caller, ttl=86400)
    api.app.state.services.accounts.save(user_id, kind="handlaggare", party=party, roles=roles, name=name)
    return user_id


def post(api: Api, case_id: str, path: str, body: Any, who: str) -> dict[str, Any]:
    r = api.post(f"/cases/{case_id}{path}", who, body, headers={"If-Match": "*"})
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def member(api: Api, case_id: str, party: str, user_id: str, name: str = "Namn") -> None:
    post(api, case_id, "/team", {"party": party, "user_id": user_id, "name": name}, f"{party}-system")


def assign(api: Api, case_id: str, task_id: str, user_id: str | None, party: str = "kommun") -> None:
    if user_id is None:  # the assignee gives it back (the referrer, Sara, has the kommun's first task)
        post(api, case_id, f"/tasks/{task_id}/unclaim", {}, SARA)
    else:
        post(api, case_id, f"/tasks/{task_id}/assign", {"user_id": user_id}, f"{party}-system")


def away(api: Api, absent: str, substitute: str, days: int = 4) -> None:
    today = api.clock.today
    ends_on = today + timedelta(days=days)
    body = {"substitute_id": substitute, "starts_on": today.isoformat(), "ends_on": ends_on.isoformat()}
    r = api.post("/me/substitutes", absent, body)
    assert r.status_code == 201, r.text


def tasks(api: Api, who: str, query: str = "") -> dict[str, Any]:
    r = api.get(f"/tasks?{query}", who)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def cases(api: Api, who: str, query: str = "") -> dict[str, Any]:
    r = api.get(f"/cases?{query}", who)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def ids(page: dict[str, Any], key: str = "task_id") -> list[str]:
    return [item[key] for item in page["items"]]


# --- GET /tasks -------------------------------------------------------------------------------------


def test_task_filters_by_case_phase_due_and_priority_and_the_old_status_values_still_work(api: Api) -> None:
    case = api.named()
    cid = case["id"]
    (task,) = case["tasks"]
    due = date.fromisoformat(task["due"])
    mine = tasks(api, SARA, f"case={cid}")
    assert ids(mine) == [task["task_id"]]
    assert mine["items"][0]["priority"] == "normal"
    assert mine["items"][0]["assignee"] == SARA  # the referrer is on the team, the task goes to her
    assert ids(tasks(api, SARA, f"case={cid}&phase={task['phase']}")) == [task["task_id"]]
    assert tasks(api, SARA, f"case={cid}&phase=avslut")["total"] == 0
    assert ids(tasks(api, SARA, f"case={cid}&due_before={due + timedelta(days=1)}")) == [task["task_id"]]
    assert tasks(api, SARA, f"case={cid}&due_before={due}")["total"] == 0  # strictly before
    assert ids(tasks(api, SARA, f"case={cid}&due_after={due - timedelta(days=1)}")) == [task["task_id"]]
    assert tasks(api, SARA, f"case={cid}&due_after={due}")["total"] == 0  # strictly after
    assert tasks(api, SARA, f"case={cid}&priority=high")["total"] == 0
    post(api, cid, f"/tasks/{task['task_id']}/priority", {"priority": "high"}, SARA)
    assert ids(tasks(api, SARA, f"case={cid}&priority=high")) == [task["task_id"]]
    for status in ("open", "all"):
        assert tasks(api, SARA, f"case={cid}&status={status}")["total"] == 1, status
    assert tasks(api, SARA, f"case={cid}&status=due_this_week")["total"] == 0  # due next Tuesday
    assert tasks(api, SARA, f"case={cid}&status=overdue")["total"] == 0
    assert tasks(api, SARA, f"case={cid}&overdue=true")["total"] == 0
    api.clock.advance(days=30)
    try:
        assert ids(tasks(api, SARA, f"case={cid}&overdue=true")) == [task["task_id"]]
        assert tasks(api, SARA, f"case={cid}&status=overdue")["items"][0]["overdue"] is True
    finally:
        api.clock.advance(days=-30)
    assert tasks(api, ANNA, f"case={cid}")["total"] == 0  # another party's task


def test_sorting_and_paging_with_a_total(api: Api) -> None:
    made = []
    for i in range(3):  # referred a day apart: due days spread; follow-up days the other way round
        made.append(api.named())
        follow_up = (date(2026, 11, 30) - timedelta(days=i)).isoformat()
        post(api, made[-1]["id"], "/tasks/bekrafta_remiss/follow-up", {"on": follow_up}, SARA)
        api.clock.advance(days=1)
    api.clock.advance(days=-3)
    post(api, made[1]["id"], "/tasks/bekrafta_remiss/priority", {"priority": "high"}, SARA)
    wanted = {c["id"] for c in made}

    def order(sort: str) -> list[str]:
        page = tasks(api, SARA, f"status=all&sort={sort}&limit=500")
        return [t["case_id"] for t in page["items"] if t["case_id"] in wanted]

    by_due = [c["id"] for c in made]
    assert order("due") == by_due
    assert order("-due") == by_due[::-1]
    assert order("follow_up") == by_due[::-1]
    assert order("priority")[0] == made[1]["id"]
    first = tasks(api, SARA, "status=all&limit=1&page=1")
    second = tasks(api, SARA, "status=all&limit=1&page=2")
    assert first["total"] == second["total"] >= 3
    assert len(first["items"]) == len(second["items"]) == 1
    assert first["items"][0] != second["items"][0]


def test_me_unassigned_roles_and_a_substitute_sees_the_absent_persons_tasks_marked(api: Api) -> None:
    eva = person(api, "kommun", "Eva Ek", ("samordnare",))
    olle = person(api, "kommun", "Olle Ort")
    a, b, c = (api.named() for _ in range(3))
    member(api, a["id"], "kommun", eva, "Eva Ek")
    member(api, b["id"], "kommun", olle, "Olle Ort")
    assign(api, a["id"], "bekrafta_remiss", eva)
    assign(api, b["id"], "bekrafta_remiss", olle)
    assign(api, c["id"], "bekrafta_remiss", None)  # in the kommun's pool
    assert ids(tasks(api, eva, "assignee=me"), "case_id") == [a["id"]]
    assert ids(tasks(api, olle, "assignee=me"), "case_id") == [b["id"]]
    unassigned = ids(tasks(api, eva, "assignee=unassigned&limit=500"), "case_id")
    assert c["id"] in unassigned
    assert a["id"] not in unassigned
    assert b["id"] not in unassigned
    assert c["id"] in ids(tasks(api, eva, "assignee=roles&limit=500"), "case_id")  # Eva holds samordnare
    assert tasks(api, olle, "assignee=roles")["total"] == 0  # Olle holds no role
    # Olle is away this week; Eva covers for him
    away(api, olle, eva)
    page = tasks(api, eva, "assignee=me")
    assert {t["case_id"]: t["on_behalf_of_name"] for t in page["items"]} == {a["id"]: None, b["id"]: "Olle Ort"}
    assert [t["on_behalf_of"] for t in page["items"] if t["case_id"] == b["id"]] == [olle]
    assert ids(tasks(api, olle, "assignee=me"), "case_id") == [b["id"]]  # still his own
    api.clock.advance(days=5)
    try:
        assert ids(tasks(api, eva, "assignee=me"), "case_id") == [a["id"]]  # the period is over
    finally:
        api.clock.advance(days=-5)


def test_task_list_errors_are_problems(api: Api) -> None:
    for query in ("sort=name", "assignee=all", "priority=urgent", "due_before=0", "limit=0", "case=" + "x" * 65):
        r = api.get(f"/tasks?{query}", SARA)
        assert r.status_code == 422, query
        assert r.headers["content-type"].startswith("application/problem+json")
    r = api.get("/tasks", "forbund.admin")
    assert r.status_code == 403
    assert r.json()["type"].endswith("/forbidden")


# --- GET /cases -------------------------------------------------------------------------------------


def test_my_cases_my_partys_cases_filters_and_the_access_log(api: Api) -> None:
    eva = person(api, "kommun", "Eva Ek")
    olle = person(api, "kommun", "Olle Ort")
    a, b = api.named(), api.named()
    member(api, a["id"], "kommun", eva)
    member(api, b["id"], "kommun", olle)
    mine = cases(api, eva)
    assert ids(mine, "id") == [a["id"]]
    assert mine["total"] == 1
    assert mine["items"][0]["access"] == "full"
    assert ids(cases(api, olle), "id") == [b["id"]]
    party = ids(cases(api, SARA, "scope=party&limit=500"), "id")  # Sara is teamledare: party-wide
    assert {a["id"], b["id"]} <= set(party)
    # need-to-know: Eva's party's list still has only the cases she may open
    for_eva = cases(api, eva, "scope=party&limit=500")
    assert a["id"] in ids(for_eva, "id")
    assert b["id"] not in ids(for_eva, "id")
    assert for_eva["total"] == len(for_eva["items"])
    assert api.get(f"/cases/{b['id']}", eva).status_code == 404
    assert ids(cases(api, eva, f"phase={a['phase']}"), "id") == [a["id"]]
    assert cases(api, eva, "phase=avslut")["total"] == 0
    assert cases(api, eva, "status=closed")["total"] == 0
    assert ids(cases(api, eva, "status=all"), "id") == [a["id"]]
    assert cases(api, eva, "overdue=true")["total"] == 0
    api.clock.advance(days=30)
    try:
        assert ids(cases(api, eva, "overdue=true"), "id") == [a["id"]]
    finally:
        api.clock.advance(days=-30)
    post(api, a["id"], "/external-reference", {"party": "kommun", "reference": "KS-2026-17"}, "kommun-system")
    post(api, b["id"], "/external-reference", {"party": "kommun", "reference": "KS-2026-170"}, "kommun-system")
    assert ids(cases(api, SARA, "scope=party&external_ref=KS-2026-17"), "id") == [a["id"]]  # kommun's own ref
    assert ids(cases(api, olle, "scope=party&external_ref=KS-2026-17"), "id") == []  # not on a's team
    assert ids(cases(api, ANNA, "scope=party&external_ref=KS-2026-17"), "id") == []  # af's references only
    # every listed case with personal data is in the access log, as a GET of it would be
    with api.app.state.services.engine.connect() as conn:
        logged = conn.execute(
            select(AccessLogRow.case_id).where(AccessLogRow.user_id == eva, AccessLogRow.resource == "cases")
        ).all()
    assert {r[0] for r in logged} >= {a["id"]}


def test_a_party_list_never_shows_a_case_a_get_would_hide(api: Api) -> None:
    case = api.named(consent=("kommun",))
    nils = person(api, "kommun", "Nils Nord")  # the consent covers his party, but he is on no team
    rut = person(api, "region", "Rut Ros")  # the consent does not cover her party
    for who in (nils, rut):
        assert api.get(f"/cases/{case['id']}", who).status_code == 404
        assert case["id"] not in ids(cases(api, who, "limit=500"), "id")
        assert case["id"] not in ids(cases(api, who, "scope=party&limit=500"), "id")
        assert case["id"] not in ids(tasks(api, who, "assignee=any&status=all&limit=500"), "case_id")


def test_case_list_errors_are_problems(api: Api) -> None:
    for query in ("scope=all", "status=open", "overdue=maybe", "external_ref=" + "x" * 101, "page=0"):
        r = api.get(f"/cases?{query}", SARA)
        assert r.status_code == 422, query
        assert r.headers["content-type"].startswith("application/problem+json")
    assert api.get("/cases", "ida.auditor").status_code == 403


# --- saved views ------------------------------------------------------------------------------------


def test_saved_views_are_per_person_checked_against_the_list_filters_and_deleted(api: Api) -> None:
    eva, olle = person(api, "af", "Eva Ek"), person(api, "af", "Olle Ort")
    urgent = {"priority": "high", "sort": "follow_up"}
    r = api.post("/me/views", eva, {"kind": "tasks", "name": "Brådskande", "filters": urgent})
    assert r.status_code == 201, r.text
    view = r.json()
    assert view["filters"] == {"priority": "high", "sort": "follow_up"}
    overdue = {"kind": "cases", "name": "Brådskande", "filters": {"overdue": True}}
    assert api.post("/me/views", eva, overdue).status_code == 201
    same = api.post("/me/views", eva, {"kind": "tasks", "name": "Brådskande", "filters": urgent})
    assert (same.status_code, same.json()) == (201, view)  # idempotent by content
    again = api.post("/me/views", eva, {"kind": "tasks", "name": "Brådskande", "filters": {}})
    assert again.status_code == 409
    assert again.json()["type"].endswith("/view_exists")
    for bad in ({"priority": "urgent"}, {"scope": "mine"}, {"due_before": "i morgon"}):
        r = api.post("/me/views", eva, {"kind": "tasks", "name": "Fel", "filters": bad})
        assert r.status_code == 422, bad
        assert r.json()["errors"][0]["field"].startswith("filters.")
    assert api.post("/me/views", eva, {"kind": "people", "name": "X"}).status_code == 422
    listed = api.get("/me/views?kind=tasks", eva).json()["items"]
    assert [v["name"] for v in listed] == ["Brådskande"]
    assert len(api.get("/me/views", eva).json()["items"]) == 2
    assert api.get("/me/views", olle).json()["items"] == []
    url = f"/api/v1/me/views/{view['id']}"
    assert api.client.delete(url, headers=api.h(olle)).status_code == 404
    assert api.client.delete(url, headers=api.h(eva)).status_code == 204
    assert api.client.delete(url, headers=api.h(eva)).status_code == 404
    assert api.get("/me/views", "forbund.admin").status_code == 403
