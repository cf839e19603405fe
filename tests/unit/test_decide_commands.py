"""Every command, every guard and every rejection path of `decide()`, as specifications.

Cases are built through commands only (tests/unit/casekit.py). Dates are computed by hand in the
comments; the default day is Monday 2026-03-02, a plain week with no public holidays, so
"5 arbetsdagar" after it is Monday 2026-03-09.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from engine.core import commands as c
from engine.core.decide import decide
from engine.core.events import Decision, Rejected
from engine.core.rules.consent import REPLACED
from engine.core.state import CaseState

from .casekit import ALL_PARTIES, FINSAM_PATH, Case, at, definition_from_yaml, finsam, fires_on, path_to

MON = date(2026, 3, 2)  # Monday; March 2026 has no public holidays

GUARDS_YAML = """
id: guardtest
version: 1
name: Vakter och fakta (test)
parties:
  - {id: af, label: Arbetsförmedlingen}
  - {id: fk, label: Försäkringskassan}
  - {id: kommun, label: Kommunen}
  - {id: region, label: Regionen}
roles:
  - {id: samordnare, label: Samordnare, party: kommun}
facts:
  - {id: planerat_mote, label: Planerat möte, type: date}
  - {id: arbetsgivare_klar, label: Arbetsgivare klar, type: bool}
  - {id: timmar, label: Timmar per vecka, type: number}
  - {id: anteckning, label: Anteckning, type: text}
start: start
phases:
  - id: start
    label: Start
    kind: referral
    tasks:
      - id: forsta
        label: Första
        responsible: samordnare
        due: 5 arbetsdagar
      - id: andra
        label: Andra, när första är klar
        responsible: fk
        due: 2 arbetsdagar
        due_from: task:forsta
      - id: mote
        label: Möte
        responsible: region
        due: 3 arbetsdagar
        due_from: fact:planerat_mote
        blocking: false
    transitions:
      - to: delad
        when: {consent_covers: [fk, region]}
      - to: anonym
        when: {anonymous: true}
      - to: klar
        when: {fact: arbetsgivare_klar}
      - to: slut
        when:
          any_of:
            - {fact: timmar}
            - {consent: active}
  - id: delad
    label: Delad
    kind: assessment
    transitions: [{to: slut}]
  - id: anonym
    label: Anonym
    kind: preparatory
    transitions: [{to: slut}]
  - id: klar
    label: Klar
    kind: intake
    transitions: [{to: slut}]
  - id: slut
    label: Slut
    kind: exit
