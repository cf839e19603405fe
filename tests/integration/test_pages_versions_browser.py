"""The admin's versions pages in real Chromium at 1366 and 375 px: a form edit, the diff, publishing
and migrating behind their confirmations, the simulation's timeline. Screenshots go to
test-artifacts/ (versions-<width>-NN-*.png), every page is axe-checked (tests/integration/
test_pages_browser.py's `Visit`)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.pages_kit import PNR_ALVA, PNR_BO, PagesApp, caller
from tests.integration.test_pages_browser import Visit, axe, browser, served

__all__ = ["axe", "browser", "served"]  # the module's fixtures, shared with the other browser tests


def no_sideways_scroll(page: Any) -> None:
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"the page scrolls sideways: {width}"


@pytest.mark.parametrize("width", [1366, 375])
def test_admin_edits_a_task_compares_publishes_migrates_and_simulates(
    served: tuple[PagesApp, str], browser: Any, axe: str, width: int
) -> None:
    pages, base = served
    pnr = PNR_ALVA if width == 1366 else PNR_BO
    case = pages.refer(pnr, "Testperson")
    before = {v.version for v in pages.services.definitions.list() if v.id == "finsam-insats"}
    current = max(before)
    published = max(v.version for v in pages.services.definitions.list() if v.id == "finsam-insats" and v.published)
    v = Visit(browser, base, axe, f"versions-{width}", width=width)
    try:
        v.sign_in("frida.admin@forbund")
        page = v.page
        v.go(f"/admin/definitioner/finsam-insats/{current}/formular?fas=aktualisering")
        form = page.get_by_role("form", name="Uppgiften Bekräfta mottagen remiss och kontakta deltagaren")
        form.get_by_label("Frist (tomt: ingen)").fill("6 arbetsdagar" if width == 1366 else "4 arbetsdagar")
        form.get_by_label("Eskaleras till").select_option(label="Samordnare")
        v.check("formular")
        form.get_by_role("button", name="Spara uppgiften som ny version").click()
        page.wait_for_load_state()
        new = current + 1
        assert f"Ändringen är sparad som version {new}, inte publicerad." in page.content()
        no_sideways_scroll(page)
        v.check("formular-sparat")

        v.go(f"/admin/definitioner/finsam-insats/versioner?fran={published}&till={new}")
        diff = page.locator("ul.diff").inner_text()
        assert "Uppgiften 'Bekräfta mottagen remiss och kontakta deltagaren' i fasen 'Aktualisering'" in diff
        assert "frist ändrad" in diff
        if width == 1366:  # the first run; the second compares with the version the first published
            assert "eskaleras nu till Samordnare i stället för Teamledare" in diff
        no_sideways_scroll(page)
        v.check("jamfor")

        v.go(f"/admin/definitioner/finsam-insats?version={new}")
        page.get_by_role("link", name=f"Publicera version {new}…").click()
        page.wait_for_load_state()
        confirm = page.locator(".confirm").inner_text()
        assert "pågående" in confirm
        assert "frist ändrad" in confirm
        no_sideways_scroll(page)
        v.check("publicera-bekrafta")
        page.get_by_role("link", name="Avbryt").click()  # nothing happens without the confirmation
        page.wait_for_load_state()
        assert not pages.services.definitions.get("finsam-insats", new).published
        page.get_by_role("link", name=f"Publicera version {new}…").click()
        page.get_by_role("button", name=f"Ja, publicera version {new}").click()
        page.wait_for_load_state()
        assert f"Version {new} är publicerad" in page.content()

        v.go(f"/admin/definitioner/finsam-insats/migrera?till={new}")
        page.get_by_label("Från version").select_option(str(published))
        page.get_by_label("Till version").select_option(str(new))
        page.get_by_role("button", name="Förhandsgranska").click()
        page.wait_for_load_state()
        page.get_by_label("Aktualisering", exact=True).select_option(label="Aktualisering")
        preview = page.locator("#forhandsgranskning-ruta").inner_text()
        assert f"Ärende INS-{case.id[:8].upper()}" in preview
        assert "förfallodagen flyttas" in preview
        assert "Testperson" not in page.content()
        assert pnr not in page.content()
        no_sideways_scroll(page)
        v.check("migrera-forhandsgranskning")
        page.get_by_role("button", name=f"till version {new}").click()
        page.wait_for_load_state()
        assert f"flyttades från version {published} till {new}" in page.content()
        v.check("migrera-klart")
        assert pages.services.cases.get_case(caller("sara.samordnare@kommun"), case.id).definition_version == new

        v.go(f"/admin/definitioner/finsam-insats/{new}/simulera")
        page.get_by_label("Startdatum").fill("2026-08-03")
        page.get_by_text("Förlängningar och försenade uppgifter").click()
        page.get_by_label("Förlängningar av Arbetsträning").fill("1")
        page.get_by_label("Ingen kontakt med deltagaren registreras").check()
        page.get_by_role("button", name="Simulera").click()
        page.wait_for_load_state()
        lanes = page.locator(".gantt-lane")
        assert lanes.count() >= 3
        assert page.locator(".gantt-bar").first.bounding_box()["width"] > 0
        assert "Förlängd till" in page.locator("table.sim").inner_text()
        no_sideways_scroll(page)
        v.check("simulering-tidslinje")
    finally:
        v.close()
