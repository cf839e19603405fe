"""The one YAML reader (libyaml's events): its trees, its scalars, its refusals, all located.

ruamel.yaml stays here as a test oracle only: wherever the two parsers are meant to agree (plain
YAML without tags, anchors, tabs, empty values or scalars ruamel.yaml resolves by other rules than
the YAML 1.2 core schema), ruamel.yaml's round-trip loader must build the same tree, with the same
line for every mapping, key and list item. The product reads YAML one way: `parse_tree`.
"""

from __future__ import annotations

import importlib.util
import math
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from engine.core.loader import MAX_DEPTH, DefinitionError, parse_yaml, to_plain
from engine.core.yaml_tree import YamlError, YamlMap, YamlSeq, parse_tree, resolve

from .test_loader_limits import BILLION_LAUGHS, YAMLISH
from .test_validation import MINIMAL

ROOT = Path(__file__).resolve().parents[2]


def _bench_generate(phases: int) -> str:
    spec = importlib.util.spec_from_file_location("validation_bench", ROOT / "bench" / "validation_bench.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    text: str = module.generate(phases)
    return text


def typed(node: Any) -> Any:
    """The plain tree with each scalar's exact base type, so 1, 1.0, True and '1' stay apart."""
    if isinstance(node, dict):
        return {typed(k): typed(v) for k, v in node.items()}
    if isinstance(node, list):
        return [typed(v) for v in node]
    if isinstance(node, float):
        return ("float", repr(float(node)))  # nan equals nan here
    for kind in (bool, int, str, type(None)):
        if isinstance(node, kind):
            return (kind.__name__, node)
    return (type(node).__name__, node)


def positions(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The 0-based line of every mapping, key and list item, in either kind of tree."""
    out: list[tuple[Any, ...]] = []
    if isinstance(node, CommentedMap | YamlMap):
        ours = isinstance(node, YamlMap)
        out.append((path, node.line if ours else node.lc.line))
        for k, v in node.items():
            out.append(((*path, k), node.key_lines[k] if ours else node.lc.key(k)[0]))
            out.extend(positions(v, (*path, k)))
    elif isinstance(node, CommentedSeq | YamlSeq):
        ours = isinstance(node, YamlSeq)
        out.append((path, node.line if ours else node.lc.line))
        for i, v in enumerate(node):
            out.append(((*path, i), node.item_lines[i] if ours else node.lc.item(i)[0]))
            out.extend(positions(v, (*path, i)))
    return out


def plain(node: Any) -> Any:
    """Either tree as plain dicts and lists, keys as text (as `to_plain` gives validation)."""
    if isinstance(node, dict):
        return {str(k): plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [plain(v) for v in node]
    return node


def ruamel_tree(text: str) -> Any:
    y = YAML(typ="rt")
    y.version = (1, 2)
    return y.load(text)


# Plain scalars ruamel.yaml resolves otherwise than the core schema (1_000, 0b1, 0x1F, .5e3, <<, =,
# times), or that it constructs differently (dates), and texts it reads otherwise than libyaml
# (tabs, `|#`, a byte order mark past the start): no comparison there, the examples below say what.
_RESOLVED_OTHERWISE = re.compile(r"^[-+.0-9][^ ]*_|^[-+]?0[box]|^[-+]?\.[0-9]+[eE][0-9]|^=$|^<<$")
_TIMESTAMP = re.compile(r"[0-9]{4}-")


def _resolved_otherwise(value: str) -> bool:
    if _RESOLVED_OTHERWISE.search(value):
        return True
    if _TIMESTAMP.match(value):  # ruamel.yaml: a time (ours: text) or a date it cannot construct (ours: text)
        return not isinstance(resolve(value), date)
    return False


_READ_OTHERWISE = re.compile(r"\t|\ufeff|[|>][-+0-9]*#")


def comparable(text: str) -> bool:
    """Whether ruamel.yaml is meant to build the same tree as ours: plain YAML, a mapping on top."""
    if _READ_OTHERWISE.search(text[1:] if text.startswith("\ufeff") else text):
        return False
    try:
        events = list(yaml.parse(text, Loader=yaml.CSafeLoader))
        parse_tree(text, MAX_DEPTH)
    except (yaml.YAMLError, YamlError):
        return False
    if sum(isinstance(e, yaml.DocumentStartEvent) for e in events) != 1:
        return False
    if not isinstance(events[2], yaml.MappingStartEvent) or events[1].version or events[1].tags:
        return False
    for e in events:
        if isinstance(e, yaml.AliasEvent) or getattr(e, "anchor", None) or getattr(e, "tag", None):
            return False
        if isinstance(e, yaml.ScalarEvent) and e.implicit[0] and not e.style:
            if not e.value or _resolved_otherwise(e.value):
                return False  # an empty value: ruamel.yaml places it at the next token, libyaml where it is
    return True


def assert_same_tree(text: str) -> bool:
    """True when the text is comparable and ruamel.yaml builds the same tree; False when not comparable."""
    if not comparable(text):
        return False
    ours = parse_tree(text, MAX_DEPTH)
    theirs = ruamel_tree(text)  # must not raise: plain YAML that libyaml reads, ruamel.yaml reads too
    assert typed(to_plain(ours)) == typed(plain(theirs))
    assert positions(ours) == positions(theirs)
    return True


TEXTS = {
    "finsam": (ROOT / "definitions" / "finsam-insats.yaml").read_text(encoding="utf-8"),
    "sip": (ROOT / "definitions" / "sip.yaml").read_text(encoding="utf-8"),
    "minimal": MINIMAL,
    "bench": _bench_generate(12),
    "scalars": "a: [x, 'x', \"x\", 1, -1, +1, 017, true, True, TRUE, yes, on, ja, null, ~, '', 2026-01-06]\n"
    "z: [tRUE, nULL, NuLL, n, y, Y, off, OFF, No, '<<']\n"
    "b: |\n  rad 1\n  rad 2\nc: >\n  ett\n  två\nd: ~\ne: 5 arbetsdagar\n1: ett\nfalse: falskt\n2026-01-06: dag\n"
    "f: {g: [1, {h: i}], j: k}\n? l\n: m\n",
    "flow-seq-of-maps": "a:\n- {id: a}\n- [b, c]\n-\n  - d\n- e: f\n  g: h\n",
    "comments": "# kommentar\nid: x # efter\n\n# mitt\nlista:\n  # före\n  - a\n",
    "bom": "\ufeffid: x\n",
    "multiline-plain": "a: ett\n  två\n  tre\nb: 'citat\n  över rader'\n",
}


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_the_tree_of_plain_yaml_is_the_round_trip_tree(name: str) -> None:
    assert assert_same_tree(TEXTS[name]), "every plain definition is comparable"


@settings(max_examples=1000, deadline=None)
@given(st.one_of(st.text(max_size=200), YAMLISH, st.builds(lambda body: MINIMAL + body, YAMLISH)))
def test_whatever_both_read_they_read_the_same(text: str) -> None:
    assert_same_tree(text)


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.text(max_size=200), YAMLISH, st.builds(lambda body: MINIMAL + body, YAMLISH)))
def test_any_text_gives_a_tree_or_a_located_swedish_yaml_error(text: str) -> None:
    error: YamlError | None = None
    try:
        parse_tree(text, MAX_DEPTH)
    except YamlError as exc:
        error = exc
    if error is not None:
        lines = len(re.findall("\r\n|[\r\n\x85\u2028\u2029]", text)) + 1
        assert error.message
        assert error.line is None or 1 <= error.line <= lines


SCALAR = st.one_of(
    st.text(alphabet=st.sampled_from(list("abå019.-+ :#'\"")), max_size=8),
    st.integers(),
    st.floats(allow_nan=False),
    st.booleans(),
    st.none(),
)
KEY = st.text(alphabet=st.sampled_from(list("abcå019_")), min_size=1, max_size=6)
DATA = st.recursive(
    SCALAR, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEY, inner, max_size=4), max_leaves=20
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(KEY, DATA, min_size=1, max_size=5), st.sampled_from([False, True, None]), st.integers(2, 4))
def test_whatever_a_yaml_writer_writes_both_read_the_same(data: dict[str, Any], flow: bool | None, indent: int) -> None:
    text = yaml.safe_dump(data, default_flow_style=flow, indent=indent, allow_unicode=True, sort_keys=False)
    assert_same_tree(text)


# --- scalars: the YAML 1.2 core schema ------------------------------------------------------------

CORE: list[tuple[str, Any]] = [
    ("x", "x"),
    ("true", True), ("True", True), ("TRUE", True), ("false", False), ("False", False), ("FALSE", False),
    ("tRUE", "tRUE"), ("ja", "ja"), ("nej", "nej"), ("on", "on"), ("off", "off"), ("yes", "yes"), ("no", "no"),
    ("y", "y"), ("n", "n"),
    ("null", None), ("Null", None), ("NULL", None), ("~", None), ("nULL", "nULL"),
    ("0", 0), ("17", 17), ("-1", -1), ("+1", 1), ("017", 17), ("0o17", 15), ("0x1F", 31), ("0x1f", 31),
    ("0b1", "0b1"), ("1_000", "1_000"), ("-0x1", "-0x1"), ("0o8", "0o8"),
    ("1.5", 1.5), ("-1.5", -1.5), ("1.", 1.0), (".5", 0.5), ("+.5", 0.5), ("1e3", 1000.0), ("1.5E-2", 0.015),
    (".5e3", 500.0), ("1.2.3", "1.2.3"), (".", "."), ("+", "+"), ("1e", "1e"),
    (".inf", math.inf), (".Inf", math.inf), ("+.INF", math.inf), ("-.inf", -math.inf), (".iNf", ".iNf"),
    (".nan", math.nan), (".NaN", math.nan), (".NAN", math.nan), ("-.nan", "-.nan"),
    ("2026-01-06", date(2026, 1, 6)), ("2026-02-30", "2026-02-30"), ("2026-1-6", "2026-1-6"),
    ("2026-01-06T10:00:00", "2026-01-06T10:00:00"),
    ("5 arbetsdagar", "5 arbetsdagar"), ("<<", "<<"), ("=", "="), ("1" * 5000, "1" * 5000),
]  # fmt: skip


@pytest.mark.parametrize(("written", "value"), CORE, ids=[w[:20] for w, _ in CORE])
def test_plain_scalars_resolve_by_the_yaml_1_2_core_schema(written: str, value: Any) -> None:
    tree = parse_tree(f"a: {written}\n", MAX_DEPTH)
    assert typed(tree["a"]) == typed(value)


@pytest.mark.parametrize("written", ["'true'", '"1"', "'~'", '""', "|\n  1\n", ">\n  .inf\n"])
def test_quoted_and_block_scalars_are_text(written: str) -> None:
    assert isinstance(parse_tree(f"a: {written}\n", MAX_DEPTH)["a"], str)


def test_empty_values_are_null_at_their_own_line() -> None:
    tree = parse_tree("a:\nb:\n  -\n  - x\n  - \nc: \n", MAX_DEPTH)
    assert tree == {"a": None, "b": [None, "x", None], "c": None}
    assert (tree.key_lines, tree["b"].item_lines) == ({"a": 0, "b": 1, "c": 5}, [2, 3, 4])


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        ("", None),
        ("# bara en kommentar\n", None),
        ("---\n", None),
        ("- a\n", ["a"]),
        ("bara text\n", "bara text"),
        ("a:\tb\n", {"a": "b"}),
        ("a: |#\n  b\n", {"a": "b\n"}),
        ("<<: {a: 1}\n", {"<<": {"a": 1}}),
        ("%YAML 1.2\n---\na: on\n", {"a": "on"}),
        ("\ufeffa: 1\n", {"a": 1}),
    ],
)
def test_what_the_reader_builds_from_texts_once_left_to_another_parser(text: str, tree: Any) -> None:
    assert to_plain(parse_tree(text, MAX_DEPTH)) == tree


# --- refusals and errors: located, in Swedish --------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        (BILLION_LAUGHS, 4, "Ankare och alias (&, *) stöds inte"),
        ("a: 1\nb: &x 1\n", 2, "Ankare och alias"),
        ("a: 1\nb: *x\n", 2, "Ankare och alias"),
        ("a: &x [1]\n", 1, "Ankare och alias"),
        ("a: !!str 1\n", 1, "Taggar (!, !!) stöds inte"),
        ("a:\n  b: !x {c: 1}\n", 2, "Taggar (!, !!) stöds inte"),
        ("a:\n  - ! x\n", 2, "Taggar"),
        ("a: 1\nb: 2\na: 3\n", 3, "nyckeln 'a' förekommer två gånger i samma mappning (första gången på rad 1)"),
        ("a: {b: 1, b: 2}\n", 1, "nyckeln 'b' förekommer två gånger"),
        ("? [a]\n: b\n", 1, "en nyckel ska vara ett enkelt värde"),
        ("a: 1\n---\nb: 2\n", 2, "mer än ett YAML-dokument"),
        ("a:\n  " + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), 2, f"nästlade djupare än {MAX_DEPTH} nivåer"),
        ("a: 1\n" + "[" * 2000 + "]" * 2000, 2, f"nästlade djupare än {MAX_DEPTH} nivåer"),
        ("id: x\nname: a: b\n", 2, "YAML-syntaxfel: kolon på fel ställe"),
        ("a:\n  b: 1\n\tc: 2\n", 3, "YAML-syntaxfel: tabb i indraget; indrag görs med mellanslag, inte tabb"),
        ("a: 1\n  \tb: 2\n", 2, "tabb i indraget"),
        ("a: [b\n", 2, "listan inom [ ] är inte avslutad"),
        ("a: {b\n", 2, "mappningen inom { } är inte avslutad"),
        ("a: 1\nb: 'x\n", 3, "citattecken som inte stängs"),
        ("a:\n  - b\n c: d\n", 3, "fel indrag"),
        ("a: `x\n", 1, "tecknet kan inte börja ett värde"),
        ('a: "\\q"\n', 1, "escape-kod"),
        ("a: 1\nb: a\x07b\n", 2, "otillåtet tecken (kod U+0007)"),
        ("å: ä\nö: ü\nb: a\x00b\n", 3, "otillåtet tecken (kod U+0000)"),
        ("a: 1\nb: \ud800\n", 2, "otillåtet tecken (kod U+D800)"),
        ("%YAML 2.0\n---\na: 1\n", 1, "YAML-versionen stöds inte"),
        ("a: |0\n  x\n", 1, "blockvärde"),
    ],
)
def test_what_is_not_a_definitions_yaml_is_refused_at_its_line(text: str, line: int, words: str) -> None:
    with pytest.raises(DefinitionError) as exc:
        parse_yaml(text, "fel.yaml")
    [problem] = exc.value.problems
    assert (problem.line, problem.file) == (line, "fel.yaml")
    assert words in problem.message


def test_every_libyaml_error_is_said_in_swedish() -> None:
    """The syntax errors of the shipped definitions with a line deleted are each mapped, none said only in English."""
    unmapped = []
    for name in ("finsam-insats.yaml", "sip.yaml"):
        lines = (ROOT / "definitions" / name).read_text(encoding="utf-8").splitlines(keepends=True)
        for n in range(len(lines)):
            for text in ("".join(lines[:n] + lines[n + 1 :]), "".join(lines[:n]) + lines[n][: len(lines[n]) // 2]):
                try:
                    parse_tree(text, MAX_DEPTH)
                except YamlError as exc:
                    if "kan inte läsas som YAML här" in exc.message:
                        unmapped.append(exc.message)
    assert unmapped == []
