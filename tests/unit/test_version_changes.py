"""The semantic diff and the migration preview, against hand-written expectations for one small
definition whose version 2 adds a phase, removes a task and shortens a due date."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from engine.core import commands as c
from engine.core.decide import decide
from engine.core.definition import Definition
from engine.core.definition_diff import DiffLine, diff_definitions
from engine.core.events import Decision
from engine.core.loader import loads
from engine.core.migration import TaskChange, migrate_state
from engine.core.state import CaseState

FIXTURES = Path(__file__).resolve().parent / "fixtures"
V1 = loads((FIXTURES / "versions_v1.yaml").read_text(encoding="utf-8"))
V2 = loads((FIXTURES / "versions_v2.yaml").read_text(encoding="utf-8"))
MONDAY = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)  # a Monday; 10:00 in Stockholm
LATER = datetime(2026, 6, 3, 8, 0, tzinfo=UTC)  # the Wednesday of that week


def run(d: Definition, state: CaseState | None, cmd: c.Command, now: datetime = MONDAY) -> CaseState:
    result = decide(d, state, cmd, now)
    assert isinstance(result, Decision), result
    return result.state


def in_remiss() -> CaseState:
    return run(V1, None, c.Refer(case_id="k1", referred_by="af"))


def in_kartlaggning() -> CaseState:
    s = run(V1, in_remiss(), c.CompleteTask("bekrafta", actor="u"))
    return run(V1, s, c.StartPhase("kartlaggning", actor="u"))


def test_the_diff_says_in_words_with_labels_what_changed() -> None:
    assert diff_definitions(V1, V2) == [
        DiffLine(
            "changed", "Uppgiften 'Bekräfta mottagen remiss' i fasen 'Remiss': frist ändrad från 5 till 3 arbetsdagar"
        ),
        DiffLine("added", "Ny övergång från 'Remiss' till 'Inskrivningssamtal' när fasens uppgifter är klara"),
        DiffLine("removed", "Övergången från 'Remiss' till 'Kartläggning' är borttagen"),
        DiffLine("added", "Ny fas 'Inskrivningssamtal' (1 uppgift)"),
        DiffLine("added", "Ny övergång från 'Inskrivningssamtal' till 'Kartläggning' när fasens uppgifter är klara"),
        DiffLine("removed", "Uppgiften 'Begär intyg' i fasen 'Kartläggning' är borttagen"),
    ]


def test_the_diff_the_other_way_round_is_the_mirror() -> None:
    back = diff_definitions(V2, V1)
    assert DiffLine("removed", "Fasen 'Inskrivningssamtal' är borttagen") in back
    added = "Ny uppgift 'Begär intyg' i fasen 'Kartläggning' (Arbetsförmedlingen, frist 10 arbetsdagar)"
    assert DiffLine("added", added) in back
    assert diff_definitions(V1, V1) == []


def test_a_case_whose_open_task_got_a_shorter_due_date_has_it_moved() -> None:
    state = in_remiss()
    assert state.tasks["bekrafta"].due == date(2026, 6, 8)  # 5 arbetsdagar from Monday 1 June
    outcome = migrate_state(V1, V2, state, {}, LATER)
    assert outcome.state is not None
    assert outcome.problems == ()
    assert outcome.moved == (TaskChange("Bekräfta mottagen remiss", "samordnare", date(2026, 6, 8), date(2026, 6, 4)),)
    assert outcome.opened == ()
    assert outcome.closed == ()
    assert outcome.state.tasks["bekrafta"].due == date(2026, 6, 4)
    assert [e.type for e in outcome.events] == ["TaskDueChanged"]


def test_a_case_in_a_phase_that_lost_a_task_has_that_task_closed() -> None:
    state = in_kartlaggning()
    outcome = migrate_state(V1, V2, state, {}, LATER)
    assert outcome.state is not None
    assert outcome.closed == (TaskChange("Begär intyg", "af", date(2026, 6, 15)),)
    assert outcome.state.tasks["intyg"].status == "cancelled"
    assert outcome.state.tasks["kartlagg"].is_open
    assert outcome.opened == ()
    assert outcome.moved == ()


def test_a_case_mapped_into_the_added_phase_gets_its_tasks_opened() -> None:
    state = in_kartlaggning()
    outcome = migrate_state(V1, V2, state, {"kartlaggning": "samtal"}, LATER)
    assert outcome.state is not None
    assert outcome.state.phase == "samtal"
    # counted from when the case entered the phase (Monday 1 June), opened on the migration day
    assert outcome.opened == (TaskChange("Boka samtal", "samordnare", None, date(2026, 6, 8)),)
    assert outcome.closed == (TaskChange("Begär intyg", "af", date(2026, 6, 15)),)


def test_a_dry_run_and_a_migration_are_the_same_computation_and_leave_the_input_alone() -> None:
    state = in_kartlaggning()
    before = state.clone()
    a = migrate_state(V1, V2, state, {}, LATER)
    b = migrate_state(V1, V2, state, {}, LATER)
    assert a == b
    assert state.tasks == before.tasks
    assert state.definition_version == 1
