"""Cross-reference checks on a parsed definition: everything pydantic's shape check cannot see."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from engine.core.definition import Definition
from engine.core.loader import Problem, line_of, model_problems, to_plain


def validate_tree(root: Any, file: str) -> tuple[Definition | None, list[Problem]]:
    if not hasattr(root, "items"):
        return None, [Problem(file, 1, "definitionen ska vara en YAML-mappning (nyckel: värde)")]
    try:
        definition = Definition.model_validate(to_plain(root))
    except ValidationError as exc:
        return None, model_problems(exc, root, file)
    problems = [Problem(file, line_of(root, loc), msg, ".".join(map(str, loc))) for loc, msg in check(definition)]
    return definition, problems


def check(d: Definition) -> list[tuple[tuple[int | str, ...], str]]:
    """Semantic problems as (location path, message)."""
    out: list[tuple[tuple[int | str, ...], str]] = []
    phase_ids = [p.id for p in d.phases]
    if d.start not in phase_ids:
        out.append((("start",), f"startfasen '{d.start}' finns inte"))
    for i, p in enumerate(d.phases):
        for j, t in enumerate(p.transitions):
            if t.to not in phase_ids:
                out.append((("phases", i, "transitions", j, "to"), f"övergång till okänd fas '{t.to}'"))
    return out
