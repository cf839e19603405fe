"""A whole case, from the referral to the exit with an outcome, through the pages alone in real
Chromium (no API calls, no service calls): at 1366 px and at 375 px with the mouse, and by keyboard
alone. Every state is screenshot to test-artifacts/arende-*.png and checked with axe-core
(tests/vendor/axe.min.js, npm axe-core 4.10.x): no serious or critical violation."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.integration.pages_kit import PASSWORD, PagesApp, caller, personnummer
from tests.integration.test_pages_browser import ARTIFACTS, browser, served  # noqa: F401 - the fixtures

AXE = Path(__file__).resolve().parents[1] / "vendor" / "axe.min.js"
WIDTHS = (1366, 375)
SARA = "sara.samordnare@kommun"


class Run:
    """One person's browser on the case pages: act, then screenshot and axe-check the state."""

    def __init__(self, browser: Any, base: str, name: str, width: int) -> None:  # noqa: F811
        self.context = browser.new_context(viewport={"width": width, "height": 900}, locale="sv-SE")
        self.page = self.context.new_page()
        self.base = base
        self.name = name
        self.shots = 0
        self.axe = AXE.read_text(encoding="utf-8")

    def check(self, label: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.shots += 1
        self.page.screenshot(path=str(ARTIFACTS / f"arende-{self.name}-{self.shots:02d}-{label}.png"), full_page=True)
        self.page.add_script_tag(content=self.axe)
        found = self.page.evaluate(
            "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
            ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))}))"
        )
        bad = [v for v in found if v["impact"] in ("serious", "critical")]
        assert bad == [], f"axe on {label}: {bad}"

    def text(self, css: str) -> str:
        return str(self.page.locator(css).inner_text())

    def close(self) -> None:
        self.context.close()


# --- with the mouse -------------------------------------------------------------------------------


def complete(run: Run, task_label: str) -> None:
    row = run.page.locator("#uppgifter tr", has_text=task_label)
    row.get_by_text("Åtgärder").click()
    row.get_by_role("button", name="Markera som klar").click()
    run.page.wait_for_load_state()
    assert "Klar" in row.inner_text()


def move_on(run: Run, choice: str) -> None:
    section = run.page.locator("#ga-vidare")
    section.get_by_label(choice).check()
    section.get_by_role("button", name="Gå vidare").click()
    run.page.wait_for_load_state()


