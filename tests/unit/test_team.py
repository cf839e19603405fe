"""The case team (issue 14): membership, assignment, hand-over, priority, follow-up, a party's own
reference and emergency access, as `decide()` specifications; and the team invariant under any
sequence of team changes (Hypothesis)."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.core import commands as c
from engine.core.state import CaseState
from engine.service.access import Caller, case_level, visible_tasks

from .casekit import Case, at

MON = date(2026, 3, 2)
ANNA = ("anna", "Anna Andersson")
BO = ("bo", "Bo Berg")
CILLA = ("cilla", "Cilla Ek")


def referred() -> Case:
    case = Case.referred(MON)
    case.state = None
    case.events.clear()
    case.run(c.Refer("c1", "af", referrer_name="Åsa Af", actor="asa"))
    return case


def add(case: Case, party: str, who: tuple[str, str], role: str | None = None) -> None:
    case.run(c.AddTeamMember(party, who[0], who[1], role, actor="samordnare"))


def test_the_referrer_joins_the_team_of_the_referring_party() -> None:
    case = referred()
    assert [(m.user_id, m.name, m.added_on) for m in case.s.team["af"]] == [("asa", "Åsa Af", MON)]
    assert case.events_of("TeamMemberAdded")[0].data["party"] == "af"


def test_a_party_systems_referral_puts_nobody_on_the_team() -> None:
    assert Case.referred(MON).s.team == {}


def test_a_new_task_goes_to_the_member_with_its_role_else_the_partys_first_member() -> None:
    case = referred()
    bekrafta = case.task("bekrafta_remiss")  # kommun's samordnare; nobody of kommun yet
    assert bekrafta.assignee is None
    add(case, "kommun", BO)
    add(case, "kommun", ANNA, "samordnare")
    case.complete("bekrafta_remiss")
    case.start("samtycke")  # its task is samordnare's: Anna's role
    assert case.task("inhamta_samtycke").assignee == "anna"
    assert case.task("inhamta_samtycke").assignee_name == "Anna Andersson"
    assert case.events_of("TaskCreated")[-1].data["assignee"] == "anna"


def test_the_first_member_gets_a_task_when_no_member_has_its_role() -> None:
    case = referred()
    add(case, "kommun", BO)
    case.complete("bekrafta_remiss")
    case.start("samtycke")
    assert case.task("inhamta_samtycke").assignee == "bo"


def test_adding_twice_an_unknown_party_or_a_role_of_another_party_is_refused() -> None:
    case = referred()
    add(case, "kommun", ANNA)
    assert case.reject(c.AddTeamMember("kommun", "anna", "Anna", actor="x")).code == "already_member"
    assert case.reject(c.AddTeamMember("skola", "anna", "Anna", actor="x")).code == "unknown_party"
    assert case.reject(c.AddTeamMember("af", "bo", "Bo", "samordnare", actor="x")).code == "unknown_role"
    assert case.reject(c.AddTeamMember("af", "bo", " ", actor="x")).code == "name_required"


def test_claim_joins_the_actor_to_the_team_and_assigns_the_task() -> None:
    case = referred()
    case.run(c.ClaimTask("bekrafta_remiss", party="kommun", name="Cilla Ek", actor="cilla"))
    assert case.task("bekrafta_remiss").assignee == "cilla"
    assert case.s.member("kommun", "cilla") is not None
    assert [e.type for e in case.last.events] == ["TeamMemberAdded", "TaskAssigned"]  # type: ignore[union-attr]


def test_claim_by_another_party_twice_or_of_a_closed_task_is_refused() -> None:
    case = referred()
    claim = c.ClaimTask("bekrafta_remiss", party="af", name="Åsa Af", actor="asa")
    assert case.reject(claim).code == "not_task_party"
    case.run(c.ClaimTask("bekrafta_remiss", party="kommun", name="Cilla Ek", actor="cilla"))
    again = c.ClaimTask("bekrafta_remiss", party="kommun", name="Cilla Ek", actor="cilla")
    assert case.reject(again).code == "already_assignee"
    case.complete("bekrafta_remiss")
    assert case.reject(c.UnclaimTask("bekrafta_remiss", actor="cilla")).code == "task_not_open"


def test_unclaim_only_by_the_assignee() -> None:
    case = referred()
    case.run(c.ClaimTask("bekrafta_remiss", party="kommun", name="Cilla Ek", actor="cilla"))
    assert case.reject(c.UnclaimTask("bekrafta_remiss", actor="bo")).code == "not_assignee"
    case.run(c.UnclaimTask("bekrafta_remiss", actor="cilla"))
    assert case.task("bekrafta_remiss").assignee is None
    assert case.s.member("kommun", "cilla") is not None  # still on the team


def test_assign_only_to_a_member_of_the_tasks_party() -> None:
    case = referred()
    add(case, "kommun", ANNA)
    assert case.reject(c.AssignTask("bekrafta_remiss", "asa", actor="x")).code == "assignee_not_member"
    case.run(c.AssignTask("bekrafta_remiss", "anna", actor="x"))
    assert case.task("bekrafta_remiss").assignee_name == "Anna Andersson"


def test_removal_hands_open_tasks_to_the_remaining_member_else_unassigns() -> None:
    case = referred()
    add(case, "kommun", ANNA)
    add(case, "kommun", BO)
    case.run(c.AssignTask("bekrafta_remiss", "anna", actor="x"))
    case.run(c.RemoveTeamMember("kommun", "anna", actor="x"))
    assert case.task("bekrafta_remiss").assignee == "bo"
    case.run(c.RemoveTeamMember("kommun", "bo", actor="x"))
    assert case.task("bekrafta_remiss").assignee is None
    assert "kommun" not in case.s.team
    assert case.reject(c.RemoveTeamMember("kommun", "bo", actor="x")).code == "not_team_member"


def test_hand_over_moves_membership_and_open_tasks() -> None:
    case = referred()
    add(case, "kommun", ANNA, "samordnare")
    case.run(c.AssignTask("bekrafta_remiss", "anna", actor="x"))
    case.run(c.HandOver("kommun", "anna", "cilla", "Cilla Ek", actor="anna"))
    assert [(m.user_id, m.role) for m in case.s.team["kommun"]] == [("cilla", "samordnare")]
    assert case.task("bekrafta_remiss").assignee == "cilla"
    assert case.last.events[0].data["tasks"] == ["bekrafta_remiss"]  # type: ignore[union-attr]
    refused = case.reject(c.HandOver("kommun", "anna", "bo", "Bo", actor="x"))
    assert refused.code == "not_team_member"


def test_priority_and_follow_up() -> None:
    case = referred()
    assert case.task("bekrafta_remiss").priority == "normal"
    case.run(c.SetTaskPriority("bekrafta_remiss", "high", actor="x"))
    assert case.task("bekrafta_remiss").priority == "high"
    assert case.reject(c.SetTaskPriority("bekrafta_remiss", "brådskande", actor="x")).code == "unknown_priority"
    case.run(c.SetTaskFollowUp("bekrafta_remiss", MON + timedelta(days=1), actor="x"))
    assert case.task("bekrafta_remiss").follow_up == MON + timedelta(days=1)
    case.run(c.SetTaskFollowUp("bekrafta_remiss", None, actor="x"))
    assert case.task("bekrafta_remiss").follow_up is None


def test_a_definitions_priority_and_follow_up_reach_the_new_task() -> None:
    from .casekit import definition_from_yaml

    d = definition_from_yaml(
        """
