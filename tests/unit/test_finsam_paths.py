"""The FINSAM definition walked through each path with a fake clock.

Every expected date below was counted by hand on a calendar; the comment next to it shows the
count. Days off used in the counts (2026): Långfredagen 04-03, Annandag påsk 04-06, Första maj
05-01, Kristi himmelsfärdsdag 05-14, midsommarafton 06-19, julafton 12-24, juldagen 12-25,
nyårsafton 12-31; (2027) nyårsdagen 01-01, trettondedag jul 01-06, Långfredagen 03-26,
Annandag påsk 03-29. Nationaldagen 2026-06-06 is a Saturday and costs no working day.
The `holidays` calendar is consulted only in the cross-check at the top, never for an expected value.
"""

from __future__ import annotations

from datetime import date

import pytest

from engine.core import commands as c
from engine.core.calendar import DEFAULT_CALENDAR

from .casekit import ALL_PARTIES, Case, fires_on, path_to

D = date

DAYS_OFF = [
    D(2026, 4, 3),
    D(2026, 4, 6),
    D(2026, 5, 1),
    D(2026, 5, 14),
    D(2026, 6, 19),
    D(2026, 12, 24),
    D(2026, 12, 25),
    D(2026, 12, 31),
    D(2027, 1, 1),
    D(2027, 1, 6),
    D(2027, 3, 26),
    D(2027, 3, 29),
]
WORKING_DAYS_NEAR_HOLIDAYS = [
    D(2026, 4, 2),  # skärtorsdagen is a working day
    D(2026, 4, 7),
    D(2026, 4, 30),  # valborgsmässoafton is a working day
    D(2026, 5, 13),
    D(2026, 5, 15),  # the day after Kristi himmelsfärd is a working day
    D(2026, 6, 5),
    D(2026, 6, 18),
    D(2026, 6, 22),
    D(2026, 12, 23),
    D(2026, 12, 28),
    D(2026, 12, 30),
    D(2027, 1, 4),
    D(2027, 1, 5),
    D(2027, 1, 7),
    D(2027, 3, 25),
    D(2027, 3, 30),
]


def test_cross_check_the_days_off_used_in_the_hand_counts() -> None:
    assert [d for d in DAYS_OFF if DEFAULT_CALENDAR.is_working_day(d)] == []
    assert [d for d in WORKING_DAYS_NEAR_HOLIDAYS if not DEFAULT_CALENDAR.is_working_day(d)] == []
    assert D(2026, 6, 6).weekday() == 5  # nationaldagen 2026 on a Saturday


def open_tasks(case: Case) -> dict[str, date | None]:
    return {t.id: t.due for t in case.s.tasks.values() if t.is_open}


def timers(case: Case, prefix: str) -> dict[str, object]:
    return {k: t.at for k, t in case.s.timers.items() if k.startswith(prefix)}


def fast_case(on: date, phase: str, **kw: object) -> Case:
    """A case referred on `on` and moved along the straight path to `phase` the same day."""
    case = Case.referred(on, **kw)  # type: ignore[arg-type]
    case.walk(*path_to(phase))
    return case


def fast_to_arbetstraning(on: date) -> Case:
    """Referred on `on` and taken the same day through kartläggning straight to arbetsträning."""
    case = fast_case(on, "kartlaggning")
    case.walk("arbetstraning")
    return case


# --- straight through ----------------------------------------------------------------------
#
# Referred Thursday 2026-04-02 (skärtorsdagen), then every phase in order, with the dates
# crossing Easter, Första maj, Kristi himmelsfärd, nationaldagen on a Saturday and midsommar.


def straight_referred() -> Case:
    return Case.referred(D(2026, 4, 2), referred_by="af")


def test_straight_referral_before_easter_is_acknowledged_after_easter() -> None:
    case = straight_referred()
    # Thu 04-02 + 5 arbetsdagar, skipping Långfredagen 04-03, the weekend and Annandag påsk 04-06:
    # Tue 7, Wed 8, Thu 9, Fri 10, Mon 13 -> Mon 2026-04-13.
    assert open_tasks(case) == {"bekrafta_remiss": D(2026, 4, 13)}
    # Reminder 2 arbetsdagar before Mon 13: Fri 10, Thu 9 -> Thu 04-09.
    # Missed the day after the due date -> Tue 04-14.
    # Escalation 2 arbetsdagar after Mon 13: Tue 14, Wed 15; noticed the day after -> Thu 04-16.
    assert timers(case, "task:") == {
        "task:bekrafta_remiss:remind:0": fires_on(D(2026, 4, 9)),
        "task:bekrafta_remiss:due": fires_on(D(2026, 4, 14)),
        "task:bekrafta_remiss:escalate": fires_on(D(2026, 4, 16)),
    }
    new = case.advance_to(D(2026, 4, 9), 12)
    assert [(e.type, e.at, e.notify) for e in new] == [("ReminderDue", fires_on(D(2026, 4, 9)), ("samordnare",))]


def straight_in_samtycke() -> Case:
    case = straight_referred()
    case.advance_to(D(2026, 4, 9), 12)
    case.complete("bekrafta_remiss")
    case.start("samtycke")
    return case


def test_straight_consent_task_is_due_three_working_days_after_the_phase_starts() -> None:
    case = straight_in_samtycke()
    # Thu 04-09 + 3 arbetsdagar: Fri 10, Mon 13, Tue 14 -> Tue 04-14; reminder 1 arbetsdag before -> Mon 04-13.
    assert open_tasks(case) == {"inhamta_samtycke": D(2026, 4, 14)}
    assert timers(case, "task:inhamta_samtycke:remind") == {"task:inhamta_samtycke:remind:0": fires_on(D(2026, 4, 13))}
    assert case.task("bekrafta_remiss").status == "completed"


