"""The case team, nödåtkomst and substitutes in real Chromium at 1366 px and 375 px: the Team
section (add a colleague by name, a task's priority), substitutes on the settings page, and a
handläggare off the team asking for nödåtkomst from the hidden-case page. Every state is
screenshot to test-artifacts/team-*.png and checked with axe-core: no serious or critical violation."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.pages_kit import PASSWORD, PagesApp, personnummer
from tests.integration.test_pages_browser import browser, served  # noqa: F401 - the fixtures
from tests.integration.test_pages_case_browser import WIDTHS, Run

SARA = "sara.samordnare@kommun"
PEOPLE = {"nils.handlaggare@kommun": "Nils Nord", "vera.handlaggare@kommun": "Vera Väst"}


def sign_in(run: Run, user: str) -> None:
    run.page.goto(run.base + "/logga-in")
    run.page.get_by_label("Användarnamn").fill(user)
    run.page.get_by_label("Lösenord").fill(PASSWORD)
    run.page.get_by_role("button", name="Logga in").click()
    run.page.wait_for_load_state()


@pytest.mark.parametrize("width", WIDTHS)
def test_team_emergency_access_and_substitutes(
    served: tuple[PagesApp, str],  # noqa: F811
    browser: Any,  # noqa: F811
    width: int,
) -> None:
    pages, base = served
    for user_id, name in PEOPLE.items():
        pages.app.state.web.accounts.save(user_id, kind="handlaggare", party="kommun", name=name, password=PASSWORD)
    case = pages.refer(personnummer(1979, 5, 6, 400 + width % 100), "Ines Team")
    sara = Run(browser, base, f"team-{width}", width)
    nils = Run(browser, base, f"team-nodatkomst-{width}", width)
    try:
        sign_in(sara, SARA)
        page = sara.page
        page.goto(f"{base}/arenden/{case.id}#team")
        page.wait_for_load_state()
        team = page.locator("#team")
        assert "Sara Lind" in team.inner_text()
        sara.check("team")
        team.get_by_label("Lägg till en kollega i teamet").select_option(label="Vera Väst")
        team.get_by_role("button", name="Lägg till").click()
        page.wait_for_load_state()
        assert "Vera Väst" in page.locator("ul[aria-labelledby=team-kommun]").inner_text()
        row = page.locator("#uppgifter tr[data-task]").first
        row.locator("summary", has_text="Tilldelning").click()
        row.get_by_label("Prioritet").select_option(label="Hög")
        row.get_by_role("button", name="Spara prioritet").click()
        page.wait_for_load_state()
        assert "Hög" in page.locator("#uppgifter tr[data-task]").first.inner_text()
        sara.check("uppgift-hog")

        page.goto(f"{base}/installningar")
        section = page.locator("#ersattare")
        section.get_by_label("Ersättare", exact=True).select_option(label="Nils Nord")
        section.get_by_label("Till och med").fill("2026-06-30")
        section.get_by_role("button", name="Utse ersättare").click()
        page.wait_for_load_state()
        assert "Nils Nord" in page.locator("#ersattare-lista").inner_text()
        sara.check("ersattare")
        page.locator("#ersattare-lista a", has_text="Ta bort").first.click()
        page.wait_for_load_state()
        sara.check("ersattare-ta-bort")
        page.get_by_role("button", name="Ja, ta bort ersättaren").click()
        page.wait_for_load_state()
        assert "Du har ingen ersättare." in page.locator("#ersattare").inner_text()

        sign_in(nils, "nils.handlaggare@kommun")
        nils.page.goto(f"{base}/arenden/{case.id}")
        assert "Ärendet visas inte" in nils.page.locator("h1").inner_text()
        nils.check("dolt-arende")
        nils.page.get_by_role("link", name="Begär nödåtkomst till ärendet").click()
        nils.page.wait_for_load_state()
        nils.check("nodatkomst")
        reason = nils.page.get_by_label("Skäl till nödåtkomsten (minst 10 tecken)")
        reason.fill("Deltagaren ringde och handläggaren är sjuk")
        nils.page.get_by_label("Jag förstår att nödåtkomsten loggas och granskas").check()
        nils.page.get_by_role("button", name="Ge mig nödåtkomst").click()
        nils.page.wait_for_load_state()
        assert "Du har nödåtkomst till detta ärende till" in nils.page.locator("#nodatkomst-banner").inner_text()
        nils.check("med-nodatkomst")
    finally:
        sara.close()
        nils.close()