outcomes: [förvärvsarbete, studier, övriga_avslutade]
"""

_guards = None


def guards():
    global _guards
    if _guards is None:
        _guards = definition_from_yaml(GUARDS_YAML)
    return _guards


def finsam_case(phase: str = "aktualisering", *, anonymous: bool = False, on: date = MON) -> Case:
    case = Case.referred(on, anonymous=anonymous)
    case.walk(*path_to(phase))
    assert case.s.phase == phase
    return case


def guard_case(**kw: object) -> Case:
    return Case.referred(MON, guards(), referred_by="fk", **kw)  # type: ignore[arg-type]


def types(events: list) -> list[str]:
    return [e.type for e in events]


# --- Refer --------------------------------------------------------------------------------


def test_referral_opens_an_active_case_in_the_start_phase() -> None:
    case = Case.referred(MON, referred_by="af")
    s = case.s
    assert (s.case_id, s.status, s.phase, s.started_on, s.phase_entered_on) == (
        "c1",
        "active",
        "aktualisering",
        MON,
        MON,
    )
    assert (s.definition_id, s.definition_version, s.referred_by, s.anonymous) == ("finsam-insats", 1, "af", False)
    assert s.phase_visits == [("aktualisering", MON)]
    assert types(case.last.events) == ["CaseReferred", "PhaseEntered", "TaskCreated"]
    referred = case.last.events[0]
    assert referred.data == {
        "referred_by": "af",
        "anonymous": False,
        "definition": "finsam-insats@1",
        "actor": "handläggare",
    }
    assert referred.at == at(MON)


def test_referral_creates_the_acknowledgement_task_due_in_five_working_days() -> None:
    case = Case.referred(MON)
    task = case.task("bekrafta_remiss")
    # Mon 03-02 + 5 arbetsdagar: Tue 3, Wed 4, Thu 5, Fri 6, Mon 9 -> Mon 2026-03-09.
    assert (task.status, task.due, task.responsible, task.party, task.phase, task.blocking) == (
        "open",
        date(2026, 3, 9),
        "samordnare",
        "kommun",
        "aktualisering",
        True,
    )
    created = case.events_of("TaskCreated", case.last.events)[0]
    assert created.notify == ("samordnare",)
    assert created.data["due"] == "2026-03-09"
    assert created.data["party"] == "kommun"


def test_referral_sets_reminder_deadline_and_escalation_timers_for_the_task() -> None:
    case = Case.referred(MON)
    # Reminder 2 arbetsdagar before Mon 03-09: Fri 6, Thu 5 -> Thu 03-05.
    # Deadline missed the day after the due date -> Tue 03-10.
    # Escalation 2 arbetsdagar after the due date (Tue 10, Wed 11), noticed the day after -> Thu 03-12.
    expected = {
        "task:bekrafta_remiss:remind:0": fires_on(date(2026, 3, 5)),
        "task:bekrafta_remiss:due": fires_on(date(2026, 3, 10)),
        "task:bekrafta_remiss:escalate": fires_on(date(2026, 3, 12)),
    }
    assert {t.id: t.at for t in case.last.set_timers} == expected
    assert {k: t.at for k, t in case.s.timers.items()} == expected
    assert case.last.cancel_timers == []
    assert case.s.timers["task:bekrafta_remiss:escalate"].kind == "escalation"
    assert case.s.timers["task:bekrafta_remiss:escalate"].ref == "bekrafta_remiss"


def test_global_timers_do_not_start_before_the_phase_they_start_in() -> None:
    case = finsam_case("kartlaggning")
    # no_contact and max_time start in inskrivning (not at referral).
    starts = [v for v in case.s.phase_visits if v[0] == "inskrivning"]
    assert starts == [("inskrivning", MON)]
    case2 = finsam_case("beslut")
    assert not any(k.startswith("global:") for k in case2.s.timers)
    # Entered inskrivning Mon 03-02: 14 dagar -> Mon 03-16; 18 månader -> 2027-09-02.
    assert case.s.timers["global:no_contact"].at == fires_on(date(2026, 3, 16))
    assert case.s.timers["global:max_time"].at == fires_on(date(2027, 9, 2))


def test_referring_an_existing_case_is_rejected_with_case_exists() -> None:
    case = Case.referred(MON)
    assert case.reject(c.Refer("c1", "af")).code == "case_exists"


def test_referral_by_an_unknown_party_is_rejected() -> None:
    r = decide(finsam(), None, c.Refer("c1", "skatteverket"), at(MON))
    assert isinstance(r, Rejected)
    assert r.code == "unknown_party"
    assert r.details["field"] == "referred_by"


def test_referral_by_a_role_is_accepted() -> None:
    assert Case.referred(MON, referred_by="rehabkoordinator").s.referred_by == "rehabkoordinator"


def test_referral_with_an_unknown_fact_is_rejected() -> None:
    r = decide(finsam(), None, c.Refer("c1", "af", facts={"lon": 1}), at(MON))
    assert isinstance(r, Rejected)
    assert r.code == "unknown_fact"


def test_referral_with_a_fact_of_the_wrong_type_is_rejected() -> None:
    r = decide(finsam(), None, c.Refer("c1", "af", facts={"sjukperiod_start": "igår"}), at(MON))
    assert isinstance(r, Rejected)
    assert r.code == "invalid_fact_value"


def test_anonymous_referral_is_recorded_as_anonymous() -> None:
    case = Case.referred(MON, anonymous=True)
    assert case.s.anonymous is True
    assert case.last.events[0].data["anonymous"] is True


def test_referral_with_sick_period_start_sets_rehabiliteringskedjan_timers() -> None:
    # Sick since Thu 2026-01-01 (day 1). Day 90 = 01-01 + 89 days (Jan 1 + 30 = Jan 31, + 28 = Feb 28,
    # + 31 = Mar 31) = Tue 2026-03-31; warning 14 days before = Tue 03-17 (a working day).
    # Day 180 = Mar 31 + 90 (Apr 30: 30, May 31: 61, Jun 29: 90) = Mon 06-29, warning Mon 06-15.
    # Day 365 = 01-01 + 364 = Thu 2026-12-31, warning Thu 12-17.
    case = Case.referred(MON, facts={"sjukperiod_start": date(2026, 1, 1)})
    rehab = {k: t.at for k, t in case.s.timers.items() if k.startswith("rehab:")}
    assert rehab == {
        "rehab:90": fires_on(date(2026, 3, 31)),
        "rehab:90:warn": fires_on(date(2026, 3, 17)),
        "rehab:180": fires_on(date(2026, 6, 29)),
        "rehab:180:warn": fires_on(date(2026, 6, 15)),
        "rehab:365": fires_on(date(2026, 12, 31)),
        "rehab:365:warn": fires_on(date(2026, 12, 17)),
    }
    assert case.s.facts["sjukperiod_start"] == date(2026, 1, 1)


def test_rehab_checkpoints_already_passed_are_not_set() -> None:
    # Sick since 2025-11-01: day 90 = + 89 days (Nov 30: 29, Dec 31: 60, Jan 29: 89) = 2026-01-29,
    # passed; day 180 = Jan 29 + 90 (Feb 28: 30, Mar 31: 61, Apr 29: 90) = 2026-04-29; day 365 = 2026-10-31.
    case = Case.referred(MON, facts={"sjukperiod_start": date(2025, 11, 1)})
    assert sorted(k for k in case.s.timers if k.startswith("rehab:")) == [
        "rehab:180",
        "rehab:180:warn",
        "rehab:365",
        "rehab:365:warn",
    ]
    assert case.s.timers["rehab:180"].at == fires_on(date(2026, 4, 29))


# --- case-level rejections ------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        c.RecordConsent(ALL_PARTIES, MON),
        c.WithdrawConsent(),
        c.StartPhase("samtycke"),
        c.CompleteTask("bekrafta_remiss"),
        c.FireTimer("global:no_contact"),
        c.AbortCase("egen_begaran"),
    ],
)
def test_commands_for_a_case_that_does_not_exist_are_rejected_with_case_not_found(command: c.Command) -> None:
    r = decide(finsam(), None, command, at(MON))
    assert isinstance(r, Rejected)
    assert r.code == "case_not_found"


@pytest.mark.parametrize("replace", [("version: 1", "version: 2"), ("id: finsam-insats", "id: annan-insats")])
def test_a_case_run_against_another_definition_or_version_is_rejected(replace: tuple[str, str]) -> None:
    other = definition_from_yaml(FINSAM_PATH.read_text(encoding="utf-8").replace(*replace, 1))
    case = Case.referred(MON)
    case.definition = other
    r = case.reject(c.CompleteTask("bekrafta_remiss"))
    assert r.code == "definition_mismatch"
    assert "finsam-insats@1" in r.message


@pytest.mark.parametrize(
    "command",
    [
        c.CompleteTask("avslutningsmote"),
        c.RecordContact(),
        c.RecordConsent(ALL_PARTIES, MON),
        c.AbortCase("egen_begaran"),
        c.ExitCase("studier"),
        c.StartPhase("kartlaggning"),
    ],
)
def test_a_closed_case_accepts_no_more_commands(command: c.Command) -> None:
    case = finsam_case("avslut")
    case.run(c.AbortCase("flytt"))
    assert case.reject(command).code == "case_closed"


def test_a_command_type_the_engine_does_not_know_is_rejected() -> None:
    @dataclass(frozen=True, slots=True)
    class Dance(c.Command):
        style: str = "hambo"

    assert Case.referred(MON).reject(Dance()).code == "unknown_command"


# --- StartPhase and guards ------------------------------------------------------------------


def test_starting_a_phase_leaves_the_old_one_and_enters_the_new_one() -> None:
    case = Case.referred(MON)
    case.complete("bekrafta_remiss")
    d = case.start("samtycke")
    assert types(d.events) == ["PhaseLeft", "PhaseEntered", "TaskCreated"]
    assert d.events[0].data["phase"] == "aktualisering"
    assert d.events[1].data == {
        "phase": "samtycke",
        "label": "Samtycke",
        "kind": "consent",
        "ends_on": None,
        "actor": "samordnare",
    }
    # Mon 03-02 + 3 arbetsdagar -> Thu 03-05; reminder 1 arbetsdag before -> Wed 03-04.
    assert case.task("inhamta_samtycke").due == date(2026, 3, 5)
    assert case.s.timers["task:inhamta_samtycke:remind:0"].at == fires_on(date(2026, 3, 4))
    assert case.s.phase_visits == [("aktualisering", MON), ("samtycke", MON)]


def test_starting_an_unknown_phase_is_rejected() -> None:
    r = Case.referred(MON).reject(c.StartPhase("semester"))
    assert r.code == "unknown_phase"


def test_a_phase_not_reachable_from_the_current_one_is_rejected() -> None:
    case = Case.referred(MON)
    case.complete("bekrafta_remiss")
    r = case.reject(c.StartPhase("kartlaggning"))
    assert r.code == "transition_not_allowed"
    assert r.details == {"from_phase": "aktualisering", "to_phase": "kartlaggning"}


def test_a_phase_cannot_be_left_while_a_blocking_task_is_open() -> None:
    r = Case.referred(MON).reject(c.StartPhase("samtycke"))
    assert r.code == "tasks_not_done"
    assert r.details["tasks"] == ["bekrafta_remiss"]


def test_an_accepted_but_unfinished_blocking_task_still_blocks() -> None:
    case = Case.referred(MON)
    case.run(c.AcceptTask("bekrafta_remiss"))
    assert case.reject(c.StartPhase("samtycke")).code == "tasks_not_done"


def test_a_non_blocking_open_task_does_not_block_the_transition() -> None:
    case = finsam_case("inskrivning")
    case.complete("boka_inskrivningssamtal")
    case.run(c.RecordFact("inskrivningssamtal_hallet", MON))
    assert case.task("delta_inskrivningssamtal").is_open
    case.start("kartlaggning")
    assert case.s.phase == "kartlaggning"


def test_moving_on_from_samtycke_requires_active_consent() -> None:
    case = finsam_case("samtycke")
    case.complete("inhamta_samtycke")
    r = case.reject(c.StartPhase("beslut"))
    assert r.code == "consent_required"


def test_withdrawn_consent_blocks_transition_needing_consent() -> None:
    case = finsam_case("samtycke")
    case.complete("inhamta_samtycke")
    case.run(c.RecordConsent(ALL_PARTIES, MON))
    case.run(c.WithdrawConsent(reason="ångrat sig"))
    assert case.reject(c.StartPhase("beslut")).code == "consent_required"


def test_an_anonymous_participant_passes_the_consent_phase_without_consent() -> None:
    case = finsam_case("samtycke", anonymous=True)
    case.complete("inhamta_samtycke")
    case.start("beslut")
    assert case.s.phase == "beslut"
    assert case.s.consent is None


def test_consent_covers_guard_needs_every_named_party() -> None:
    case = guard_case()
    case.run(c.RecordConsent(("fk", "af"), MON))
    r = case.reject(c.StartPhase("delad"))
    assert r.code == "consent_required"
    assert r.details["missing_parties"] == ["region"]
    case.run(c.RecordConsent(("fk", "region"), MON))
    case.start("delad")
    assert case.s.phase == "delad"


def test_partially_withdrawn_consent_no_longer_covers_the_withdrawn_party() -> None:
    case = guard_case()
    case.run(c.RecordConsent(ALL_PARTIES, MON))
    case.run(c.WithdrawConsent(("fk",)))
    r = case.reject(c.StartPhase("delad"))
    assert (r.code, r.details["missing_parties"]) == ("consent_required", ["fk"])


def test_consent_covers_guard_without_any_consent_lists_every_party() -> None:
    r = guard_case().reject(c.StartPhase("delad"))
    assert (r.code, r.details["missing_parties"]) == ("consent_required", ["fk", "region"])


def test_admission_is_required_to_go_on_to_inskrivning() -> None:
    case = finsam_case("beslut")
    case.complete("besluta_deltagande")
    r = case.reject(c.StartPhase("inskrivning"))
    assert (r.code, r.details["required"]) == ("decision_required", "admitted")
    case.run(c.DecideParticipation("on_hold"))
    assert case.reject(c.StartPhase("inskrivning")).code == "decision_required"


def test_a_participant_not_admitted_goes_to_avslut_but_not_to_inskrivning() -> None:
    case = finsam_case("beslut")
    case.complete("besluta_deltagande")
    case.run(c.DecideParticipation("not_admitted"))
    assert case.reject(c.StartPhase("inskrivning")).code == "decision_required"
    case.start("avslut")
    assert case.s.phase == "avslut"


def test_an_admitted_participant_cannot_take_the_not_admitted_exit() -> None:
    case = finsam_case("beslut")
    case.complete("besluta_deltagande")
    case.run(c.DecideParticipation("admitted"))
    assert case.reject(c.StartPhase("avslut")).code == "decision_required"


def test_kartlaggning_needs_the_intake_meeting_recorded() -> None:
    case = finsam_case("inskrivning")
    case.complete("boka_inskrivningssamtal")
    r = case.reject(c.StartPhase("kartlaggning"))
    assert (r.code, r.details["fact"]) == ("fact_required", "inskrivningssamtal_hallet")


def test_a_fact_guard_holds_for_any_recorded_value_even_false() -> None:
    case = guard_case()
    case.run(c.RecordFact("arbetsgivare_klar", False))
    case.start("klar")
    assert case.s.phase == "klar"


def test_an_anonymous_only_path_is_closed_to_participants_with_consent() -> None:
    r = guard_case().reject(c.StartPhase("anonym"))
    assert r.code == "participation_mode"
    case = guard_case(anonymous=True)
    case.start("anonym")
    assert case.s.phase == "anonym"


def test_any_of_guard_holds_when_one_alternative_holds() -> None:
    case = guard_case()
    assert case.reject(c.StartPhase("slut")).code == "fact_required"  # the first alternative (fact: timmar) fails first
    case.run(c.RecordFact("timmar", 20))
    case.start("slut")
    other = guard_case()
    other.run(c.RecordConsent(("af",), MON))
    other.start("slut")
    assert (case.s.phase, other.s.phase) == ("slut", "slut")


def test_blocking_tasks_are_checked_before_facts() -> None:
    # Two transitions lead out of kartläggning with the same guards; the first failing rule is reported.
    case = finsam_case("kartlaggning")
    r = case.reject(c.StartPhase("arbetstraning"))
    assert r.code == "tasks_not_done"
    assert sorted(r.details["tasks"]) == ["avstamningsmote", "kartlaggningsplan", "medicinskt_underlag"]
    case.complete_blocking()
    assert case.reject(c.StartPhase("arbetstraning")).code == "fact_required"


def test_leaving_a_phase_cancels_its_open_tasks_and_their_timers() -> None:
    case = finsam_case("inskrivning")
    case.complete("boka_inskrivningssamtal")
    case.run(c.RecordFact("inskrivningssamtal_hallet", MON))
    assert "task:delta_inskrivningssamtal:due" in case.s.timers
    d = case.start("kartlaggning")
    task = case.task("delta_inskrivningssamtal")
    assert (task.status, task.reason, task.closed_on) == ("cancelled", "phase_left", MON)
    assert "task:delta_inskrivningssamtal:due" in d.cancel_timers
    assert not any(k.startswith("task:delta_inskrivningssamtal:") for k in case.s.timers)
    cancelled = [e for e in d.events if e.type == "TaskCancelled"]
    assert [e.data["task"] for e in cancelled] == ["delta_inskrivningssamtal"]
    assert cancelled[0].data["reason"] == "phase_left"
    assert types(d.events).index("TaskCancelled") < types(d.events).index("PhaseLeft")


def test_leaving_a_phase_drops_its_phase_timers_but_not_global_or_rehab_ones() -> None:
    case = finsam_case("arbetstraning")
    case.run(c.RecordFact("sjukperiod_start", date(2026, 2, 1)))
    assert {"phase:max", "phase:midpoint", "phase:follow_up"} <= set(case.s.timers)
    d = case.start("avslut")
    assert {"phase:max", "phase:midpoint", "phase:follow_up"} <= set(d.cancel_timers)
    assert not any(k.startswith("phase:") for k in case.s.timers)
    assert {"global:no_contact", "global:max_time", "rehab:90", "rehab:90:warn"} <= set(case.s.timers)


def test_a_rehab_task_outlives_the_phase_it_was_created_in() -> None:
    # Sick since Mon 2026-01-05: day 90 = 01-05 + 89 days (Jan 5 + 26 = Jan 31, + 28 = Feb 28 (54),
    # + 31 = Mar 31 (85), + 4 = Apr 4 (89)) = Saturday 2026-04-04. Warning 14 days before =
    # Sat 03-21 -> previous working day Fri 03-20.
    case = finsam_case("kartlaggning")
    case.run(c.RecordFact("sjukperiod_start", date(2026, 1, 5)))
    assert case.s.timers["rehab:90:warn"].at == fires_on(date(2026, 3, 20))
    case.advance_to(date(2026, 3, 20))
    task = case.task("rehabkedjan_dag_90")
    assert (task.phase, task.responsible, task.due, task.kind) == (None, "fk", date(2026, 4, 4), "rehab_checkpoint")
    case.walk("arbetstraning")
    assert case.task("rehabkedjan_dag_90").is_open


# --- tasks ----------------------------------------------------------------------------------


def test_accepting_a_task_keeps_it_open_and_tells_who_accepted() -> None:
    case = Case.referred(MON)
    d = case.run(c.AcceptTask("bekrafta_remiss", actor="anna"))
    assert case.task("bekrafta_remiss").status == "accepted"
    assert case.task("bekrafta_remiss").is_open
    assert [(e.type, e.data) for e in d.events] == [
        ("TaskAccepted", {"task": "bekrafta_remiss", "party": "kommun", "actor": "anna"})
    ]
    assert d.set_timers == []
    assert d.cancel_timers == []


def test_accepting_a_task_twice_is_rejected() -> None:
    case = Case.referred(MON)
    case.run(c.AcceptTask("bekrafta_remiss"))
    r = case.reject(c.AcceptTask("bekrafta_remiss"))
    assert (r.code, r.details["status"]) == ("task_not_open", "accepted")


def test_accepting_an_unknown_task_is_rejected() -> None:
    r = Case.referred(MON).reject(c.AcceptTask("dansa"))
    assert (r.code, r.details["field"]) == ("unknown_task", "task_id")


def test_completing_a_task_closes_it_and_cancels_its_timers() -> None:
    case = Case.referred(MON)
    case.now = at(MON + timedelta(days=1))
    d = case.run(c.CompleteTask("bekrafta_remiss", note="klart", actor="anna"))
    task = case.task("bekrafta_remiss")
    assert (task.status, task.closed_on, task.reason) == ("completed", date(2026, 3, 3), "klart")
    assert sorted(d.cancel_timers) == [
        "task:bekrafta_remiss:due",
        "task:bekrafta_remiss:escalate",
        "task:bekrafta_remiss:remind:0",
    ]
    assert case.s.timers == {}
    assert [(e.type, e.data) for e in d.events] == [
        ("TaskCompleted", {"task": "bekrafta_remiss", "party": "kommun", "note": "klart", "actor": "anna"})
    ]


def test_an_accepted_task_can_be_completed() -> None:
    case = Case.referred(MON)
    case.run(c.AcceptTask("bekrafta_remiss"))
    case.complete("bekrafta_remiss")
    assert case.task("bekrafta_remiss").status == "completed"


def test_completing_a_completed_task_is_rejected() -> None:
    case = Case.referred(MON)
    case.complete("bekrafta_remiss")
    r = case.reject(c.CompleteTask("bekrafta_remiss"))
    assert (r.code, r.details["status"]) == ("task_not_open", "completed")
    assert case.reject(c.AcceptTask("bekrafta_remiss")).code == "task_not_open"
    assert case.reject(c.DeclineTask("bekrafta_remiss", "nej")).code == "task_not_open"


def test_completing_an_unknown_task_is_rejected() -> None:
    assert Case.referred(MON).reject(c.CompleteTask("dansa")).code == "unknown_task"


def test_declining_a_task_needs_a_reason() -> None:
    case = Case.referred(MON)
    assert case.reject(c.DeclineTask("bekrafta_remiss", "")).code == "reason_required"
    r = case.reject(c.DeclineTask("bekrafta_remiss", "   "))
    assert (r.code, r.details["field"]) == ("reason_required", "reason")


def test_declining_a_task_closes_it_and_tells_the_team() -> None:
    case = finsam_case("inskrivning")
    d = case.run(c.DeclineTask("delta_inskrivningssamtal", "ingen tid", actor="af-handläggare"))
    task = case.task("delta_inskrivningssamtal")
    assert (task.status, task.reason, task.closed_on) == ("declined", "ingen tid", MON)
    assert [(e.type, e.notify, e.data) for e in d.events] == [
        (
            "TaskDeclined",
            ("samordnare",),
            {"task": "delta_inskrivningssamtal", "party": "af", "reason": "ingen tid", "actor": "af-handläggare"},
        )
    ]
    assert d.cancel_timers == ["task:delta_inskrivningssamtal:due"]


def test_a_declined_request_no_longer_blocks_the_phase() -> None:
    # A förbund cannot order a party to act: a declined request is closed, and the team moves on.
    case = Case.referred(MON)
    case.run(c.DeclineTask("bekrafta_remiss", "fel mottagare"))
    case.start("samtycke")
    assert case.s.phase == "samtycke"


def test_declining_a_cancelled_task_is_rejected() -> None:
    case = finsam_case("kartlaggning")  # delta_inskrivningssamtal was cancelled when inskrivning was left
    assert case.task("delta_inskrivningssamtal").status == "cancelled"
    r = case.reject(c.DeclineTask("delta_inskrivningssamtal", "för sent"))
    assert (r.code, r.details["status"]) == ("task_not_open", "cancelled")
    assert case.reject(c.CompleteTask("delta_inskrivningssamtal")).code == "task_not_open"


def test_a_task_due_from_another_task_is_created_when_that_task_is_completed() -> None:
    case = guard_case()
    assert "andra" not in case.s.tasks
    case.now = at(date(2026, 3, 5))  # Thu
    d = case.run(c.CompleteTask("forsta"))
    # Completed Thu 03-05; 2 arbetsdagar -> Fri 6, Mon 9 -> Mon 2026-03-09.
    andra = case.task("andra")
    assert (andra.status, andra.due, andra.created_on, andra.responsible) == (
        "open",
        date(2026, 3, 9),
        date(2026, 3, 5),
        "fk",
    )
    assert types(d.events) == ["TaskCompleted", "TaskCreated"]
    assert d.events[1].notify == ("fk",)
    assert {t.id for t in d.set_timers} == {"task:andra:due"}


def test_commenting_a_task_records_the_text() -> None:
    case = Case.referred(MON)
    d = case.run(c.CommentTask("bekrafta_remiss", "ringt två gånger", actor="anna"))
    assert [(e.type, e.data) for e in d.events] == [
        ("TaskCommented", {"task": "bekrafta_remiss", "text": "ringt två gånger", "actor": "anna"})
    ]
    assert case.s.tasks == Case.referred(MON).s.tasks


def test_a_closed_task_can_still_be_commented() -> None:
    case = Case.referred(MON)
    case.complete("bekrafta_remiss")
    case.run(c.CommentTask("bekrafta_remiss", "deltagaren nådd per telefon"))
    assert case.events[-1].type == "TaskCommented"


@pytest.mark.parametrize("text", ["", "  \n\t"])
def test_an_empty_comment_is_rejected(text: str) -> None:
    r = Case.referred(MON).reject(c.CommentTask("bekrafta_remiss", text))
    assert (r.code, r.details["field"]) == ("comment_empty", "text")


def test_commenting_an_unknown_task_is_rejected() -> None:
    assert Case.referred(MON).reject(c.CommentTask("dansa", "hej")).code == "unknown_task"


# --- consent --------------------------------------------------------------------------------


def test_recording_consent_keeps_scope_date_form_and_who_recorded_it() -> None:
    case = finsam_case("samtycke")
    d = case.run(c.RecordConsent(("fk", "region", "fk"), date(2026, 2, 27), form="blankett 9443", actor="anna"))
    consent = case.s.consent
    assert consent is not None
    assert (consent.parties, consent.given_on, consent.form, consent.recorded_by, consent.withdrawn_on) == (
        ("fk", "region"),
        date(2026, 2, 27),
        "blankett 9443",
        "anna",
        None,
    )
    assert consent.active
    assert consent.covers("region")
    assert not consent.covers("af")
    assert [(e.type, e.data) for e in d.events] == [
        (
            "ConsentRecorded",
            {"parties": ["fk", "region"], "given_on": "2026-02-27", "form": "blankett 9443", "actor": "anna"},
        )
    ]


def test_consent_must_cover_at_least_one_party() -> None:
    r = finsam_case("samtycke").reject(c.RecordConsent((), MON))
    assert (r.code, r.details["field"]) == ("consent_scope_empty", "parties")


def test_consent_for_an_unknown_party_is_rejected() -> None:
    r = finsam_case("samtycke").reject(c.RecordConsent(("fk", "skatteverket"), MON))
    assert (r.code, r.details["parties"]) == ("unknown_party", ["skatteverket"])


def test_consent_given_in_the_future_is_rejected() -> None:
    r = finsam_case("samtycke").reject(c.RecordConsent(ALL_PARTIES, MON + timedelta(days=1)))
    assert (r.code, r.details["field"]) == ("invalid_date", "given_on")


def test_consent_given_today_in_swedish_time_is_accepted_late_in_the_evening() -> None:
    # 23:30 Swedish time on Mon 03-02 is 22:30 UTC the same day; at 00:30 Tue the Swedish date is 03-03.
    case = finsam_case("samtycke")
    case.now = at(date(2026, 3, 3), 0, 30)
    case.run(c.RecordConsent(ALL_PARTIES, date(2026, 3, 3)))
    assert case.s.consent is not None
    assert case.s.consent.given_on == date(2026, 3, 3)


@pytest.mark.parametrize("form", ["", "   "])
def test_consent_needs_to_say_how_it_was_given(form: str) -> None:
    r = finsam_case("samtycke").reject(c.RecordConsent(ALL_PARTIES, MON, form=form))
    assert (r.code, r.details["field"]) == ("consent_form_required", "form")


def test_withdrawing_consent_that_was_never_given_is_rejected() -> None:
    assert finsam_case("samtycke").reject(c.WithdrawConsent()).code == "consent_not_active"


def test_withdrawing_consent_twice_is_rejected() -> None:
    case = finsam_case("beslut")
    case.run(c.WithdrawConsent())
    assert case.reject(c.WithdrawConsent()).code == "consent_not_active"
    assert case.reject(c.WithdrawConsent(("fk",))).code == "consent_not_active"


def test_withdrawing_all_consent_ends_it_and_tells_every_party() -> None:
    case = finsam_case("beslut")
    case.now = at(date(2026, 3, 4))
    d = case.run(c.WithdrawConsent(reason="vill inte längre"))
    consent = case.s.consent
    assert consent is not None
    assert (consent.parties, consent.withdrawn_on, consent.active) == ((), date(2026, 3, 4), False)
    assert consent.given_on == MON
    assert [(e.type, e.notify, e.data) for e in d.events] == [
        (
            "ConsentWithdrawn",
            ALL_PARTIES,
            {"parties": list(ALL_PARTIES), "remaining": [], "reason": "vill inte längre"},
        )
    ]


def test_a_partial_consent_withdrawal_narrows_the_scope() -> None:
    case = finsam_case("beslut")
    d = case.run(c.WithdrawConsent(("fk", "region")))
    consent = case.s.consent
    assert consent is not None
    assert (consent.parties, consent.withdrawn_on, consent.active) == (("af", "kommun"), None, True)
    assert not consent.covers("fk")
    assert consent.covers("af")
    event = d.events[0]
    assert (event.type, event.notify, event.data["parties"], event.data["remaining"]) == (
        "ConsentWithdrawn",
        ("fk", "region"),
        ["fk", "region"],
        ["af", "kommun"],
    )


def test_a_party_named_twice_in_a_withdrawal_is_told_once() -> None:
    case = finsam_case("beslut")
    d = case.run(c.WithdrawConsent(("fk", "fk", "region")))
    assert d.events[0].notify == ("fk", "region")
    assert d.events[0].data["parties"] == ["fk", "region"]
    assert case.s.consent is not None
    assert case.s.consent.parties == ("af", "kommun")


def test_withdrawing_the_last_parties_one_by_one_ends_the_consent() -> None:
    case = guard_case()
    case.now = at(date(2026, 3, 3))
    case.run(c.RecordConsent(("fk", "region"), date(2026, 3, 3)))
    case.run(c.WithdrawConsent(("fk",)))
    case.run(c.WithdrawConsent(("region",)))
    assert case.s.consent is not None
    assert (case.s.consent.active, case.s.consent.withdrawn_on) == (False, date(2026, 3, 3))


def test_withdrawing_consent_for_a_party_it_does_not_cover_is_rejected() -> None:
    case = guard_case()
    case.run(c.RecordConsent(("fk",), MON))
    r = case.reject(c.WithdrawConsent(("af", "skatteverket")))
    assert r.code == "consent_scope_empty"
    assert case.reject(c.WithdrawConsent(())).code == "consent_scope_empty"


def test_a_new_consent_that_drops_parties_withdraws_it_from_them() -> None:
    # Issue 13: AF posted `parties: [af, region]` over a consent for all four; FK and kommun lost
    # access without a withdrawal in the history and without being told.
    case = finsam_case("beslut")
    case.now = at(date(2026, 3, 4))
    d = case.run(c.RecordConsent(("af", "region"), date(2026, 3, 4), actor="af-handläggare"))
    assert case.s.consent is not None
    assert case.s.consent.parties == ("af", "region")
    assert [(e.type, e.notify, e.data) for e in d.events] == [
        (
            "ConsentWithdrawn",
            ("fk", "kommun"),
            {
                "parties": ["fk", "kommun"],
                "remaining": ["af", "region"],
                "reason": REPLACED,
                "actor": "af-handläggare",
            },
        ),
        (
            "ConsentRecorded",
            (),
            {"parties": ["af", "region"], "given_on": "2026-03-04", "form": "skriftligt", "actor": "af-handläggare"},
        ),
    ]


def test_a_new_consent_that_covers_every_old_party_withdraws_nothing() -> None:
    case = guard_case()
    case.run(c.RecordConsent(("fk",), MON))
    d = case.run(c.RecordConsent(("region", "fk"), MON))
    assert [e.type for e in d.events] == ["ConsentRecorded"]


def test_a_new_consent_after_a_withdrawn_one_withdraws_nothing_again() -> None:
    case = guard_case()
    case.run(c.RecordConsent(("fk", "region"), MON))
    case.run(c.WithdrawConsent())
    d = case.run(c.RecordConsent(("af",), MON))
    assert [e.type for e in d.events] == ["ConsentRecorded"]


def test_a_new_consent_for_other_parties_altogether_withdraws_every_old_one() -> None:
    case = guard_case()
    case.run(c.RecordConsent(("fk", "region"), MON))
    d = case.run(c.RecordConsent(("af", "kommun"), MON))
    withdrawn = d.events[0]
    assert (withdrawn.type, withdrawn.notify, withdrawn.data["parties"], withdrawn.data["remaining"]) == (
        "ConsentWithdrawn",
        ("fk", "region"),
        ["fk", "region"],
        ["af", "kommun"],
    )
    assert case.s.consent is not None
    assert (case.s.consent.parties, case.s.consent.active) == (("af", "kommun"), True)


# --- participation decision -----------------------------------------------------------------


def test_the_participation_decision_is_recorded_in_the_decision_phase() -> None:
    case = finsam_case("beslut")
    d = case.run(c.DecideParticipation("on_hold", note="väntar på läkarintyg"))
    assert case.s.decision == "on_hold"
    assert [(e.type, e.data) for e in d.events] == [
        ("ParticipationDecided", {"decision": "on_hold", "note": "väntar på läkarintyg"})
    ]
    case.run(c.DecideParticipation("admitted"))
    assert case.s.decision == "admitted"


def test_an_unknown_decision_is_rejected() -> None:
    r = finsam_case("beslut").reject(c.DecideParticipation("kanske"))
    assert (r.code, r.details["field"]) == ("invalid_decision", "decision")


@pytest.mark.parametrize("phase", ["aktualisering", "samtycke", "inskrivning", "kartlaggning", "avslut"])
def test_a_participation_decision_outside_the_decision_phase_is_rejected(phase: str) -> None:
    assert finsam_case(phase).reject(c.DecideParticipation("admitted")).code == "decision_not_expected"


# --- contact --------------------------------------------------------------------------------


def test_recording_contact_restarts_the_no_contact_timer() -> None:
    case = finsam_case("inskrivning")  # no_contact started Mon 03-02, due Mon 03-16
    case.now = at(date(2026, 3, 10))
    d = case.run(c.RecordContact(channel="telefon"))
    # Contact Tue 03-10 + 14 dagar -> Tue 03-24.
    assert case.s.last_contact_on == date(2026, 3, 10)
    assert [t.id for t in d.set_timers] == ["global:no_contact"]
    assert case.s.timers["global:no_contact"].at == fires_on(date(2026, 3, 24))
    assert [(e.type, e.data) for e in d.events] == [("ContactRecorded", {"on": "2026-03-10", "channel": "telefon"})]


def test_contact_recorded_afterwards_for_an_earlier_day_counts_from_that_day() -> None:
    case = finsam_case("inskrivning")
    case.now = at(date(2026, 3, 10))
    case.run(c.RecordContact(on=date(2026, 3, 6)))
    # Fri 03-06 + 14 dagar -> Fri 03-20.
    assert case.s.timers["global:no_contact"].at == fires_on(date(2026, 3, 20))
    case.run(c.RecordContact(on=date(2026, 3, 4)))  # older than the last one: changes nothing
    assert case.s.last_contact_on == date(2026, 3, 6)
    assert case.s.timers["global:no_contact"].at == fires_on(date(2026, 3, 20))


def test_contact_before_the_no_contact_timer_starts_sets_no_timer() -> None:
    case = finsam_case("samtycke")
    d = case.run(c.RecordContact())
    assert case.s.last_contact_on == MON
    assert d.set_timers == []
    assert "global:no_contact" not in case.s.timers


def test_contact_in_the_future_is_rejected() -> None:
    r = finsam_case("inskrivning").reject(c.RecordContact(on=MON + timedelta(days=1)))
    assert (r.code, r.details["field"]) == ("invalid_date", "on")


def test_no_contact_alert_fires_and_rearms() -> None:
    case = finsam_case("inskrivning")
    new = case.advance_to(date(2026, 3, 17))
    alerts = case.events_of("NoContactAlert", new)
    assert [(e.at, e.notify, e.data) for e in alerts] == [
        (fires_on(date(2026, 3, 16)), ("samordnare",), {"last_contact_on": None, "actor": "system"})
    ]
    # Fired Mon 03-16 -> next alert 14 days later, Mon 03-30.
    assert case.s.timers["global:no_contact"].at == fires_on(date(2026, 3, 30))


def test_maximum_time_in_the_insats_is_announced_to_the_teamledare() -> None:
    case = finsam_case("inskrivning")  # max_time 18 månader from Mon 2026-03-02 -> Thu 2027-09-02
    new = case.advance_to(date(2027, 9, 3))
    reached = case.events_of("MaxTimeReached", new)
    assert [(e.at, e.notify, e.data["started_on"]) for e in reached] == [
        (fires_on(date(2027, 9, 2)), ("teamledare",), "2026-03-02")
    ]
    assert "global:max_time" not in case.s.timers  # announced once
    assert case.s.status == "active"


# --- facts ----------------------------------------------------------------------------------


def test_recording_a_fact_stores_it_and_tells_what_was_recorded() -> None:
    case = finsam_case("inskrivning")
    d = case.run(c.RecordFact("inskrivningssamtal_hallet", "2026-02-27"))
    assert case.s.facts["inskrivningssamtal_hallet"] == date(2026, 2, 27)
    assert [(e.type, e.data) for e in d.events] == [
        ("FactRecorded", {"fact": "inskrivningssamtal_hallet", "value": "2026-02-27"})
    ]


@pytest.mark.parametrize(
    ("fact", "value", "stored"),
    [
        ("arbetsgivare_klar", True, True),
        ("timmar", 12.5, 12.5),
        ("timmar", 20, 20),
        ("anteckning", "halvtid från maj", "halvtid från maj"),
        ("planerat_mote", date(2026, 3, 20), date(2026, 3, 20)),
    ],
)
def test_facts_of_each_type_are_accepted(fact: str, value: object, stored: object) -> None:
    case = guard_case()
    case.run(c.RecordFact(fact, value))
    assert case.s.facts[fact] == stored
    assert type(case.s.facts[fact]) is type(stored)


def test_an_unknown_fact_is_rejected() -> None:
    r = finsam_case("inskrivning").reject(c.RecordFact("lon", 30000))
    assert (r.code, r.details["field"]) == ("unknown_fact", "fact")


@pytest.mark.parametrize(
    ("fact", "value"),
    [
        ("planerat_mote", 42),
        ("planerat_mote", "2026-02-30"),
        ("planerat_mote", "nästa tisdag"),
        ("planerat_mote", at(MON)),  # a datetime is not a date
        ("arbetsgivare_klar", "ja"),
        ("arbetsgivare_klar", 1),
        ("timmar", True),
        ("timmar", "20"),
        ("anteckning", 5),
        ("anteckning", None),
    ],
)
def test_a_fact_value_of_the_wrong_type_is_rejected(fact: str, value: object) -> None:
    r = guard_case().reject(c.RecordFact(fact, value))
    assert (r.code, r.details["fact"]) == ("invalid_fact_value", fact)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf"), 2**63, -(2**63) - 1])
def test_a_number_fact_that_cannot_be_stored_is_rejected(value: float) -> None:
    # NaN and infinities are not JSON (the state store wrote NaN as null, losing the value), and
    # integers beyond 64 bits cannot be serialised at all.
    r = guard_case().reject(c.RecordFact("timmar", value))
    assert (r.code, r.details["fact"]) == ("invalid_fact_value", "timmar")


@pytest.mark.parametrize(
    ("fact", "value"),
    [
        ("timmar", 2**63 - 1),
        ("timmar", -(2**63)),
        ("timmar", 0.1),
        ("timmar", -3),
        ("arbetsgivare_klar", False),
        ("anteckning", 'åäö "citat" {date}'),
        ("anteckning", ""),
        ("planerat_mote", "2026-03-20"),
    ],
)
def test_every_accepted_fact_survives_the_json_round_trip(fact: str, value: object) -> None:
    case = guard_case()
    case.run(c.RecordFact(fact, value))
    assert CaseState.from_json(case.s.to_json()) == case.s


def test_a_task_due_from_a_date_fact_moves_when_the_fact_is_recorded() -> None:
    case = guard_case()
    # Without the fact the due date counts from today: Mon 03-02 + 3 arbetsdagar -> Thu 03-05.
    assert case.task("mote").due == date(2026, 3, 5)
    d = case.run(c.RecordFact("planerat_mote", date(2026, 3, 16)))
    # Mon 03-16 + 3 arbetsdagar -> Thu 03-19; missed the day after -> timer Fri 03-20.
    assert case.task("mote").due == date(2026, 3, 19)
    assert case.s.timers["task:mote:due"].at == fires_on(date(2026, 3, 20))
    moved = [e for e in d.events if e.type == "TaskDueChanged"]
    assert [(e.notify, e.data) for e in moved] == [(("region",), {"task": "mote", "due": "2026-03-19"})]
    assert [t.id for t in d.set_timers] == ["task:mote:due"]


def test_recording_the_same_date_again_does_not_move_the_task() -> None:
    case = guard_case()
    case.run(c.RecordFact("planerat_mote", date(2026, 3, 16)))
    d = case.run(c.RecordFact("planerat_mote", date(2026, 3, 16)))
    assert types(d.events) == ["FactRecorded"]
    assert d.set_timers == []


def test_a_closed_task_is_not_moved_by_its_fact() -> None:
    case = guard_case()
    case.complete("mote")
    case.run(c.RecordFact("planerat_mote", date(2026, 3, 16)))
    assert case.task("mote").due == date(2026, 3, 5)


def test_recording_the_sick_period_start_later_replaces_the_rehab_timers() -> None:
    case = finsam_case("kartlaggning")
    case.run(c.RecordFact("sjukperiod_start", date(2026, 1, 1)))  # day 90 = 2026-04-01
    d = case.run(c.RecordFact("sjukperiod_start", date(2026, 1, 11)))
    # Corrected to Sun 01-11: day 90 = 01-11 + 89 days (Jan 11 + 20 = Jan 31, + 28 = Feb 28 (48),
    # + 31 = Mar 31 (79), + 10 = Apr 10 (89)) = Fri 2026-04-10. Warning 14 days before = Fri 03-27.
    assert case.s.timers["rehab:90"].at == fires_on(date(2026, 4, 10))
    assert case.s.timers["rehab:90:warn"].at == fires_on(date(2026, 3, 27))
    assert "rehab:90" in {t.id for t in d.set_timers}


# --- extension --------------------------------------------------------------------------------


@pytest.mark.parametrize("phase", ["aktualisering", "kartlaggning", "forberedande"])
def test_a_phase_without_extension_rules_cannot_be_extended(phase: str) -> None:
    r = finsam_case(phase).reject(c.ExtendPhase(reason="behöver mer tid"))
    assert r.code == "extension_not_allowed"


def test_extending_arbetstraning_moves_its_end_and_its_timer() -> None:
    case = finsam_case("arbetstraning")  # entered Mon 03-02, ends 3 months later, Tue 2026-06-02
    assert case.s.phase_ends_on == date(2026, 6, 2)
    d = case.run(c.ExtendPhase(reason="behöver mer tid"))
    # + 3 månader -> Wed 2026-09-02; the max-length timer fires the day after, 09-03.
    assert case.s.phase_ends_on == date(2026, 9, 2)
    assert [t.id for t in d.set_timers] == ["phase:max"]
    assert case.s.timers["phase:max"].at == fires_on(date(2026, 9, 3))
    assert [(e.type, e.data) for e in d.events] == [
        ("PhaseExtended", {"phase": "arbetstraning", "ends_on": "2026-09-02", "reason": "behöver mer tid"})
    ]


def test_arbetstraning_cannot_be_extended_beyond_twelve_months() -> None:
    case = finsam_case("arbetstraning")
    for expected in (date(2026, 9, 2), date(2026, 12, 2), date(2027, 3, 2)):
        case.run(c.ExtendPhase())
        assert case.s.phase_ends_on == expected
    r = case.reject(c.ExtendPhase())
    assert (r.code, r.details["limit"]) == ("extension_limit_reached", "2027-03-02")


# --- timers -----------------------------------------------------------------------------------


def test_firing_an_unknown_timer_is_rejected() -> None:
    assert Case.referred(MON).reject(c.FireTimer("global:no_contact")).code == "timer_not_active"


def test_firing_a_timer_before_it_is_due_is_rejected() -> None:
    case = Case.referred(MON)
    case.now = at(date(2026, 3, 5), 5, 59)  # reminder fires Thu 03-05 at 06:00
    r = case.reject(c.FireTimer("task:bekrafta_remiss:remind:0"))
    assert (r.code, r.details["due"]) == ("timer_not_due", fires_on(date(2026, 3, 5)).isoformat())
    case.now = at(date(2026, 3, 5), 6, 0)
    case.run(c.FireTimer("task:bekrafta_remiss:remind:0"))


def test_firing_a_timer_twice_is_rejected() -> None:
    case = Case.referred(MON)
    case.now = at(date(2026, 3, 5))
    case.run(c.FireTimer("task:bekrafta_remiss:remind:0"))
    assert case.reject(c.FireTimer("task:bekrafta_remiss:remind:0")).code == "timer_not_active"


def test_a_timer_of_a_completed_task_is_no_longer_active() -> None:
    case = Case.referred(MON)
    case.complete("bekrafta_remiss")
    case.now = at(date(2026, 3, 20))
    assert case.reject(c.FireTimer("task:bekrafta_remiss:due")).code == "timer_not_active"


def test_reminder_deadline_and_escalation_reach_the_right_people_in_order() -> None:
    case = Case.referred(MON)
    new = case.advance_to(date(2026, 3, 13))
    assert [(e.type, e.at, e.notify) for e in new] == [
        ("ReminderDue", fires_on(date(2026, 3, 5)), ("samordnare",)),
        ("DeadlineMissed", fires_on(date(2026, 3, 10)), ("samordnare",)),
        ("TaskEscalated", fires_on(date(2026, 3, 12)), ("teamledare",)),
    ]
    assert new[0].data == {"task": "bekrafta_remiss", "due": "2026-03-09", "party": "kommun", "actor": "system"}
    assert new[2].data["to"] == "teamledare"
    task = case.task("bekrafta_remiss")
    assert (task.escalated_to, task.status) == ("teamledare", "open")
    assert case.s.timers == {}


def test_a_reminder_already_passed_when_the_task_is_created_is_not_set() -> None:
    # besluta_deltagande is due 14 days after the case start; entering beslut on day 13 leaves
    # its reminder (3 days before) in the past.
    case = Case.referred(MON)
    case.now = at(MON + timedelta(days=13))
    case.walk("samtycke", "beslut")
    assert case.task("besluta_deltagande").due == date(2026, 3, 16)
    assert "task:besluta_deltagande:remind:0" not in case.s.timers
    assert "task:besluta_deltagande:due" in case.s.timers


def test_phase_max_length_is_announced_the_day_after_the_phase_ends() -> None:
    case = finsam_case("kartlaggning")  # 6 veckor from Mon 03-02 -> Mon 04-13
    assert case.s.phase_ends_on == date(2026, 4, 13)
    new = case.advance_to(date(2026, 4, 14), 7)
    reached = case.events_of("PhaseMaxLengthReached", new)
    assert [(e.at, e.notify, e.data["phase"], e.data["ends_on"]) for e in reached] == [
        (fires_on(date(2026, 4, 14)), ("samordnare",), "kartlaggning", "2026-04-13")
    ]


# --- exit and abort ---------------------------------------------------------------------------


def test_exit_with_outcome_is_only_possible_in_the_exit_phase() -> None:
    assert finsam_case("kartlaggning").reject(c.ExitCase("förvärvsarbete")).code == "exit_phase_required"


def test_an_unknown_outcome_is_rejected() -> None:
    case = finsam_case("avslut")
    case.complete("avslutningsmote")
    r = case.reject(c.ExitCase("pension"))
    assert (r.code, r.details["field"]) == ("unknown_outcome", "outcome")


def test_an_outcome_the_definition_does_not_list_is_rejected() -> None:
    case = guard_case()
    case.run(c.RecordFact("timmar", 20))
    case.start("slut")
    assert case.reject(c.ExitCase("felregistrering")).code == "unknown_outcome"
    case.run(c.ExitCase("studier"))


@pytest.mark.parametrize("reason", [None, "", "  "])
def test_ovriga_avslutade_needs_a_reason(reason: str | None) -> None:
    case = finsam_case("avslut")
    case.complete("avslutningsmote")
    r = case.reject(c.ExitCase("övriga_avslutade", reason))
    assert (r.code, r.details["field"]) == ("reason_required", "reason")
    case.run(c.ExitCase("övriga_avslutade", "åter till kommunen"))
    assert (case.s.outcome, case.s.outcome_reason) == ("övriga_avslutade", "åter till kommunen")


def test_exit_waits_for_the_exit_meeting() -> None:
    r = finsam_case("avslut").reject(c.ExitCase("studier"))
    assert (r.code, r.details["tasks"]) == ("tasks_not_done", ["avslutningsmote"])


def test_closing_a_case_cancels_every_open_task_and_timer_and_ends_consent() -> None:
    case = finsam_case("avslut")
    case.run(c.RecordFact("sjukperiod_start", date(2026, 2, 1)))
    case.now = at(date(2026, 3, 4))
    case.complete("avslutningsmote")
    before_timers = set(case.s.timers)
    assert {"task:registrera_avslut:due", "global:no_contact", "global:max_time", "rehab:90"} <= before_timers
    d = case.run(c.ExitCase("förvärvsarbete", actor="samordnare"))
    s = case.s
    assert (s.status, s.closed_on, s.outcome, s.aborted) == ("closed", date(2026, 3, 4), "förvärvsarbete", False)
    assert s.open_tasks() == []
    assert (s.tasks["registrera_avslut"].status, s.tasks["registrera_avslut"].reason) == ("cancelled", "case_closed")
    assert s.timers == {}
    assert set(d.cancel_timers) == before_timers
    assert d.set_timers == []
    assert s.consent is not None
    assert (s.consent.active, s.consent.withdrawn_on) == (False, date(2026, 3, 4))
    assert s.consent.parties == ALL_PARTIES  # the record keeps what it covered
    assert types(d.events) == ["TaskCancelled", "ConsentEnded", "CaseClosed"]
    closed = d.events[-1]
    assert closed.notify == ALL_PARTIES
    assert closed.data == {
        "phase": "avslut",
        "outcome": "förvärvsarbete",
        "reason": None,
        "avbrott": False,
        "actor": "samordnare",
    }
    assert d.events[1].data["parties"] == list(ALL_PARTIES)


def test_an_anonymous_case_closes_without_telling_any_party() -> None:
    case = finsam_case("avslut", anonymous=True)
    case.complete("avslutningsmote")
    d = case.run(c.ExitCase("arbetssökande"))
    assert case.s.consent is None
    assert types(d.events) == ["TaskCancelled", "CaseClosed"]
    assert d.events[-1].notify == ()


def test_abort_closes_the_case_with_its_reason() -> None:
    case = finsam_case("kartlaggning")
    timers = set(case.s.timers)
    d = case.run(c.AbortCase("sjukdom", note="inlagd", actor="samordnare"))
    s = case.s
    assert (s.status, s.aborted, s.outcome, s.outcome_reason, s.closed_on) == ("closed", True, None, "sjukdom", MON)
    assert s.open_tasks() == []
    assert s.timers == {}
    assert set(d.cancel_timers) == timers
    cancelled = sorted(e.data["task"] for e in d.events if e.type == "TaskCancelled")
    assert cancelled == ["arbetsmarknadsunderlag", "avstamningsmote", "kartlaggningsplan", "medicinskt_underlag"]
    assert d.events[-1].type == "CaseClosed"
    assert d.events[-1].data == {
        "phase": "kartlaggning",
        "outcome": None,
        "reason": "sjukdom",
        "note": "inlagd",
        "avbrott": True,
        "actor": "samordnare",
    }


@pytest.mark.parametrize("reason", ["", "   "])
def test_abort_needs_a_reason(reason: str) -> None:
    r = Case.referred(MON).reject(c.AbortCase(reason))
    assert (r.code, r.details["field"]) == ("reason_required", "reason")


def test_abort_reason_must_be_one_the_definition_lists() -> None:
    r = Case.referred(MON).reject(c.AbortCase("tråkigt"))
    assert r.code == "unknown_reason"
    assert "Egen begäran" in r.message  # the reasons in words, not their ids


def test_a_definition_without_listed_reasons_accepts_any_abort_reason() -> None:
    case = guard_case()
    case.run(c.AbortCase("deltagaren flyttade utomlands"))
    assert case.s.aborted
    assert case.s.outcome_reason == "deltagaren flyttade utomlands"


# --- purity -----------------------------------------------------------------------------------


def _script() -> list[tuple[date, c.Command]]:
    """A case's life with every command kind, each applied on its day."""
    d = date
    return [
        (d(2026, 3, 2), c.Refer("c9", "fk", facts={"sjukperiod_start": d(2026, 1, 1)})),
        (d(2026, 3, 2), c.CommentTask("bekrafta_remiss", "ringt")),
        (d(2026, 3, 3), c.AcceptTask("bekrafta_remiss")),
        (d(2026, 3, 5), c.FireTimer("task:bekrafta_remiss:remind:0")),
        (d(2026, 3, 5), c.CompleteTask("bekrafta_remiss")),
        (d(2026, 3, 5), c.StartPhase("samtycke")),
        (d(2026, 3, 6), c.RecordConsent(ALL_PARTIES, d(2026, 3, 6))),
        (d(2026, 3, 6), c.CompleteTask("inhamta_samtycke")),
        (d(2026, 3, 6), c.StartPhase("beslut")),
        (d(2026, 3, 9), c.DecideParticipation("admitted")),
        (d(2026, 3, 9), c.CompleteTask("besluta_deltagande")),
        (d(2026, 3, 9), c.StartPhase("inskrivning")),
        (d(2026, 3, 10), c.RecordContact()),
        (d(2026, 3, 10), c.DeclineTask("delta_inskrivningssamtal", "ingen tid")),
        (d(2026, 3, 11), c.CompleteTask("boka_inskrivningssamtal")),
        (d(2026, 3, 11), c.RecordFact("inskrivningssamtal_hallet", d(2026, 3, 11))),
        (d(2026, 3, 11), c.StartPhase("kartlaggning")),
        (d(2026, 3, 12), c.WithdrawConsent(("af",))),
        (d(2026, 3, 12), c.StartPhase("avslut")),
        (d(2026, 3, 12), c.ExtendPhase()),  # rejected: avslut cannot be extended
        (d(2026, 3, 13), c.CompleteTask("avslutningsmote")),
        (d(2026, 3, 13), c.ExitCase("förvärvsarbete")),
    ]


