"""Load a definition from YAML, keeping line numbers so every problem can be located."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError

from engine.core.definition import Definition


@dataclass(frozen=True, slots=True)
class Problem:
    file: str
    line: int | None
    message: str
    path: str = ""

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.message}" + (f" ({self.path})" if self.path else "")


class DefinitionError(Exception):
    """A definition that cannot be used, with every problem found, each located."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def _yaml() -> YAML:
    # Round-trip mode keeps positions; YAML 1.2 does not turn ja/nej/on/off into booleans.
    y = YAML(typ="rt")
    y.version = (1, 2)
    return y


def to_plain(node: Any) -> Any:
    if isinstance(node, CommentedMap):
        return {str(k): to_plain(v) for k, v in node.items()}
    if isinstance(node, CommentedSeq):
        return [to_plain(v) for v in node]
    return node


def line_of(root: Any, loc: tuple[int | str, ...]) -> int | None:
    """1-based line of the deepest node on `loc` that exists in the YAML tree."""
    node = root
    line: int | None = None
    for key in loc:
        if isinstance(node, CommentedMap) and key in node:
            pos = node.lc.key(key)
            line = pos[0] + 1
            node = node[key]
        elif isinstance(node, CommentedSeq) and isinstance(key, int) and 0 <= key < len(node):
            pos = node.lc.item(key)
            line = pos[0] + 1
            node = node[key]
        else:
            break
    if line is None and hasattr(root, "lc"):
        line = root.lc.line + 1
    return line


def parse_yaml(text: str, file: str) -> Any:
    try:
        return _yaml().load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise DefinitionError([Problem(file, line, f"YAML-syntaxfel: {exc.problem or exc.context}")]) from None


def loads(text: str, file: str = "<definition>") -> Definition:
    """Parse and fully validate a definition; raises DefinitionError listing every problem."""
    from engine.core.validation import validate_tree

    root = parse_yaml(text, file)
    definition, problems = validate_tree(root, file)
    if problems or definition is None:
        raise DefinitionError(problems)
    return definition


def load(path: str | Path) -> Definition:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise DefinitionError([Problem(str(p), None, f"kan inte läsa filen: {exc.strerror}")]) from None
    except UnicodeDecodeError:
        raise DefinitionError([Problem(str(p), None, "filen är inte UTF-8")]) from None
    return loads(text, str(p))


def model_problems(exc: ValidationError, root: Any, file: str) -> list[Problem]:
    problems = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        path = ".".join(str(x) for x in loc)
        msg = _message(err)
        problems.append(Problem(file, line_of(root, loc), msg, path))
    return problems


def _message(err: Any) -> str:
    kind = err["type"]
    loc = err["loc"]
    name = loc[-1] if loc else ""
    if kind == "extra_forbidden":
        return f"okänt fält '{name}'"
    if kind == "missing":
        return f"fältet '{name}' saknas"
    if kind == "value_error":
        return str(err["msg"]).removeprefix("Value error, ")
    if kind == "string_pattern_mismatch":
        return f"'{err.get('input')}' är inte ett giltigt id (små bokstäver, siffror och _)"
    if kind == "enum":
        expected = err.get("ctx", {}).get("expected", "")
        return f"ogiltigt värde '{err.get('input')}', tillåtna: {expected}"
    if kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        return f"ogiltigt värde '{err.get('input')}', tillåtet: {expected}"
    return f"{err['msg']}"


def definition_from_plain(data: Any) -> Definition:
    return Definition.model_validate(data)
