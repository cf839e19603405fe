"""A horizontal bar chart as SVG, drawn on the server from the very cells its table shows: a hidden
(suppressed) cell is drawn as no bar with the text the table shows (`<5`), a zero as `0`, so the
chart never tells more than the table."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

ROW, BAR_W = 22, 300
SERIES_CLASSES = ("bar", "bar bar2", "bar bar3")


def bar_chart(
    rows: Sequence[tuple[str, Sequence[int | None]]],
    title: str,
    series: Sequence[str] = ("Antal",),
    hidden: str = "<5",
) -> str:
    """One group of bars per row (one bar per series), in the table's order."""
    if not rows:
        return ""
    values = [v for _, vs in rows for v in vs if v is not None]
    top = max(values, default=0) or 1
    n = len(series)
    group = ROW * n + 10
    legend = 24 if n > 1 else 0
    height = group * len(rows) + 10 + legend
    label_w = min(330, 16 + round(7.6 * max(len(label) for label, _ in rows)))  # the longest label fits
    width = label_w + BAR_W + 70
    desc = "; ".join(
        f"{label}: " + ", ".join(f"{s} {hidden if v is None else v}" for s, v in zip(series, vs, strict=True))
        for label, vs in rows
    )
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" class="chart" role="img" '
        f'aria-label="{escape(title)}: {escape(desc)}">'
    ]
    if n > 1:
        x = label_w
        for i, s in enumerate(series):
            out.append(f'<rect x="{x}" y="6" width="12" height="12" class="{SERIES_CLASSES[i % 3]}"/>')
            out.append(f'<text x="{x + 18}" y="17" class="value">{escape(s)}</text>')
            x += 30 + 9 * len(s)
    for i, (label, vs) in enumerate(rows):
        y0 = legend + 5 + i * group
        out.append(
            f'<text x="{label_w - 8}" y="{y0 + group // 2 + 2}" text-anchor="end" class="label">{escape(label)}</text>'
        )
        for j, v in enumerate(vs):
            y = y0 + j * ROW
            w = 0 if not v else max(2, round(BAR_W * v / top))
            if w:
                cls = SERIES_CLASSES[j % 3]
                out.append(f'<rect x="{label_w}" y="{y + 3}" width="{w}" height="{ROW - 6}" class="{cls}"/>')
            text = hidden if v is None else str(v)
            out.append(f'<text x="{label_w + w + 6}" y="{y + 16}" class="value">{escape(text)}</text>')
    out.append("</svg>")
    return "\n".join(out)
