"""Validation in the admin's words, causes first.

Every message names what the admin wrote (phase "Samtycke", task "Bekräfta mottagen remiss"),
never a program's path (`phases[0].tasks[0].due`) or a Python value (None, True); one mistake's
follow-on problems (phases it leaves unreachable) are grouped under it, the cause listed first.
The corpus of broken definitions is generated from the two shipped ones: every line dropped, every
key renamed, every id-like value misspelt, and (Hypothesis) several such edits together.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.core.editor_help import document_ids, problem_tree
from engine.core.loader import Problem, problem_dicts
from engine.core.validation import validate_text

DEFINITIONS = Path(__file__).resolve().parents[2] / "definitions"
FINSAM = (DEFINITIONS / "finsam-insats.yaml").read_text(encoding="utf-8")
SIP = (DEFINITIONS / "sip.yaml").read_text(encoding="utf-8")

PROGRAM_WORDS = re.compile(
    r"phases\[|tasks\[|transitions\[|parties\[|roles\[|facts\[|\]\.|\bNone\b|\bTrue\b|\bFalse\b"
    r"|Input should|Value error|validation error|\bloc\b|\{'|Traceback"
)
KEY_VALUE = re.compile(r"^(\s*(?:-\s+)?)([a-z_]+):(\s*)(.*)$")


def mutated(line: str, kind: int) -> str | None:
    """The line dropped (0), its key renamed (1) or its value misspelt (2); None for no key: value."""
    m = KEY_VALUE.match(line.rstrip("\n"))
    if not m:
        return None
    lead, key, gap, value = m.groups()
    if kind == 0:
        return ""
    if kind == 1:
        return f"{lead}{key}x:{gap}{value}\n"
    if re.fullmatch(r"[a-z][a-z0-9_]{3,}", value):
        return f"{lead}{key}:{gap}{value[:-2]}{value[-1]}\n"  # a letter lost: a typo
    return f"{lead}{key}:{gap}{value} x\n"


def apply(text: str, edits: dict[int, int]) -> str:
    lines = text.splitlines(keepends=True)
    for n, kind in edits.items():
        changed = mutated(lines[n], kind)
        if changed is not None:
            lines[n] = changed
    return "".join(lines)


def mutations(text: str) -> list[str]:
    """One broken text per key: value line, the kind of edit taken in turn."""
    lines = text.splitlines(keepends=True)
    return [apply(text, {n: n % 3}) for n, line in enumerate(lines) if mutated(line, 0) is not None]


@cache
def problems_of(text: str) -> tuple[Problem, ...]:
    return tuple(validate_text(text, "definition.yaml")[1])


def assert_in_words(problems: tuple[Problem, ...]) -> None:
    for p in problems:
        assert not PROGRAM_WORDS.search(p.message), p.message
        assert p.message
        assert p.code
        assert p.line is None or p.line >= 1


def test_no_message_over_the_generated_corpus_speaks_of_program_paths_or_values() -> None:
    corpus = mutations(FINSAM) + mutations(SIP)
    assert len(corpus) > 400
    broken = 0
    for text in corpus:
        problems = problems_of(text)
        broken += bool(problems)
        assert_in_words(problems)
        dicts = problem_dicts(list(problems))
        for i, d in enumerate(dicts):
            cause = d["caused_by"]
            assert cause is None or (0 <= cause < i and dicts[cause]["caused_by"] is None), dicts
    assert broken > len(corpus) // 2  # the corpus is broken, or the test says nothing


@settings(max_examples=40, deadline=None)
@given(
    st.sampled_from([FINSAM, SIP]).flatmap(
        lambda t: st.tuples(
            st.just(t),
            st.dictionaries(st.integers(0, t.count("\n") - 1), st.integers(0, 2), min_size=2, max_size=5),
        )
    )
)
def test_several_mistakes_together_are_still_told_in_words(case: tuple[str, dict[int, int]]) -> None:
    text, edits = case
    problems = problems_of(apply(text, edits))
    assert_in_words(problems)
    tree = problem_tree(problem_dicts(list(problems)))
    assert sum(1 + len(c["follow_ons"]) for c in tree) == len(problems)


def test_a_misspelt_phase_in_a_transition_is_the_one_cause_of_the_phases_it_leaves_unreachable() -> None:
    text = FINSAM.replace("      - to: samtycke\n", "      - to: samtyke\n", 1)
    dicts = problem_dicts(list(problems_of(text)))
    assert dicts[0]["message"] == "Fasen ”Aktualisering”: övergång till okänd fas 'samtyke' (menade du 'samtycke'?)"
    assert dicts[0]["code"] == "unknown_reference"
    assert dicts[0]["caused_by"] is None
    assert dicts[0]["line"] == text.splitlines().index("      - to: samtyke") + 1
    follow = dicts[1:]
    assert follow
    assert all(d["caused_by"] == 0 for d in follow)
    assert {d["code"] for d in follow} == {"unreachable", "no_way_to_exit"}
    assert "Fasen ”Samtycke” kan inte nås från startfasen ”Aktualisering”" in [d["message"] for d in follow]
    assert len(problem_tree(dicts)) == 1


def test_a_phase_unreachable_for_a_reason_of_its_own_stays_a_cause_of_its_own() -> None:
    orphan = "  - id: sidospar\n    label: Sidospår\n    kind: work_training\n    transitions:\n      - to: avslut\n"
    text = SIP.replace("      - to: samtycke\n", "      - to: samtyke\n", 1).replace(
        "phases:\n", "phases:\n" + orphan, 1
    )
    dicts = problem_dicts(list(problems_of(text)))
    orphan_problem = next(d for d in dicts if "”Sidospår” kan inte nås" in d["message"])
    assert orphan_problem["caused_by"] is None
    typo = next(i for i, d in enumerate(dicts) if "'samtyke'" in d["message"])
    assert any(d["caused_by"] == typo and "”Samtycke till SIP” kan inte nås" in d["message"] for d in dicts)


def test_a_reference_with_no_close_phase_does_not_claim_the_unreachable_ones() -> None:
    text = SIP.replace("      - to: samtycke\n", "      - to: xyzzy\n", 1)
    dicts = problem_dicts(list(problems_of(text)))
    unreachable = [d for d in dicts if d["code"] == "unreachable"]
    assert unreachable
    assert all(d["caused_by"] is None for d in unreachable)
    # but the phase whose only way on was that transition can reach an exit once it is fixed
    no_exit = [d for d in dicts if d["code"] == "no_way_to_exit"]
    assert no_exit
    assert all(dicts[d["caused_by"]]["message"].endswith("okänd fas 'xyzzy'") for d in no_exit)


def test_two_misspelt_phases_each_own_their_follow_ons() -> None:
    text = SIP.replace("      - to: samtycke\n", "      - to: samtyke\n", 1).replace(
        "      - to: uppfoljning\n", "      - to: uppfolning\n", 1
    )
    dicts = problem_dicts(list(problems_of(text)))
    first = next(i for i, d in enumerate(dicts) if "'samtyke'" in d["message"])
    second = next(i for i, d in enumerate(dicts) if "'uppfolning'" in d["message"])
    mine = {d["message"] for d in dicts if d["caused_by"] == first}
    theirs = {d["message"] for d in dicts if d["caused_by"] == second}
    assert "Fasen ”Samtycke till SIP” kan inte nås från startfasen ”Aktualisering av SIP”" in mine
    assert not any("”Samtycke till SIP” kan inte nås" in m for m in theirs)


def test_messages_name_the_phase_and_task_by_their_labels() -> None:
    text = FINSAM.replace("        due: 5 arbetsdagar\n", "        due: 5 arbetsdar\n", 1)
    (problem,) = problems_of(text)
    assert problem.message.startswith(
        "Fasen ”Aktualisering”, uppgiften ”Bekräfta mottagen remiss och kontakta deltagaren”: okänd enhet 'arbetsdar'"
    )
    assert problem.path == "phases[0].tasks[0].due"  # for programs, beside the words


def test_an_empty_value_is_told_as_empty_not_as_python() -> None:
    text = SIP.replace("        responsible: region\n", "        responsible:\n", 1)
    messages = [p.message for p in problems_of(text)]
    assert any(m.endswith("'responsible' ska vara text, inte ett tomt värde") for m in messages), messages


def test_the_editor_is_offered_the_documents_ids_with_their_labels() -> None:
    ids = document_ids(SIP)
    assert {"id": "kommun", "label": "Kommunen (socialtjänst)"} in ids["parties"]
    assert {"id": "sip_ansvarig", "label": "Huvudansvarig för SIP (samordnar planen)"} in ids["roles"]
    assert [p["id"] for p in ids["phases"]][:2] == ["aktualisering", "samtycke"]
    assert {"id": "sip_mote_hallet", "label": "SIP-möte hållet"} in ids["facts"]
    assert ids["tasks"]
    assert all(t["label"] for t in ids["tasks"])
    assert document_ids("phases: [") == {"parties": [], "roles": [], "phases": [], "facts": [], "tasks": []}
