"""Validation is linear in the size of the definition (issue 13: 10,000 phases took 43 s).

No clocks here: the work of validating is counted as the Python and C function calls it makes
(`sys.setprofile`), which is the same on every machine, and four times the definition must take
about four times the calls. bench/validation_bench.py measures the time.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

from engine.core.validation import validate_text
from engine.core.yaml_tree import _special

ROOT = Path(__file__).resolve().parents[2]
SMALL, LARGE = 100, 400
SLACK = 1.3  # four times the size may cost up to 4 × 1.3 times the calls (a quadratic pass costs 16 ×)


def _bench() -> Any:
    spec = importlib.util.spec_from_file_location("validation_bench", ROOT / "bench" / "validation_bench.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bench = _bench()

HEAD = "id: k\nversion: 1\nname: K\nparties:\n  - {id: kommun, label: Kommunen}\n"


def valid(n: int) -> str:
    """The benchmark's definition: FINSAM-like phases, every reference right."""
    text: str = bench.generate(n)
    return text


def task_circle(n: int) -> str:
    """One phase of n tasks, each counting its due date from the next: one long circle."""
    tasks = "".join(
        f"      - {{id: t{i}, label: T, responsible: kommun, due: 1 dag, due_from: 'task:t{(i + 1) % n}'}}\n"
        for i in range(n)
    )
    return (
        HEAD
        + "start: a\nphases:\n  - id: a\n    label: A\n    kind: referral\n    tasks:\n"
        + tasks
        + "    transitions:\n      - to: b\n  - {id: b, label: B, kind: exit}\n"
    )


def task_chains(n: int) -> str:
    """One phase of n tasks in chains of every length up to about √(2n) (no circle)."""
    tasks, i = [], 0
    length = 1
    while i < n:
        for k in range(length):
            src = "phase_start" if k == 0 else f"task:t{i - 1}"
            tasks.append(f"      - {{id: t{i}, label: T, responsible: kommun, due_from: '{src}'}}\n")
            i += 1
        length += 1
    return (
        HEAD
        + "start: a\nphases:\n  - id: a\n    label: A\n    kind: referral\n    tasks:\n"
        + "".join(tasks)
        + "    transitions:\n      - to: b\n  - {id: b, label: B, kind: exit}\n"
    )


def misspelt(n: int) -> str:
    """n phases, each with a transition to a phase that does not exist (a 'menade du' each)."""
    phases = "".join(
        f"  - {{id: p{i}, label: P, kind: assessment, transitions: [{{to: p{i + 1}}}, {{to: p{i}x}}]}}\n"
        for i in range(n)
    )
    return HEAD + "start: p0\nphases:\n" + phases + f"  - {{id: p{n}, label: B, kind: exit}}\n"


def unknown_parties(n: int) -> str:
    """n parties and n tasks, each task responsible for a party that does not exist."""
    parties = "".join(f"  - {{id: part{i}, label: P}}\n" for i in range(n))
    tasks = "".join(f"      - {{id: t{i}, label: T, responsible: parti{i}q}}\n" for i in range(n))
    phase = "start: a\nphases:\n  - id: a\n    label: A\n    kind: referral\n    tasks:\n"
    end = "    transitions:\n      - to: b\n  - {id: b, label: B, kind: exit}\n"
    return "id: k\nversion: 1\nname: K\nparties:\n" + parties + phase + tasks + end


def unreachable(n: int) -> str:
    """n phases none of which the start reaches, nor reach an exit; shape errors in every one."""
    phases = "".join(f"  - {{id: p{i}, label: P, kind: planning, max_length: 0 dagar, okand: 1}}\n" for i in range(n))
    return HEAD + "start: s\nphases:\n  - {id: s, label: S, kind: referral}\n" + phases


def work(text: str) -> int:
    """The function calls (Python and C) validating `text` makes."""
    calls = 0

    def count(frame: FrameType, event: str, arg: object) -> None:
        nonlocal calls
        if event in ("call", "c_call"):
            calls += 1

    _special.cache_clear()
    sys.setprofile(count)
    try:
        validate_text(text, "stor.yaml")
    finally:
        sys.setprofile(None)
    return calls


@pytest.mark.parametrize(
    "make", [valid, task_circle, task_chains, misspelt, unknown_parties, unreachable], ids=lambda f: f.__name__
)
def test_four_times_the_definition_is_about_four_times_the_work(make: Callable[[int], str]) -> None:
    small, large = make(SMALL), make(LARGE)
    validate_text(small, "uppvärmning.yaml")  # imports and first-use caches are no part of it
    ratio = work(large) / work(small)
    size_ratio = len(large) / len(small)
    assert ratio <= size_ratio * SLACK, f"{ratio:.1f} × the work for {size_ratio:.1f} × the text"


def test_the_generated_definitions_are_what_they_say() -> None:
    assert validate_text(valid(SMALL), "v.yaml")[1] == []
    [circle] = validate_text(task_circle(SMALL), "c.yaml")[1]
    assert "cirkel (t0 → t1 → t2 → t3 → t4 → t5 → … → t0, 100 uppgifter)" in circle.message
    assert validate_text(task_chains(SMALL), "k.yaml")[1] == []
    assert len(validate_text(misspelt(SMALL), "m.yaml")[1]) == SMALL
    assert len(validate_text(unknown_parties(SMALL), "p.yaml")[1]) == SMALL
    assert len(validate_text(unreachable(SMALL), "u.yaml")[1]) >= 3 * SMALL
