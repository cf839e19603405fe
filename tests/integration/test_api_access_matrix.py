"""Authorization matrix of issue 13 over HTTP, on SQLite and PostgreSQL: forged role claims,
escalated tasks, replays after withdrawal, closed cases per party, consent changes by each kind
of caller. Each answer is checked for its status and for what must not leak below `full`: the
name, the personnummer and free text (notes, comments, reasons)."""

from __future__ import annotations

from typing import Any

import pytest

from engine.core import commands as c
from engine.service.access import SYSTEM, Caller
from tests.integration.api_kit import Api, new_personnummer

SARA = "sara.samordnare@kommun"
ANNA = "anna.handlaggare@af"
FRED = "fredrik.handlaggare@fk"
RUT = "rut.rehab@region"
FORGED_REGION = "mallory@region"
FORGED_KOMMUN_ROLES = ("samordnare", "teamledare", "samverkansteam", "handledare")
SECRET = "HEMLIG"


@pytest.fixture(scope="module")
def forged(api: Api) -> str:
    """A token of party region that claims kommun's roles."""
    caller = Caller(FORGED_REGION, "handlaggare", "region", FORGED_KOMMUN_ROLES)
    api.tokens[FORGED_REGION] = api.app.state.authenticator.issue(caller, ttl=86400)
    return FORGED_REGION


def join(api: Api, case: dict[str, Any], who: str, party: str) -> None:
    """`who` joins the case's team for `party` (added by the party's system), so what the matrix
    checks is the party-level rule (consent, roles), not need-to-know."""
    r = api.post(f"/cases/{case['id']}/team", f"{party}-system", {"party": party, "user_id": who, "name": who},
                 headers={"If-Match": "*"})  # fmt: skip
    assert r.status_code == 200, r.text


def named(api: Api, consent: tuple[str, ...] | None = None) -> tuple[dict[str, Any], str, str]:
    pnr = new_personnummer()
    name = f"Namn {pnr[-4:]}"
    case = api.refer(personnummer=pnr, name=name)
    if consent is not None:
        case = api.to(case, "samtycke", consent=consent)
        if "region" in consent:
            join(api, case, FORGED_REGION, "region")
        case = api.fresh(case)
    return case, pnr, name


def no_leak(text: str, *secrets: str) -> None:
    for s in (SECRET, *secrets):
        assert s not in text, (s, text[:500])


def feed_of(api: Api, who: str, case_id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    cursor = 0
    while True:
        r = api.get(f"/events?after={cursor}&limit=1000", who)
        assert r.status_code == 200, r.text
        body = r.json()
        found += [e for e in body["items"] if e["case_id"] == case_id]
        if not body["items"]:
            return found
        cursor = body["next_cursor"]


# --- forged role claims ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body"),
    [("accept", {}), ("complete", {"note": "x"}), ("decline", {"reason": "x"}), ("comments", {"text": "x"})],
)
def test_a_token_of_one_party_with_another_partys_roles_gets_nothing(
    api: Api, forged: str, path: str, body: dict[str, Any]
) -> None:
    case, pnr, name = named(api)
    r = api.get(f"/cases/{case['id']}", forged)
    assert r.status_code == 404, r.text
    r = api.post(f"/cases/{case['id']}/tasks/bekrafta_remiss/{path}", forged, body, headers={"If-Match": "*"})
    assert r.status_code == 404, r.text
    no_leak(r.text, pnr, name)
    inbox = api.get("/tasks?status=all&limit=500", forged)
    assert inbox.status_code == 200
    assert case["id"] not in inbox.text


# --- consent changes by each kind of caller -------------------------------------------------------

RECORD = {SARA: 200, "kommun-system": 200, ANNA: 403, "af-system": 403, RUT: 403, FRED: 403,
          FORGED_REGION: 403, "forbund.admin": 403, "ida.auditor": 403}  # fmt: skip
WITHDRAW_FK = {**RECORD, FRED: 200, "fk-system": 200}


