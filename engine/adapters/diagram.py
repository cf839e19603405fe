"""Graphviz `dot` as the diagram renderer (engine.service.diagrams.DiagramRenderer).

A subprocess per drawing with a bounded input and a timeout; the service caches the answers.
Debian package `graphviz` (the Makefile's `graphviz` target and the Docker image install it).
"""

from __future__ import annotations

import shutil
import subprocess

from engine.service.diagrams import DiagramUnavailable

MAX_DOT_BYTES = 1_000_000
TIMEOUT_SECONDS = 10.0


class GraphvizRenderer:
    def __init__(self, executable: str = "dot", timeout: float = TIMEOUT_SECONDS, max_bytes: int = MAX_DOT_BYTES):
        self.executable = executable
        self.timeout = timeout
        self.max_bytes = max_bytes

    def render_svg(self, dot: str) -> str:
        data = dot.encode("utf-8")
        if len(data) > self.max_bytes:
            raise DiagramUnavailable(f"Definitionen är för stor för att ritas (över {self.max_bytes} byte).")
        exe = shutil.which(self.executable)
        if exe is None:
            raise DiagramUnavailable("Graphviz (dot) är inte installerat: kör make run eller make test.")
        try:
            done = subprocess.run([exe, "-Tsvg"], input=data, capture_output=True, timeout=self.timeout, check=False)
        except subprocess.TimeoutExpired:
            raise DiagramUnavailable(f"Diagrammet tog mer än {self.timeout:g} sekunder att rita.") from None
        if done.returncode != 0:
            why = done.stderr.decode(errors="replace")[:300]
            raise DiagramUnavailable("Graphviz kunde inte rita diagrammet: " + why)
        return done.stdout.decode("utf-8")
