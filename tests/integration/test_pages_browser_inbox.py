"""The auditor's pages, the notifications, the statistics on a phone and the error pages in a real
browser (Debian's Chromium through Playwright), at 1366 and at 375 px. Every page visited is
screenshot to test-artifacts/ and checked with axe-core (tests/vendor/axe.min.js, 4.10): no serious
or critical violation."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.pages_kit import PASSWORD, PNR_ALVA, PNR_BO, PagesApp, build, caller, personnummer
from tests.integration.test_pages_browser import ARGS, CHROMIUM, Visit, free_port, set_editor_text

AXE = Path(__file__).resolve().parents[1] / "vendor" / "axe.min.js"
AUDITOR = "greta.granskare@forbund"
WIDTHS = (1366, 375)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def axe() -> str:
    text = AXE.read_text(encoding="utf-8")
    assert text.startswith("/*! axe v4.10.")
    return text


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[PagesApp, str]]:
    import uvicorn

    pages = build(Path(tmp_path_factory.mktemp("browser-inbox")))
    pages.app.state.web.accounts.save(AUDITOR, kind="auditor", party=None, roles=(), name="Greta Granskare",
                                      password=PASSWORD)  # fmt: skip

    def broken() -> None:
        raise RuntimeError("a bug that must not happen")

    pages.app.add_api_route("/trasig-sida", broken, include_in_schema=False)
    alva = pages.to_inskrivning(pages.refer(PNR_ALVA, "Alva Exempel"))
    pages.refer(PNR_BO, "Bo Exempel")
    for n in range(6):
        pages.to_inskrivning(pages.refer(personnummer(1980 + n, 2 + n, 4 + n, 400 + n), f"Deltagare {n}"))
    for _ in range(55):  # more than one page of the access log
        pages.services.cases.get_case(caller("rut.rehab@region"), alva.id)
    port = free_port()
    config = uvicorn.Config(pages.app, host="127.0.0.1", port=port, log_level="critical", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield pages, f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        pages.close()


def visits(chromium: Any, base: str, axe: str, name: str) -> Iterator[Visit]:
    for width in WIDTHS:
        v = Visit(chromium, base, axe, f"{name}-{width}", width=width)
        try:
            yield v
        finally:
            v.close()


def test_the_auditor_filters_the_access_log_pages_through_it_and_reads_loggkontroll(
    served: tuple[PagesApp, str], chromium: Any, axe: str
) -> None:
    _, base = served
    for v in visits(chromium, base, axe, "granskare"):
        v.sign_in(AUDITOR)
        page = v.page
        assert page.url.endswith("/granskning/atkomstlogg")
        assert page.get_by_role("link", name="Åtkomstlogg").get_attribute("aria-current") == "page"
        assert "Alva" not in page.content()
        v.check("atkomstlogg")
        page.get_by_label("Part").select_option(label="Regionen")
        page.get_by_role("button", name="Visa").click()
        page.wait_for_load_state()
        rows = page.locator("#logg tbody tr")
        assert rows.count() == 50
        assert all("Rut Holm" in t for t in rows.all_inner_texts())
        page.get_by_role("link", name="Nästa sida").click()
        page.wait_for_load_state()
        assert "Sida 2 av 2" in page.locator("nav.pager").inner_text()
        v.check("atkomstlogg-sida-2")
        page.get_by_role("link", name="Loggkontroll").click()
        page.wait_for_load_state()
        page.get_by_label("Antal i urvalet").fill("10")
        page.get_by_role("button", name="Gör kontrollen").click()
        page.wait_for_load_state()
        assert "urvalet visar 10 av dem" in page.locator("main").inner_text()
        assert page.locator("#urval-tabell tbody tr").count() == 10
        v.check("loggkontroll")


def test_notifications_in_the_menu_read_and_marked_without_resubmitting(
    served: tuple[PagesApp, str], chromium: Any, axe: str
) -> None:
    pages, base = served
    for v in visits(chromium, base, axe, "aviseringar"):
        v.sign_in("anna.handlaggare@af")
        page = v.page
        before = pages.services.notifications.unread(caller("anna.handlaggare@af"))
        assert before >= 2
        badge = page.locator("nav .badge")
        assert badge.inner_text() == str(before)
        page.get_by_role("link", name="Aviseringar").click()
        page.wait_for_load_state()
        assert page.locator("#aviseringar li.unread").count() == before
        assert "Delta i inskrivningssamtalet" in page.locator("#aviseringar").inner_text()
        assert "Alva" not in page.content()
        v.check("lista")
        page.locator("#aviseringar li").first.get_by_text("Hela meddelandet").click()
        assert "Öppna ärendet:" in page.locator("#aviseringar li .notice-text").first.inner_text()
        page.locator("#aviseringar li.unread").first.get_by_role("button", name="Markera som läst").click()
        page.wait_for_load_state()
        assert "Aviseringen är markerad som läst." in page.locator(".flash.ok").inner_text()
        assert page.locator("nav .badge").inner_text() == str(before - 1)
        assert "/aviseringar" in page.url
        assert "/las" not in page.url
        page.reload()
        assert page.locator("nav .badge").inner_text() == str(before - 1)
        v.check("markerad")
        page.get_by_role("button", name="Markera alla som lästa").click()
        page.wait_for_load_state()
        assert page.locator("nav .badge").count() == 0
        assert "Inga olästa aviseringar" in page.locator("#antal-olasta").inner_text()
        with pages.services.uow() as uow:  # the next width starts unread again
            from engine.adapters.store.web_models import NotificationReadRow

            uow.session.query(NotificationReadRow).delete()
            uow.session.commit()


def test_statistics_on_a_phone_keep_each_rows_insats(served: tuple[PagesApp, str], chromium: Any, axe: str) -> None:
    _, base = served
    for v in visits(chromium, base, axe, "statistik"):
        v.sign_in("frida.admin@forbund")
        page = v.go("/admin/statistik?period=2026")
        groups = page.locator("table.stats-table tbody")
        names = [groups.nth(i).locator("tr").first.locator("th").inner_text() for i in range(groups.count())]
        assert "Individuell insats (FINSAM)" in names
        assert names[-1] == "Alla insatser"
        rows = page.locator("table.stats-table tbody tr")
        assert rows.count() == 3 * len(names)  # three measures per insats
        for i in range(rows.count()):
            name = rows.nth(i).locator("th.insats-namn")
            assert name.is_visible()  # on a phone too: each row says which insats it counts
            assert name.inner_text() == names[i // 3]
        assert page.locator("svg.chart").count() == 4
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= v.page.viewport_size["width"] + 1, "the page scrolls sideways"
        v.check("statistik")


def test_error_pages_keep_the_menu_and_the_way_back(served: tuple[PagesApp, str], chromium: Any, axe: str) -> None:
    _, base = served
    for v in visits(chromium, base, axe, "felsidor"):
        v.sign_in("sara.samordnare@kommun")
        page = v.page
        page.goto(base + "/finns-inte", referer=base + "/uppgifter")  # as a stale link would
        assert page.locator("h1").inner_text() == "Sidan finns inte"
        assert page.get_by_role("navigation", name="Huvudmeny").is_visible()
        v.check("404")
        page.get_by_role("link", name="Tillbaka till föregående sida").click()
        page.wait_for_load_state()
        assert page.url.endswith("/uppgifter")
        page.goto(base + "/admin/statistik")
        assert page.locator("h1").inner_text() == "Du har inte behörighet"
        assert page.get_by_role("link", name="Tillbaka till Mina uppgifter").is_visible()
        v.check("403")
        page.goto(base + "/trasig-sida")
        assert page.locator("h1").inner_text() == "Något gick fel hos oss"
        assert "RuntimeError" not in page.content()
        v.check("500")
        page.goto(base + "/installningar")
        page.evaluate("document.querySelector('form[action=\"/installningar\"] [name=csrf_token]').value = 'x'")
        page.get_by_role("button", name="Spara").click()
        page.wait_for_load_state()
        assert page.locator("h1").inner_text() == "Formuläret har gått ut"
        v.check("csrf")
        page.get_by_role("link", name="Tillbaka till föregående sida").click()
        page.wait_for_load_state()
        assert page.url.endswith("/installningar")


def test_an_expired_session_in_the_editor_keeps_the_text(served: tuple[PagesApp, str], chromium: Any, axe: str) -> None:
    _, base = served
    for v in visits(chromium, base, axe, "utgangen-session"):
        v.sign_in("frida.admin@forbund")
        page = v.page
        page.goto(base + "/admin/definitioner")
        page.get_by_role("link", name="Redigera version 1 av finsam-insats").click()
        page.wait_for_load_state()
        editor = page.url
        text = page.locator("#yaml").input_value() + "\n# en ändring som inte får gå förlorad\n"
        set_editor_text(page, text)
        v.context.clear_cookies()  # the session runs out while she edits
        page.get_by_role("button", name="Spara som ny version").click()
        page.wait_for_load_state()
        assert "/logga-in" in page.url
        assert "Din session har gått ut" in page.locator("#utgangen").inner_text()
        v.check("inloggning-utgangen")
        page.get_by_label("Användarnamn").fill("frida.admin@forbund")
        page.get_by_label("Lösenord").fill(PASSWORD)
        page.get_by_role("button", name="Logga in").click()
        page.wait_for_load_state()
        assert page.url == editor
        offer = page.locator("#utkast")
        offer.wait_for()
        assert "utkast som inte sparades" in offer.inner_text()
        v.check("utkast-erbjuds")
        offer.get_by_role("button", name="Återställ utkastet").click()
        assert page.locator("#yaml").input_value() == text
        assert page.evaluate("window.insatsEditor.state.doc.toString()") == text  # in the editor, not only the form
        assert page.locator("#utkast").count() == 0
        set_editor_text(page, text + "# och en till\n")
        page.evaluate("localStorage.clear()")