def test_decide_never_mutates_the_state_it_is_given() -> None:
    state: CaseState | None = None
    accepted = 0
    for day, cmd in _script():
        before = copy.deepcopy(state)
        before_json = None if state is None else state.to_json()
        result = decide(finsam(), state, cmd, at(day))
        assert state == before, cmd
        assert (None if state is None else state.to_json()) == before_json, cmd
        if isinstance(result, Decision):
            assert result.state is not state
            state = result.state
            accepted += 1
    assert accepted == len(_script()) - 1
    assert state is not None
    assert state.closed


def test_a_decision_reports_exactly_the_timer_changes_between_old_and_new_state() -> None:
    state: CaseState | None = None
    for day, cmd in _script():
        result = decide(finsam(), state, cmd, at(day))
        if isinstance(result, Rejected):
            continue
        old = {} if state is None else state.timers
        applied = {k: v for k, v in old.items() if k not in result.cancel_timers}
        applied.update({t.id: t for t in result.set_timers})
        assert applied == result.state.timers, cmd
        assert all(k in old for k in result.cancel_timers)
        state = result.state


def test_the_same_command_on_the_same_state_gives_the_same_decision() -> None:
    state: CaseState | None = None
    for day, cmd in _script():
        first = decide(finsam(), state, cmd, at(day))
        second = decide(finsam(), copy.deepcopy(state), cmd, at(day))
        assert first == second, cmd
        if isinstance(first, Decision):
            state = first.state


