"""Load a definition from YAML, keeping line numbers so every problem can be located."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from engine.core.definition import Definition
from engine.core.wording import Wording
from engine.core.yaml_tree import YamlError, YamlMap, YamlSeq, parse_tree


@dataclass(frozen=True, slots=True)
class Problem:
    """One located problem. `message` is in the admin's words (labels, never a path like
    `phases[0].due`); `path` is where it is for a program; `code` is stable per kind of problem;
    `cause` is the problem this one follows from (a phase that cannot be reached because a
    transition names a phase that does not exist)."""

    file: str
    line: int | None
    message: str
    path: str = ""
    code: str = "invalid"
    cause: Problem | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.message}" + (f" ({self.path})" if self.path else "")


def grouped(problems: list[Problem]) -> list[Problem]:
    """Problems by line, each cause followed at once by the problems that follow from it."""
    unique = sorted(dict.fromkeys(problems), key=lambda p: p.line or 0)
    present = set(unique)
    children: dict[Problem, list[Problem]] = {}
    roots: list[Problem] = []
    for p in unique:
        if p.cause is not None and p.cause in present:
            children.setdefault(p.cause, []).append(p)
        else:
            roots.append(p)
    out: list[Problem] = []
    for root in roots:
        out.append(root)
        out.extend(children.get(root, ()))
    return out


def problem_dicts(problems: list[Problem]) -> list[dict[str, Any]]:
    """The located-problem shape every client gets (line, message, path, code), plus `caused_by`:
    the index in this list of the problem it follows from, or None for a cause of its own."""
    ordered = grouped(problems)
    index = {p: i for i, p in enumerate(ordered)}
    return [
        {
            "line": p.line,
            "message": p.message,
            "path": p.path,
            "code": p.code,
            "caused_by": index.get(p.cause) if p.cause is not None else None,
        }
        for p in ordered
    ]


class DefinitionError(Exception):
    """A definition that cannot be used, with every problem found, each located."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


MAX_YAML_BYTES = 1_000_000
"""The largest definition accepted, in bytes of UTF-8: FINSAM's own is about 20 kB."""

MAX_DEPTH = 50
"""How deep mappings and lists may nest; a definition needs about ten levels."""


def size_problem(text: str, file: str) -> Problem | None:
    """A problem when the text is larger than MAX_YAML_BYTES, decided before parsing anything."""
    if len(text) <= MAX_YAML_BYTES // 4:
        return None
    size = len(text.encode("utf-8", "surrogatepass"))
    if size <= MAX_YAML_BYTES:
        return None
    limit = f"{MAX_YAML_BYTES // 1000:,}".replace(",", " ")
    return Problem(file, None, f"definitionen är för stor ({size // 1000:,} kB); högst {limit} kB".replace(",", " "))


def to_plain(node: Any) -> Any:
    if isinstance(node, YamlMap):
        return {str(k): to_plain(v) for k, v in node.items()}
    if isinstance(node, YamlSeq):
        return [to_plain(v) for v in node]
    return node


def format_path(loc: tuple[int | str, ...]) -> str:
    """`phases[2].tasks[0].due`: where in the definition, as an admin would read it."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def line_of(root: Any, loc: tuple[int | str, ...]) -> int | None:
    """1-based line of the deepest node on `loc` that exists in the YAML tree."""
    node = root
    line: int | None = None
    for key in loc:
        if isinstance(node, YamlMap) and key in node:
            line = node.key_lines[key] + 1
            node = node[key]
        elif isinstance(node, YamlSeq) and isinstance(key, int) and 0 <= key < len(node):
            line = node.item_lines[key] + 1
            node = node[key]
        else:
            break
    if line is None:
        line = _own_line(root)
    return line


def _own_line(node: Any) -> int | None:
    if isinstance(node, YamlMap | YamlSeq):
        return node.line + 1
    return None


def parse_yaml(text: str, file: str) -> Any:
    """The YAML tree of a definition's text, lines kept (engine/core/yaml_tree.py); DefinitionError else.

    Bounded whatever the text: its size is checked first, anchors and aliases are refused and
    nesting deeper than MAX_DEPTH stops the parser where it happens.
    """
    too_big = size_problem(text, file)
    if too_big is not None:
        raise DefinitionError([too_big])
    try:
        return parse_tree(text, MAX_DEPTH)
    except YamlError as exc:
        raise DefinitionError([Problem(file, exc.line, exc.message)]) from None


def loads(text: str, file: str = "<definition>") -> Definition:
    """Parse and fully validate a definition; raises DefinitionError listing every problem."""
    from engine.core.validation import validate_text

    definition, problems = validate_text(text, file)
    if problems or definition is None:
        raise DefinitionError(problems)
    return definition


def read_text(path: str | Path) -> str:
    """A definition file's text; a DefinitionError saying plainly why it cannot be read."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise DefinitionError([Problem(str(p), None, "filen finns inte")]) from None
    except IsADirectoryError:
        raise DefinitionError([Problem(str(p), None, "är en katalog, inte en fil")]) from None
    except PermissionError:
        raise DefinitionError([Problem(str(p), None, "saknar behörighet att läsa filen")]) from None
    except OSError as exc:
        raise DefinitionError([Problem(str(p), None, f"kan inte läsa filen ({exc.strerror})")]) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise DefinitionError([Problem(str(p), line, "filen är inte kodad i UTF-8; spara den som UTF-8")]) from None


