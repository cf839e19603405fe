"""The statistics page without a browser: its exports (CSV and a real .xlsx read back with
openpyxl, the same table), its charts drawn from the cells the tables show, admins only."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.pages_kit import PagesApp, build, personnummer
from tests.integration.test_pages import signed_in


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PagesApp]:
    p = build(Path(tmp_path_factory.mktemp("statistik")))
    for n in range(7):
        case = p.refer(personnummer(1975 + n, 1 + n, 3 + n, 300 + n), f"Deltagare {n}")
        if n < 6:
            p.to_inskrivning(case)
    yield p
    p.close()


def test_the_xlsx_is_a_real_workbook_with_the_csv_table(pages: PagesApp) -> None:
    from openpyxl import load_workbook

    c = signed_in(pages, "frida.admin@forbund")
    q = "?period=2026&troskel=5"
    r_csv = c.get("/admin/statistik/uppfoljning.csv" + q)
    r_xlsx = c.get("/admin/statistik/uppfoljning.xlsx" + q)
    assert r_csv.status_code == r_xlsx.status_code == 200
    assert r_xlsx.headers["content-type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    assert 'filename="uppfoljning-2026.xlsx"' in r_xlsx.headers["content-disposition"]
    table = list(csv.reader(io.StringIO(r_csv.content.decode("utf-8-sig")), delimiter=";"))
    wb = load_workbook(io.BytesIO(r_xlsx.content), read_only=True)
    sheet = wb["Uppföljning"]

    def text(v: object) -> str:
        if v is None:
            return ""
        if isinstance(v, float):
            return f"{v:g}".replace(".", ",")
        return str(v)

    rows = [[text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    assert rows == table
    header = table[0]
    total = next(r for r in table if r[0] == "*")
    assert total[header.index("aktiva_totalt")] == "6"  # six admitted, above the threshold: shown
    assert isinstance(next(iter(sheet.iter_rows(min_row=2, values_only=True)))[header.index("aktiva_totalt")], int)
    assert "Deltagare 1" not in r_csv.text


def test_the_charts_show_what_the_tables_show(pages: PagesApp) -> None:
    c = signed_in(pages, "frida.admin@forbund")
    html = c.get("/admin/statistik?period=2026").text
    labels = re.findall(r'<svg[^>]*aria-label="([^"]*)"', html)
    assert len(labels) == 4
    insats = next(a for a in labels if a.startswith("Deltagare per insats"))
    assert "Deltagit 6" in insats
    outcome = next(a for a in labels if a.startswith("Avslutade per utfall"))
    assert outcome.count(":") == 1 + 6  # every ending of the table, zeros too
    phase = next(a for a in labels if a.startswith("Pågående deltagare per fas"))
    # the chart names every row of its table with the cell the table shows (hidden ones as <5)
    for section, chart in (("per-fas", phase), ("per-utfall", outcome)):
        table = html[html.index(f'id="{section}"') :]
        table = table[table.index("<table") : table.index("</table>")]
        rows = re.findall(r'<tr><th scope="row">([^<]*)</th><td>([^<]*)</td></tr>', table)
        expected = "; ".join(f"{label}: Antal {value}" for label, value in rows if label != "Totalt")
        assert chart.split(": ", 1)[1] == expected
    assert "Deltagare 1" not in html


def test_statistics_are_for_the_forbund_only(pages: PagesApp) -> None:
    c = signed_in(pages, "sara.samordnare@kommun")
    for path in ("/admin/statistik", "/admin/statistik/uppfoljning.csv", "/admin/statistik/uppfoljning.xlsx"):
        r = c.get(path)
        assert r.status_code == 403
        assert "förbundets administratörer" in r.text
