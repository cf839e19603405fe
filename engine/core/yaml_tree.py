"""The one YAML reader of definitions: libyaml's C parser events, built into line-annotated plain trees.

PyYAML's C parser (libyaml) gives the events; this module builds them into plain dicts and lists
(`YamlMap`, `YamlSeq`) that know the 0-based line of every key and list item, so every later
problem can be located. It is the only way a definition's text is read: there is no second parser
to fall back to, so everything a text can hold is decided here, each refusal located and in Swedish.

- Plain scalars are resolved by the YAML 1.2 core schema: booleans only `true`/`false` (any case
  of the three spellings), `ja`/`nej`/`on`/`off`/`yes`/`no` stay text; `null`, `~` and an empty
  value are null; decimal, `0o` octal and `0x` hex integers; floats, `.inf` and `.nan`. Dates
  written ÅÅÅÅ-MM-DD are dates (a definition's calendar lists days); anything else is text, and
  quoted and block scalars are always text. A `%YAML` directive does not change that.
- Refused, at their line: tags (`!`, `!!`), anchors and aliases (`&`, `*`, so merge keys `<<` do
  nothing either: aliases are what turn a few hundred bytes into gigabytes), duplicate keys, a
  list or mapping as a key, more than one document, nesting deeper than `max_depth`.
- libyaml's own scanner, parser and reader errors are located by their mark and said in Swedish.

Every step is linear in the text: the events are read once, nothing is expanded, nesting is bounded.
"""

from __future__ import annotations

import math
import re
from datetime import date
from functools import lru_cache
from typing import Any

import yaml


