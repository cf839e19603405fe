"""Changing values in a definition's YAML without rewriting the rest of the admin's text.

The change is made on a ruamel.yaml round-trip tree (`CommentedMap`); the tree is written out
once unchanged and once changed, and only the lines where those two outputs differ are put into
the admin's own text, at the lines they came from. Everything else stays byte for byte as typed:
comments, key order, list indentation, wrapped descriptions, trailing spaces. Only when a changed
line is one that ruamel itself writes differently from the admin (so it cannot be placed) is the
whole round-tripped text used; comments and order are still kept then.
"""

from __future__ import annotations

import difflib
import io
import re
from collections.abc import Callable
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from engine.core.loader import parse_yaml

Change = Callable[[Any], None]

_SEQ_DASH = re.compile(r"^( *)- ")
_KEY = re.compile(r"^( *)[^\s#-][^:]*:\s*$")


def _indents(text: str) -> tuple[int, int, int]:
    """ruamel's (mapping, sequence, offset) indentation as the text writes its first nested list."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        key = _KEY.match(line)
        if key is None or i + 1 >= len(lines):
            continue
        dash = _SEQ_DASH.match(lines[i + 1])
        if dash is not None:
            offset = len(dash.group(1)) - len(key.group(1))
            return 2, offset + 2, offset
    return 2, 2, 0


def _yaml(text: str) -> YAML:
    y = YAML(typ="rt")
    y.version = (1, 2)  # the definitions' reader is YAML 1.2: ja/nej stay text
    y.preserve_quotes = True
    y.width = 4096  # never re-wrap a long line
    mapping, sequence, offset = _indents(text)
    y.indent(mapping=mapping, sequence=sequence, offset=offset)
    return y


def _dump(y: YAML, root: Any) -> list[str]:
    out = io.StringIO()
    y.dump(root, out)
    lines = out.getvalue().splitlines(keepends=True)
    # ruamel writes a %YAML directive because a version is set; the admin's text has none
    if lines and lines[0].startswith("%YAML"):
        lines = lines[2:] if len(lines) > 1 and lines[1].startswith("---") else lines[1:]
    return lines


def _placed(original: list[str], before: list[str], after: list[str]) -> list[str] | None:
    """`original` with the lines that differ between `before` and `after` replaced, or None."""
    align = difflib.SequenceMatcher(None, [s.rstrip() for s in before], [s.rstrip() for s in original], autojunk=False)
    where: dict[int, int] = {}  # line of `before` → the same line in `original`
    for tag, i1, i2, j1, _ in align.get_opcodes():
        if tag == "equal":
            for k in range(i2 - i1):
                where[i1 + k] = j1 + k
    out = list(original)
    ops = difflib.SequenceMatcher(None, before, after, autojunk=False).get_opcodes()
    hunks = [op for op in ops if op[0] != "equal"]
    for _, i1, i2, j1, j2 in reversed(hunks):  # from the end, so earlier positions stay valid
        if i1 == i2:  # lines added after line i1 - 1
            if i1 == 0:
                start = end = 0
            elif i1 - 1 in where:
                start = end = where[i1 - 1] + 1
            else:
                return None
        else:
            spots = [where.get(k) for k in range(i1, i2)]
            if any(s is None for s in spots):
                return None
            first, last = spots[0], spots[-1]
            assert first is not None
            assert last is not None
            if last - first != i2 - i1 - 1:
                return None
            start, end = first, last + 1
            if j1 == j2 and end - start > 1 and not out[end - 1].strip() and end < len(out) and out[end].strip():
                end -= 1  # a removed block takes the blank line that separates it from the next key with it
        out[start:end] = after[j1:j2]
    return out


class YamlEditError(ValueError):
    """ruamel.yaml cannot read a text the definitions' own reader accepts (e.g. a tab after a value)."""


def edit_yaml(text: str, change: Change) -> str:
    """The text with `change` applied to its round-trip tree, only the changed lines rewritten."""
    y = _yaml(text)
    try:
        before = _dump(y, y.load(text))
    except YAMLError as exc:
        raise YamlEditError(str(exc)) from None
    root = y.load(text)
    change(root)
    after = _dump(y, root)
    if before == after:
        return text
    original = text.splitlines(keepends=True)
    if original and not original[-1].endswith("\n"):
        original[-1] += "\n"
        placed = _placed(original, before, after)
        if placed is not None:
            placed[-1] = placed[-1].removesuffix("\n")
    else:
        placed = _placed(original, before, after)
    return "".join(placed) if placed is not None else "".join(after)


def set_version(text: str, version: int) -> str:
    """The text with its top-level `version:` set; only that line changes."""

    def change(root: Any) -> None:
        root["version"] = version

    try:
        return edit_yaml(text, change)
    except YamlEditError:
        pass
    # The one reader knows the line of the key; the value on it is replaced, nothing else.
    tree = parse_yaml(text, "definition.yaml")
    line = tree.key_lines["version"]
    lines = text.splitlines(keepends=True)
    lines[line] = _VERSION_LINE.sub(lambda m: f"{m.group(1)}{version}{m.group(3)}", lines[line], count=1)
    return "".join(lines)


_VERSION_LINE = re.compile(r"^(version\s*:\s*)([^\s#]+)(.*)$", re.DOTALL)