def straight_in_beslut() -> Case:
    case = straight_in_samtycke()
    case.advance_to(D(2026, 4, 10))
    case.run(c.RecordConsent(ALL_PARTIES, D(2026, 4, 10), form="blankett 9443"))
    case.complete("inhamta_samtycke")
    case.start("beslut")
    return case


def test_straight_decision_is_due_fourteen_days_after_referral_and_escalates_when_late() -> None:
    case = straight_in_beslut()
    # 14 dagar from the case start Thu 04-02 -> Thu 04-16 (calendar days, holidays count).
    assert open_tasks(case) == {"besluta_deltagande": D(2026, 4, 16)}
    # Reminder 3 dagar before -> Mon 04-13. Missed -> Fri 04-17. Escalation 1 arbetsdag after Thu 16
    # = Fri 17, noticed the day after -> Sat 04-18 (a timer may fire on a weekend).
    new = case.advance_to(D(2026, 4, 20))
    assert [(e.type, e.at, e.notify) for e in new if e.type != "NoContactAlert"] == [
        ("ReminderDue", fires_on(D(2026, 4, 13)), ("samverkansteam",)),
        ("DeadlineMissed", fires_on(D(2026, 4, 17)), ("samverkansteam",)),
        ("TaskEscalated", fires_on(D(2026, 4, 18)), ("teamledare",)),
    ]
    assert case.task("besluta_deltagande").escalated_to == "teamledare"


def straight_in_inskrivning() -> Case:
    case = straight_in_beslut()
    case.advance_to(D(2026, 4, 20))
    case.run(c.DecideParticipation("admitted"))
    case.complete("besluta_deltagande")
    case.start("inskrivning")
    return case


def test_straight_intake_tasks_skip_forsta_maj_and_global_timers_start() -> None:
    case = straight_in_inskrivning()
    # Entered Mon 04-20. boka: + 5 arbetsdagar: Tue 21, Wed 22, Thu 23, Fri 24, Mon 27 -> Mon 04-27.
    # delta: + 10: ... Mon 27 (5), Tue 28, Wed 29, Thu 30 (8), Första maj Fri 05-01 off, Mon 05-04 (9),
    # Tue 05-05 (10) -> Tue 05-05.
    assert open_tasks(case) == {"boka_inskrivningssamtal": D(2026, 4, 27), "delta_inskrivningssamtal": D(2026, 5, 5)}
    assert case.task("boka_inskrivningssamtal").meeting is True
    assert case.task("delta_inskrivningssamtal").blocking is False
    # no_contact: 14 dagar -> Mon 05-04; max_time: 18 månader -> Wed 2027-10-20.
    assert timers(case, "global:") == {
        "global:no_contact": fires_on(D(2026, 5, 4)),
        "global:max_time": fires_on(D(2027, 10, 20)),
    }


def straight_in_kartlaggning() -> Case:
    case = straight_in_inskrivning()
    case.advance_to(D(2026, 4, 23))
    case.complete("boka_inskrivningssamtal")
    case.run(c.RecordFact("inskrivningssamtal_hallet", D(2026, 4, 23)))
    case.run(c.RecordContact(channel="möte"))
    case.start("kartlaggning")
    return case


def test_straight_kartlaggning_deadlines_skip_forsta_maj_and_kristi_himmelsfard() -> None:
    case = straight_in_kartlaggning()
    assert case.task("delta_inskrivningssamtal").status == "cancelled"
    # Entered Thu 04-23.
    # kartläggningsplan + 10 arbetsdagar: Fri 24 (1), Mon 27, Tue 28, Wed 29, Thu 30 (5), [Fri 05-01 off],
    #   Mon 4 (6), Tue 5, Wed 6, Thu 7, Fri 8 (10) -> Fri 05-08.
    # medicinskt underlag + 20: Mon 11 (11), Tue 12, Wed 13 (13), [Thu 14 Kristi himmelsfärd], Fri 15 (14),
    #   Mon 18 .. Fri 22 (19), Mon 25 (20) -> Mon 05-25. Same for arbetsmarknadsunderlag.
    # avstämningsmöte 6 veckor -> Thu 06-04, also the phase's last day.
    assert open_tasks(case) == {
        "kartlaggningsplan": D(2026, 5, 8),
        "medicinskt_underlag": D(2026, 5, 25),
        "arbetsmarknadsunderlag": D(2026, 5, 25),
        "avstamningsmote": D(2026, 6, 4),
    }
    assert case.s.phase_ends_on == D(2026, 6, 4)
    # Reminders: plan 2 arbetsdagar before Fri 05-08 -> Wed 05-06; medicinskt 5 before Mon 05-25:
    # Fri 22, Thu 21, Wed 20, Tue 19, Mon 18 -> Mon 05-18; avstämningsmöte 5 before Thu 06-04: Wed 3,
    # Tue 2, Mon 1, Fri 05-29, Thu 05-28 -> Thu 05-28. Escalation of medicinskt: 3 arbetsdagar after
    # Mon 25: Tue 26, Wed 27, Thu 28 -> noticed Fri 05-29. Contact Thu 04-23 + 14 dagar -> Thu 05-07.
    assert case.s.timers["task:kartlaggningsplan:remind:0"].at == fires_on(D(2026, 5, 6))
    assert case.s.timers["task:medicinskt_underlag:remind:0"].at == fires_on(D(2026, 5, 18))
    assert case.s.timers["task:medicinskt_underlag:escalate"].at == fires_on(D(2026, 5, 29))
    assert case.s.timers["task:avstamningsmote:remind:0"].at == fires_on(D(2026, 5, 28))
    assert case.s.timers["phase:max"].at == fires_on(D(2026, 6, 5))
    assert case.s.timers["global:no_contact"].at == fires_on(D(2026, 5, 7))


