"""The admin's versions pages without a browser: saving keeps the text, the forms write only the
changed lines, publishing and migrating wait for a confirmation, the simulation takes every option."""

from __future__ import annotations

import difflib
import re
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.pages_kit import PASSWORD, PNR_ALVA, PNR_BO, PagesApp, build, caller, csrf_of

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

TEXT = (Path(__file__).resolve().parents[2] / "definitions" / "finsam-insats.yaml").read_text(encoding="utf-8")
ADMIN = "frida.admin@forbund"


@pytest.fixture
def pages(tmp_path: Path) -> Iterator[PagesApp]:
    p = build(tmp_path)
    yield p
    p.close()


def admin(pages: PagesApp) -> tuple[TestClient, str]:
    c = TestClient(pages.app, raise_server_exceptions=True, follow_redirects=False)
    token = csrf_of(c.get("/logga-in").text)
    r = c.post("/logga-in", data={"csrf_token": token, "anvandare": ADMIN, "losenord": PASSWORD, "nasta": "/"})
    assert r.status_code == 303
    return c, csrf_of(c.get("/admin/definitioner/finsam-insats").text)


def stored(pages: PagesApp, version: int) -> str:
    text: str = pages.services.definitions.get("finsam-insats", version).yaml
    return text


def hunks(a: str, b: str) -> list[tuple[list[str], list[str]]]:
    x, y = a.splitlines(), b.splitlines()
    ops = difflib.SequenceMatcher(None, x, y, autojunk=False).get_opcodes()
    return [(x[i1:i2], y[j1:j2]) for tag, i1, i2, j1, j2 in ops if tag != "equal"]


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).replace("&#39;", "'").split())


def test_saving_unchanged_yaml_keeps_every_byte_but_the_version_line(pages: PagesApp) -> None:
    c, token = admin(pages)
    messy = TEXT.replace("name: Individuell insats (FINSAM)\n", "name: Individuell insats (FINSAM)   \n").replace(
        "  - id: af\n    label: Arbetsförmedlingen", "  -   id: af\n      label: Arbetsförmedlingen"
    )
    r = c.post("/admin/definitioner/finsam-insats/spara", data={"csrf_token": token, "yaml": messy})
    assert r.status_code == 303
    assert hunks(messy, stored(pages, 2)) == [(["version: 1"], ["version: 2"])]
    typed = messy.replace("version: 1\n", "version: 3\n")
    r = c.post("/admin/definitioner/finsam-insats/spara", data={"csrf_token": token, "yaml": typed})
    assert r.status_code == 303
    assert stored(pages, 3) == typed  # byte for byte, trailing spaces and all


def test_the_task_form_saves_a_new_version_differing_only_in_the_changed_lines(pages: PagesApp) -> None:
    c, token = admin(pages)
    form = {"csrf_token": token, "fas": "aktualisering", "uppgift": "bekrafta_remiss",
            "label": "Bekräfta mottagen remiss och kontakta deltagaren", "responsible": "samordnare",
            "due": "3 arbetsdagar", "reminders": "2 arbetsdagar", "esc_to": "teamledare",
            "esc_after": "2 arbetsdagar", "blocking": "ja"}  # fmt: skip
    r = c.post("/admin/definitioner/finsam-insats/1/formular/uppgift", data=form)
    assert r.status_code == 303
    assert r.headers["location"] == "/admin/definitioner/finsam-insats/2/formular?fas=aktualisering"
    assert hunks(TEXT, stored(pages, 2)) == [
        (["version: 1"], ["version: 2"]),
        (["        due: 5 arbetsdagar"], ["        due: 3 arbetsdagar"]),
    ]


def test_the_phase_and_timer_forms_change_only_their_lines(pages: PagesApp) -> None:
    c, token = admin(pages)
    r = c.post("/admin/definitioner/finsam-insats/1/formular/fas", data={
        "csrf_token": token, "fas": "arbetstraning", "max_length": "4 månader", "step": "3 månader",
        "up_to": "12 månader"})  # fmt: skip
    assert r.status_code == 303
    assert hunks(TEXT, stored(pages, 2))[1] == (["    max_length: 3 månader"], ["    max_length: 4 månader"])
    r = c.post("/admin/definitioner/finsam-insats/2/formular/timrar", data={
        "csrf_token": token, "fas": "arbetstraning", "no_contact_after": "21 dagar", "no_contact_notify": "samordnare",
        "no_contact_starts_in": "inskrivning", "max_time_after": "18 månader", "max_time_notify": "teamledare",
        "max_time_starts_in": "inskrivning"})  # fmt: skip
    assert r.status_code == 303
    assert hunks(stored(pages, 2), stored(pages, 3)) == [
        (["version: 2"], ["version: 3"]),
        (["    after: 14 dagar"], ["    after: 21 dagar"]),
    ]


def test_a_form_with_a_mistake_says_so_in_words_in_the_form_and_saves_nothing(pages: PagesApp) -> None:
    c, token = admin(pages)
    r = c.post("/admin/definitioner/finsam-insats/1/formular/uppgift", data={
        "csrf_token": token, "fas": "aktualisering", "uppgift": "bekrafta_remiss", "label": "Bekräfta",
        "responsible": "samordnare", "due": "3 dagarr", "blocking": "ja"})  # fmt: skip
    assert r.status_code == 422
    page = text_of(r.text)
    assert "okänd enhet 'dagarr' i '3 dagarr'" in page
    assert "Inget sparades" in page
    assert 'value="3 dagarr"' in r.text  # what the admin typed is kept in the form
    assert "phases[" not in r.text
    assert [v.version for v in pages.services.definitions.list() if v.id == "finsam-insats"] == [1]


