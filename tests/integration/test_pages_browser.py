"""The pages in a real browser: Debian's Chromium, headless, driven by Playwright for Python,
against the app served by uvicorn on 127.0.0.1 (SQLite, a fake clock injected into the app).

Each page visited is screenshot to test-artifacts/ (not committed) and checked with axe-core
(no serious or critical violations). The Makefile installs `chromium` with apt-get when missing.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.pages_kit import PASSWORD, PNR_ALVA, PNR_BO, PagesApp, build, caller, personnummer

CHROMIUM = Path("/usr/bin/chromium")
PNR_EXTRA = tuple(personnummer(1970 + n, 1 + n, 10 + n, 210 + n) for n in range(5))
REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
VENDORED_AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]

def test_chromium_is_installed() -> None:
    assert CHROMIUM.exists(), "the browser tests drive Debian's chromium: make test installs it"


def axe_script() -> Path:
    """axe-core (MPL-2.0, header kept) committed under vendor/; else fetched with `npm pack`."""
    if VENDORED_AXE.exists():
        return VENDORED_AXE
    tmp = Path(tempfile.mkdtemp(prefix="axe-"))
    subprocess.run(["npm", "pack", "axe-core", "--silent"], cwd=tmp, check=True, timeout=120)
    tgz = next(tmp.glob("axe-core-*.tgz"))
    subprocess.run(["tar", "xzf", str(tgz)], cwd=tmp, check=True)
    return tmp / "package" / "axe.min.js"


def set_editor_text(page: Any, text: str) -> None:
    """Replace the text in the definition editor (CodeMirror over the textarea), as typing would."""
    page.locator(".code-editor .cm-content").wait_for()
    page.evaluate(
        "(t) => { const v = window.insatsEditor;"
        " v.dispatch({changes: {from: 0, to: v.state.doc.length, insert: t}}); }",
        text,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[PagesApp, str]]:
    import uvicorn

    pages = build(Path(tmp_path_factory.mktemp("browser")))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(pages.app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
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


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def axe() -> str:
    return axe_script().read_text(encoding="utf-8")


class Visit:
    """One person's browser: sign in, look, screenshot and axe-check every page."""

    def __init__(self, browser: Any, base: str, axe: str, name: str, width: int = 1280) -> None:
        self.context = browser.new_context(viewport={"width": width, "height": 900}, locale="sv-SE")
        self.page = self.context.new_page()
        self.base = base
        self.axe = axe
        self.name = name
        self.shots = 0

    def go(self, path: str) -> Any:
        self.page.goto(self.base + path)
        return self.page

    def sign_in(self, user: str) -> None:
        self.go("/logga-in")
        self.check("inloggning")
        self.page.get_by_label("Användarnamn").fill(user)
        self.page.get_by_label("Lösenord").fill(PASSWORD)
        self.page.get_by_role("button", name="Logga in").click()
        self.page.wait_for_load_state()

    def check(self, label: str) -> None:
        """Screenshot, then axe-core: no serious or critical violations."""
        ARTIFACTS.mkdir(exist_ok=True)
        self.shots += 1
        self.page.screenshot(path=str(ARTIFACTS / f"{self.name}-{self.shots:02d}-{label}.png"), full_page=True)
        self.page.add_script_tag(content=self.axe)
        result = self.page.evaluate(
            "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
            ".map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' '))}))"
        )
        bad = [v for v in result if v["impact"] in ("serious", "critical")]
        assert bad == [], f"axe on {label}: {bad}"

    def close(self) -> None:
        self.context.close()