def test_now_must_be_timezone_aware() -> None:
    from datetime import datetime

    with pytest.raises(ValueError, match="timezone-aware"):
        decide(finsam(), None, c.Refer("c1", "af"), datetime(2026, 3, 2, 10))


# --- review fixes: late sick-period start, missing or misshapen command fields ------------------


def test_sick_period_start_recorded_inside_the_warning_window_warns_fk_at_once() -> None:
    # Recorded Mon 2026-03-02. Day 90 on Mon 03-09 (sick since 03-09 - 89 days = 2025-12-10):
    # its warning date (14 days before, 02-23) has passed but the checkpoint has not, so FK is
    # warned and gets the task today instead of never.
    case = finsam_case("kartlaggning")
    assert case.today == MON
    d = case.run(c.RecordFact("sjukperiod_start", date(2025, 12, 10)))
    warnings = case.events_of("RehabCheckpointWarning", d.events)
    assert [(e.notify, e.data["day"], e.data["checkpoint_on"]) for e in warnings] == [(("fk",), 90, "2026-03-09")]
    task = case.task("rehabkedjan_dag_90")
    assert (task.responsible, task.created_on, task.due, task.kind) == ("fk", MON, date(2026, 3, 9), "rehab_checkpoint")
    assert "rehab:90:warn" not in case.s.timers
    assert case.s.timers["rehab:90"].at == fires_on(date(2026, 3, 9))
    # day 180 (2026-06-07) is still ahead: its warning waits for its timer as before
    assert "rehab:180:warn" in case.s.timers
    # the same start recorded again gives no second warning
    again = case.run(c.RecordFact("sjukperiod_start", date(2025, 12, 10)))
    assert case.events_of("RehabCheckpointWarning", again.events) == []
    assert [t for t in case.s.tasks if t.startswith("rehabkedjan_dag_90")] == ["rehabkedjan_dag_90"]
    reached = case.advance_to(date(2026, 3, 10))
    assert [e.data["day"] for e in case.events_of("RehabCheckpointReached", reached)] == [90]