def test_publishing_asks_first_and_says_what_will_happen(pages: PagesApp) -> None:
    pages.refer(PNR_ALVA, "Alva Exempel")
    c, token = admin(pages)
    shorter = TEXT.replace("due: 5 arbetsdagar\n        reminders: [2", "due: 3 arbetsdagar\n        reminders: [2")
    c.post("/admin/definitioner/finsam-insats/spara", data={"csrf_token": token, "yaml": shorter})
    page = text_of(c.get("/admin/definitioner/finsam-insats/2/publicera").text)
    assert "1 pågående ärende stannar på sin version" in page
    assert (
        "Uppgiften 'Bekräfta mottagen remiss och kontakta deltagaren' i fasen 'Aktualisering': "
        "frist ändrad från 5 till 3 arbetsdagar" in page
    )
    r = c.post("/admin/definitioner/finsam-insats/2/publicera", data={"csrf_token": token})
    assert r.headers["location"] == "/admin/definitioner/finsam-insats/2/publicera"  # not confirmed: nothing done
    assert not pages.services.definitions.get("finsam-insats", 2).published
    r = c.post("/admin/definitioner/finsam-insats/2/publicera", data={"csrf_token": token, "bekrafta": "ja"})
    assert r.status_code == 303
    assert pages.services.definitions.get("finsam-insats", 2).published


def test_the_migration_preview_says_per_case_what_changes_and_only_the_confirmation_moves_them(
    pages: PagesApp,
) -> None:
    early = pages.refer(PNR_ALVA, "Alva Exempel")
    later = pages.to_inskrivning(pages.refer(PNR_BO, "Bo Exempel"))
    c, token = admin(pages)
    v2 = TEXT.replace("due: 5 arbetsdagar\n        reminders: [2 arbetsdagar]",
                      "due: 3 arbetsdagar\n        reminders: [2 arbetsdagar]")  # fmt: skip
    v2 = v2.replace("  - id: inskrivning\n    label: Inskrivning\n", "  - id: intag\n    label: Intag\n")
    v2 = v2.replace("to: inskrivning", "to: intag").replace("starts_in: inskrivning", "starts_in: intag")
    r = c.post("/admin/definitioner/finsam-insats/spara", data={"csrf_token": token, "yaml": v2})
    assert r.status_code == 303, text_of(r.text)
    page = c.get("/admin/definitioner/finsam-insats/migrera?fran=1&till=2").text
    words = text_of(page)
    assert f"Ärende INS-{later.id[:8].upper()}: Kan inte flyttas" in words
    assert "Välj fas (finns inte i version 2)" in page
    assert f"Ärende INS-{early.id[:8].upper()}: Flyttas Fas: Aktualisering → Aktualisering (samma)" in words
    assert (
        "Bekräfta mottagen remiss och kontakta deltagaren (Samordnare): förfallodagen flyttas från 2026-06-23 "
        "till 2026-06-18" in words  # 5 and 3 arbetsdagar from Monday 15 June; midsommarafton is off
    )
    assert "Alva" not in page
    assert "Bo Exempel" not in page
    assert PNR_ALVA not in page
    r = c.get("/admin/definitioner/finsam-insats/migrera?fran=1&till=2&fas_inskrivning=intag")
    words = text_of(r.text)
    assert f"Ärende INS-{later.id[:8].upper()}: Flyttas Fas: Inskrivning → Intag" in words
    assert "Ja, flytta 2 ärenden till version 2" in words
    running = pages.app.state.web.overview.running_per_version(caller(ADMIN), "finsam-insats")
    assert running.get(("finsam-insats", 1)) == 2  # previews moved nothing
    r = c.post("/admin/definitioner/finsam-insats/migrera", data={
        "csrf_token": token, "fran": "1", "till": "2", "fas_inskrivning": "intag", "bekrafta": "ja"})  # fmt: skip
    assert r.status_code == 303
    running = pages.app.state.web.overview.running_per_version(caller(ADMIN), "finsam-insats")
    assert running.get(("finsam-insats", 2)) == 2
    moved = pages.services.cases.get_case(caller("sara.samordnare@kommun"), later.id)
    assert moved.phase == "intag"


def test_the_simulation_takes_every_option_and_draws_a_timeline_per_party(pages: PagesApp) -> None:
    c, _ = admin(pages)
    base = "/admin/definitioner/finsam-insats/1/simulera?start=2026-08-03"
    r = c.get(base + "&sen_bekrafta_remiss=4&forlang_arbetstraning=1&ingen_kontakt=ja&sjukperiod=2026-05-01")
    assert r.status_code == 200
    words = text_of(r.text)
    assert "Försenad: Bekräfta mottagen remiss och kontakta deltagaren" in words
    assert "Förlängd till" in words
    assert "Ingen kontakt med deltagaren på 14 dagar" in words
    assert "Rehabiliteringskedjan" in words
    assert r.text.count('class="gantt-lane"') >= 3
    assert "Arbetsförmedlingen" in words
    assert "Ärendets faser" in words
    assert 'class="gantt-bar late"' in r.text
    aborted = text_of(c.get(base + "&avbryt=kartlaggning").text)
    assert "Avbrott:" in aborted
    anon = c.get(base + "&anonym=ja&utfall=studier")
    assert anon.status_code == 200
    assert "Avslut: studier" in text_of(anon.text)
    path = c.get(base + "&vag=samtycke&vag=beslut&vag=avslut&utfall=övriga_avslutade")
    assert path.status_code == 200, text_of(path.text)
    bad = c.get(base + "&sen_bekrafta_remiss=många&vag=finns_inte")
    assert bad.status_code == 422
    assert "Dagar försenad för 'Bekräfta mottagen remiss och kontakta deltagaren'" in text_of(bad.text)
