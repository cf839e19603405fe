"""The graph of phases: which cannot be reached, which cannot reach an exit, and why.

One misspelt phase id in a transition (`to: samtyke`) leaves the phase it meant, and every phase
after it, unreachable. Those are follow-ons of the one mistake, not mistakes of their own: each
unreachable phase that a corrected reference (the close id the validator suggests) would reach is
reported with that reference as its `cause`. Likewise a phase whose only way to an exit goes
through an unknown phase. Linear: every phase is visited once per direction. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.core.definition import PhaseKind
from engine.core.wording import quoted

Loc = tuple[int | str, ...]


@dataclass(frozen=True, eq=False, slots=True)
class Finding:
    """One problem of the definition tree: where, what (in Swedish), its stable code, whether the
    message already names where it is (no `Fasen ”X”:` in front), and the finding it follows from."""

    loc: Loc
    message: str
    code: str = "invalid"
    named: bool = False
    cause: Finding | None = None


@dataclass(frozen=True, slots=True)
class Dangling:
    """A transition from phase `source` to a phase that does not exist; `meant` is the close id."""

    source: str
    finding: Finding
    meant: str | None


def graph_findings(
    phases: dict[str, tuple[Loc, dict[str, Any]]],
    start: Any,
    dangling: list[Dangling],
    names: dict[str, str],
) -> list[Finding]:
    out: list[Finding] = []
    if not phases:
        return out

    def name(pid: str) -> str:
        return names.get(pid, quoted(pid))

    edges: dict[str, set[str]] = {p: set() for p in phases}
    for pid, (_, ph) in phases.items():
        transitions = ph.get("transitions")
        for tr in transitions if isinstance(transitions, list) else ():
            to = tr.get("to") if isinstance(tr, dict) else None
            if isinstance(to, str) and to in phases:
                edges[pid].add(to)
    if isinstance(start, str) and start in phases:
        reached = _closure({start}, edges, set())
        cause: dict[str, Finding] = {}
        fixed = {p: set(e) for p, e in edges.items()}
        for d in dangling:
            if d.meant is None or d.meant not in phases:
                continue
            fixed[d.source].add(d.meant)
            if d.source in reached and d.meant not in reached:
                new = _closure({d.meant}, fixed, reached)
                cause.update(dict.fromkeys(new, d.finding))
                reached |= new
        for pid, (loc, _) in phases.items():
            if pid not in reached or pid in cause:
                message = f"Fasen {name(pid)} kan inte nås från startfasen {name(start)}"
                out.append(Finding(loc, message, "unreachable", named=True, cause=cause.get(pid)))
    exits = {pid for pid, (_, ph) in phases.items() if ph.get("kind") == PhaseKind.EXIT.value}
    if not exits:
        out.append(
            Finding(("phases",), "det finns ingen avslutsfas (kind: exit); ett ärende måste kunna avslutas", "no_exit")
        )
        return out
    backwards: dict[str, set[str]] = {p: set() for p in phases}
    for src, targets in edges.items():
        for to in targets:
            backwards[to].add(src)
    can_exit = _closure(exits, backwards, set())
    exit_cause: dict[str, Finding] = {}
    for d in dangling:
        if d.source in can_exit or (d.meant is not None and d.meant in phases and d.meant not in can_exit):
            continue
        new = _closure({d.source}, backwards, can_exit)
        exit_cause.update(dict.fromkeys(new, d.finding))
        can_exit |= new
    for pid, (loc, _) in phases.items():
        if pid not in can_exit or pid in exit_cause:
            message = f"Från fasen {name(pid)} finns ingen väg till en avslutsfas (kind: exit)"
            out.append(Finding(loc, message, "no_way_to_exit", named=True, cause=exit_cause.get(pid)))
    return out


def _closure(start: set[str], edges: dict[str, set[str]], known: set[str]) -> set[str]:
    """Every node reachable from `start` along `edges`, except those already `known`."""
    seen = {s for s in start if s not in known}
    todo = list(seen)
    while todo:
        for nxt in edges.get(todo.pop(), ()):
            if nxt not in seen and nxt not in known:
                seen.add(nxt)
                todo.append(nxt)
    return seen
