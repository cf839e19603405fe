"""Process diagrams: the definition's graph (engine.core.diagram) laid out by a renderer port
(Graphviz `dot` in engine.adapters.diagram), cached so that a page does not run the layout per
request.

The cache key is the definition's (id, version) and the DOT text's digest: a stored version never
changes, so its drawing is made once; the editor's live validation draws unsaved text under the
same (id, version), which the digest tells apart. The cache is bounded (least recently used out).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from typing import Protocol

from engine.core.definition import Definition
from engine.core.diagram import Graph, build_graph
from engine.core.diagram_dot import finish_svg, to_dot


class DiagramUnavailable(Exception):
    """The layout engine is missing, too slow, or refused the input (the message says which)."""


class DiagramRenderer(Protocol):
    def render_svg(self, dot: str) -> str:
        """dot's SVG for the DOT text; raises DiagramUnavailable."""
        ...


class DiagramService:
    def __init__(self, renderer: DiagramRenderer, max_entries: int = 128) -> None:
        self._renderer = renderer
        self._max = max_entries
        self._cache: OrderedDict[tuple[str, int, str], str] = OrderedDict()
        self._lock = threading.Lock()
        self.renders = 0  # how often the layout ran (the cache's tests read it)

    def graph(self, d: Definition) -> Graph:
        return build_graph(d)

    def dot(self, d: Definition) -> str:
        return to_dot(build_graph(d))

    def svg(self, d: Definition) -> str:
        """The drawing of a definition; raises DiagramUnavailable."""
        g = build_graph(d)
        dot = to_dot(g)
        key = (d.id, d.version, hashlib.sha256(dot.encode()).hexdigest())
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        svg = finish_svg(self._renderer.render_svg(dot), g)
        with self._lock:
            self.renders += 1
            self._cache[key] = svg
            while len(self._cache) > self._max:
                self._cache.popitem(last=False)
        return svg

    def svg_or_none(self, d: Definition) -> str | None:
        try:
            return self.svg(d)
        except DiagramUnavailable:
            return None
