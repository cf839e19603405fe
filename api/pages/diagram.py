"""The process drawn from a definition, as server-side SVG (no script, no CDN).

Phases are boxes in layers by their distance from the start phase; transitions are arrows
labelled with their guards; phase timers (max length, extension, follow-up) are noted in the
box and global timers and rehabiliteringskedjan under the drawing. Each drawing also has a text
equivalent (`describe`) for screen readers.
"""

from __future__ import annotations

from collections import deque
from html import escape

from engine.core.definition import Definition, Guard, Phase

BOX_W, BOX_H, GAP_X, GAP_Y, MARGIN = 250, 92, 50, 78, 24
DECISIONS = {"admitted": "antagen", "not_admitted": "ej antagen", "on_hold": "vilande"}


def guard_text(g: Guard) -> str:
    parts: list[str] = []
    if g.consent == "active":
        parts.append("samtycke")
    if g.consent_covers:
        parts.append("samtycke omfattar " + ", ".join(g.consent_covers))
    if g.decision:
        parts.append("beslut: " + DECISIONS.get(g.decision, g.decision))
    if g.tasks_done:
        parts.append("uppgifter klara")
    if g.fact:
        parts.append("faktum " + g.fact)
    if g.anonymous is not None:
        parts.append("anonym" if g.anonymous else "ej anonym")
    if g.any_of:
        parts.append("(" + " eller ".join(guard_text(a) or "alltid" for a in g.any_of) + ")")
    return " och ".join(parts)


def timers_text(p: Phase) -> list[str]:
    out: list[str] = []
    if p.max_length is not None:
        out.append(f"längst {p.max_length}")
    if p.extension is not None:
        out.append(f"förläng {p.extension.step}, högst {p.extension.up_to}")
    if p.follow_up is not None:
        out.append(f"uppföljning var {p.follow_up.every}")
    if p.midpoint_review is not None:
        out.append("halvtidsavstämning")
    return out


