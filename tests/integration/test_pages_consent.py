"""The case page can withdraw consent and set protected identity, through CaseService, with CSRF and
a confirmation (`bekrafta=ja`, sent by the confirmation page: api/pages/case_confirm.py)."""

from __future__ import annotations

import html
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


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PagesApp]:
    p = build(Path(tmp_path_factory.mktemp("pages-consent")))
    yield p
    p.close()


def signed_in(pages: PagesApp, user: str) -> TestClient:
    c = TestClient(pages.app, raise_server_exceptions=True, follow_redirects=False)
    token = csrf_of(c.get("/logga-in").text)
    r = c.post("/logga-in", data={"csrf_token": token, "anvandare": user, "losenord": PASSWORD, "nasta": "/"})
    assert r.status_code == 303, r.text
    return c


def _post(c: TestClient, case_id: str, action: str, data: dict[str, str | list[str]]) -> str:
    """Post a form from the case page; returns the case page it leads back to."""
    page = c.get(f"/arenden/{case_id}").text
    r = c.post(f"/arenden/{case_id}/{action}", data={"csrf_token": csrf_of(page), **data})
    assert r.status_code == 303, r.text
    assert r.headers["location"].startswith(f"/arenden/{case_id}#")
    return html.unescape(c.get(r.headers["location"].split("#")[0]).text)


def test_the_forms_show_for_the_samordnare_and_covered_handlaggare_only(pages: PagesApp) -> None:
    case = pages.refer(personnummer(1980, 4, 26, 238), "Cecilia Prov", consent=("af", "kommun"))
    for user in (SARA, ANNA):
        page = signed_in(pages, user).get(f"/arenden/{case.id}").text
        assert 'id="aterkalla-samtycke"' in page
        assert 'id="skyddad-identitet"' in page
        assert "Återkalla samtycke" in page
    rut = signed_in(pages, "rut.rehab@region")  # the consent does not cover the region
    page = rut.get(f"/arenden/{case.id}")
    assert 'id="aterkalla-samtycke"' not in page.text
    assert 'id="skyddad-identitet"' not in page.text


def test_withdrawing_consent_needs_csrf(pages: PagesApp) -> None:
    case = pages.refer(personnummer(1982, 4, 21, 239), "Bo Demosson")
    c = signed_in(pages, SARA)
    r = c.post(f"/arenden/{case.id}/samtycke/aterkalla", data={"parter": ["af"], "bekrafta": "ja"})
    assert r.status_code == 403
    r = c.post(f"/arenden/{case.id}/skyddad-identitet", data={"bekrafta": "ja"})
    assert r.status_code == 403
    after = pages.services.cases.get_case(caller(SARA), case.id)
    assert after.consent is not None
    assert after.consent.active
    assert after.person is not None


def test_a_covered_handlaggare_cannot_withdraw_consent_for_another_party(pages: PagesApp) -> None:
    """A covered party withdraws only for itself; the host's samordnare records the person's will."""
    case = pages.refer(personnummer(1983, 8, 17, 239), "David Avslutad")
    anna = signed_in(pages, ANNA)
    page = _post(anna, case.id, "samtycke/aterkalla", {"parter": ["fk"], "orsak": "Muntligt", "bekrafta": "ja"})
    assert "Samtycket är återkallat." not in page
    consent = pages.services.cases.get_case(caller(SARA), case.id).consent
    assert consent is not None
    assert consent.active
    assert set(consent.parties) == {"af", "fk", "kommun", "region"}


def test_a_covered_handlaggare_withdraws_consent_for_their_own_party(pages: PagesApp) -> None:
    case = pages.refer(personnummer(1986, 12, 9, 238), "Hanna Exempel")
    anna = signed_in(pages, ANNA)
    page = _post(anna, case.id, "samtycke/aterkalla", {"parter": ["af"], "bekrafta": "ja"})
    assert "Samtycket är återkallat." in page
    consent = pages.services.cases.get_case(caller(SARA), case.id).consent
    assert consent is not None
    assert "af" not in consent.parties


def test_choosing_some_parties_without_any_is_refused(pages: PagesApp) -> None:
    case = pages.refer(personnummer(1985, 8, 12, 238), "Eva Exempel")
    page = _post(signed_in(pages, SARA), case.id, "samtycke/aterkalla", {"bekrafta": "ja"})
    assert "Välj vilka parter" in page
    consent = pages.services.cases.get_case(caller(SARA), case.id).consent
    assert consent is not None
    assert set(consent.parties) == {"af", "fk", "kommun", "region"}


def test_the_samordnare_withdraws_all_of_the_consent(pages: PagesApp) -> None:
    case = pages.refer(personnummer(1981, 8, 22, 238), "Fia Exempel")
    every = ["af", "fk", "kommun", "region"]
    page = _post(signed_in(pages, SARA), case.id, "samtycke/aterkalla", {"parter": every, "bekrafta": "ja"})
    assert "Samtycket är återkallat." in page
    after = pages.services.cases.get_case(caller(SARA), case.id)
    assert after.consent is not None
    assert not after.consent.active
    assert after.person is None
    assert 'id="aterkalla-samtycke"' not in page  # nothing left to withdraw


def test_protected_identity_removes_name_and_personnummer_after_confirmation(pages: PagesApp) -> None:
    pnr = personnummer(1984, 4, 15, 239)
    case = pages.refer(pnr, "Gustav Hemlig")
    sara = signed_in(pages, SARA)
    page = _post(sara, case.id, "skyddad-identitet", {})
    assert "Bekräfta att deltagaren har skyddade personuppgifter." in page
    assert "Gustav Hemlig" in page
    page = _post(sara, case.id, "skyddad-identitet", {"bekrafta": "ja"})
    assert "namn och personnummer är borttagna" in page
    assert "Gustav Hemlig" not in page
    assert pnr not in page
    after = pages.services.cases.get_case(caller(SARA), case.id)
    assert after.person is None
    assert after.protected_identity
    assert 'id="skyddad-identitet"' not in page  # already protected


def test_a_covered_handlaggare_is_offered_to_withdraw_for_their_own_party_only(pages: PagesApp) -> None:
    """Only the host's samordnare withdraws for other parties: the page offers anna (AF) her own."""
    case = pages.refer(personnummer(1983, 5, 12, 237), "Dana Prov", consent=("af", "fk", "kommun"))
    page = signed_in(pages, ANNA).get(f"/arenden/{case.id}").text
    assert 'id="aterkalla-samtycke"' in page
    assert 'id="aterkalla-fk"' not in page
    assert '<input type="hidden" name="parter" value="af">' in page
    assert "Samtycket återkallas för Arbetsförmedlingen" in page
    sara = signed_in(pages, SARA).get(f"/arenden/{case.id}").text
    assert 'id="aterkalla-fk"' in sara
    assert 'id="aterkalla-af"' in sara


def test_withdrawing_needs_the_confirmation(pages: PagesApp) -> None:
    case = pages.refer(personnummer(1987, 6, 3, 238), "Ines Vänta")
    page = _post(signed_in(pages, SARA), case.id, "samtycke/aterkalla", {"parter": ["af"]})
    assert "Bekräfta återkallelsen" in page
    consent = pages.services.cases.get_case(caller(SARA), case.id).consent
    assert consent is not None
    assert set(consent.parties) == {"af", "fk", "kommun", "region"}
