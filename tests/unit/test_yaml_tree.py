"""The fast YAML tree (libyaml's events) is the round-trip loader's tree, positions and all.

Whenever `fast_tree` builds a tree, ruamel.yaml's round-trip loader must build the same one:
the same plain values of the same types, and the same line for every mapping, key and list item
(the validation messages are located by them). Whenever it cannot be sure,
it says so and the loader falls back to ruamel.yaml.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from engine.core.loader import MAX_DEPTH, _yaml, parse_yaml, to_plain
from engine.core.yaml_tree import UNSURE, YamlMap, YamlSeq, fast_tree

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
    """The plain tree with each scalar's exact type, so 1, True and '1' stay apart."""
    if isinstance(node, dict):
        return {typed(k): typed(v) for k, v in node.items()}
    if isinstance(node, list):
        return [typed(v) for v in node]
    for kind in (bool, int, str, type(None)):
        if isinstance(node, kind):
            return (kind.__name__, node)
    return (type(node).__name__, node)


def positions(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The 0-based line of every mapping, key and list item, in either kind of tree."""
    out: list[tuple[Any, ...]] = []
    if isinstance(node, CommentedMap | YamlMap):
        fast = isinstance(node, YamlMap)
        out.append((path, node.line if fast else node.lc.line))
        for k, v in node.items():
            out.append(((*path, k), node.key_lines[k] if fast else node.lc.key(k)[0]))
            out.extend(positions(v, (*path, k)))
    elif isinstance(node, CommentedSeq | YamlSeq):
        fast = isinstance(node, YamlSeq)
        out.append((path, node.line if fast else node.lc.line))
        for i, v in enumerate(node):
            out.append(((*path, i), node.item_lines[i] if fast else node.lc.item(i)[0]))
            out.extend(positions(v, (*path, i)))
    return out


def assert_same_tree(text: str) -> bool:
    """True when the fast tree was built (and equals ruamel.yaml's); False when it declined."""
    fast = fast_tree(text, MAX_DEPTH)
    if fast is UNSURE:
        return False
    slow = _yaml().load(text)  # must not raise: the fast tree accepted nothing ruamel.yaml refuses
    assert typed(to_plain(fast)) == typed(to_plain(slow))
    assert positions(fast) == positions(slow)
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
def test_the_fast_tree_of_plain_yaml_is_the_round_trip_tree(name: str) -> None:
    assert assert_same_tree(TEXTS[name]), "the fast tree builds every plain definition"


@pytest.mark.parametrize(
    "text",
    [
        BILLION_LAUGHS,
        "a: &x 1\nb: 2\n",
        "a: !!str 1\n",
        "a: 1.5\n",
        "a: 0x1f\n",
        "a: 2026-02-30\n",
        "a: 1\na: 2\n",
        "<<: {a: 1}\n",
        "? [a]\n: b\n",
        "%YAML 1.2\n---\na: 1\n",
        "a: 1\n---\nb: 2\n",
        "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1),
        "a: [b\n",
        "bara text\n",
        "",
        "- a\n",
        ">\n#}< %",
        "a:\tb\n",
        "a:\nb: 1\n",
        "a: |#\n  b\n",
    ],
)
def test_the_fast_tree_leaves_everything_else_to_ruamel(text: str) -> None:
    assert fast_tree(text, MAX_DEPTH) is UNSURE


def test_parse_yaml_gives_the_same_messages_as_before_for_what_the_fast_tree_declines() -> None:
    from engine.core.loader import DefinitionError

    with pytest.raises(DefinitionError) as exc:
        parse_yaml("a: 1\na: 2\n", "dubbel.yaml")
    assert exc.value.problems[0].line == 2
    assert "nyckeln förekommer två gånger" in exc.value.problems[0].message


@settings(max_examples=1000, deadline=None)
@given(st.one_of(st.text(max_size=200), YAMLISH, st.builds(lambda body: MINIMAL + body, YAMLISH)))
def test_whatever_the_fast_tree_builds_ruamel_builds_the_same(text: str) -> None:
    assert_same_tree(text)
