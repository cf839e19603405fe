"""The case page's forms over HTTP (SQLite, the real app): a referral to exit with an outcome by
forms only, the words a blocked move is explained in, the confirmation steps, and the timeline in
sentences. The same run in a real browser is tests/integration/test_pages_case_browser.py."""

from __future__ import annotations

import html
import re
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.pages_kit import PASSWORD, PagesApp, build, caller, csrf_of, personnummer

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

SARA = "sara.samordnare@kommun"
ANNA = "anna.handlaggare@af"
RUT = "rut.rehab@region"
INTERNAL = ("admitted", "not_admitted", "avstamningsmote_hallet", "inskrivningssamtal_hallet", "arbetstraning",
            "bekrafta_remiss", "label:", "task:", "phase:", "sara.samordnare@kommun")  # fmt: skip


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PagesApp]:
    p = build(Path(tmp_path_factory.mktemp("pages-case")))
    yield p
    p.close()


def signed_in(pages: PagesApp, user: str) -> TestClient:
    c = TestClient(pages.app, raise_server_exceptions=True, follow_redirects=False)
    token = csrf_of(view(c, "/logga-in"))
    r = c.post("/logga-in", data={"csrf_token": token, "anvandare": user, "losenord": PASSWORD, "nasta": "/"})
    assert r.status_code == 303, r.text
    return c


def post(c: TestClient, path: str, data: dict[str, str | list[str]], section: str | None = None) -> str:
    """Post a form as the page does (CSRF, the case's version); follow the 303 back to the case."""
    case_path = "/".join(path.split("/")[:3])
    page = view(c, case_path)
    version = re.search(r'name="version" value="(\d+)"', page)
    extra = {"version": version.group(1)} if version else {}
    r = c.post(path, data={"csrf_token": csrf_of(page), **extra, **data})
    assert r.status_code == 303, r.text
    if section is not None:
        assert r.headers["location"] == f"{case_path}#{section}"
    return view(c, r.headers["location"].split("#")[0])


def view(c: TestClient, path: str, **params: str | list[str]) -> str:
    """The page as a reader sees its text (entities decoded)."""
    r = c.get(path, params=params)
    assert r.status_code == 200, r.text
    return html.unescape(r.text)


def refer(c: TestClient, pnr: str, name: str, **extra: str) -> tuple[str, str]:
    page = view(c, "/remiss/ny")
    r = c.post("/remiss/ny", data={"csrf_token": csrf_of(page), "insats": "finsam-insats", "personnummer": pnr,
                                   "namn": name, **extra})  # fmt: skip
    assert r.status_code == 303, r.text
    return r.headers["location"], view(c, r.headers["location"])


def complete_open_tasks(c: TestClient, case_path: str) -> str:
    """Complete every task of the case page's current phase that the signed-in party may act on."""
    page = view(c, case_path)
    for task in re.findall(r'action="(/uppgifter/[^"]+)/slutfor"', page):
        r = c.post(f"{task}/slutfor", data={"csrf_token": csrf_of(page), "tillbaka": case_path,
                                            "anteckning": "Klart enligt plan"})  # fmt: skip
        assert r.status_code == 303
        page = view(c, case_path)
    return page


def flash(page: str) -> str:
    return " ".join(re.findall(r'class="flash [a-z]+"[^>]*>([^<]*)<', page))


