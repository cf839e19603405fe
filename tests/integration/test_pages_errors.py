"""Error pages without a browser: Swedish, with the menu and a way back, for every status a page
can end in; the API keeps its problem+json; a form posted on an expired session goes to the
sign-in page and back to where it came from."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.service.errors import ServiceError
from tests.integration.pages_kit import PagesApp, build
from tests.integration.test_pages import client, signed_in

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

HTML = {"accept": "text/html,application/xhtml+xml"}


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PagesApp]:
    p = build(Path(tmp_path_factory.mktemp("fel")))

    def broken() -> None:
        raise RuntimeError("a bug that must not happen")

    def conflict() -> None:
        raise ServiceError("definition_not_published", "Version 2 är inte publicerad än.")

    p.app.add_api_route("/trasig-sida", broken, include_in_schema=False)
    p.app.add_api_route("/krock", conflict, include_in_schema=False)
    yield p
    p.close()


def _page(html: str) -> tuple[str, list[str]]:
    h1 = html[html.index("<h1>") + 4 : html.index("</h1>")]
    links = html[html.index('class="way-back"') :].split("</ul>")[0]
    return h1, [part.split("</a>")[0].split(">")[-1] for part in links.split("<a ")[1:]]


def test_not_found_keeps_the_menu_and_the_way_back(pages: PagesApp) -> None:
    c = signed_in(pages, "sara.samordnare@kommun")
    r = c.get("/finns-inte", headers={**HTML, "referer": "http://testserver/uppgifter"})
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    title, links = _page(r.text)
    assert title == "Sidan finns inte"
    assert links == ["Tillbaka till föregående sida", "Tillbaka till Mina uppgifter"]
    assert 'aria-label="Huvudmeny"' in r.text
    assert "Logga ut" in r.text
    anonymous = client(pages).get("/finns-inte", headers=HTML)
    assert _page(anonymous.text)[1] == ["Till inloggningen"]
    other_site = c.get("/finns-inte", headers={**HTML, "referer": "https://elak.example/"})
    assert _page(other_site.text)[1] == ["Tillbaka till Mina uppgifter"]  # never a link off the site


def test_the_api_keeps_problem_json(pages: PagesApp) -> None:
    c = signed_in(pages, "sara.samordnare@kommun")
    for headers in (HTML, {}):
        r = c.get("/api/v1/finns-inte", headers=headers)
        assert r.status_code == 404
        assert r.headers["content-type"] == "application/problem+json"
    assert c.get("/finns-inte").headers["content-type"] == "application/problem+json"  # not asking for HTML


def test_forbidden_validation_and_conflict_pages(pages: PagesApp) -> None:
    admin = signed_in(pages, "frida.admin@forbund")
    r = admin.get("/uppgifter", headers=HTML)
    assert r.status_code == 403
    assert _page(r.text) == ("Du har inte behörighet", ["Tillbaka till Processdefinitioner"])
    r = admin.get("/admin/statistik?troskel=inte-ett-tal", headers=HTML)
    assert r.status_code == 422
    assert _page(r.text)[0] == "Uppgifterna kunde inte tas emot"
    assert "troskel" not in r.text.split("<main")[1]  # no internal field name, in Swedish
    sara = signed_in(pages, "sara.samordnare@kommun")
    r = sara.get("/arenden/" + "0" * 32, headers=HTML)
    assert r.status_code == 404
    assert "Tillbaka till Mina uppgifter" in r.text


def test_a_form_without_its_csrf_code_says_so_in_swedish(pages: PagesApp) -> None:
    c = signed_in(pages, "sara.samordnare@kommun")
    r = c.post("/installningar", data={"csrf_token": "gammal"}, headers=HTML)
    assert r.status_code == 403
    title, links = _page(r.text)
    assert title == "Formuläret har gått ut"
    assert "Tillbaka till Mina uppgifter" in links


def test_a_form_posted_on_an_expired_session_goes_to_sign_in_and_back(pages: PagesApp) -> None:
    expired = TestClient(pages.app, follow_redirects=False)  # no session cookie any more
    editor = "/admin/definitioner/finsam-insats"
    r = expired.post(
        editor + "/spara", data={"csrf_token": "från-förr", "yaml": "name: x"},
        headers={**HTML, "referer": "http://testserver" + editor},
    )  # fmt: skip
    assert r.status_code == 303
    assert r.headers["location"] == f"/logga-in?nasta={editor}&utgangen=1"
    page = expired.get(r.headers["location"]).text
    assert "Din session har gått ut" in page
    assert f'name="nasta" value="{editor}"' in page


def test_an_unexpected_error_is_a_swedish_page_not_a_trace(pages: PagesApp) -> None:
    c = TestClient(pages.app, follow_redirects=False, raise_server_exceptions=False)
    r = c.get("/trasig-sida", headers=HTML)
    assert r.status_code == 500
    assert _page(r.text)[0] == "Något gick fel hos oss"
    assert "RuntimeError" not in r.text
    assert "Traceback" not in r.text
    api = c.get("/trasig-sida")
    assert api.status_code == 500
    assert api.headers["content-type"] == "application/problem+json"


def test_a_conflict_from_the_service_is_a_page_with_its_swedish_message(pages: PagesApp) -> None:
    c = signed_in(pages, "frida.admin@forbund")
    r = c.get("/krock", headers={**HTML, "referer": "http://testserver/admin/definitioner"})
    assert r.status_code == 409
    title, links = _page(r.text)
    assert title == "Det går inte att göra just nu"
    assert "Version 2 är inte publicerad än." in r.text
    assert links == ["Tillbaka till föregående sida", "Tillbaka till Processdefinitioner"]
    api = c.get("/krock")
    assert api.status_code == 409
    assert api.headers["content-type"] == "application/problem+json"