def straight_in_forberedande() -> Case:
    case = straight_in_kartlaggning()
    case.advance_to(D(2026, 5, 8))
    case.complete("kartlaggningsplan")
    case.advance_to(D(2026, 5, 25))
    case.complete("medicinskt_underlag")
    case.advance_to(D(2026, 6, 5))  # a day late for the meeting
    case.run(c.RecordFact("avstamningsmote_hallet", D(2026, 6, 5)))
    case.complete("avstamningsmote")
    case.start("forberedande")
    return case


def test_straight_kartlaggning_overrun_is_announced_and_forberedande_starts_after_midsommar_count() -> None:
    case = straight_in_forberedande()
    entered = [e.at for e in case.events if e.type == "PhaseEntered" and e.data["phase"] == "kartlaggning"][0]
    late = [e for e in case.events if e.type in ("DeadlineMissed", "PhaseMaxLengthReached") and e.at > entered]
    assert [(e.type, e.data.get("task") or e.data.get("phase"), e.at) for e in late] == [
        ("DeadlineMissed", "arbetsmarknadsunderlag", fires_on(D(2026, 5, 26))),
        # both at 06:00 on Fri 06-05; the fake sweep fires equal times in timer-id order
        ("PhaseMaxLengthReached", "kartlaggning", fires_on(D(2026, 6, 5))),
        ("DeadlineMissed", "avstamningsmote", fires_on(D(2026, 6, 5))),
    ]
    assert case.task("arbetsmarknadsunderlag").status == "cancelled"
    # Entered Fri 06-05. aktivitetsplan + 10 arbetsdagar: Mon 8 (1) (nationaldagen Sat 06-06 costs
    # nothing), Tue 9, Wed 10, Thu 11, Fri 12 (5), Mon 15, Tue 16, Wed 17, Thu 18 (9),
    # [Fri 19 midsommarafton], Mon 22 (10) -> Mon 06-22.
    assert open_tasks(case) == {"aktivitetsplan": D(2026, 6, 22)}
    # 3 månader -> Sat 09-05; first follow-up 4 veckor later -> Fri 07-03.
    assert case.s.phase_ends_on == D(2026, 9, 5)
    assert case.s.timers["phase:follow_up"].at == fires_on(D(2026, 7, 3))


def straight_in_arbetstraning() -> Case:
    case = straight_in_forberedande()
    case.advance_to(D(2026, 6, 22))
    case.complete("aktivitetsplan")
    case.advance_to(D(2026, 7, 6))
    case.start("arbetstraning")
    return case


def test_straight_forberedande_follow_up_is_created_then_cancelled_on_leaving() -> None:
    case = straight_in_arbetstraning()
    follow_up = case.task("forberedande_uppfoljning_1")
    # Created Fri 07-03 at the follow-up; + 5 arbetsdagar: Mon 6 .. Fri 10 -> Fri 07-10.
    assert (follow_up.created_on, follow_up.due, follow_up.responsible, follow_up.kind) == (
        D(2026, 7, 3),
        D(2026, 7, 10),
        "samordnare",
        "follow_up",
    )
    assert (follow_up.status, follow_up.reason) == ("cancelled", "phase_left")


def test_straight_arbetstraning_has_placement_midpoint_and_follow_ups() -> None:
    case = straight_in_arbetstraning()
    # Entered Mon 07-06; + 10 arbetsdagar: Tue 7 .. Fri 10 (4), Mon 13 .. Fri 17 (9), Mon 20 (10) -> Mon 07-20.
    assert open_tasks(case) == {"placeringsavtal": D(2026, 7, 20), "beslut_arbetsmarknadsprogram": D(2026, 7, 20)}
    # 3 månader -> Tue 10-06. Midpoint: 07-06 .. 10-06 is 92 days, half = 46 days -> Fri 08-21.
    # Follow-ups every 4 veckor from the phase start: Mon 08-03, Mon 08-31, Mon 09-28.
    # Escalation of the AF decision: 2 arbetsdagar after Mon 20 (Tue 21, Wed 22) -> Thu 07-23.
    assert case.s.phase_ends_on == D(2026, 10, 6)
    assert timers(case, "phase:") == {
        "phase:max": fires_on(D(2026, 10, 7)),
        "phase:midpoint": fires_on(D(2026, 8, 21)),
        "phase:follow_up": fires_on(D(2026, 8, 3)),
    }
    assert case.s.timers["task:beslut_arbetsmarknadsprogram:escalate"].at == fires_on(D(2026, 7, 23))
    case.advance_to(D(2026, 7, 14))
    case.complete("placeringsavtal", "beslut_arbetsmarknadsprogram")
    case.advance_to(D(2026, 9, 29))
    created = [
        (t.id, t.created_on, t.due, t.responsible)
        for t in case.s.tasks.values()
        if t.kind in ("follow_up", "midpoint_review") and t.phase == "arbetstraning"
    ]
    # Follow-up Mon 08-03 + 5 arbetsdagar -> Mon 08-10; midpoint Fri 08-21 + 5 -> Fri 08-28;
    # Mon 08-31 + 5 -> Mon 09-07; Mon 09-28 + 5 -> Mon 10-05.
    assert created == [
        ("arbetstraning_uppfoljning_1", D(2026, 8, 3), D(2026, 8, 10), "handledare"),
        ("arbetstraning_halvtid", D(2026, 8, 21), D(2026, 8, 28), "samordnare"),
        ("arbetstraning_uppfoljning_2", D(2026, 8, 31), D(2026, 9, 7), "handledare"),
        ("arbetstraning_uppfoljning_3", D(2026, 9, 28), D(2026, 10, 5), "handledare"),
    ]
    assert case.s.timers["phase:follow_up"].at == fires_on(D(2026, 10, 26))  # 07-06 + 16 weeks