def test_a_case_goes_from_referral_to_exit_by_forms_only(pages: PagesApp) -> None:
    sara = signed_in(pages, SARA)
    path, page = refer(sara, personnummer(1988, 3, 4, 123), "Maja Form")
    assert "Remissen är registrerad" in flash(page)
    assert "Maja Form" not in page  # name and personnummer wait for the consent
    page = post(sara, f"{path}/fas", {"fas": "samtycke"}, "ga-vidare")
    assert "Uppgiften 'Bekräfta mottagen remiss och kontakta deltagaren' är inte klar" in flash(page)
    complete_open_tasks(sara, path)
    page = post(sara, f"{path}/fas", {"fas": "samtycke"}, "ga-vidare")
    assert '<dd id="fas">Samtycke</dd>' in page
    page = post(sara, f"{path}/samtycke", {"parter": ["af", "kommun"], "form": "skriftligt",
                                            "datum": pages.clock.now.date().isoformat()}, "samtycke")  # fmt: skip
    assert "Samtycket är registrerat." in flash(page)
    assert "Sara Lind registrerade samtycke för Arbetsförmedlingen och Kommunen" in page
    assert "Maja Form" in page
    complete_open_tasks(sara, path)
    post(sara, f"{path}/fas", {"fas": "beslut"}, "ga-vidare")
    complete_open_tasks(sara, path)
    page = post(sara, f"{path}/fas", {"fas": "inskrivning"}, "ga-vidare")
    assert "Beslut om deltagande ska vara Antagen" in flash(page)
    page = post(sara, f"{path}/beslut", {"beslut": "admitted", "anteckning": "Enigt team"}, "beslut")
    assert "Sara Lind registrerade beslut om deltagande: Antagen" in page
    post(sara, f"{path}/fas", {"fas": "inskrivning"}, "ga-vidare")
    complete_open_tasks(sara, path)
    page = post(sara, f"{path}/fas", {"fas": "kartlaggning"}, "ga-vidare")
    assert "'Inskrivningssamtal hållet' är inte registrerat i ärendet" in flash(page)
    page = post(sara, f"{path}/faktum", {"faktum": "inskrivningssamtal_hallet", "varde": "2026-06-15"},
                "uppgifter-i-arendet")  # fmt: skip
    assert "Sara Lind registrerade 'Inskrivningssamtal hållet': 15 juni 2026" in page
    post(sara, f"{path}/fas", {"fas": "kartlaggning"}, "ga-vidare")
    page = post(sara, f"{path}/fas", {"fas": "avslut"}, "ga-vidare")
    assert '<dd id="fas">Avslut</dd>' in page
    page = complete_open_tasks(sara, path)
    confirm = view(sara, f"{path}/avsluta", **{"utfall": "studier"})
    assert "Ärendet avslutas med utfallet Studier." in confirm
    r = sara.post(f"{path}/avsluta", data={"csrf_token": csrf_of(confirm), "utfall": "studier", "bekrafta": "ja"})
    assert r.status_code == 303
    page = view(sara, path)
    assert '<dd id="status">Avslutat</dd>' in page
    assert '<dd id="utfall">Studier</dd>' in page
    assert "Sara Lind avslutade ärendet med utfallet Studier" in page
    timeline = page[page.index('id="tidslinje"') :]
    for word in INTERNAL:
        assert word not in timeline, word
    assert "Uppgiften 'Bekräfta mottagen remiss och kontakta deltagaren' slutfördes av Sara Lind" in timeline
    assert "Påminnelse" not in timeline
    assert "Ny uppgift" not in timeline
    with_system = view(sara, path, **{"system": "1"})
    assert "Ny uppgift till Samordnare: 'Bekräfta mottagen remiss och kontakta deltagaren'" in with_system


def test_exit_needs_a_reason_where_the_definition_says_and_asks_first(pages: PagesApp) -> None:
    case = pages.refer(personnummer(1979, 5, 6, 321), "Olle Orsak")
    sara = signed_in(pages, SARA)
    path = f"/arenden/{case.id}"
    # not yet in the exit phase: no exit form
    assert 'action="/arenden/' + case.id + '/avsluta"' not in view(sara, path)
    r = sara.post(f"{path}/avsluta", data={"csrf_token": csrf_of(view(sara, path)), "utfall": "studier"})
    assert r.status_code == 303
    assert "Bekräfta avslutet" in flash(view(sara, path))
    assert pages.services.cases.get_case(caller(SARA), case.id).status == "active"


def test_avbrott_asks_first_and_records_the_reason(pages: PagesApp) -> None:
    case = pages.refer(personnummer(1990, 7, 8, 456), "Pia Paus")
    sara = signed_in(pages, SARA)
    path = f"/arenden/{case.id}"
    confirm = view(sara, f"{path}/avbrott")
    assert "Ärendet avslutas som avbrott, utan utfall." in confirm
    r = sara.post(f"{path}/avbrott", data={"csrf_token": csrf_of(confirm), "orsak": "flytt", "bekrafta": "ja"})
    assert r.headers["location"] == f"{path}#avbrott"
    page = view(sara, path)
    assert "Avbrottet är registrerat" in flash(page)
    assert "Sara Lind avslutade ärendet med avbrott: Flytt" in page
    assert '<option value="flytt">Flytt</option>' in confirm
    assert 'id="ga-vidare"' not in page  # a closed case offers no forms
    assert 'id="aterkalla-samtycke"' not in page
    assert 'id="skyddad-identitet"' in page  # protection never waits, closed or not


def test_withdrawing_consent_names_the_parties_and_keeps_the_others(pages: PagesApp) -> None:
    case = pages.refer(personnummer(1985, 9, 10, 654), "Kim Kvar")
    sara = signed_in(pages, SARA)
    path = f"/arenden/{case.id}"
    page = view(sara, path)
    assert 'name="parter" value="af"' in page
    assert "checked" not in page.split('id="aterkalla-samtycke"')[1][:2000]
    confirm = view(sara, f"{path}/samtycke/aterkalla", **{"parter": ["af"]})
    assert "Samtycket återkallas för Arbetsförmedlingen." in confirm
    assert "Samtycket gäller fortfarande för Försäkringskassan, Kommunen och Regionen." in confirm
    r = sara.post(f"{path}/samtycke/aterkalla", data={"csrf_token": csrf_of(confirm), "parter": ["af"]})
    assert r.status_code == 303  # no confirmation: nothing withdrawn
    consent = pages.services.cases.get_case(caller(SARA), case.id).consent
    assert consent is not None
    assert set(consent.parties) == {"af", "fk", "kommun", "region"}
    r = sara.post(f"{path}/samtycke/aterkalla", data={"csrf_token": csrf_of(confirm), "parter": ["af"],
                                                      "bekrafta": "ja"})  # fmt: skip
    consent = pages.services.cases.get_case(caller(SARA), case.id).consent
    assert consent is not None
    assert consent.active
    assert set(consent.parties) == {"fk", "kommun", "region"}
    page = view(sara, path)
    assert "Samtycket för Arbetsförmedlingen återkallades av Sara Lind" in page