def test_handlaggare_sees_an_overdue_task_completes_it_and_the_case_moves_on(
    served: tuple[PagesApp, str], browser: Any, axe: str
) -> None:
    pages, base = served
    case = pages.refer(PNR_ALVA, "Alva Exempel")
    pages.clock.advance(days=10)  # bekräfta remiss was due within 5 arbetsdagar
    v = Visit(browser, base, axe, "handlaggare")
    try:
        v.sign_in("sara.samordnare@kommun")
        page = v.page
        assert page.url.endswith("/uppgifter")
        row = page.locator("tr[data-task='bekrafta_remiss']")
        assert "Försenad" in row.inner_text()
        assert "Alva Exempel" in row.inner_text()  # the consent covers the kommun
        v.check("mina-uppgifter")
        page.get_by_label("När").select_option("overdue")
        page.get_by_role("button", name="Visa", exact=True).click()
        page.wait_for_load_state()
        assert page.locator("tr[data-task='bekrafta_remiss']").count() == 1
        page.get_by_role("link", name="Alva Exempel").first.click()
        page.wait_for_load_state()
        assert page.locator("#fas").inner_text() == "Aktualisering"
        assert "198505052384" in page.locator("#deltagare").inner_text()
        v.check("arende")
        task = page.locator("tr[data-task='bekrafta_remiss']")
        task.get_by_text("Åtgärder").click()
        task.get_by_role("button", name="Markera som klar").click()
        page.wait_for_load_state()
        assert "Uppgiften är klar." in page.locator(".flash.ok").inner_text()
        assert "Klar" in page.locator("tr[data-task='bekrafta_remiss']").inner_text()
        page.get_by_label("Till Samtycke").check()
        page.get_by_role("button", name="Gå vidare").click()
        page.wait_for_load_state()
        assert page.locator("#fas").inner_text() == "Samtycke"
        assert page.locator("tr[data-task='inhamta_samtycke']").count() == 1
        assert "Sara Lind förde ärendet till fasen Samtycke" in page.locator("ol.timeline").inner_text()
        v.check("arende-vidare")
        v.go("/installningar")
        page.get_by_label("E-postadress (i tjänsten)").fill("sara.lind@kommun.example.se")
        page.get_by_label("En sammanfattning per dag").check()
        page.get_by_role("button", name="Spara").click()
        page.wait_for_load_state()
        assert "Aviseringarna är sparade." in page.content()
        v.check("aviseringar")
    finally:
        v.close()
    assert pages.services.cases.get_case(caller("sara.samordnare@kommun"), case.id).phase == "samtycke"


def test_handlaggare_whose_party_lacks_consent_sees_no_personal_data(
    served: tuple[PagesApp, str], browser: Any, axe: str
) -> None:
    pages, base = served
    case = pages.to_inskrivning(pages.refer(PNR_BO, "Bo Hemlig", consent=("kommun", "region")))
    v = Visit(browser, base, axe, "utan-samtycke", width=375)  # a phone
    try:
        v.sign_in("anna.handlaggare@af")
        page = v.page
        row = page.locator("tr[data-task='delta_inskrivningssamtal']")
        assert row.count() == 1
        assert "Bo Hemlig" not in page.content()
        assert PNR_BO not in page.content()
        v.check("mina-uppgifter-smal")
        row.get_by_role("link").click()
        page.wait_for_load_state()
        assert page.url.endswith(f"/arenden/{case.id}")
        assert page.locator("#no-consent").is_visible()
        html = page.content()
        assert "Bo Hemlig" not in html
        assert PNR_BO not in html
        assert "Tidslinje" not in html
        v.check("arende-utan-samtycke")
        # the party can still act on its own task
        page.locator("tr[data-task='delta_inskrivningssamtal']").get_by_text("Åtgärder").click()
        page.get_by_role("button", name="Acceptera").click()
        page.wait_for_load_state()
        assert "Uppgiften är accepterad." in page.content()
    finally:
        v.close()