id: prio
version: 1
name: Prioritet
parties: [{id: af, label: AF}, {id: kommun, label: Kommun}]
roles: [{id: samordnare, label: Samordnare, party: kommun, party_wide: false}]
start: start
phases:
  - id: start
    label: Start
    kind: referral
    tasks:
      - {id: t, label: Gör det, responsible: samordnare, due: 10 dagar, follow_up: 2 dagar, priority: high}
    transitions: [{to: slut}]
  - {id: slut, label: Slut, kind: exit}
"""
    )
    case = Case.referred(MON, d)
    assert case.task("t").priority == "high"
    assert case.task("t").follow_up == MON + timedelta(days=2)


def test_external_reference_set_changed_and_cleared() -> None:
    case = referred()
    case.run(c.SetExternalReference("fk", " FK-2026-1 ", actor="x"))
    assert case.s.external_refs == {"fk": "FK-2026-1"}
    case.run(c.SetExternalReference("fk", None, actor="x"))
    assert case.s.external_refs == {}
    assert case.reject(c.SetExternalReference("fk", "x" * 101, actor="x")).code == "invalid_value"


def test_emergency_access_needs_a_typed_reason_and_lasts_24_hours() -> None:
    case = referred()
    assert case.reject(c.GrantEmergencyAccess("akut", party="fk", actor="eva")).code == "reason_required"
    case.run(c.GrantEmergencyAccess("Deltagaren i kris, ringer nu", party="fk", actor="eva"))
    (grant,) = case.s.emergency
    assert (grant.user_id, grant.party, grant.until) == ("eva", "fk", at(MON) + timedelta(hours=24))


def _assignees_are_members(s: CaseState) -> bool:
    return all(t.assignee is None or s.member(t.party, t.assignee) is not None for t in s.open_tasks())


PEOPLE = ("anna", "bo", "cilla", "dan")
PARTIES = ("af", "kommun")
step = st.one_of(
    st.tuples(st.just("add"), st.sampled_from(PARTIES), st.sampled_from(PEOPLE)),
    st.tuples(st.just("remove"), st.sampled_from(PARTIES), st.sampled_from(PEOPLE)),
    st.tuples(st.just("hand_over"), st.sampled_from(PARTIES), st.sampled_from(PEOPLE), st.sampled_from(PEOPLE)),
    st.tuples(st.just("claim"), st.sampled_from(PARTIES), st.sampled_from(PEOPLE)),
    st.tuples(st.just("assign"), st.sampled_from(PEOPLE)),
    st.tuples(st.just("unclaim"), st.sampled_from(PEOPLE)),
    st.tuples(st.just("complete")),
)


def _command(s: CaseState, action: tuple[str, ...]) -> c.Command:
    task = sorted(s.open_tasks(), key=lambda t: t.id)[0].id if s.open_tasks() else "none"
    match action:
        case ("add", party, who):
            return c.AddTeamMember(party, who, who.title(), actor="x")
        case ("remove", party, who):
            return c.RemoveTeamMember(party, who, actor="x")
        case ("hand_over", party, old, new):
            return c.HandOver(party, old, new, new.title(), actor=old)
        case ("claim", party, who):
            return c.ClaimTask(task, party=party, name=who.title(), actor=who)
        case ("assign", who):
            return c.AssignTask(task, who, actor="x")
        case ("unclaim", who):
            return c.UnclaimTask(task, actor=who)
    return c.CompleteTask(task, actor="x")


@settings(max_examples=150, deadline=None)
@given(st.lists(step, max_size=25))
def test_an_open_tasks_assignee_is_always_a_current_member_of_its_party(steps: list[tuple[str, ...]]) -> None:
    case = referred()
    for action in steps:
        if case.s.closed:
            break
        result = case.attempt(_command(case.s, action))
        if not hasattr(result, "state"):
            continue
        case.run(_command(case.s, action))
        assert _assignees_are_members(case.s)
        for party, members in case.s.team.items():
            assert len({m.user_id for m in members}) == len(members), party
        removed = [e.data["user_id"] for e in case.last.events if e.type == "TeamMemberRemoved"]  # type: ignore[union-attr]
        for who in removed:
            party = next(e.data["party"] for e in case.last.events if e.type == "TeamMemberRemoved")  # type: ignore[union-attr]
            assert case.s.member(party, who) is None
            assert not any(t.assignee == who and t.party == party for t in case.s.open_tasks())
            person = Caller(who, "handlaggare", party)
            assert case_level(person, case.s, case.definition, identified=True, now=case.now) == "none"
            assert visible_tasks(person, case.s, case.definition, case.now) == []
