"""A report as files: CSV (plain, or as Swedish Excel opens it), JSON and a PNG chart per month.

Only what `ReportService` produced (already suppressed) is written; the per-participant export
has the five anonymous fields of `ExportRow` and nothing else.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Sequence
from pathlib import Path

from engine.service.reports import ENDINGS, GENDERS, Cell, ExportRow, FinsamReport

# --- output: CSV, JSON, PNG -----------------------------------------------------------------

_GENDER_HEAD = {"total": "totalt", "kvinna": "kvinnor", "man": "män", "annat": "annat", "okänt": "okänt"}


def csv_columns() -> list[str]:
    cols = ["insats", "namn"]
    for group in ("startade", "aktiva", "avslutade"):
        cols += [f"{group}_{_GENDER_HEAD[g]}" for g in ("total", *GENDERS)]
    cols += [f"avslutade_{e}" for e in ENDINGS]
    cols += ["tid_median_dagar", "tid_p90_dagar"]
    return cols


def _cell(value: Cell | float, threshold: int, excel: bool) -> str:
    if value is None:
        return f"<{threshold}"
    if isinstance(value, float):
        text = f"{value:g}"
        return text.replace(".", ",") if excel else text
    return str(value)


def _median_cell(value: float | None, excel: bool) -> str:
    if value is None:
        return ""
    text = f"{value:g}"
    return text.replace(".", ",") if excel else text


def report_csv(report: FinsamReport, excel: bool = False) -> bytes:
    """UTF-8 CSV; `excel=True`: semicolons, decimal comma and a BOM, as Swedish Excel opens it."""
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";" if excel else ",", lineterminator="\r\n")
    w.writerow(csv_columns())
    for f in [*report.insatser, report.total]:
        row: list[str] = [f.definition_id, f.name]
        for group in (f.started, f.active, f.ended):
            row += [_cell(group[g], report.threshold, excel) for g in ("total", *GENDERS)]
        row += [_cell(f.ended_by_outcome[e], report.threshold, excel) for e in ENDINGS]
        row += [_median_cell(f.days_median, excel), _median_cell(f.days_p90, excel)]
        w.writerow(row)
    return buf.getvalue().encode("utf-8-sig" if excel else "utf-8")


def export_csv(rows: Sequence[ExportRow], excel: bool = False) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";" if excel else ",", lineterminator="\r\n")
    w.writerow(["kon", "aldersgrupp", "startdatum", "slutdatum", "utfall"])
    for r in rows:
        w.writerow(
            [
                r.kon,
                r.aldersgrupp,
                r.startdatum.isoformat(),
                r.slutdatum.isoformat() if r.slutdatum else "",
                r.utfall or "",
            ]
        )
    return buf.getvalue().encode("utf-8-sig" if excel else "utf-8")


def report_json(report: FinsamReport) -> bytes:
    return json.dumps(report.model_dump(mode="json"), ensure_ascii=False, indent=2).encode("utf-8")


def report_chart(report: FinsamReport) -> bytes:
    """Starts and ends per month (all insatser) as PNG; suppressed months are drawn as `<5`."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    labels = [m.month for m in report.months]
    fig = Figure(figsize=(max(6.0, 0.7 * len(labels) + 2), 4), dpi=100)
    ax = fig.subplots()
    xs = list(range(len(labels)))
    width = 0.4
    for offset, attr, title, color in ((-width / 2, "started", "Startade", "#2a6f97"),
                                       (width / 2, "ended", "Avslutade", "#e07a5f")):  # fmt: skip
        values = [getattr(m, attr) for m in report.months]
        heights = [v if v is not None else 0 for v in values]
        bars = ax.bar([x + offset for x in xs], heights, width, label=title, color=color)
        for bar, v in zip(bars, values, strict=True):
            if v is None:
                ax.annotate(f"<{report.threshold}", (bar.get_x() + bar.get_width() / 2, 0), ha="center",
                            va="bottom", fontsize=8)  # fmt: skip
    ax.set_xticks(xs, labels, rotation=45, ha="right")
    ax.set_ylabel("Deltagare")
    ax.set_title(f"Startade och avslutade deltagare per månad, {report.period}")
    ax.legend()
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()


def write_report_files(
    report: FinsamReport,
    out_dir: Path,
    *,
    excel: bool = False,
    exports: dict[str, list[ExportRow]] | None = None,
) -> list[Path]:
    """uppfoljning-<period>.json/.csv/.png, and deltagare-<insats>-<period>.csv per export."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = "uppfoljning-" + re.sub(r"[^0-9A-Za-z_-]+", "_", report.period)
    files = {
        out_dir / f"{stem}.json": report_json(report),
        out_dir / f"{stem}.csv": report_csv(report, excel=excel),
        out_dir / f"{stem}.png": report_chart(report),
    }
    for did, rows in (exports or {}).items():
        name = re.sub(r"[^0-9A-Za-z_-]+", "_", f"deltagare-{did}-{report.period}")
        files[out_dir / f"{name}.csv"] = export_csv(rows, excel=excel)
    for path, content in files.items():
        path.write_bytes(content)
    return list(files)
