"""The lists in a real browser (Chromium, as tests/integration/test_pages_browser.py): two
handläggare of one party each see only their cases; one covers for the other (ersättare) and sees
the other's tasks "för …"; taking a task brings the page back to its row, focused, with the result
announced; opening a row's actions does not reflow the table. Screenshots at 1366 and 375 px.

The cases, the team and the substitute period are built through the services' commands."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from engine.core import commands as c
from engine.service.access import Caller
from tests.integration.pages_kit import PASSWORD, PagesApp, personnummer
from tests.integration.test_pages_browser import Visit, axe, browser, served  # noqa: F401  (fixtures)

ANNA = "anna.handlaggare@af"
BERTIL = "bertil.handlaggare@af"
PNR = tuple(personnummer(1975 + n, 2 + n, 11 + n, 310 + n) for n in range(3))


def af(user_id: str, name: str) -> Caller:
    return Caller(user_id=user_id, kind="handlaggare", party="af", roles=(), name=name)


def af_case(pages: PagesApp, pnr: str, name: str, taker: Caller | None) -> str:
    """A named case in inskrivning (an AF task there), taken by `taker` (who joins the team)."""
    case = pages.to_inskrivning(pages.refer(pnr, name, consent=("af", "kommun", "region"), team=False))
    if taker is not None:
        task = next(t for t in case.tasks if t.party == "af" and t.status in ("open", "accepted"))
        cmd = c.ClaimTask(task_id=task.task_id, party="af", name=taker.name)
        pages.services.cases.execute(taker, case.id, cmd, expected_version=None)
    return case.id


def test_two_handlaggare_see_their_own_cases_and_a_substitute_sees_the_absent_ones_tasks(
    served: tuple[PagesApp, str], browser: Any, axe: str  # noqa: F811
) -> None:
    pages, base = served
    pages.app.state.web.accounts.save(BERTIL, kind="handlaggare", party="af", roles=(), name="Bertil Berg",
                                      password=PASSWORD)  # fmt: skip
    anna, bertil = af(ANNA, "Anna Andersson"), af(BERTIL, "Bertil Berg")
    mine = af_case(pages, PNR[0], "Greta Grön", anna)
    his = af_case(pages, PNR[1], "Hugo Hav", bertil)
    free = af_case(pages, PNR[2], "Iris Is", None)
    for width, suffix in ((1366, ""), (375, "-smal")):
        v = Visit(browser, base, axe, f"listor{suffix}", width=width)
        try:
            v.sign_in(BERTIL)
            v.go("/arenden")
            page = v.page
            assert page.locator(f"tr[data-case='{his}']").count() == 1
            assert page.locator(f"tr[data-case='{mine}']").count() == 0
            assert "Hugo Hav" in page.content()
            assert "Greta Grön" not in page.content()
            v.check("bertils-arenden")
        finally:
            v.close()
    today = pages.clock.now.date()  # Bertil is away this week; Anna covers for him
    pages.services.substitutes.add(bertil, ANNA, today, today + timedelta(days=4))
    for width, suffix in ((1366, ""), (375, "-smal")):
        v = Visit(browser, base, axe, f"ersattare{suffix}", width=width)
        try:
            v.sign_in(ANNA)
            page = v.page
            assert page.url.endswith("/uppgifter")
            mine_rows = page.locator("#mina-rubrik + table tbody tr")
            texts = [mine_rows.nth(i).inner_text() for i in range(mine_rows.count())]
            assert any("Greta Grön" in t and "för Bertil" not in t for t in texts), texts
            assert any("Hugo Hav" in t and "för Bertil Berg" in t for t in texts), texts
            v.check("mina-uppgifter-som-ersattare")
            v.go("/arenden")
            assert page.locator(f"tr[data-case='{mine}']").count() == 1
            v.check("annas-arenden")
        finally:
            v.close()
    # Anna takes the unassigned task: the page comes back to that row, focused, the result announced
    v = Visit(browser, base, axe, "ta-uppgiften", width=1366)
    try:
        v.sign_in(ANNA)
        page = v.page
        # the party's pool: Anna is on no team of Iris's case, so she sees the task, not the person
        row = page.locator(f"[id^='uppgift-{free}-']")
        assert row.count() == 1
        assert "Iris Is" not in page.content()
        table = page.locator("#att-ta-rubrik + table")
        before = table.bounding_box()
        row.get_by_text("Åtgärder").click()
        assert row.get_by_role("button", name="Ta uppgiften").is_visible()
        after = table.bounding_box()
        assert (before["height"], before["width"]) == (after["height"], after["width"])  # no reflow
        v.check("atgarder-oppna")
        row.get_by_role("button", name="Ta uppgiften").click()
        page.wait_for_load_state()
        task_row = page.locator(f"[id^='uppgift-{free}-']")
        assert "#uppgift-" + free in page.url
        page.wait_for_function("document.getElementById('meddelande').textContent.length > 0")
        assert page.locator("#meddelande").inner_text() == "Du har tagit uppgiften."
        focused = page.evaluate("document.activeElement.id")
        assert focused == task_row.first.get_attribute("id")
        assert "Du" in task_row.first.inner_text()
        assert "Iris Is" in page.content()  # on the team now: the consent covers af
        v.check("uppgiften-tagen")
    finally:
        v.close()
