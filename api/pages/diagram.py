"""The process diagram in the pages: the service's drawing (Graphviz, cached per definition
version) and its text alternative, for the template `_diagram.html`."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from api.pages.web import services_of
from engine.core.definition import Definition

UNAVAILABLE = "Diagrammet kunde inte ritas just nu. Texten nedan beskriver samma process."


def diagram_svg(request: Request, d: Definition) -> str | None:
    """The SVG, or None when the layout engine is unavailable (the page then says so)."""
    svg: str | None = services_of(request).diagrams.svg_or_none(d)
    return svg


def diagram_context(request: Request, d: Definition) -> dict[str, Any]:
    g = services_of(request).diagrams.graph(d)
    return {
        "svg": diagram_svg(request, d),
        "diagram_steps": g.steps,
        "diagram_notes": g.notes,
        "diagram_unavailable": UNAVAILABLE,
    }
