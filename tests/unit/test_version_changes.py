"""The semantic diff and the migration preview, against hand-written expectations for one small
definition whose version 2 adds a phase, removes a task and shortens a due date."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path

from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from engine.core import commands as c
from engine.core.decide import decide
from engine.core.definition import Definition
from engine.core.definition_diff import DiffLine, diff_definitions
from engine.core.duration import Duration
from engine.core.events import Decision
from engine.core.loader import DefinitionError, loads, parse_yaml
from engine.core.migration import TaskChange, migrate_state
from engine.core.simulation import SimulationOptions, default_path, simulate
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
        DiffLine("added", "Ny övergång från 'Remiss' till 'Inskrivningssamtal' när fasens uppgift är klar"),
        DiffLine("removed", "Övergången från 'Remiss' till 'Kartläggning' är borttagen"),
        DiffLine("added", "Ny fas 'Inskrivningssamtal' (1 uppgift)"),
        DiffLine("added", "Ny övergång från 'Inskrivningssamtal' till 'Kartläggning' när fasens uppgift är klar"),
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


FINSAM = (Path(__file__).resolve().parents[2] / "definitions" / "finsam-insats.yaml").read_text(encoding="utf-8")
FINSAM_V1 = loads(FINSAM)
TASK_DUES = [(t.id, t.due) for p in FINSAM_V1.phases for t in p.tasks if t.due is not None]


@settings(deadline=None, max_examples=30)
@example(0, next(t for t in TASK_DUES if t[0] == "bekrafta_remiss"), 8)  # the first phase: its task moves
@given(
    st.integers(min_value=0, max_value=len(default_path(FINSAM_V1)) - 1),
    st.sampled_from(TASK_DUES),
    st.integers(min_value=1, max_value=30),
)
def test_a_changed_due_moves_exactly_the_open_tasks_of_that_task_and_nothing_else(
    stop: int, task: tuple[str, Duration], amount: int
) -> None:
    """Wherever a case is, a version that changes one task's due moves only that task's open
    instances, to the date the new due gives; a version with no change moves nothing."""
    task_id, due = task
    path = default_path(FINSAM_V1)[:stop]
    state = simulate(FINSAM_V1, SimulationOptions(start=date(2026, 8, 3), path=path)).state
    if state.closed:
        return
    now = datetime.combine(state.phase_entered_on, time(12), UTC)
    same = loads(FINSAM.replace("version: 1\n", "version: 2\n", 1))
    unchanged = migrate_state(FINSAM_V1, same, state, {}, now)
    assert unchanged.state is not None
    assert (unchanged.opened, unchanged.closed, unchanged.moved) == ((), (), ())
    new_due = Duration(amount, due.unit)
    tree = parse_yaml(FINSAM, "f")
    lines = FINSAM.splitlines(keepends=True)
    phase_i, task_i = next(
        (i, j) for i, p in enumerate(tree["phases"]) for j, t in enumerate(p["tasks"] or []) if t["id"] == task_id
    )
    line = tree["phases"][phase_i]["tasks"][task_i].key_lines["due"]
    lines[line] = lines[line].split("due:")[0] + f"due: {new_due}\n"
    try:
        changed = loads("".join(lines).replace("version: 1\n", "version: 2\n", 1))
    except DefinitionError:
        assume(False)  # e.g. a reminder no longer shorter than the due: the validator refuses the version
        return
    outcome = migrate_state(FINSAM_V1, changed, state, {}, now)
    assert outcome.state is not None
    after = outcome.state.tasks
    for t in state.open_tasks():
        if t.spec != task_id:
            assert after[t.id] == t  # every other task untouched
    moved = {t.id for t in state.open_tasks() if after[t.id].due != t.due}
    assert {t.spec for t in state.open_tasks() if t.id in moved} <= {task_id}
    assert len(outcome.moved) == len(moved)
    if stop == 0 and task_id == "bekrafta_remiss" and amount != due.amount:
        assert len(moved) == 1
    assert all(m.label == FINSAM_V1.task_by_id[task_id][1].label for m in outcome.moved)
    assert outcome.opened == ()
    assert outcome.closed == ()
    if amount > due.amount and moved:
        assert all(m.due_after is not None and m.due_before is not None and m.due_after > m.due_before
                   for m in outcome.moved)  # fmt: skip
