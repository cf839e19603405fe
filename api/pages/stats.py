"""A horizontal bar chart as SVG, drawn on the server (counts only)."""

from __future__ import annotations

from html import escape

ROW, LABEL_W, BAR_W = 30, 190, 320


def bar_chart(rows: list[tuple[str, int]], title: str) -> str:
    if not rows:
        return ""
    top = max(v for _, v in rows) or 1
    height = ROW * len(rows) + 10
    width = LABEL_W + BAR_W + 60
    desc = "; ".join(f"{label}: {value}" for label, value in rows)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" class="chart" role="img" '
        f'aria-label="{escape(title)}: {escape(desc)}">'
    ]
    for i, (label, value) in enumerate(rows):
        y = 5 + i * ROW
        w = max(2, round(BAR_W * value / top))
        out.append(f'<text x="{LABEL_W - 8}" y="{y + 19}" text-anchor="end" class="label">{escape(label)}</text>')
        out.append(f'<rect x="{LABEL_W}" y="{y + 4}" width="{w}" height="{ROW - 10}" class="bar"/>')
        out.append(f'<text x="{LABEL_W + w + 6}" y="{y + 19}" class="value">{value}</text>')
    out.append("</svg>")
    return "\n".join(out)