def test_straight_through_ends_with_studier_and_a_closed_case() -> None:
    case = straight_in_arbetstraning()
    case.advance_to(D(2026, 7, 14))
    case.complete("placeringsavtal", "beslut_arbetsmarknadsprogram")
    case.advance_to(D(2026, 10, 6))
    case.start("avslut")
    # Entered Tue 10-06. avslutningsmöte + 10 arbetsdagar: Wed 7, Thu 8, Fri 9, Mon 12 .. Fri 16 (8),
    # Mon 19, Tue 20 -> Tue 10-20. registrera_avslut + 15: Wed 21, Thu 22, Fri 23, Mon 26, Tue 27 -> Tue 10-27.
    assert open_tasks(case) == {"avslutningsmote": D(2026, 10, 20), "registrera_avslut": D(2026, 10, 27)}
    case.advance_to(D(2026, 10, 15))
    case.complete("avslutningsmote")
    case.run(c.ExitCase("studier"))
    s = case.s
    assert [p for p, _ in s.phase_visits] == [
        "aktualisering",
        "samtycke",
        "beslut",
        "inskrivning",
        "kartlaggning",
        "forberedande",
        "arbetstraning",
        "avslut",
    ]
    assert [d for _, d in s.phase_visits] == [
        D(2026, 4, 2),
        D(2026, 4, 9),
        D(2026, 4, 10),
        D(2026, 4, 20),
        D(2026, 4, 23),
        D(2026, 6, 5),
        D(2026, 7, 6),
        D(2026, 10, 6),
    ]
    assert (s.status, s.outcome, s.closed_on) == ("closed", "studier", D(2026, 10, 15))
    assert s.open_tasks() == []
    assert s.timers == {}
    assert s.consent is not None
    assert s.consent.withdrawn_on == D(2026, 10, 15)


# --- skipping förberedande, across Christmas and New Year --------------------------------------


def christmas_in_inskrivning() -> Case:
    case = Case.referred(D(2026, 12, 14))
    case.advance_to(D(2026, 12, 21))
    case.walk("samtycke", "beslut", "inskrivning")
    return case


def test_intake_over_christmas_skips_julafton_to_trettondedag() -> None:
    case = christmas_in_inskrivning()
    # Entered Mon 12-21. boka + 5 arbetsdagar: Tue 22 (1), Wed 23 (2), [Thu 24, Fri 25, weekend],
    # Mon 28 (3), Tue 29 (4), Wed 30 (5) -> Wed 12-30.
    # delta + 10: [Thu 31, Fri 2027-01-01, weekend], Mon 01-04 (6), Tue 05 (7), [Wed 06],
    # Thu 07 (8), Fri 08 (9), Mon 11 (10) -> Mon 2027-01-11.
    assert open_tasks(case) == {"boka_inskrivningssamtal": D(2026, 12, 30), "delta_inskrivningssamtal": D(2027, 1, 11)}


def christmas_in_kartlaggning() -> Case:
    case = christmas_in_inskrivning()
    case.advance_to(D(2026, 12, 30))
    case.walk("kartlaggning")
    return case


def test_kartlaggning_started_before_new_year_counts_working_days_after_trettondedag() -> None:
    case = christmas_in_kartlaggning()
    # Entered Wed 12-30. Plan + 10 arbetsdagar: [Thu 31, Fri 01-01, weekend], Mon 01-04 (1), Tue 05 (2),
    # [Wed 06], Thu 07 (3), Fri 08 (4), Mon 11 .. Fri 15 (9), Mon 18 (10) -> Mon 2027-01-18.
    # Medicinskt + 20: Tue 19 .. Fri 22 (14), Mon 25 .. Fri 29 (19), Mon 02-01 (20) -> Mon 2027-02-01.
    # Avstämningsmöte 6 veckor -> Wed 2027-02-10.
    assert open_tasks(case) == {
        "kartlaggningsplan": D(2027, 1, 18),
        "medicinskt_underlag": D(2027, 2, 1),
        "arbetsmarknadsunderlag": D(2027, 2, 1),
        "avstamningsmote": D(2027, 2, 10),
    }
    # Plan reminder 2 arbetsdagar before Mon 01-18: Fri 15, Thu 14 -> Thu 01-14. Medicinskt reminder 5
    # before Mon 02-01: Fri 29, Thu 28, Wed 27, Tue 26, Mon 25 -> Mon 01-25; its escalation 3 after:
    # Tue 02, Wed 03, Thu 04 -> noticed Fri 02-05. Möte reminder 5 before Wed 02-10: Tue 9, Mon 8, Fri 5,
    # Thu 4, Wed 3 -> Wed 02-03.
    assert case.s.timers["task:kartlaggningsplan:remind:0"].at == fires_on(D(2027, 1, 14))
    assert case.s.timers["task:medicinskt_underlag:remind:0"].at == fires_on(D(2027, 1, 25))
    assert case.s.timers["task:medicinskt_underlag:escalate"].at == fires_on(D(2027, 2, 5))
    assert case.s.timers["task:avstamningsmote:remind:0"].at == fires_on(D(2027, 2, 3))


def skipped_to_arbetstraning() -> Case:
    case = christmas_in_kartlaggning()
    case.advance_to(D(2027, 1, 18))
    case.complete("kartlaggningsplan")
    case.advance_to(D(2027, 2, 1))
    case.complete("medicinskt_underlag")
    case.advance_to(D(2027, 2, 10))
    case.complete("avstamningsmote")
    assert case.reject(c.StartPhase("arbetstraning")).code == "fact_required"
    case.run(c.RecordFact("avstamningsmote_hallet", D(2027, 2, 10)))
    case.start("arbetstraning")
    return case