def test_sick_period_start_recorded_on_the_warning_day_warns_at_once() -> None:
    # Day 90 on Mon 03-16 (sick since 2025-12-17); warning 14 days before = Mon 03-02, today.
    case = finsam_case("kartlaggning")
    d = case.run(c.RecordFact("sjukperiod_start", date(2025, 12, 17)))
    assert [e.data["day"] for e in case.events_of("RehabCheckpointWarning", d.events)] == [90]
    assert case.task("rehabkedjan_dag_90").due == date(2026, 3, 16)


def test_referral_inside_the_warning_window_warns_fk_at_once() -> None:
    case = Case.referred(MON, facts={"sjukperiod_start": date(2025, 12, 10)})
    assert [e.data["day"] for e in case.events_of("RehabCheckpointWarning")] == [90]
    assert case.task("rehabkedjan_dag_90").is_open


@pytest.mark.parametrize(
    ("command", "code"),
    [
        (c.CommentTask("bekrafta_remiss", None), "comment_empty"),  # type: ignore[arg-type]
        (c.DeclineTask("bekrafta_remiss", None), "reason_required"),  # type: ignore[arg-type]
        (c.AbortCase(None), "reason_required"),  # type: ignore[arg-type]
        (c.RecordConsent(ALL_PARTIES, MON, form=None), "consent_form_required"),  # type: ignore[arg-type]
    ],
)
def test_a_missing_text_is_rejected_like_an_empty_one(command: c.Command, code: str) -> None:
    case = finsam_case("samtycke") if isinstance(command, c.RecordConsent) else Case.referred(MON)
    assert case.reject(command).code == code