@pytest.mark.parametrize("who", list(RECORD))
def test_only_the_host_records_or_replaces_consent(api: Api, forged: str, who: str) -> None:
    case, pnr, name = named(api, consent=("af", "fk", "kommun", "region"))
    r = api.post(
        f"/cases/{case['id']}/consents",
        who,
        {"parties": ["af", "region"], "given_on": api.clock.today.isoformat()},
        headers={"If-Match": "*"},
    )
    assert r.status_code == RECORD[who], r.text
    consent = api.fresh(case)["consent"]
    if RECORD[who] == 200:
        assert consent["parties"] == ["af", "region"]
        assert api.get(f"/cases/{case['id']}", FRED).status_code == 404  # FK dropped: withdrawn
        tl = api.get(f"/cases/{case['id']}/timeline?limit=500", ANNA).json()["items"]
        assert [sorted(e["data"]["parties"]) for e in tl if e["type"] == "ConsentWithdrawn"] == [["fk", "kommun"]]
    else:
        assert sorted(consent["parties"]) == ["af", "fk", "kommun", "region"]
        no_leak(r.text, pnr, name)


@pytest.mark.parametrize("who", list(WITHDRAW_FK))
def test_a_covered_party_withdraws_only_for_itself(api: Api, forged: str, who: str) -> None:
    case, pnr, name = named(api, consent=("af", "fk", "kommun", "region"))
    r = api.post(f"/cases/{case['id']}/consents/withdraw", who, {"parties": ["fk"]}, headers={"If-Match": "*"})
    assert r.status_code == WITHDRAW_FK[who], r.text
    parties = api.fresh(case)["consent"]["parties"]
    assert ("fk" in parties) == (WITHDRAW_FK[who] != 200)


# --- free text is personal data: only at `full` ---------------------------------------------------


@pytest.fixture(scope="module")
def with_free_text(api: Api) -> tuple[dict[str, Any], str, str]:
    """The host (kommun) is not covered by the consent (af, fk): it sees the case at `case` level."""
    pnr = new_personnummer()
    name = f"Namn {pnr[-4:]}"
    case = api.refer(personnummer=pnr, name=name)
    case = api.cmd(case, "/tasks/bekrafta_remiss/complete", {"note": f"{SECRET}-not {name}"})
    case = api.cmd(case, "/phase", {"phase": "samtycke"})
    case = api.cmd(case, "/consents", {"parties": ["af", "fk"], "given_on": api.clock.today.isoformat()})
    case = api.staff(case)
    task = next(t for t in case["tasks"] if t["status"] == "open")
    case = api.cmd(case, f"/tasks/{task['task_id']}/comments", {"text": f"{SECRET}-kommentar"}, who=ANNA)
    case = api.cmd(case, "/consents/withdraw", {"parties": ["fk"], "reason": f"{SECRET}-orsak"}, who=FRED)
    return case, pnr, name


@pytest.mark.parametrize("who", [SARA, "kommun-system"])
def test_below_full_no_view_carries_free_text(api: Api, with_free_text: Any, who: str) -> None:
    case, pnr, name = with_free_text
    r = api.get(f"/cases/{case['id']}", who)
    assert r.status_code == 200, r.text
    assert r.json()["access"] == "case"
    no_leak(r.text, pnr, name)
    tl = api.get(f"/cases/{case['id']}/timeline?limit=500", who)
    assert tl.status_code == 200, tl.text
    assert {"TaskCompleted", "TaskCommented", "ConsentWithdrawn"} <= {e["type"] for e in tl.json()["items"]}
    no_leak(tl.text, pnr, name)
    feed = feed_of(api, who, case["id"])
    assert feed
    no_leak(str(feed), pnr, name)
    answer = api.post(f"/cases/{case['id']}/contacts", who, {}, headers={"If-Match": "*"})
    assert answer.status_code == 200, answer.text
    no_leak(answer.text, pnr, name)


def test_at_full_the_free_text_is_shown(api: Api, with_free_text: Any) -> None:
    case, _, _ = with_free_text
    tl = api.get(f"/cases/{case['id']}/timeline?limit=500", ANNA)
    assert tl.status_code == 200
    assert f"{SECRET}-kommentar" in tl.text
    assert f"{SECRET}-orsak" in tl.text


# --- replays after withdrawal ---------------------------------------------------------------------


def test_a_replay_after_withdrawal_is_a_read_now(api: Api) -> None:
    case, pnr, name = named(api, consent=("af", "kommun"))
    headers = {"If-Match": "*", "Idempotency-Key": f"replay-{case['id']}"}
    first = api.post(f"/cases/{case['id']}/contacts", ANNA, {}, headers=headers)
    assert first.status_code == 200
    assert first.json()["access"] == "full"
    api.cmd(api.fresh(case), "/consents/withdraw", {"parties": ["af"], "reason": "eget val"}, who=ANNA)
    again = api.post(f"/cases/{case['id']}/contacts", ANNA, {}, headers=headers)
    assert again.status_code == 404, again.text
    no_leak(again.text, pnr, name)


