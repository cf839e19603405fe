"""A report as files: CSV (plain, or as Swedish Excel opens it), .xlsx, JSON and a PNG chart per month.

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


Value = int | float | str | None
"""A cell of the table as written: a count, a median, `<5` for a hidden count, None for nothing."""


def report_table(report: FinsamReport) -> list[list[Value]]:
    """The rows of the report's table (header first), the same for the CSV and the .xlsx."""
    hidden = f"<{report.threshold}"

    def cell(v: Cell) -> Value:
        return hidden if v is None else v

    out: list[list[Value]] = [list(csv_columns())]
    for f in [*report.insatser, report.total]:
        row: list[Value] = [f.definition_id, f.name]
        for group in (f.started, f.active, f.ended):
            row += [cell(group[g]) for g in ("total", *GENDERS)]
        row += [cell(f.ended_by_outcome[e]) for e in ENDINGS]
        row += [f.days_median, f.days_p90]
        out.append(row)
    return out


def _text(value: Value, excel: bool) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        text = f"{value:g}"
        return text.replace(".", ",") if excel else text
    return str(value)


def report_csv(report: FinsamReport, excel: bool = False) -> bytes:
    """UTF-8 CSV; `excel=True`: semicolons, decimal comma and a BOM, as Swedish Excel opens it."""
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";" if excel else ",", lineterminator="\r\n")
    for row in report_table(report):
        w.writerow([_text(v, excel) for v in row])
    return buf.getvalue().encode("utf-8-sig" if excel else "utf-8")


def report_xlsx(report: FinsamReport) -> bytes:
    """The same table as `report_csv`, as a real Excel workbook (openpyxl): counts and medians are
    numbers, a hidden count the text `<5`; a second sheet says what the figures are."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Uppföljning"
    for row in report_table(report):
        ws.append(row)
    for c in ws[1]:
        c.font = Font(bold=True)
    ws.freeze_panes = "C2"
    about = wb.create_sheet("Om tabellen")
    about.append(["Period", report.period, str(report.period_start), str(report.period_end)])
    about.append(["Tröskel", report.threshold])
    about.append([
        f"Antal från 1 till {report.threshold - 1} visas som <{report.threshold}, liksom de celler som annars "
        "kunde räknas fram ur summorna. Aldrig enskilda personer."
    ])  # fmt: skip
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


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
