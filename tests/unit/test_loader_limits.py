"""The loader's limits (issue 13): whatever the bytes, located problems in bounded time and memory.

A 600-byte YAML of nested aliases (billion laughs) used to take minutes and gigabytes; a deeply
nested one raised RecursionError; a huge one was parsed in full. Anchors and aliases are refused
(an admin never needs them), nesting and size are bounded, and `loads` raises nothing but
DefinitionError for any text at all.
"""

from __future__ import annotations

import os
import tempfile
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.core.loader import MAX_DEPTH, MAX_YAML_BYTES, DefinitionError, Problem, load, loads
from engine.core.validation import MAX_PHASES, MAX_TASKS, validate_text

from .test_validation import MINIMAL

BILLION_LAUGHS = """\
id: skratt
version: 1
name: Skratt
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
parties: *i
"""


def problems_of(text: str) -> list[Problem]:
    with pytest.raises(DefinitionError) as exc:
        loads(text, "def.yaml")
    return exc.value.problems


def test_a_billion_laughs_is_refused_at_its_first_anchor() -> None:
    assert len(BILLION_LAUGHS.encode()) < 700
    [problem] = problems_of(BILLION_LAUGHS)
    assert problem.line == 4
    assert "Ankare och alias (&, *) stöds inte i en definition" in problem.message


def test_an_alias_alone_is_refused_where_it_stands() -> None:
    text = MINIMAL.replace("reminders: [2 arbetsdagar]", "reminders: *paminnelser")
    [problem] = problems_of(text)
    assert problem.line == MINIMAL.splitlines().index("        reminders: [2 arbetsdagar]") + 1
    assert "Ankare och alias" in problem.message


def test_a_merge_key_is_refused_too() -> None:
    text = "id: x\nbas: &bas {label: X}\nparties:\n  - <<: *bas\n    id: af\n"
    [problem] = problems_of(text)
    assert (problem.line, "Ankare och alias" in problem.message) == (2, True)


@pytest.mark.parametrize(
    "text",
    [
        "[" * 10_000 + "]" * 10_000,
        "{a: " * 10_000 + "1" + "}" * 10_000,
        "phases:\n" + "".join(" " * k + "- x:\n" for k in range(0, 400, 2)),
    ],
    ids=["flow-list", "flow-map", "block"],
)
def test_deep_nesting_is_refused_at_the_line_where_it_gets_too_deep(text: str) -> None:
    [problem] = problems_of(text)
    assert problem.line is not None
    assert f"nästlade djupare än {MAX_DEPTH} nivåer" in problem.message


def test_a_definition_over_the_size_limit_is_refused_without_being_parsed() -> None:
    text = MINIMAL + "#" + "x" * MAX_YAML_BYTES + "\n" + "[" * 10_000  # never read
    [problem] = problems_of(text)
    assert problem.line is None
    assert "för stor" in problem.message
    assert "högst 1 000 kB" in problem.message


def test_the_size_limit_counts_bytes_not_characters() -> None:
    text = MINIMAL + "# " + "å" * (MAX_YAML_BYTES // 2) + "\n"
    assert len(text) < MAX_YAML_BYTES < len(text.encode())
    [problem] = problems_of(text)
    assert "för stor" in problem.message


def _phases(n: int, tasks: int = 1) -> str:
    """A valid definition of n phases in a row, each with `tasks` tasks, the last an exit."""
    out = ["id: lang\nversion: 1\nname: Lång\nparties:\n  - {id: kommun, label: Kommunen}\nstart: p0\nphases:\n"]
    for i in range(n):
        out.append(f"  - id: p{i}\n    label: Fas {i}\n")
        if i == n - 1:
            out.append("    kind: exit\n")
            break
        out.append("    kind: assessment\n    tasks:\n")
        for j in range(tasks):
            out.append(f"      - {{id: t{i}_{j}, label: Uppgift, responsible: kommun, due: 5 arbetsdagar}}\n")
        out.append(f"    transitions:\n      - to: p{i + 1}\n")
    return "".join(out)


def test_a_definition_of_as_many_phases_as_allowed_is_valid() -> None:
    definition, problems = validate_text(_phases(MAX_PHASES), "lang.yaml")
    assert problems == []
    assert definition is not None
    assert len(definition.phases) == MAX_PHASES


def test_one_phase_too_many_is_refused_with_a_located_message() -> None:
    definition, problems = validate_text(_phases(MAX_PHASES + 1), "lang.yaml")
    assert definition is None
    [problem] = problems
    assert problem.line == 7  # phases:
    assert problem.message == f"definitionen har {MAX_PHASES + 1} faser; högst {MAX_PHASES} är tillåtna"


def test_too_many_tasks_altogether_are_refused_with_a_located_message() -> None:
    per_phase = MAX_TASKS // 9 + 1
    definition, problems = validate_text(_phases(10, tasks=per_phase), "lang.yaml")
    assert definition is None
    [problem] = problems
    assert problem.line == 7
    assert problem.message == f"definitionen har {9 * per_phase} uppgifter; högst {MAX_TASKS} är tillåtna"


# --- any input at all ---------------------------------------------------------------------------

YAMLISH = st.text(alphabet=st.sampled_from(list("-:[]{}&*!|>'\"#%@`?,<=~ \t\n\r\\abcå019.\x00\ufeff")), max_size=300)


@settings(max_examples=400, deadline=timedelta(seconds=5), suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=300), YAMLISH, st.builds(lambda body: MINIMAL + body, YAMLISH)))
def test_any_text_gives_a_definition_or_a_definition_error(text: str) -> None:
    problems: list[Problem] = []
    try:
        loads(text, "fri.yaml")
    except DefinitionError as exc:
        problems = exc.problems
        assert problems, "a DefinitionError names its problems"
    assert all(isinstance(p, Problem) and p.message for p in problems)


@settings(max_examples=200, deadline=timedelta(seconds=5))
@given(st.binary(max_size=300))
def test_any_bytes_in_a_file_give_a_definition_or_a_definition_error(data: bytes) -> None:
    fd, path = tempfile.mkstemp(suffix=".yaml")
    problems: list[Problem] | None = None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        load(path)
    except DefinitionError as exc:
        problems = exc.problems
    finally:
        os.unlink(path)
    assert problems is None or problems