def test_skipping_forberedande_goes_straight_from_kartlaggning_to_arbetstraning() -> None:
    case = skipped_to_arbetstraning()
    assert [p for p, _ in case.s.phase_visits] == [
        "aktualisering",
        "samtycke",
        "beslut",
        "inskrivning",
        "kartlaggning",
        "arbetstraning",
    ]
    assert not any(t.phase == "forberedande" for t in case.s.tasks.values())
    # Entered Wed 02-10. Placement + 10 arbetsdagar: Thu 11, Fri 12, Mon 15 .. Fri 19 (7), Mon 22, Tue 23,
    # Wed 24 (10) -> Wed 2027-02-24. 3 månader -> Mon 2027-05-10.
    assert open_tasks(case) == {"placeringsavtal": D(2027, 2, 24), "beslut_arbetsmarknadsprogram": D(2027, 2, 24)}
    assert case.s.phase_ends_on == D(2027, 5, 10)


def test_midpoint_review_on_langfredagen_moves_to_skartorsdagen() -> None:
    case = skipped_to_arbetstraning()
    # 02-10 .. 05-10 is 89 days (Feb 18, Mar 31, Apr 30, May 10); half, rounded down, 44 days:
    # Feb 10 + 18 = Feb 28, + 26 = Fri 2027-03-26, Långfredagen -> Thu 2027-03-25.
    assert case.s.timers["phase:midpoint"].at == fires_on(D(2027, 3, 25))
    case.advance_to(D(2027, 3, 25))
    review = case.task("arbetstraning_halvtid")
    # Created Thu 03-25; + 5 arbetsdagar: [Fri 26 Långfredagen, weekend, Mon 29 Annandag påsk],
    # Tue 30, Wed 31, Thu 04-01, Fri 04-02, Mon 04-05 -> Mon 2027-04-05.
    assert (review.created_on, review.due, review.responsible) == (D(2027, 3, 25), D(2027, 4, 5), "samordnare")


def test_early_exit_for_work_from_arbetstraning() -> None:
    case = skipped_to_arbetstraning()
    case.advance_to(D(2027, 4, 12))
    case.start("avslut")  # placement tasks still open: leaving arbetsträning for work needs no guard
    assert case.task("placeringsavtal").status == "cancelled"
    case.complete("avslutningsmote")
    case.run(c.ExitCase("förvärvsarbete"))
    assert (case.s.status, case.s.outcome, case.s.closed_on) == ("closed", "förvärvsarbete", D(2027, 4, 12))
    assert case.s.open_tasks() == []


# --- back from arbetsträning to förberedande, around midsommar ---------------------------------


def test_arbetstraning_started_before_midsommar_counts_past_midsommarafton() -> None:
    case = fast_to_arbetstraning(D(2026, 6, 15))
    # Entered Mon 06-15; + 10 arbetsdagar: Tue 16, Wed 17, Thu 18 (3), [Fri 19 midsommarafton], Mon 22 ..
    # Fri 26 (8), Mon 29 (9), Tue 30 (10) -> Tue 06-30. Reminder 3 before: Mon 29, Fri 26, Thu 25 -> Thu 06-25.
    assert open_tasks(case) == {"placeringsavtal": D(2026, 6, 30), "beslut_arbetsmarknadsprogram": D(2026, 6, 30)}
    assert case.s.timers["task:placeringsavtal:remind:0"].at == fires_on(D(2026, 6, 25))
    # 3 månader -> Tue 09-15; 06-15 .. 09-15 is 92 days, half 46 -> Fri 07-31; follow-up 4 veckor -> Mon 07-13.
    assert timers(case, "phase:") == {
        "phase:max": fires_on(D(2026, 9, 16)),
        "phase:midpoint": fires_on(D(2026, 7, 31)),
        "phase:follow_up": fires_on(D(2026, 7, 13)),
    }


def test_back_from_arbetstraning_to_forberedande_and_on_again() -> None:
    case = fast_to_arbetstraning(D(2026, 6, 15))
    case.advance_to(D(2026, 6, 17))
    before = set(case.s.timers)
    d = case.start("forberedande")  # back: no guard
    assert case.task("placeringsavtal").status == "cancelled"
    assert case.task("beslut_arbetsmarknadsprogram").status == "cancelled"
    assert {"phase:midpoint", "task:placeringsavtal:due", "task:beslut_arbetsmarknadsprogram:escalate"} <= set(
        d.cancel_timers
    )
    assert set(d.cancel_timers) <= before
    # Entered Wed 06-17; aktivitetsplan + 10 arbetsdagar: Thu 18 (1), [Fri 19 midsommarafton], Mon 22 ..
    # Fri 26 (6), Mon 29, Tue 30, Wed 07-01, Thu 07-02 (10) -> Thu 07-02. 3 månader -> Thu 09-17.
    # Follow-up 4 veckor -> Wed 07-15.
    assert open_tasks(case) == {"aktivitetsplan": D(2026, 7, 2)}
    assert case.s.phase_ends_on == D(2026, 9, 17)
    assert timers(case, "phase:") == {
        "phase:max": fires_on(D(2026, 9, 18)),
        "phase:follow_up": fires_on(D(2026, 7, 15)),
    }
    case.advance_to(D(2026, 7, 2))
    case.complete("aktivitetsplan")
    case.advance_to(D(2026, 7, 6))
    case.start("arbetstraning")
    # Second visit, entered Mon 07-06: Tue 7 .. Fri 10 (4), Mon 13 .. Fri 17 (9), Mon 20 (10) -> Mon 07-20.
    assert open_tasks(case) == {
        "placeringsavtal_2": D(2026, 7, 20),
        "beslut_arbetsmarknadsprogram_2": D(2026, 7, 20),
    }
    assert case.s.phase_ends_on == D(2026, 10, 6)
    assert [(p, d) for p, d in case.s.phase_visits[-3:]] == [
        ("arbetstraning", D(2026, 6, 15)),
        ("forberedande", D(2026, 6, 17)),
        ("arbetstraning", D(2026, 7, 6)),
    ]
    case.complete("placeringsavtal_2", "beslut_arbetsmarknadsprogram_2")
    case.start("avslut")
    case.complete("avslutningsmote")
    case.run(c.ExitCase("arbetssökande"))
    assert case.s.closed


