"""A fast way to the same YAML tree the round-trip loader builds, for the plain definitions.

ruamel.yaml's round-trip mode is pure Python and takes about 9 µs a byte: 9 s for a 1 MB
definition, all of it before validation starts (the checks themselves take a small fraction). This
module reads the events of libyaml's C parser (through PyYAML) and builds the same tree as plain
dicts and lists (`YamlMap`, `YamlSeq`) that know the line of every key and item, with scalars
resolved by ruamel.yaml's YAML 1.2 rules; about ten times faster.

It only takes what it is sure to build identically: a top-level mapping of block and flow
mappings and lists of strings, decimal integers, booleans, nulls and dates, without tags,
anchors, aliases, directives, tabs or empty values. Anything else, and any error, gives UNSURE
and the loader parses the text with ruamel.yaml as before, which keeps every message and refusal
exactly as it was (tests/unit/test_yaml_tree.py checks the two trees against each other).
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from typing import Any

import yaml
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.resolver import VersionedResolver

_RESOLVER = VersionedResolver(version=(1, 2))
# ruamel.yaml's YAML 1.2 resolvers: these words, and numbers and dates (which start with one of _NUMERIC)
_WORDS: dict[str, Any] = {
    **dict.fromkeys(("true", "True", "TRUE"), True),
    **dict.fromkeys(("false", "False", "FALSE"), False),
    **dict.fromkeys(("null", "Null", "NULL", "~"), None),
}
_NUMERIC = frozenset("-+0123456789.")
_DECIMAL = re.compile(r"[-+]?[0-9]+")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_BLOCK_HEADER_COMMENT = re.compile(r"[|>][-+0-9]*#")

_STR = "tag:yaml.org,2002:str"
_NO = object()


class _Unsure(Exception):
    """The text holds something this module does not build; ruamel.yaml reads it instead."""


@lru_cache(maxsize=4096)
def _special(value: str) -> Any:
    """A plain scalar that may not be a string, resolved as ruamel.yaml does for YAML 1.2."""
    tag = _RESOLVER.resolve(ScalarNode, value, (True, False))
    if tag == _STR:
        return value
    if tag == "tag:yaml.org,2002:null":
        return None
    if tag == "tag:yaml.org,2002:bool":
        return value in ("true", "True", "TRUE")
    if tag == "tag:yaml.org,2002:int" and _DECIMAL.fullmatch(value):
        return int(value)
    if tag == "tag:yaml.org,2002:timestamp" and _DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise _Unsure from None
    raise _Unsure  # floats, hex/octal/binary integers, times, merge keys: ruamel.yaml's own types


def _scalar(event: Any) -> Any:
    if event.tag is not None:
        raise _Unsure
    value: str = event.value
    if event.style or not event.implicit[0]:
        return value  # quoted or block scalar: always a string
    if not value:
        raise _Unsure  # an empty value: ruamel.yaml places it at the next token, libyaml where it stands
    if value in _WORDS:
        return _WORDS[value]
    if value[0] in _NUMERIC:
        return _special(value)
    if value in ("<<", "="):
        raise _Unsure  # a merge key, a value key
    return value


def fast_tree(text: str, max_depth: int) -> Any:
    """The round-trip tree of `text`, or UNSURE when ruamel.yaml must read it."""
    if "\t" in text or "\ufeff" in text[1:] or _BLOCK_HEADER_COMMENT.search(text):
        # ruamel.yaml refuses tabs and `|#` that libyaml takes, and counts columns past a BOM otherwise
        return UNSURE
    try:
        return _build(text, max_depth)
    except _Unsure:
        return UNSURE
    except Exception:  # noqa: BLE001 - any syntax error: ruamel.yaml gives the located message
        return UNSURE


UNSURE: Any = _NO
"""What `fast_tree` gives when the text is not one it builds (or not valid YAML at all)."""


class YamlMap(dict[Any, Any]):
    """A mapping of the fast tree: a plain dict that knows the 0-based line of itself and each key."""

    __slots__ = ("key_lines", "line")

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.key_lines: dict[Any, int] = {}


class YamlSeq(list[Any]):
    """A list of the fast tree: a plain list that knows the 0-based line of itself and each item."""

    __slots__ = ("item_lines", "line")

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.item_lines: list[int] = []


def _build(text: str, max_depth: int) -> Any:
    stack: list[Any] = []  # the open mappings and lists, innermost last
    keys: list[Any] = []  # for each: None for a list; for a mapping its key awaiting a value, or _NO
    root: Any = _NO
    documents = 0
    scalar_event, mapping_start, sequence_start = yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent
    mapping_end, sequence_end = yaml.MappingEndEvent, yaml.SequenceEndEvent

    for event in yaml.parse(text, Loader=yaml.CSafeLoader):
        kind = type(event)
        opens = False
        if kind is scalar_event:
            if event.anchor is not None:
                raise _Unsure
            value: Any = _scalar(event)
        elif kind is mapping_start or kind is sequence_start:
            if event.anchor is not None or event.tag is not None or len(stack) >= max_depth:
                raise _Unsure
            line = event.start_mark.line
            value = YamlMap(line) if kind is mapping_start else YamlSeq(line)
            opens = True
        elif kind is mapping_end or kind is sequence_end:
            stack.pop()
            keys.pop()
            continue
        elif kind is yaml.DocumentStartEvent:
            documents += 1
            if documents > 1 or event.version is not None or event.tags:
                raise _Unsure
            continue
        elif kind is yaml.AliasEvent:
            raise _Unsure
        else:
            continue
        if not stack:
            root = value
        else:
            parent = stack[-1]
            if keys[-1] is None:  # a list
                parent.item_lines.append(event.start_mark.line)
                parent.append(value)
            elif keys[-1] is _NO:  # a mapping's key
                if opens or value in parent or value == "<<":
                    raise _Unsure  # a mapping or list as key, a duplicate key (ruamel.yaml says where), a merge
                keys[-1] = (value, event.start_mark.line)
            else:
                key, key_line = keys[-1]
                parent[key] = value
                parent.key_lines[key] = key_line
                keys[-1] = _NO
        if opens:
            stack.append(value)
            keys.append(_NO if kind is mapping_start else None)
    if not isinstance(root, YamlMap):
        raise _Unsure  # not a definition; ruamel.yaml says what it is (a top-level block scalar differs)
    return root