@pytest.mark.parametrize("width", WIDTHS)
def test_a_case_from_referral_to_exit_with_the_mouse(
    served: tuple[PagesApp, str],  # noqa: F811
    browser: Any,  # noqa: F811
    width: int,
) -> None:
    pages, base = served
    run = Run(browser, base, f"mus-{width}", width)
    page = run.page
    try:
        page.goto(base + "/logga-in")
        page.get_by_label("Användarnamn").fill(SARA)
        page.get_by_label("Lösenord").fill(PASSWORD)
        page.get_by_role("button", name="Logga in").click()
        page.wait_for_load_state()
        page.get_by_role("link", name="Ny remiss").click()
        page.wait_for_load_state()
        run.check("ny-remiss")
        page.get_by_label("Personnummer", exact=True).fill("19880304-1235")
        page.get_by_label("Namn", exact=True).fill("Tova Test")
        page.get_by_role("button", name="Registrera remiss").click()
        page.wait_for_load_state()
        assert "kontrollsiffran" in run.text("#fel-personnummer")
        run.check("remiss-fel")
        page.get_by_label("Personnummer", exact=True).fill(personnummer(1988, 3, 4, 100 + width % 7))
        page.get_by_role("button", name="Registrera remiss").click()
        page.wait_for_load_state()
        assert "Remissen är registrerad" in run.text(".flash.ok")
        assert run.text("#fas") == "Aktualisering"
        run.check("arende-aktualisering")
        move_on(run, "Till Samtycke: Remissen är mottagen")
        assert "Uppgiften 'Bekräfta mottagen remiss och kontakta deltagaren' är inte klar" in run.text("#ga-vidare")
        assert page.evaluate("document.activeElement.id") == "ga-vidare-rubrik", page.evaluate(
            "[location.href, document.activeElement.outerHTML.slice(0, 200), document.scripts.length]"
        )
        run.check("spärrad")
        complete(run, "Bekräfta mottagen remiss")
        move_on(run, "Till Samtycke: Remissen är mottagen")
        assert run.text("#fas") == "Samtycke"
        consent = page.locator("#samtycke")
        for party in ("Arbetsförmedlingen", "Kommunen", "Regionen"):
            consent.get_by_label(party).check()
        consent.get_by_role("button", name="Registrera samtycke").click()
        page.wait_for_load_state()
        assert "Samtycket är registrerat." in run.text("#samtycke")
        assert "Tova Test" in run.text("#deltagare")
        run.check("samtycke")
        complete(run, "Inhämta skriftligt samtycke")
        move_on(run, "Till Beslut om deltagande")
        complete(run, "Besluta om deltagande")
        move_on(run, "Till Inskrivning: Antagen")
        assert "Beslut om deltagande ska vara Antagen" in run.text("#ga-vidare")
        run.check("beslut-saknas")
        decision = page.locator("#beslut")
        decision.get_by_label("Antagen", exact=True).check()
        decision.get_by_label("Anteckning (valfri)").fill("Enigt i samverkansteamet")
        decision.get_by_role("button", name="Registrera beslut").click()
        page.wait_for_load_state()
        assert run.text("#beslut-nu") == "Antagen"
        move_on(run, "Till Inskrivning: Antagen")
        assert run.text("#fas") == "Inskrivning"
        complete(run, "Boka inskrivningssamtal")
        move_on(run, "Till Kartläggning")
        assert "'Inskrivningssamtal hållet' är inte registrerat i ärendet" in run.text("#ga-vidare")
        facts = page.locator("#uppgifter-i-arendet tr", has_text="Inskrivningssamtal hållet")
        facts.get_by_role("button", name="Spara").click()
        page.wait_for_load_state()
        assert "'Inskrivningssamtal hållet' är registrerat." in run.text("#uppgifter-i-arendet")
        run.check("faktum")
        move_on(run, "Till Kartläggning")
        assert run.text("#fas") == "Kartläggning"
        move_on(run, "Till Avslut: Tidigt avslut (t.ex. arbete eller studier)")
        assert run.text("#fas") == "Avslut"
        complete(run, "Håll avslutningsmöte")
        run.check("avslut")
        page.locator("#avslut").get_by_label("Utfall").select_option(label="Studier")
        page.locator("#avslut").get_by_role("button", name="Avsluta ärendet …").click()
        page.wait_for_load_state()
        assert "Ärendet avslutas med utfallet Studier." in run.text("#konsekvenser")
        run.check("bekrafta-avslut")
        page.get_by_role("button", name="Ja, avsluta ärendet").click()
        page.wait_for_load_state()
        assert run.text("#status") == "Avslutat"
        assert run.text("#utfall") == "Studier"
        timeline = run.text("#tidslinje")
        assert "Sara Lind registrerade samtycke för Arbetsförmedlingen, Kommunen och Regionen" in timeline
        assert "Uppgiften 'Bekräfta mottagen remiss och kontakta deltagaren' slutfördes av Sara Lind" in timeline
        assert "Sara Lind avslutade ärendet med utfallet Studier" in timeline
        for code in ("admitted", "label:", "task:", "bekrafta_remiss", "inskrivningssamtal_hallet"):
            assert code not in page.content().split('id="tidslinje"')[1]
        assert "Inhämta skriftligt samtycke" in run.text("#uppgifter")
        run.check("avslutat")
        page.get_by_label("Visa systemhändelser").check()
        page.get_by_role("button", name="Uppdatera").click()
        page.wait_for_load_state()
        assert "Ny uppgift till Samordnare" in run.text("#tidslinje")
        run.check("systemhandelser")
        case_id = page.url.split("/arenden/")[1].split("?")[0].split("#")[0]
    finally:
        run.close()
    closed = pages.services.cases.get_case(caller(SARA), case_id)
    assert (closed.status, closed.outcome) == ("closed", "studier")