# --- early exit for work from kartläggning -----------------------------------------------------


def test_early_exit_for_work_during_kartlaggning() -> None:
    case = fast_case(D(2026, 5, 4), "kartlaggning")
    # Entered Mon 05-04; plan + 10 arbetsdagar: Tue 5 .. Fri 8 (4), Mon 11, Tue 12, Wed 13 (7),
    # [Thu 14 Kristi himmelsfärd], Fri 15 (8), Mon 18 (9), Tue 19 (10) -> Tue 05-19.
    assert case.task("kartlaggningsplan").due == D(2026, 5, 19)
    case.advance_to(D(2026, 5, 13))
    case.start("avslut")  # the participant got a job: no guard on the early exit
    assert {t.id: t.status for t in case.s.tasks.values() if t.phase == "kartlaggning"} == {
        "kartlaggningsplan": "cancelled",
        "medicinskt_underlag": "cancelled",
        "arbetsmarknadsunderlag": "cancelled",
        "avstamningsmote": "cancelled",
    }
    # Entered Wed 05-13; avslutningsmöte + 10: [Thu 14], Fri 15 (1), Mon 18 .. Fri 22 (6), Mon 25 .. Thu 28 (10)
    # -> Thu 05-28. registrera_avslut + 15: Fri 29 (11), Mon 06-01 .. Thu 06-04 (15) -> Thu 06-04.
    assert open_tasks(case) == {"avslutningsmote": D(2026, 5, 28), "registrera_avslut": D(2026, 6, 4)}
    case.advance_to(D(2026, 5, 20))
    case.complete("avslutningsmote")
    d = case.run(c.ExitCase("förvärvsarbete"))
    assert [p for p, _ in case.s.phase_visits][-2:] == ["kartlaggning", "avslut"]
    assert (case.s.outcome, case.s.closed_on, case.s.aborted) == ("förvärvsarbete", D(2026, 5, 20), False)
    assert case.s.consent is not None
    assert case.s.consent.withdrawn_on == D(2026, 5, 20)
    assert d.events[-1].data["outcome"] == "förvärvsarbete"


def test_not_admitted_participant_leaves_through_avslut() -> None:
    case = fast_case(D(2026, 3, 2), "beslut")
    case.walk("avslut")
    case.complete("avslutningsmote")
    case.run(c.ExitCase("övriga_avslutade", "åter till Arbetsförmedlingen"))
    assert [p for p, _ in case.s.phase_visits] == ["aktualisering", "samtycke", "beslut", "avslut"]
    assert case.s.decision == "not_admitted"


# --- avbrott in each phase ---------------------------------------------------------------------

PHASES = [
    "aktualisering",
    "samtycke",
    "beslut",
    "inskrivning",
    "kartlaggning",
    "forberedande",
    "arbetstraning",
    "avslut",
]


@pytest.mark.parametrize("phase", PHASES)
@pytest.mark.parametrize("anonymous", [False, True])
def test_avbrott_is_possible_in_every_phase(phase: str, anonymous: bool) -> None:
    case = fast_case(D(2026, 4, 2), phase, anonymous=anonymous, facts={"sjukperiod_start": D(2026, 3, 1)})
    case.advance_to(D(2026, 4, 9))  # a week on: reminders and deadlines fired
    assert case.s.phase == phase
    had_consent = case.s.consent is not None  # recorded in samtycke unless the participant is anonymous
    assert had_consent == (not anonymous and PHASES.index(phase) > PHASES.index("samtycke"))
    open_before = {t.id for t in case.s.tasks.values() if t.is_open}
    timers_before = set(case.s.timers)
    assert open_before
    assert timers_before
    d = case.run(c.AbortCase("egen_begaran", note="vill avsluta"))
    s = case.s
    assert (s.status, s.aborted, s.outcome, s.outcome_reason, s.closed_on) == (
        "closed",
        True,
        None,
        "egen_begaran",
        D(2026, 4, 9),
    )
    assert s.open_tasks() == []
    assert {t.id for t in s.tasks.values() if t.reason == "case_closed"} == open_before
    assert s.timers == {}
    assert set(d.cancel_timers) == timers_before
    if had_consent:
        assert s.consent is not None
        assert (s.consent.active, s.consent.withdrawn_on) == (False, D(2026, 4, 9))
    else:
        assert s.consent is None
    closed = d.events[-1]
    assert (closed.type, closed.data["phase"], closed.data["avbrott"], closed.data["reason"]) == (
        "CaseClosed",
        phase,
        True,
        "egen_begaran",
    )
    assert closed.notify == (ALL_PARTIES if had_consent else ())
    assert case.reject(c.AbortCase("egen_begaran")).code == "case_closed"


# --- extension of arbetsträning to 12 months ---------------------------------------------------