@pytest.mark.parametrize(
    ("command", "field"),
    [
        (c.CommentTask("bekrafta_remiss", 5), "text"),  # type: ignore[arg-type]
        (c.DeclineTask("bekrafta_remiss", ["nej"]), "reason"),  # type: ignore[arg-type]
        (c.AbortCase("flytt", note=3), "note"),  # type: ignore[arg-type]
        (c.AbortCase(3), "reason"),  # type: ignore[arg-type]
        (c.ExitCase("övriga_avslutade", reason=5), "reason"),  # type: ignore[arg-type]
        (c.RecordConsent(None, MON), "parties"),  # type: ignore[arg-type]
        (c.RecordConsent(("af", 1), MON), "parties"),  # type: ignore[arg-type]
        (c.RecordConsent(ALL_PARTIES, None), "given_on"),  # type: ignore[arg-type]
        (c.RecordConsent(ALL_PARTIES, "2026-03-02"), "given_on"),  # type: ignore[arg-type]
        (c.RecordConsent(ALL_PARTIES, at(MON)), "given_on"),
        (c.RecordConsent(ALL_PARTIES, MON, form=1), "form"),  # type: ignore[arg-type]
        (c.RecordContact(on="2026-03-02"), "on"),  # type: ignore[arg-type]
        (c.WithdrawConsent(parties="af"), "parties"),  # type: ignore[arg-type]
        (c.CompleteTask("bekrafta_remiss", note=1), "note"),  # type: ignore[arg-type]
        (c.ExtendPhase(reason=1.5), "reason"),  # type: ignore[arg-type]
        (c.StartPhase(7), "phase"),  # type: ignore[arg-type]
        (c.FireTimer("x", actor=1), "actor"),  # type: ignore[arg-type]
    ],
)
def test_a_field_of_the_wrong_type_is_rejected_not_raised(command: c.Command, field: str) -> None:
    r = Case.referred(MON).reject(command)
    assert (r.code, r.details["field"]) == ("invalid_value", field)


@pytest.mark.parametrize(
    "command",
    [
        c.Refer(None, "af"),  # type: ignore[arg-type]
        c.Refer("  ", "af"),
        c.Refer("c1", "af", anonymous=None),  # type: ignore[arg-type]
        c.Refer("c1", "af", facts=None),  # type: ignore[arg-type]
    ],
)
def test_a_misshapen_referral_is_rejected(command: c.Refer) -> None:
    r = decide(finsam(), None, command, at(MON))
    assert isinstance(r, Rejected)
    assert r.code == "invalid_value"


def test_every_command_type_has_its_fields_checked() -> None:
    for cls in c.COMMAND_TYPES.values():
        names = tuple(name for name, _ in c.FIELD_CHECKS[cls])
        assert names == tuple(f.name for f in dataclasses.fields(cls)), cls.__name__
    assert c.misshapen_field(c.ProtectIdentity(actor=7)) == "actor"  # type: ignore[arg-type]
    assert c.misshapen_field(c.StartPhase(None)) is None  # type: ignore[arg-type]  # None: "no text", the rule decides