# --- by keyboard alone ----------------------------------------------------------------------------


def tab_to(run: Run, is_it: Callable[[], bool], what: str, limit: int = 250) -> None:
    """Press Tab until the focused element is the one wanted (the test only looks; keys act)."""
    for _ in range(limit):
        run.page.keyboard.press("Tab")
        if is_it():
            return
    raise AssertionError(f"Tab never reached {what}")


def focused(run: Run, js: str) -> Callable[[], bool]:
    return lambda: bool(run.page.evaluate(f"(() => {{ const el = document.activeElement; return {js}; }})()"))


def by_text(run: Run, tag: str, text: str, inside: str = "main") -> Callable[[], bool]:
    return focused(
        run, f"el.closest('{inside}') !== null && el.tagName === '{tag}' && el.textContent.trim().startsWith({text!r})"
    )


def go(run: Run) -> None:
    """Enter on a link or a submit button, and wait for the page it leads to."""
    with run.page.expect_navigation():
        run.page.keyboard.press("Enter")


def key_complete(run: Run, task_label: str) -> None:
    tab_to(run, focused(run, f"el.tagName === 'SUMMARY' && el.closest('tr').textContent.includes({task_label!r})"),
           f"the actions of {task_label}")  # fmt: skip
    run.page.keyboard.press("Enter")
    tab_to(run, by_text(run, "BUTTON", "Markera som klar"), "Markera som klar")
    go(run)


def key_move_on(run: Run, arrows: int = 0) -> None:
    tab_to(run, focused(run, "el.name === 'fas' && el.checked"), "the chosen next step")
    for _ in range(arrows):
        run.page.keyboard.press("ArrowDown")
    tab_to(run, by_text(run, "BUTTON", "Gå vidare"), "Gå vidare")
    go(run)


def test_a_case_from_referral_to_exit_by_keyboard_alone(
    served: tuple[PagesApp, str],  # noqa: F811
    browser: Any,  # noqa: F811
) -> None:
    pages, base = served
    run = Run(browser, base, "tangentbord", 1366)
    page, keys = run.page, run.page.keyboard
    try:
        page.goto(base + "/logga-in")
        tab_to(run, focused(run, "el.name === 'anvandare'"), "Användarnamn")
        keys.type(SARA)
        keys.press("Tab")
        keys.type(PASSWORD)
        go(run)
        tab_to(run, by_text(run, "A", "Ny remiss", inside="nav"), "Ny remiss")
        go(run)
        tab_to(run, focused(run, "el.id === 'personnummer'"), "Personnummer")
        keys.type(personnummer(1979, 9, 9, 321))
        keys.press("Tab")
        keys.type("Kalle Tangent")
        tab_to(run, by_text(run, "BUTTON", "Registrera remiss"), "Registrera remiss")
        go(run)
        assert run.text("#fas") == "Aktualisering"
        key_complete(run, "Bekräfta mottagen remiss")
        key_move_on(run)
        assert run.text("#fas") == "Samtycke"
        for party in ("af", "kommun"):
            tab_to(run, focused(run, f"el.id === 'samtycke-{party}'"), party)
            keys.press("Space")
        tab_to(run, by_text(run, "BUTTON", "Registrera samtycke"), "Registrera samtycke")
        go(run)
        assert "Kalle Tangent" in run.text("#deltagare")
        assert page.evaluate("document.activeElement.id") == "samtycke-rubrik"  # focus came back to the section
        key_complete(run, "Inhämta skriftligt samtycke")
        key_move_on(run)
        tab_to(run, focused(run, "el.name === 'beslut' && el.value === 'admitted'"), "Antagen")
        keys.press("Space")
        tab_to(run, by_text(run, "BUTTON", "Registrera beslut"), "Registrera beslut")
        go(run)
        key_complete(run, "Besluta om deltagande")
        key_move_on(run)
        assert run.text("#fas") == "Inskrivning"
        key_complete(run, "Boka inskrivningssamtal")
        tab_to(run, focused(run, "el.tagName === 'BUTTON' && el.closest('tr[data-fact=inskrivningssamtal_hallet]')"),
               "Spara Inskrivningssamtal hållet")  # fmt: skip
        go(run)
        key_move_on(run)
        assert run.text("#fas") == "Kartläggning"
        key_move_on(run, arrows=2)  # the third way: Tidigt avslut
        assert run.text("#fas") == "Avslut"
        key_complete(run, "Håll avslutningsmöte")
        tab_to(run, focused(run, "el.id === 'utfall-val'"), "Utfall")
        keys.press("ArrowDown")  # Studier, the second outcome
        tab_to(run, by_text(run, "BUTTON", "Avsluta ärendet"), "Avsluta ärendet")
        go(run)
        assert "Studier" in run.text("#konsekvenser")
        run.check("bekrafta")
        tab_to(run, by_text(run, "BUTTON", "Ja, avsluta ärendet"), "Ja, avsluta ärendet")
        go(run)
        assert run.text("#status") == "Avslutat"
        assert run.text("#utfall") == "Studier"
        run.check("avslutat")
    finally:
        run.close()