class YamlError(Exception):
    """A text that is not a definition's YAML: a Swedish message and the 1-based line, if known."""

    def __init__(self, line: int | None, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


ANCHOR_MESSAGE = "Ankare och alias (&, *) stöds inte i en definition; skriv ut värdet där det behövs"
TAG_MESSAGE = "Taggar (!, !!) stöds inte i en definition; skriv värdet utan tagg (text inom citattecken)"


def depth_message(max_depth: int) -> str:
    return f"värdena är nästlade djupare än {max_depth} nivåer (listor och mappningar i varandra)"


class YamlMap(dict[Any, Any]):
    """A mapping of the tree: a plain dict that knows the 0-based line of itself and each key."""

    __slots__ = ("key_lines", "line")

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.key_lines: dict[Any, int] = {}


class YamlSeq(list[Any]):
    """A list of the tree: a plain list that knows the 0-based line of itself and each item."""

    __slots__ = ("item_lines", "line")

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.item_lines: list[int] = []


# --- scalars: the YAML 1.2 core schema ------------------------------------------------------------

_WORDS: dict[str, Any] = {
    **dict.fromkeys(("true", "True", "TRUE"), True),
    **dict.fromkeys(("false", "False", "FALSE"), False),
    **dict.fromkeys(("null", "Null", "NULL", "~", ""), None),
}
_NUMERIC = frozenset("-+0123456789.")
_INT = re.compile(r"[-+]?[0-9]+")
_OCT = re.compile(r"0o[0-7]+")
_HEX = re.compile(r"0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_INF = re.compile(r"[-+]?\.(?:inf|Inf|INF)")
_NAN = re.compile(r"\.(?:nan|NaN|NAN)")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@lru_cache(maxsize=4096)
def _special(value: str) -> Any:
    """A plain scalar starting like a number: its core-schema value (a date, or the text itself)."""
    try:
        if _INT.fullmatch(value):
            return int(value)
        if _OCT.fullmatch(value):
            return int(value[2:], 8)
        if _HEX.fullmatch(value):
            return int(value[2:], 16)
        if _FLOAT.fullmatch(value):
            return float(value)
    except ValueError:  # more digits than Python converts (4,300): text, which validation then refuses
        return value
    if _INF.fullmatch(value):
        return -math.inf if value[0] == "-" else math.inf
    if _NAN.fullmatch(value):
        return math.nan
    if _DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:  # 2026-02-30: text, so validation says it is not a date, at its line
            return value
    return value


def resolve(value: str) -> Any:
    """The value of a plain (unquoted, untagged) scalar by the YAML 1.2 core schema."""
    if value in _WORDS:
        return _WORDS[value]
    if value[0] in _NUMERIC:
        return _special(value)
    return value


# --- the tree ---------------------------------------------------------------------------------

_NO = object()  # a mapping awaiting its next key


def parse_tree(text: str, max_depth: int) -> Any:
    """The plain tree of `text` (None for no document); YamlError, located, for anything else."""
    try:
        return _build(text, max_depth)
    except yaml.MarkedYAMLError as exc:
        raise _located(exc, text, max_depth) from None
    except yaml.reader.ReaderError as exc:
        line = text.encode("utf-8", "surrogatepass").count(b"\n", 0, max(exc.position, 0)) + 1
        code = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "\0")
        raise YamlError(line, f"otillåtet tecken (kod U+{code:04X}) i filen; ta bort det") from None
    except UnicodeEncodeError as exc:  # a lone surrogate, which no UTF-8 file can hold
        line = text.count("\n", 0, exc.start) + 1
        raise YamlError(line, f"otillåtet tecken (kod U+{ord(text[exc.start]):04X}) i filen; ta bort det") from None
    except yaml.YAMLError as exc:
        raise YamlError(None, f"YAML-syntaxfel: texten kan inte läsas som YAML ({exc})") from None


def _build(text: str, max_depth: int) -> Any:
    stack: list[Any] = []  # the open mappings and lists, innermost last
    keys: list[Any] = []  # for each: None for a list; for a mapping its key awaiting a value, or _NO
    root: Any = None
    documents = 0
    scalar_event, mapping_start, sequence_start = yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent
    mapping_end, sequence_end = yaml.MappingEndEvent, yaml.SequenceEndEvent
    words, numeric, special = _WORDS, _NUMERIC, _special

    for event in yaml.parse(text, Loader=yaml.CSafeLoader):
        kind = type(event)
        opens = False
        if kind is scalar_event:
            if event.anchor is not None:
                raise YamlError(event.start_mark.line + 1, ANCHOR_MESSAGE)
            if event.tag is not None:
                raise YamlError(event.start_mark.line + 1, TAG_MESSAGE)
            value: Any = event.value
            if event.implicit[0] and not event.style:  # plain: resolved; quoted and block: text
                if value in words:
                    value = words[value]
                elif value[0] in numeric:
                    value = special(value)
        elif kind is mapping_start or kind is sequence_start:
            line = event.start_mark.line
            if event.anchor is not None:
                raise YamlError(line + 1, ANCHOR_MESSAGE)
            if event.tag is not None:
                raise YamlError(line + 1, TAG_MESSAGE)
            if len(stack) >= max_depth:
                raise YamlError(line + 1, depth_message(max_depth))
            value = YamlMap(line) if kind is mapping_start else YamlSeq(line)
            opens = True
        elif kind is mapping_end or kind is sequence_end:
            stack.pop()
            keys.pop()
            continue
        elif kind is yaml.AliasEvent:
            raise YamlError(event.start_mark.line + 1, ANCHOR_MESSAGE)
        elif kind is yaml.DocumentStartEvent:
            documents += 1
            if documents > 1:
                message = "YAML-syntaxfel: filen har mer än ett YAML-dokument (---); en definition är ett enda dokument"
                raise YamlError(event.start_mark.line + 1, message)
            continue
        else:
            continue
        if not stack:
            root = value
        else:
            parent = stack[-1]
            pending = keys[-1]
            if pending is None:  # a list
                parent.item_lines.append(event.start_mark.line)
                parent.append(value)
            elif pending is _NO:  # a mapping's key
                line = event.start_mark.line
                if opens:
                    message = "YAML-syntaxfel: en nyckel ska vara ett enkelt värde, inte en lista eller mappning"
                    raise YamlError(line + 1, message)
                if value in parent:
                    first = parent.key_lines[value] + 1
                    message = (
                        f"YAML-syntaxfel: nyckeln '{value}' förekommer två gånger i samma mappning "
                        f"(första gången på rad {first})"
                    )
                    raise YamlError(line + 1, message)
                keys[-1] = (value, line)
            else:
                key, key_line = pending
                parent[key] = value
                parent.key_lines[key] = key_line
                keys[-1] = _NO
        if opens:
            stack.append(value)
            keys.append(_NO if kind is mapping_start else None)
    return root


# --- libyaml's errors, located and in Swedish ---------------------------------------------------

_TAB = "indrag görs med mellanslag, inte tabb"

# (words in libyaml's problem or context, what it means): the first that matches is said
_MESSAGES: tuple[tuple[str, str], ...] = (
    ("tab character", f"tabb i indraget; {_TAB}"),
    ("mapping values are not allowed", "kolon på fel ställe (kanske saknas mellanslag eller citattecken)"),
    ("found unexpected ':'", "kolon på fel ställe (kanske saknas mellanslag eller citattecken)"),
    ("could not find expected ':'", "kolon (:) saknas efter nyckeln"),
    ("mapping keys are not allowed", "nyckel (?) på fel ställe"),
    (
        "cannot start any token",
        "tecknet kan inte börja ett värde (` och @ är reserverade: skriv värdet inom citattecken)",
    ),
    ("block sequence entries are not allowed", "listpunkt (-) på fel ställe"),
    ("did not find expected '-' indicator", "fel indrag: raden hör inte ihop med listan ovanför"),
    ("did not find expected key", "fel indrag: raden hör inte ihop med raderna ovanför"),
    ("did not find expected ',' or ']'", "listan inom [ ] är inte avslutad"),
    ("did not find expected ',' or '}'", "mappningen inom { } är inte avslutad"),
    (
        "escape",
        "okänd eller felaktig escape-kod (\\) inom dubbla citattecken; skriv \\\\ eller använd enkla citattecken",
    ),
    (
        "hexdecimal number",
        "okänd eller felaktig escape-kod (\\) inom dubbla citattecken; skriv \\\\ eller använd enkla citattecken",
    ),
    ("while scanning a quoted scalar", "citattecken som inte stängs, eller fel inom citattecknen"),
    ("found unexpected end of stream", "filen tar slut mitt i ett värde (citattecken som inte stängs?)"),
    ("found unexpected document indicator", "dokumentgräns (--- eller ...) mitt i ett värde"),
    ("did not find expected node content", "ett värde saknas här, eller börjar med ett tecken som inte får stå där"),
    ("while scanning an anchor", "ett ankare (&) utan namn"),
    ("while scanning an alias", "ett alias (*) utan namn"),
    ("while scanning a tag", "felaktig tagg (!); taggar stöds inte i en definition"),
    ("while parsing a tag", "felaktig tagg (!); taggar stöds inte i en definition"),
    ("tag handle", "felaktig tagg (!); taggar stöds inte i en definition"),
    ("incompatible YAML document", "YAML-versionen stöds inte; en definition är YAML 1.2"),
    ("directive", "felaktigt direktiv (%); en definition behöver inga"),
    ("while scanning a block scalar", "felaktigt huvud till ett blockvärde (| eller >)"),
    (
        "did not find expected comment or line break",
        "oväntad text efter värdet (en kommentar börjar med mellanslag och #)",
    ),
    ("did not find expected <document start>", "oväntad text efter dokumentets slut"),
)


def _located(exc: yaml.MarkedYAMLError, text: str, max_depth: int) -> YamlError:
    mark = exc.problem_mark or exc.context_mark
    # the end of a text without a final line break is marked on the line after it: the last line
    line = min(mark.line + 1, len(_LINE_BREAK.findall(text)) + 1) if mark is not None else None
    problem = str(exc.problem or exc.context or "okänt fel")
    if "nesting depth" in problem:  # libyaml's own bound (1,000 levels), met before the events say so
        return YamlError(line, depth_message(max_depth))
    said = f"{exc.context or ''} {problem}"
    if mark is not None and "\t" in _indent(text, mark.line):
        return YamlError(line, f"YAML-syntaxfel: tabb i indraget; {_TAB} ({problem})")
    for needle, swedish in _MESSAGES:
        if needle in said:
            return YamlError(line, f"YAML-syntaxfel: {swedish} ({problem})")
    return YamlError(line, f"YAML-syntaxfel: texten kan inte läsas som YAML här ({problem})")


_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


def _indent(text: str, line: int) -> str:
    """The leading white space of 0-based `line`, with the line breaks libyaml counts."""
    lines = _LINE_BREAK.split(text, maxsplit=line + 1)
    if line >= len(lines):
        return ""
    row = lines[line]
    return row[: len(row) - len(row.lstrip(" \t"))]
