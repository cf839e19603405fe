"""The auditor's pages without a browser: the access log with its filters and paging, loggkontroll
with its findings as Swedish sentences, both as CSV; for auditors only."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.pages_kit import PASSWORD, PNR_ALVA, PNR_BO, PagesApp, build, caller
from tests.integration.test_pages import signed_in

AUDITOR = "greta.granskare@forbund"


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PagesApp]:
    p = build(Path(tmp_path_factory.mktemp("granskning")))
    p.app.state.web.accounts.save(AUDITOR, kind="auditor", party=None, roles=(), name="Greta Granskare",
                                  password=PASSWORD)  # fmt: skip
    alva = p.refer(PNR_ALVA, "Alva Exempel")
    p.refer(PNR_BO, "Bo Exempel")
    for _ in range(3):
        p.services.cases.get_case(caller("sara.samordnare@kommun"), alva.id, purpose="get_case")
    p.clock.advance(hours=14)  # 23:30 in Stockholm: a read at night
    p.services.cases.get_case(caller("rut.rehab@region"), alva.id, purpose="get_case")
    p.clock.advance(hours=-14)
    p.alva = alva  # type: ignore[attr-defined]
    yield p
    p.close()


def test_the_access_log_filters_by_party_user_purpose_and_case_and_pages(pages: PagesApp) -> None:
    c = signed_in(pages, AUDITOR)
    r = c.get("/")
    assert r.headers["location"] == "/granskning/atkomstlogg"
    html = c.get("/granskning/atkomstlogg?period=2026-06").text
    assert "Åtkomstlogg" in html
    assert 'aria-current="page"' in html
    assert "Sara Lind (sara.samordnare@kommun)" in html
    assert "registrerade samtycke" in html  # the purpose in Swedish, not the command's name
    assert "RecordConsent" not in html
    assert "Alva" not in html
    assert PNR_ALVA not in html
    total = pages.services.audit.access_log(caller_of_auditor(), limit=1).total
    assert f"{total} poster" in html
    region = c.get("/granskning/atkomstlogg?period=2026-06&part=region").text
    assert "Rut Holm" in region
    assert "Sara Lind" not in region
    ref = "INS-" + pages.alva.id[:8].upper()  # type: ignore[attr-defined]
    by_case = pages.services.audit.access_log(caller_of_auditor(), case_ref=ref, limit=500)
    assert by_case.total >= 5
    assert all(i.case_id == pages.alva.id for i in by_case.items)
    html = c.get(f"/granskning/atkomstlogg?period=2026-06&arende={ref}").text
    assert f"{by_case.total} poster" in html
    by_purpose = c.get("/granskning/atkomstlogg?period=2026-06&syfte=refer&anvandare=sara.samordnare@kommun").text
    assert "2 poster" in by_purpose
    bad = c.get("/granskning/atkomstlogg?arende=inte-en-referens")
    assert bad.status_code == 200
    assert "Okänd ärendereferens" in bad.text
    other_month = c.get("/granskning/atkomstlogg?period=2026-07").text
    assert "0 poster" in other_month
    assert "Inga poster matchar filtret." in other_month
    for _n in range(60):  # more than a page
        pages.services.cases.get_case(caller("sara.samordnare@kommun"), pages.alva.id)  # type: ignore[attr-defined]
    first = c.get("/granskning/atkomstlogg?period=2026-06").text
    assert "Nästa sida" in first
    assert "Föregående sida" not in first
    second = c.get("/granskning/atkomstlogg?period=2026-06&sida=2").text
    assert "Föregående sida" in second
    assert "Sida 2 av 2" in second
    export = c.get("/granskning/atkomstlogg.csv?period=2026-06&part=kommun")
    assert export.status_code == 200
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:4] == ["tid", "anvandare", "namn", "part"]
    kommun = pages.services.audit.access_log(caller_of_auditor(), party="kommun", limit=1).total
    label = pages.services.definitions.latest_labels()["finsam-insats"]["parties"]["kommun"]
    assert len(rows) - 1 == kommun
    assert {r[3] for r in rows[1:]} == {label}


def caller_of_auditor():  # type: ignore[no-untyped-def]
    from engine.service.access import Caller

    return Caller(user_id=AUDITOR, kind="auditor", party=None, roles=(), name="Greta Granskare")


def test_loggkontroll_explains_its_findings_in_swedish_and_exports_them(pages: PagesApp) -> None:
    c = signed_in(pages, AUDITOR)
    everything = c.get("/granskning/loggkontroll?period=2026-06&urval=500")
    assert everything.status_code == 200
    assert "på natten" in everything.text.split('id="urvalet"')[1]  # flagged entries in the sample's table
    html = c.get("/granskning/loggkontroll?period=2026-06&urval=5").text
    assert "läsningar i åtkomstloggen" in html
    assert "urvalet visar 5 av dem" in html
    assert "på natten" in html
    assert "Rut Holm (rut.rehab@region, Regionen) läste ärende INS-" in html
    assert "läste ärendet" in html
    assert "outside_task" not in html
    assert "night" not in html.replace("natt", "")
    again = c.get("/granskning/loggkontroll?period=2026-06&urval=5").text
    assert again.split('id="urvalet"')[1] == html.split('id="urvalet"')[1]  # the same sample every time
    export = c.get("/granskning/loggkontroll.csv?period=2026-06&urval=5")
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig")), delimiter=";"))
    assert sum(1 for r in rows[1:] if r[0] == "urval") == 5
    flagged = [r for r in rows[1:] if r[0] == "flaggad"]
    assert flagged
    assert all(r[-1].endswith(".") for r in flagged)


def test_only_auditors_reach_the_audit_pages(pages: PagesApp) -> None:
    for user in ("sara.samordnare@kommun", "frida.admin@forbund"):
        c = signed_in(pages, user)
        for path in ("/granskning/atkomstlogg", "/granskning/loggkontroll", "/granskning/atkomstlogg.csv"):
            r = c.get(path)
            assert r.status_code == 403, (user, path)
            assert "granskare" in r.text