def test_admin_breaks_a_definition_fixes_it_sees_the_diagram_simulates_and_publishes(
    served: tuple[PagesApp, str], browser: Any, axe: str
) -> None:
    pages, base = served
    text = (REPO / "definitions" / "finsam-insats.yaml").read_text(encoding="utf-8")
    broken = text.replace("responsible: samverkansteam", "responsible: okand_roll", 1)
    bad_line = broken.splitlines().index("        responsible: okand_roll") + 1
    fixed = text.replace("name: Individuell insats (FINSAM)", "name: Individuell insats (FINSAM) 2026", 1)
    v = Visit(browser, base, axe, "admin")
    try:
        v.sign_in("frida.admin@forbund")
        page = v.page
        assert page.url.endswith("/admin/definitioner")
        v.check("definitioner")
        page.get_by_role("link", name="Redigera version 1 av finsam-insats").click()
        page.wait_for_load_state()
        assert page.locator("#diagram svg g.phase").count() >= 8
        v.check("editor")
        set_editor_text(page, broken)
        status = page.locator("#validering-status")
        status.filter(has_text="fel i definitionen").wait_for()
        problems = page.locator("#problem-lista").inner_text()
        assert f"Rad {bad_line}" in problems
        assert "okand_roll" in problems
        page.get_by_role("button", name=f"Rad {bad_line}").first.click()  # scrolls the editor to it
        page.locator(".cm-gutter-lint .cm-lint-marker-error").first.wait_for()
        selected = page.evaluate(
            "() => { const v = window.insatsEditor; const s = v.state.selection.main;"
            " return v.state.sliceDoc(s.from, s.to); }"
        )
        assert "okand_roll" in selected
        v.check("editor-fel")
        set_editor_text(page, fixed)
        status.filter(has_text="Inga fel.").wait_for()
        assert page.locator("#problem-lista li").count() == 0
        diagram = page.locator("#diagram svg")
        assert "Arbetsträning" in diagram.inner_html()
        assert "Uppföljning arbetsträning var 4 veckor" in diagram.inner_html()  # a phase timer, noted in its box
        v.check("editor-rattad")
        page.get_by_role("button", name="Spara som ny version").click()
        page.wait_for_load_state()
        assert "Version 2 är sparad men inte publicerad." in page.content()
        assert "(FINSAM) 2026" in page.locator("h1").inner_text()
        page.get_by_role("link", name="Simulera version 2").click()
        page.wait_for_load_state()
        page.get_by_label("Startdatum").fill("2026-08-03")
        page.get_by_role("button", name="Simulera").click()
        page.wait_for_load_state()
        result = page.locator("#resultat")
        assert "2026-08-03" in result.inner_text()
        assert "Bekräfta mottagen remiss" in result.inner_text()
        v.check("simulering")
        v.go("/admin/definitioner/finsam-insats?version=2")
        page.get_by_role("link", name="Publicera version 2…").click()
        page.wait_for_load_state()
        assert "pågående ärende" in page.locator(".confirm").inner_text()
        page.get_by_role("button", name="Ja, publicera version 2").click()
        page.wait_for_load_state()
        assert "Version 2 är publicerad" in page.content()
        page.get_by_role("link", name="Migrera pågående ärenden").first.click()
        page.wait_for_load_state()
        page.get_by_label("Från version").select_option("1")
        page.get_by_label("Till version").select_option("2")
        page.get_by_role("button", name="Förhandsgranska").click()
        page.wait_for_load_state()
        report = page.locator("#forhandsgranskning-ruta").inner_text()
        assert "Inget är ändrat ännu" in report
        assert "Flyttas" in report
        v.check("migrering-forhandsgranskning")
        v.go("/admin/definitioner")
        assert "Publicerad" in page.locator("table").first.inner_text()
        for n in range(5):  # enough participants in one phase for a count above the suppression threshold
            pages.refer(PNR_EXTRA[n], f"Extra {n}")
        v.go("/admin/statistik")
        assert "&lt;5" in page.content() or "<5" in page.inner_text("main")
        assert page.locator("svg.chart").count() >= 1
        assert "Alva" not in page.content()
        v.check("statistik")
    finally:
        v.close()
    running = pages.app.state.web.overview.running_per_version(caller("frida.admin@forbund"), "finsam-insats")
    assert running.get(("finsam-insats", 1), 0) >= 2  # a dry run moved nothing


def test_keyboard_reaches_the_skip_link_and_the_main_content(
    served: tuple[PagesApp, str], browser: Any, axe: str
) -> None:
    _, base = served
    v = Visit(browser, base, axe, "tangentbord")
    try:
        v.sign_in("rut.rehab@region")
        page = v.page
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent") == "Hoppa till innehållet"
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "innehall"
    finally:
        v.close()


def test_chromium_is_debians(browser: Any) -> None:
    assert shutil.which("chromium") == str(CHROMIUM) or CHROMIUM.exists()
    assert browser.version