def _layers(d: Definition) -> dict[str, int]:
    layer = {d.start: 0}
    queue = deque([d.start])
    while queue:
        pid = queue.popleft()
        for t in d.phase_by_id[pid].transitions:
            if t.to in d.phase_by_id and t.to not in layer:
                layer[t.to] = layer[pid] + 1
                queue.append(t.to)
    deepest = max(layer.values(), default=0)
    for p in d.phases:  # unreachable phases (the validator reports them) go last
        layer.setdefault(p.id, deepest + 1)
    return layer


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def render_svg(d: Definition) -> str:
    layer = _layers(d)
    rows: dict[int, list[str]] = {}
    for p in d.phases:
        rows.setdefault(layer[p.id], []).append(p.id)
    widest = max(len(r) for r in rows.values())
    width = MARGIN * 2 + widest * BOX_W + (widest - 1) * GAP_X + 160
    pos: dict[str, tuple[float, float]] = {}
    for depth, ids in rows.items():
        row_w = len(ids) * BOX_W + (len(ids) - 1) * GAP_X
        x0 = (width - 160 - row_w) / 2
        for i, pid in enumerate(ids):
            pos[pid] = (x0 + i * (BOX_W + GAP_X), MARGIN + depth * (BOX_H + GAP_Y))
    height = MARGIN * 2 + (max(rows) + 1) * (BOX_H + GAP_Y) - GAP_Y
    notes = _global_notes(d)
    height += 22 * len(notes) + (12 if notes else 0)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'class="diagram" role="img" aria-labelledby="diagram-title diagram-desc">',
        f'<title id="diagram-title">Processdiagram: {escape(d.name)} (version {d.version})</title>',
        f'<desc id="diagram-desc">{escape(describe_plain(d))}</desc>',
        "<defs><marker id='pil' viewBox='0 0 10 10' refX='10' refY='5' markerWidth='7' markerHeight='7' "
        "orient='auto-start-reverse'><path d='M0,0 L10,5 L0,10 z' fill='#1f3a5f'/></marker></defs>",
    ]
    side = 0
    bx: float
    lx: float
    ly: float
    for p in d.phases:
        for t in p.transitions:
            if t.to not in pos:
                continue
            x1, y1 = pos[p.id]
            x2, y2 = pos[t.to]
            label = escape(_clip(guard_text(t.when) or (t.label or ""), 42))
            if layer[t.to] > layer[p.id]:
                sx, sy, ex, ey = x1 + BOX_W / 2, y1 + BOX_H, x2 + BOX_W / 2, y2
                if layer[t.to] - layer[p.id] > 1:  # long edge: bend around on the right
                    side += 1
                    bx = width - 150 + (side % 4) * 12
                    path = f"M{sx:.0f},{sy:.0f} C{bx:.0f},{sy + 30:.0f} {bx:.0f},{ey - 30:.0f} {ex:.0f},{ey:.0f}"
                    lx, ly = bx - 4, (sy + ey) / 2
                else:
                    path = f"M{sx:.0f},{sy:.0f} L{ex:.0f},{ey:.0f}"
                    lx, ly = (sx + ex) / 2 + 6, (sy + ey) / 2
            else:  # back or sideways edge: curve on the left
                sx, sy, ex, ey = x1, y1 + BOX_H / 2, x2, y2 + BOX_H / 2
                bx = min(sx, ex) - 40
                path = f"M{sx:.0f},{sy:.0f} C{bx:.0f},{sy:.0f} {bx:.0f},{ey:.0f} {ex:.0f},{ey:.0f}"
                lx, ly = bx + 4, (sy + ey) / 2
            out.append(
                f'<path d="{path}" fill="none" stroke="#1f3a5f" stroke-width="1.6" marker-end="url(#pil)">'
                f"<title>{escape(p.label)} → {escape(d.phase_by_id[t.to].label)}</title></path>"
            )
            if label:
                out.append(f'<text x="{lx:.0f}" y="{ly:.0f}" class="guard">{label}</text>')
    for p in d.phases:
        x, y = pos[p.id]
        cls = "phase start" if p.id == d.start else ("phase exit" if p.kind.value == "exit" else "phase")
        out.append(f'<g class="{cls}" data-phase="{escape(p.id)}">')
        out.append(f'<rect x="{x:.0f}" y="{y:.0f}" width="{BOX_W}" height="{BOX_H}" rx="8"/>')
        out.append(f'<text x="{x + 10:.0f}" y="{y + 22:.0f}" class="label">{escape(_clip(p.label, 26))}</text>')
        tasks = f"{len(p.tasks)} uppgift" + ("er" if len(p.tasks) != 1 else "")
        out.append(f'<text x="{x + 10:.0f}" y="{y + 40:.0f}" class="meta">{tasks}</text>')
        for i, timer in enumerate(timers_text(p)[:3]):
            ty = y + 56 + i * 14
            out.append(f'<text x="{x + 10:.0f}" y="{ty:.0f}" class="timer">{escape(_clip(timer, 40))}</text>')
        out.append("</g>")
    y = MARGIN + (max(rows) + 1) * (BOX_H + GAP_Y) - GAP_Y + 20
    for note in notes:
        out.append(f'<text x="{MARGIN}" y="{y:.0f}" class="timer">{escape(note)}</text>')
        y += 22
    out.append("</svg>")
    return "\n".join(out)


def _global_notes(d: Definition) -> list[str]:
    notes: list[str] = []
    g = d.global_timers
    if g.no_contact is not None:
        notes.append(f"Ingen kontakt på {g.no_contact.after}: meddela {g.no_contact.notify}")
    if g.max_time is not None:
        notes.append(f"Längsta tid i insatsen {g.max_time.after}: meddela {g.max_time.notify}")
    if d.rehabiliteringskedjan is not None:
        r = d.rehabiliteringskedjan
        days = ", ".join(str(c) for c in r.checkpoints)
        notes.append(f"Rehabiliteringskedjan dag {days} (varning {r.warn_before} före) till {r.notify}")
    return notes


def describe(d: Definition) -> list[dict[str, object]]:
    """The diagram as rows of text: each phase with its timers and transitions."""
    return [
        {
            "id": p.id,
            "label": p.label,
            "timers": timers_text(p),
            "transitions": [
                {"to": d.phase_by_id[t.to].label if t.to in d.phase_by_id else t.to, "guard": guard_text(t.when)}
                for t in p.transitions
            ],
        }
        for p in d.phases
    ]


def describe_plain(d: Definition) -> str:
    parts = []
    for row in describe(d):
        trans = "; ".join(f"till {t['to']}" + (f" när {t['guard']}" if t["guard"] else "") for t in row["transitions"])  # type: ignore[attr-defined]
        parts.append(f"{row['label']}" + (f": {trans}" if trans else ""))
    return ". ".join(parts) + "."