def test_arbetstraning_extended_three_times_to_twelve_months_then_no_more() -> None:
    case = fast_to_arbetstraning(D(2026, 7, 9))
    case.complete("placeringsavtal", "beslut_arbetsmarknadsprogram")
    # Entered Thu 07-09: 3 månader -> Fri 10-09, announced the day after, Sat 10-10.
    assert case.s.phase_ends_on == D(2026, 10, 9)
    new = case.advance_to(D(2026, 10, 12))
    reached = [e for e in new if e.type == "PhaseMaxLengthReached"]
    assert [(e.at, e.notify) for e in reached] == [(fires_on(D(2026, 10, 10)), ("samordnare",))]
    ends = []
    for when in (D(2026, 10, 12), D(2027, 1, 11), D(2027, 4, 12)):
        case.advance_to(when)
        case.run(c.ExtendPhase(reason="behöver mer tid på arbetsplatsen"))
        ends.append(case.s.phase_ends_on)
        assert case.s.timers["phase:max"].at == fires_on(date.fromordinal(ends[-1].toordinal() + 1))
    # Each step adds 3 månader to the previous end, not to the day of the decision:
    # Fri 10-09 -> Sat 2027-01-09 -> Fri 2027-04-09 -> Fri 2027-07-09 (12 months after the start).
    assert ends == [D(2027, 1, 9), D(2027, 4, 9), D(2027, 7, 9)]
    r = case.reject(c.ExtendPhase(reason="ännu mer"))
    assert (r.code, r.details["limit"]) == ("extension_limit_reached", "2027-07-09")
    new = case.advance_to(D(2027, 7, 12))
    assert [e.at for e in new if e.type == "PhaseMaxLengthReached"] == [fires_on(D(2027, 7, 10))]
    assert case.s.phase == "arbetstraning"  # reaching the maximum announces it; people decide what next


def test_arbetstraning_started_on_the_31st_still_reaches_twelve_months() -> None:
    # Entered Mon 2026-08-31: 3 månader -> Mon 11-30 (no 31 November). Each extension counts from the
    # phase start, so the clamping does not eat days: 6 months -> Sun 2027-02-28, 9 -> Mon 2027-05-31,
    # 12 -> Tue 2027-08-31, exactly the 12-month limit. A fourth would pass it.
    case = fast_to_arbetstraning(D(2026, 8, 31))
    assert case.s.phase_ends_on == D(2026, 11, 30)
    ends = []
    for _ in range(3):
        case.run(c.ExtendPhase())
        ends.append(case.s.phase_ends_on)
    assert ends == [D(2027, 2, 28), D(2027, 5, 31), D(2027, 8, 31)]
    r = case.reject(c.ExtendPhase())
    assert (r.code, r.details["limit"]) == ("extension_limit_reached", "2027-08-31")


def test_follow_up_on_julafton_moves_to_the_working_day_before() -> None:
    case = fast_to_arbetstraning(D(2026, 7, 9))
    for _ in range(3):
        case.run(c.ExtendPhase())
    case.advance_to(D(2027, 1, 22))
    follow_ups = [(t.id, t.created_on, t.due) for t in case.s.tasks.values() if t.kind == "follow_up"]
    # Every 4 veckor from Thu 07-09: 08-06, 09-03, 10-01, 10-29, 11-26, Thu 12-24 (julafton -> Wed 12-23),
    # Thu 2027-01-21. Each due 5 arbetsdagar later; the one of Wed 12-23: [24, 25, weekend], Mon 28 (1),
    # Tue 29 (2), Wed 30 (3), [Thu 31, Fri 01-01, weekend], Mon 01-04 (4), Tue 01-05 (5) -> Tue 2027-01-05.
    # 08-06 -> Thu 08-13; 09-03 -> Thu 09-10; 10-01 -> Thu 10-08; 10-29 -> Thu 11-05; 11-26 -> Thu 12-03;
    # 2027-01-21 -> Thu 01-28.
    assert follow_ups == [
        ("arbetstraning_uppfoljning_1", D(2026, 8, 6), D(2026, 8, 13)),
        ("arbetstraning_uppfoljning_2", D(2026, 9, 3), D(2026, 9, 10)),
        ("arbetstraning_uppfoljning_3", D(2026, 10, 1), D(2026, 10, 8)),
        ("arbetstraning_uppfoljning_4", D(2026, 10, 29), D(2026, 11, 5)),
        ("arbetstraning_uppfoljning_5", D(2026, 11, 26), D(2026, 12, 3)),
        ("arbetstraning_uppfoljning_6", D(2026, 12, 23), D(2027, 1, 5)),
        ("arbetstraning_uppfoljning_7", D(2027, 1, 21), D(2027, 1, 28)),
    ]
    # The 8th is counted from the phase start again, not from the moved 6th: Thu 2027-02-18.
    assert case.s.timers["phase:follow_up"].at == fires_on(D(2027, 2, 18))


def test_extension_of_a_midmonth_start_in_a_leap_year_free_span() -> None:
    # Entered Mon 06-15: ends Tue 09-15, then Tue 12-15, Mon 2027-03-15, Tue 2027-06-15 = 12 months.
    case = fast_to_arbetstraning(D(2026, 6, 15))
    for expected in (D(2026, 12, 15), D(2027, 3, 15), D(2027, 6, 15)):
        case.run(c.ExtendPhase())
        assert case.s.phase_ends_on == expected
    assert case.reject(c.ExtendPhase()).code == "extension_limit_reached"


# --- rehabiliteringskedjan ---------------------------------------------------------------------

