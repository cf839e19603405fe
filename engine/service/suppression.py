"""Suppression of small counts in tables with totals, so that no hidden count can be recovered by
subtraction (pure: no I/O).

A table is a set of cells, each a count, and *lines*: groups of cells tied by one sum (a row with
its row total, a column with its column total, the months of a period with the period's total).
A cell may lie on several lines (an insats's total lies on its row and on the totals' column), and
a cell shown in two tables (the ended total of an insats, which is also the total of its outcomes)
is one cell with one key, so both tables hide it or neither does.

Primary suppression hides every count from 1 to threshold−1. Then, as long as some line has
exactly one hidden cell (it would follow from the line's sum by subtraction), a second cell of that
line is hidden too: the smallest visible non-zero cell that is not the line's total, else the
total, else a zero. This repeats until no line has exactly one hidden cell, which also covers
chains (a hidden cell made known by one line cannot make another known, since none can be made
known at all).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import TypeVar

K = TypeVar("K", bound=Hashable)


def primary(values: Mapping[K, int], threshold: int) -> set[K]:
    return {k for k, v in values.items() if 0 < v < threshold}


def suppress(values: Mapping[K, int], lines: Sequence[Sequence[K]], threshold: int) -> set[K]:
    """The keys to hide. Each line lists its cells with its total first."""
    hidden = primary(values, threshold)
    changed = True
    while changed:
        changed = False
        for line in lines:
            if sum(1 for k in line if k in hidden) != 1:
                continue
            total, cells = line[0], line[1:]
            visible = [k for k in cells if k not in hidden]
            candidates = sorted((values[k], i) for i, k in enumerate(visible) if values[k] > 0)
            if candidates:
                pick = visible[candidates[0][1]]
            elif total not in hidden:
                pick = total
            else:
                pick = visible[0]
            hidden.add(pick)
            changed = True
    return hidden


def recoverable(published: Mapping[K, int | None], lines: Sequence[Sequence[K]]) -> set[K]:
    """The hidden cells someone could work out from the published ones by subtraction along the
    lines, repeated until nothing more follows (for tests and checks)."""
    known = {k for k, v in published.items() if v is not None}
    found: set[K] = set()
    changed = True
    while changed:
        changed = False
        for line in lines:
            unknown = [k for k in line if k not in known]
            if len(unknown) == 1:
                known.add(unknown[0])
                found.add(unknown[0])
                changed = True
    return found
