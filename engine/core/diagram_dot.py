"""The diagram graph (engine.core.diagram) as Graphviz DOT text, and dot's SVG made accessible.

Pure text in, text out: running `dot` is the adapter's (engine.adapters.diagram). Every edge
label is a node of its own (dot never lets nodes overlap, so no label covers another label or a
box), lines are wrapped, never cut; the SVG gets a <title> and a <desc> and loses dot's internal
names (node keys in <title> elements and comments).
"""

from __future__ import annotations

import re
import textwrap
from html import escape

from engine.core.diagram import Graph, Line, Node

FONT = "DejaVu Sans"
WRAP = {"phase": 46, "exit": 46, "start": 30, "end": 30, "note": 34, "guard": 30}
STYLE = {
    "start": 'shape=box style="rounded,filled,bold" fillcolor="#e3f1e6" color="#2e6b3a"',
    "phase": 'shape=box style="rounded,filled" fillcolor="#eef3f9" color="#1f3a5f" penwidth=1.4',
    "exit": 'shape=box style="rounded,filled" fillcolor="#f4eef8" color="#5b3a7a" penwidth=1.4',
    "end": 'shape=box style="rounded,filled,bold" fillcolor="#f4eef8" color="#5b3a7a"',
    "note": 'shape=note style="filled" fillcolor="#fff6dc" color="#8a6d1f"',
    "guard": 'shape=box style="rounded,filled" fillcolor="#ffffff" color="#b8c4d3" penwidth=0.6',
}
NBSP3 = "&#160;&#160;&#160;"
LINE_FONT = {  # (font, first line's prefix, next lines' prefix)
    "task": ('<FONT POINT-SIZE="11">', "• ", NBSP3),
    "detail": ('<FONT POINT-SIZE="10" COLOR="#3d4b5c">', NBSP3, NBSP3),
    "timer": ('<FONT POINT-SIZE="10.5" COLOR="#7a4b00">', "", NBSP3),
    "text": ('<FONT POINT-SIZE="10.5">', "", ""),
}


def _wrap(text: str, width: int) -> list[str]:
    return textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False) or [""]


def _row(inner: str) -> str:
    return f'<TR><TD ALIGN="LEFT" BALIGN="LEFT">{inner}</TD></TR>'


def _line_rows(line: Line, width: int) -> list[str]:
    font, first, rest = LINE_FONT[line.style]
    return [_row(f"{font}{first if i == 0 else rest}{escape(w)}</FONT>") for i, w in enumerate(_wrap(line.text, width))]


def node_label(n: Node) -> str:
    width = WRAP[n.kind]
    rows: list[str] = []
    if n.title:
        size = 13 if n.kind in ("phase", "exit") else 11
        for w in _wrap(n.title, width if n.kind == "guard" else 30):
            align = "CENTER" if n.kind == "guard" else "LEFT"
            rows.append(f'<TR><TD ALIGN="{align}"><FONT POINT-SIZE="{size}"><B>{escape(w)}</B></FONT></TD></TR>')
    for line in n.lines:
        if n.kind == "guard":
            rows.extend(
                f'<TR><TD ALIGN="CENTER"><FONT POINT-SIZE="10.5">{escape(w)}</FONT></TD></TR>'
                for w in _wrap(line.text, width)
            )
        else:
            rows.extend(_line_rows(line, width))
    return '<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">' + "".join(rows) + "</TABLE>>"


def to_dot(g: Graph, rankdir: str = "TB") -> str:
    out = [
        "digraph process {",
        f'  graph [rankdir={rankdir} nodesep=0.35 ranksep=0.3 pad=0.25 fontname="{FONT}" newrank=true];',
        f'  node [fontname="{FONT}" fontsize=10 margin="0.16,0.07"];',
        f'  edge [fontname="{FONT}" color="#1f3a5f" arrowsize=0.8 penwidth=1.2];',
    ]
    for n in g.nodes:
        css = "phase exit" if n.kind == "exit" else n.kind
        out.append(f'  {n.key} [{STYLE[n.kind]} class="{css}" label={node_label(n)}];')
    for e in g.edges:
        attrs = []
        if e.kind == "back":
            attrs.append('color="#8a4b08" style=dashed')
            attrs.append("dir=back" if e.arrow else "dir=none")
        elif e.kind == "note":
            attrs.append('color="#8a6d1f" style=dotted dir=none')
        elif not e.arrow:
            attrs.append("dir=none")
        out.append(f'  {e.source} -> {e.target} [{" ".join(attrs)} class="{e.kind}"];')
    for group in g.same_rank:
        out.append("  { rank=same; " + "; ".join(group) + "; }")
    out.append("}")
    return "\n".join(out) + "\n"


_ROOT = re.compile(r'<svg\b[^>]*?viewBox="([-\d.]+) ([-\d.]+) ([-\d.]+) ([-\d.]+)"[^>]*>')


def finish_svg(raw: str, g: Graph) -> str:
    """dot's SVG with the drawing's title and text, no internal names, scalable by its viewBox."""
    m = _ROOT.search(raw)
    if m is None:
        raise ValueError("dot answered without an <svg> root")
    body = raw[m.end() :]
    body = re.sub(r"<!--.*?-->", "", body, flags=re.S)
    body = re.sub(r"<title>.*?</title>", "", body, flags=re.S)
    body = re.sub(r"\n\s*\n", "\n", body)
    x, y, w, h = m.groups()
    root = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{x} {y} {w} {h}" width="{float(w):.0f}" '
        f'height="{float(h):.0f}" class="diagram" role="img" aria-labelledby="diagram-title diagram-desc">\n'
        f'<title id="diagram-title">{escape(g.title)}</title>\n'
        f'<desc id="diagram-desc">{escape(g.text())}</desc>'
    )
    return root + body.rstrip() + "\n"