def test_a_covered_handlaggare_withdraws_for_their_own_party_only(pages: PagesApp) -> None:
    case = pages.refer(personnummer(1975, 11, 12, 987), "Eva Egen")
    anna = signed_in(pages, ANNA)
    path = f"/arenden/{case.id}"
    page = view(anna, path)
    assert 'type="hidden" name="parter" value="af"' in page
    confirm = view(anna, f"{path}/samtycke/aterkalla", **{"parter": ["fk", "kommun"]})
    assert "Samtycket återkallas för Arbetsförmedlingen." in confirm  # never another party's
    assert 'name="parter" value="fk"' not in confirm
    assert 'id="samtycke-rubrik"' not in page  # a handläggare does not record consent
    r = anna.post(f"{path}/samtycke/aterkalla", data={"csrf_token": csrf_of(confirm), "parter": ["fk"],
                                                      "bekrafta": "ja"})  # fmt: skip
    assert r.status_code == 303
    assert "En part kan bara återkalla samtycket för sin egen part" in flash(view(anna, path))


def test_protected_identity_asks_first(pages: PagesApp) -> None:
    case = pages.refer(personnummer(1982, 1, 2, 741), "Gustav Skydd")
    sara = signed_in(pages, SARA)
    path = f"/arenden/{case.id}"
    confirm = view(sara, f"{path}/skyddad-identitet")
    assert "namn och personnummer tas bort direkt, i alla deltagarens ärenden" in confirm
    r = sara.post(f"{path}/skyddad-identitet", data={"csrf_token": csrf_of(confirm)})
    assert r.status_code == 303
    assert "Gustav Skydd" in view(sara, path)
    sara.post(f"{path}/skyddad-identitet", data={"csrf_token": csrf_of(confirm), "bekrafta": "ja"})
    page = view(sara, path)
    assert "Gustav Skydd" not in page
    assert "Skyddade personuppgifter" in page


def test_referral_checks_the_personnummer_and_warns_of_an_active_case(pages: PagesApp) -> None:
    sara = signed_in(pages, SARA)
    page = view(sara, "/remiss/ny")
    r = sara.post("/remiss/ny", data={"csrf_token": csrf_of(page), "insats": "finsam-insats",
                                      "personnummer": "19880304-1235", "namn": "Fel Siffra"})  # fmt: skip
    assert r.status_code == 422
    assert "ogiltigt personnummer: kontrollsiffran eller datumet stämmer inte" in html.unescape(r.text)
    assert 'aria-invalid="true"' in r.text
    pnr = personnummer(1991, 2, 3, 258)
    path, _ = refer(sara, pnr, "Dubbel Person")
    post(sara, f"{path}/samtycke", {"parter": ["kommun"], "form": "skriftligt",
                                    "datum": pages.clock.now.date().isoformat()})  # fmt: skip
    r = sara.post("/remiss/ny", data={"csrf_token": csrf_of(page), "insats": "finsam-insats", "personnummer": pnr,
                                      "namn": "Dubbel Person"})  # fmt: skip
    assert r.status_code == 200
    assert "Deltagaren har redan ett pågående ärende i Individuell insats (FINSAM)" in html.unescape(r.text)
    assert f'href="{path}"' in r.text
    again, _ = refer(sara, pnr, "Dubbel Person", bekrafta=pnr)
    assert again != path


def test_a_phase_can_be_extended_with_a_reason(pages: PagesApp) -> None:
    from engine.core import commands as c

    case = pages.to_inskrivning(pages.refer(personnummer(1984, 4, 5, 369), "Leo Lång"))
    case = pages.run(case, c.RecordFact(fact="inskrivningssamtal_hallet", value=pages.clock.now.date()))
    case = pages.finish(case)
    case = pages.run(case, c.StartPhase(phase="kartlaggning"))
    sara = signed_in(pages, SARA)
    path = f"/arenden/{case.id}"
    assert 'id="forlangning"' not in view(sara, path)  # kartläggning cannot be extended
    case = pages.run(case, c.RecordFact(fact="avstamningsmote_hallet", value=pages.clock.now.date()))
    case = pages.finish(case)
    pages.run(case, c.StartPhase(phase="arbetstraning"))
    page = post(sara, f"{path}/forlang", {"orsak": "Behöver mer tid"}, "forlangning")
    assert "Fasen är förlängd." in flash(page)
    assert "Sara Lind förlängde fasen Arbetsträning till" in page