def load(path: str | Path) -> Definition:
    return loads(read_text(path), str(path))


def model_problems(exc: ValidationError, root: Any, file: str) -> list[Problem]:
    problems = []
    words = Wording(root)
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        msg = words.located(loc, _message(err))
        problems.append(Problem(file, line_of(root, loc), msg, format_path(loc), _code(err["type"])))
    return problems


def _code(kind: str) -> str:
    """A stable code per kind of shape problem (the API's and the editor's `code`)."""
    if kind == "extra_forbidden":
        return "unknown_field"
    if kind == "missing":
        return "missing_field"
    if kind == "string_pattern_mismatch":
        return "invalid_id"
    if kind in ("enum", "literal_error"):
        return "invalid_choice"
    if kind in _TYPE_MESSAGES:
        return "wrong_type"
    return "invalid_value"


def _show(value: Any) -> str:
    """A given value as the admin wrote it in YAML (never Python's None, True, {...})."""
    if value is None:
        return "ett tomt värde"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "en mappning (nyckel: värde)"
    if isinstance(value, list):
        return "en lista"
    text = repr(value) if not isinstance(value, str) else f"'{value}'"
    return text if len(text) <= 40 else text[:37] + "..."


_TYPE_MESSAGES = {
    "string_type": "ska vara text",
    "int_type": "ska vara ett heltal",
    "int_parsing": "ska vara ett heltal",
    "int_from_float": "ska vara ett heltal",
    "float_type": "ska vara ett tal",
    "float_parsing": "ska vara ett tal",
    "bool_type": "ska vara true eller false",
    "bool_parsing": "ska vara true eller false",
    "list_type": "ska vara en lista",
    "model_type": "ska vara en mappning (nyckel: värde)",
    "model_attributes_type": "ska vara en mappning (nyckel: värde)",
    "dict_type": "ska vara en mappning (nyckel: värde)",
    "date_type": "ska vara ett datum, ÅÅÅÅ-MM-DD",
    "date_parsing": "ska vara ett datum, ÅÅÅÅ-MM-DD",
    "date_from_datetime_parsing": "ska vara ett datum, ÅÅÅÅ-MM-DD",
    "date_from_datetime_inexact": "ska vara ett datum utan klockslag, ÅÅÅÅ-MM-DD",
}


def _message(err: Any) -> str:
    kind = err["type"]
    loc = err["loc"]
    names = [x for x in loc if isinstance(x, str)]
    name = names[-1] if names else ""
    ctx = err.get("ctx") or {}
    given = err.get("input")
    if kind == "extra_forbidden":
        return f"okänt fält '{name}'"
    if kind == "missing":
        return f"fältet '{name}' saknas"
    if kind == "value_error":
        return str(err["msg"]).removeprefix("Value error, ")
    if kind == "string_pattern_mismatch":
        return f"'{given}' är inte ett giltigt id (små bokstäver a-z, siffror och _, börjar med en bokstav)"
    if kind == "enum":
        return f"ogiltigt värde {_show(given)} i '{name}', tillåtna: {ctx.get('expected', '')}"
    if kind == "literal_error":
        return f"ogiltigt värde {_show(given)} i '{name}', tillåtet: {ctx.get('expected', '')}"
    if kind in _TYPE_MESSAGES:
        return f"'{name}' {_TYPE_MESSAGES[kind]}, inte {_show(given)}"
    if kind == "greater_than_equal":
        return f"'{name}' ska vara minst {ctx.get('ge')}, inte {_show(given)}"
    if kind == "less_than_equal":
        return f"'{name}' får vara högst {ctx.get('le')}, inte {_show(given)}"
    if kind == "string_too_long":
        return f"'{name}' får vara högst {ctx.get('max_length')} tecken"
    return f"'{name}': ogiltigt värde {_show(given)} ({err['msg']})"


def definition_from_plain(data: Any) -> Definition:
    return Definition.model_validate(data)