REHAB = [
    # sick period start, checkpoint day, that day (start = day 1), the warning 14 days before it
    # (moved to the previous working day when it falls on a day off)
    pytest.param(
        # Sun 04-05 + 89 days: Apr 30 (25), May 31 (56), Jun 30 (86), Jul 3 (89) -> Fri 07-03.
        # 14 days before: Fri 06-19 midsommarafton -> Thu 06-18.
        D(2026, 4, 5), 90, D(2026, 7, 3), D(2026, 6, 18), id="day90-midsommarafton",
    ),
    pytest.param(
        # Jul 3 (89) + 90 more: Jul 31 (117), Aug 31 (148), Sep 30 (178), Oct 1 (179) -> Thu 10-01.
        # 14 days before: Thu 09-17, a working day.
        D(2026, 4, 5), 180, D(2026, 10, 1), D(2026, 9, 17), id="day180-working-day",
    ),
    pytest.param(
        # 2026-04-05 + 364 days = 2027-04-04 (no 29 February between), a Sunday.
        # 14 days before: Sun 2027-03-21 -> Fri 03-19.
        D(2026, 4, 5), 365, D(2027, 4, 4), D(2027, 3, 19), id="day365-sunday",
    ),
    pytest.param(
        # Sat 10-10 + 89: Oct 31 (21), Nov 30 (51), Dec 31 (82), Jan 7 (89) -> Thu 2027-01-07.
        # 14 days before: Thu 12-24 julafton -> Wed 12-23.
        D(2026, 10, 10), 90, D(2027, 1, 7), D(2026, 12, 23), id="day90-julafton",
    ),
    pytest.param(
        # Sun 10-11 + 89 -> Fri 2027-01-08; 14 days before: Fri 12-25 juldagen, Thu 24 julafton -> Wed 12-23.
        D(2026, 10, 11), 90, D(2027, 1, 8), D(2026, 12, 23), id="day90-juldagen",
    ),
    pytest.param(
        # Sat 10-17 + 89: Oct 31 (14), Nov 30 (44), Dec 31 (75), Jan 14 (89) -> Thu 2027-01-14.
        # 14 days before: Thu 12-31 nyårsafton -> Wed 12-30.
        D(2026, 10, 17), 90, D(2027, 1, 14), D(2026, 12, 30), id="day90-nyarsafton",
    ),
    pytest.param(
        # Fri 10-23 + 89: Oct 31 (8), Nov 30 (38), Dec 31 (69), Jan 20 (89) -> Wed 2027-01-20.
        # 14 days before: Wed 01-06 trettondedag jul -> Tue 01-05.
        D(2026, 10, 23), 90, D(2027, 1, 20), D(2027, 1, 5), id="day90-trettondedag",
    ),
    pytest.param(
        # Sun 01-18 + 89: Jan 31 (13), Feb 28 (41), Mar 31 (72), Apr 17 (89) -> Fri 04-17.
        # 14 days before: Fri 04-03 Långfredagen -> Thu 04-02.
        D(2026, 1, 18), 90, D(2026, 4, 17), D(2026, 4, 2), id="day90-langfredagen",
    ),
    pytest.param(
        # Thu 2025-10-23 + 179: Oct 31 (8), Nov 30 (38), Dec 31 (69), Jan 31 (100), Feb 28 (128),
        # Mar 31 (159), Apr 20 (179) -> Mon 2026-04-20. 14 days before: Mon 04-06 Annandag påsk; Sun 5,
        # Sat 4 and Långfredagen Fri 3 are off too -> Thu 04-02.
        D(2025, 10, 23), 180, D(2026, 4, 20), D(2026, 4, 2), id="day180-annandag-pask",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("sick_start", "day", "checkpoint", "warning"), REHAB)
def test_rehabiliteringskedjan_warns_fk_before_each_checkpoint(
    sick_start: date, day: int, checkpoint: date, warning: date
) -> None:
    referred = date.fromordinal(warning.toordinal() - 20)
    case = fast_case(referred, "kartlaggning")
    case.run(c.RecordFact("sjukperiod_start", sick_start, actor="fk-handläggare"))
    assert case.s.timers[f"rehab:{day}:warn"].at == fires_on(warning)
    assert case.s.timers[f"rehab:{day}"].at == fires_on(checkpoint)
    new = case.advance_to(warning, 12)
    warned = [e for e in new if e.type == "RehabCheckpointWarning" and e.data["day"] == day]
    assert [(e.at, e.notify, e.data["checkpoint_on"]) for e in warned] == [
        (fires_on(warning), ("fk",), checkpoint.isoformat())
    ]
    task = case.task(f"rehabkedjan_dag_{day}")
    assert (task.responsible, task.party, task.created_on, task.due, task.phase, task.blocking) == (
        "fk",
        "fk",
        warning,
        checkpoint,
        None,
        False,
    )
    new = case.advance_to(checkpoint, 12)
    reached = [e for e in new if e.type == "RehabCheckpointReached" and e.data["day"] == day]
    assert [(e.at, e.notify) for e in reached] == [(fires_on(checkpoint), ("fk",))]


def test_rehabiliteringskedjan_through_a_whole_sick_year() -> None:
    # Sick since Sun 2026-04-05, case referred Mon 04-13 with the start date as a case fact.
    case = Case.referred(D(2026, 4, 13), facts={"sjukperiod_start": D(2026, 4, 5)})
    case.walk(*path_to("kartlaggning"))
    case.advance_to(D(2027, 4, 6))  # the case stays open (in kartläggning past its length) all year
    warnings = [(e.data["day"], e.at) for e in case.events if e.type == "RehabCheckpointWarning"]
    reached = [(e.data["day"], e.at) for e in case.events if e.type == "RehabCheckpointReached"]
    assert warnings == [
        (90, fires_on(D(2026, 6, 18))),
        (180, fires_on(D(2026, 9, 17))),
        (365, fires_on(D(2027, 3, 19))),
    ]
    assert reached == [
        (90, fires_on(D(2026, 7, 3))),
        (180, fires_on(D(2026, 10, 1))),
        (365, fires_on(D(2027, 4, 4))),
    ]
    assert not any(k.startswith("rehab:") for k in case.s.timers)


def test_closing_the_case_stops_rehabiliteringskedjan() -> None:
    case = Case.referred(D(2026, 4, 13), facts={"sjukperiod_start": D(2026, 4, 5)})
    case.run(c.AbortCase("flytt"))
    case.now = fires_on(D(2026, 6, 18))
    assert case.reject(c.FireTimer("rehab:90:warn")).code == "case_closed"
    assert case.s.timers == {}