# --- the confirmation steps and the referral's warning --------------------------------------------


@pytest.mark.parametrize("width", WIDTHS)
def test_the_confirmation_pages_say_what_happens(
    served: tuple[PagesApp, str],  # noqa: F811
    browser: Any,  # noqa: F811
    width: int,
) -> None:
    pages, base = served
    pnr = personnummer(1966, 6, 6, 600 + width % 7)
    case = pages.refer(pnr, "Vera Varning")  # set up through the service; every step below is the pages'
    run = Run(browser, base, f"bekrafta-{width}", width)
    page = run.page
    try:
        page.goto(base + "/logga-in")
        page.get_by_label("Användarnamn").fill(SARA)
        page.get_by_label("Lösenord").fill(PASSWORD)
        page.get_by_role("button", name="Logga in").click()
        page.wait_for_load_state()
        page.goto(f"{base}/remiss/ny")
        page.get_by_label("Personnummer", exact=True).fill(pnr)
        page.get_by_label("Namn", exact=True).fill("Vera Varning")
        page.get_by_role("button", name="Registrera remiss").click()
        page.wait_for_load_state()
        assert "Deltagaren har redan ett pågående ärende" in run.text("#redan-aktiv")
        run.check("remiss-varning")
        page.goto(f"{base}/arenden/{case.id}")
        withdraw = page.locator("#aterkalla-samtycke")
        withdraw.get_by_label("Försäkringskassan").check()
        withdraw.get_by_role("button", name="Återkalla samtycke …").click()
        page.wait_for_load_state()
        effects = run.text("#konsekvenser")
        assert "Samtycket återkallas för Försäkringskassan." in effects
        assert "Samtycket gäller fortfarande för Arbetsförmedlingen, Kommunen och Regionen." in effects
        run.check("aterkalla")
        page.get_by_role("link", name="Avbryt, ändra inget").click()
        page.wait_for_load_state()
        page.locator("#skyddad-identitet").get_by_role("button").click()
        page.wait_for_load_state()
        assert "i alla deltagarens ärenden" in run.text("#konsekvenser")
        run.check("skyddad-identitet")
        page.get_by_role("link", name="Avbryt, ändra inget").click()
        page.wait_for_load_state()
        page.get_by_role("button", name="Registrera avbrott …").click()
        page.wait_for_load_state()
        page.get_by_label("Orsak till avbrottet").select_option(label="Flytt")
        run.check("avbrott")
        page.get_by_role("button", name="Ja, registrera avbrott").click()
        page.wait_for_load_state()
        assert run.text("#status") == "Avslutat"
        assert "avslutade ärendet med avbrott: Flytt" in run.text("#tidslinje")
        run.check("efter-avbrott")
    finally:
        run.close()
    after = pages.services.cases.get_case(caller(SARA), case.id)
    assert after.consent is not None
    assert "fk" in after.consent.parties  # the withdrawal was cancelled: nothing changed