# --- escalated tasks: visible to the escalation role, never acted on by it ------------------------


def fire_due(api: Api, case_id: str) -> None:
    services = api.app.state.services
    for _ in range(200):
        with services.cases.store.unit() as unit:
            row = unit.load(case_id)
        due = sorted((t for t in row.state.timers.values() if t.at <= api.clock.now), key=lambda t: (t.at, t.id))
        if not due:
            return
        services.cases.execute(SYSTEM, case_id, c.FireTimer(due[0].id), None)


@pytest.fixture(scope="module")
def escalated(api: Api) -> dict[str, Any]:
    pnr = new_personnummer()
    case = api.to(api.refer(personnummer=pnr, name="Eskalerad"), "arbetstraning")
    join(api, case, FORGED_REGION, "region")
    api.clock.advance(days=25)
    fire_due(api, case["id"])
    case = api.fresh(case)
    task = next(t for t in case["tasks"] if t["task_id"] == "beslut_arbetsmarknadsprogram")
    assert (task["party"], task["escalated_to"], task["status"]) == ("af", "teamledare", "open")
    return case


@pytest.mark.parametrize("path", ["accept", "complete", "decline"])
@pytest.mark.parametrize("who", [SARA, "kommun-system", FORGED_REGION])
def test_escalation_does_not_let_another_party_act(api: Api, forged: str, escalated: Any, who: str, path: str) -> None:
    r = api.post(
        f"/cases/{escalated['id']}/tasks/beslut_arbetsmarknadsprogram/{path}",
        who,
        {"accept": {}, "complete": {"note": "x"}, "decline": {"reason": "x"}}[path],
        headers={"If-Match": "*"},
    )
    assert r.status_code == 403, r.text  # all of them see the case (the consent covers region)


def test_the_escalation_role_sees_the_task_and_the_party_acts(api: Api, escalated: Any) -> None:
    inbox = api.get("/tasks?status=all&limit=500", SARA).json()["items"]
    assert any(t["case_id"] == escalated["id"] and t["task_id"] == "beslut_arbetsmarknadsprogram" for t in inbox)
    r = api.post(
        f"/cases/{escalated['id']}/tasks/beslut_arbetsmarknadsprogram/complete",
        ANNA,
        {"note": "beslutat"},
        headers={"If-Match": "*"},
    )
    assert r.status_code == 200, r.text


# --- closed cases per party -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def closed(api: Api) -> tuple[dict[str, Any], str, str]:
    pnr = new_personnummer()
    name = f"Avslutad {pnr[-4:]}"
    case = api.to(api.refer(personnummer=pnr, name=name), "avslut")
    case = api.cmd(case, "/consents/withdraw", {"parties": ["region"], "reason": "eget val"}, who=RUT)
    case = api.finish_tasks(api.fresh(case))
    case = api.cmd(api.fresh(case), "/exit", {"outcome": "studier"})
    return case, pnr, name


@pytest.mark.parametrize(
    ("who", "level"),
    [
        (SARA, "full"),
        (ANNA, "full"),
        ("af-system", "full"),
        (FRED, "full"),
        (RUT, "tasks"),
        ("forbund.admin", None),
        ("ida.auditor", None),
    ],  # fmt: skip
)
def test_parties_covered_at_exit_keep_reading_the_closed_case(
    api: Api, closed: Any, who: str, level: str | None
) -> None:
    case, pnr, name = closed
    r = api.get(f"/cases/{case['id']}", who)
    if level is None:
        assert r.status_code == 403, r.text
        return
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["access"] == level
    tl = api.get(f"/cases/{case['id']}/timeline?limit=500", who)
    feed = feed_of(api, who, case["id"])
    if level == "full":
        assert (out["status"], out["outcome"], out["person"]["name"]) == ("closed", "studier", name)
        assert tl.status_code == 200
        assert tl.json()["items"][-1]["type"] == "CaseClosed"
        assert len(feed) == tl.json()["total"]
    else:
        no_leak(r.text + tl.text + str(feed), pnr, name)
        assert tl.status_code == 403
    refused = api.post(f"/cases/{case['id']}/contacts", who, {}, headers={"If-Match": "*"})
    assert refused.status_code in (403, 409), refused.text
    no_leak(refused.text, pnr)
