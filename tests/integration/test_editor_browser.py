"""The definition editor in real Chromium: CodeMirror over the textarea, lint markers on the lines
the validator names (no drift), follow-on errors under their cause, completion and hover help from
the JSON Schema and the document's ids, and the plain textarea saving without JavaScript.

Screenshots at 1366 and 375 px go to test-artifacts/editor-*.png.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.core.loader import problem_dicts
from engine.core.validation import validate_text
from tests.integration.pages_kit import PagesApp
from tests.integration.test_pages_browser import REPO, Visit, axe, browser, served, set_editor_text

__all__ = ["axe", "browser", "served"]  # the fixtures, shared with the other browser tests

SIP = (REPO / "definitions" / "sip.yaml").read_text(encoding="utf-8")
FINSAM = (REPO / "definitions" / "finsam-insats.yaml").read_text(encoding="utf-8")

TEN_ERRORS = (
    (
        "        responsible: socialsekreterare\n        due: 2 arbetsdagar\n",
        "        responsible: socialsekreterar\n        due: 2 arbetsdagar\n",
    ),
    ("        due: 3 arbetsdagar\n", "        due: 3 arbetsdar\n"),
    ("        due: 7 dagar\n", "        due: sju dagar\n"),
    ("        responsible: fast_vardkontakt\n", "        responsible: vardkontakt\n"),
    ("          to: verksamhetschef_region\n", "          to: verksamhetschef\n"),
    ("        due: 10 dagar\n", "        due: 10 dagar\n        prioritet: hög\n"),
    ("          fact: huvudansvarig\n", "          fact: huvudansvar\n"),
    ("      up_to: 12 månader\n", "      up_to: 12 manader\n"),
    ("        responsible: region\n", "        responsible: regionen\n"),
    ("    label: Regionen (hälso- och sjukvård)\n", "    label: Regionen (hälso- och sjukvård)\n    namn: Regionen\n"),
)


def broken(text: str, edits: tuple[tuple[str, str], ...]) -> str:
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


@pytest.fixture
def admin(served: tuple[PagesApp, str], browser: Any, axe: str, request: pytest.FixtureRequest) -> Iterator[Visit]:
    _, base = served
    width = getattr(request, "param", 1366)
    v = Visit(browser, base, axe, f"editor-{width}", width=width)
    v.sign_in("frida.admin@forbund")
    try:
        yield v
    finally:
        v.close()


def open_editor(v: Visit, definition_id: str) -> Any:
    page = v.go(f"/admin/definitioner/{definition_id}")
    page.locator(".code-editor .cm-content").wait_for()
    return page


def marker_lines(page: Any, line: int) -> list[int]:
    """Scroll line into view; the line numbers beside which a lint marker stands, read by position."""
    return list(
        page.evaluate(
            """(line) => new Promise((done) => {
                const v = window.insatsEditor;
                v.dispatch({effects: CM.EditorView.scrollIntoView(v.state.doc.line(line).from, {y: 'center'})});
                requestAnimationFrame(() => requestAnimationFrame(() => {
                    const numbers = [...document.querySelectorAll('.cm-lineNumbers .cm-gutterElement')]
                        .filter((e) => /^\\d+$/.test(e.textContent))
                        .map((e) => { const r = e.getBoundingClientRect();
                                      return {n: +e.textContent, mid: (r.top + r.bottom) / 2}; });
                    const out = [];
                    for (const m of document.querySelectorAll('.cm-gutter-lint .cm-lint-marker')) {
                        const r = m.getBoundingClientRect();
                        const mid = (r.top + r.bottom) / 2;
                        const row = numbers.find((x) => Math.abs(x.mid - mid) < 4);
                        out.push(row ? row.n : -1);
                    }
                    done(out);
                }));
            })""",
            line,
        )
    )


def test_ten_errors_stand_as_markers_beside_their_own_lines(admin: Visit) -> None:
    text = broken(SIP, TEN_ERRORS)
    _, problems = validate_text(text, "definition.yaml")
    expected = sorted({p["line"] for p in problem_dicts(problems)})
    assert len(problems) == 10, [str(p) for p in problems]
    assert len(expected) == 10, expected
    page = open_editor(admin, "sip")
    set_editor_text(page, text)
    page.locator("#validering-status").filter(has_text="10 fel i definitionen.").wait_for()
    page.locator(".cm-gutter-lint .cm-lint-marker").first.wait_for()
    seen: set[int] = set()
    for line in expected:
        beside = marker_lines(page, line)
        assert -1 not in beside, f"a marker beside no line number: {beside}"
        assert line in beside, f"no marker beside line {line}: {beside}"
        assert set(beside) <= set(expected), f"markers beside {sorted(set(beside) - set(expected))}: no error there"
        seen |= set(beside)
    assert seen == set(expected)
    messages = page.locator("#problem-lista").inner_text()
    assert "phases[" not in messages
    assert "tasks[" not in messages
    assert "Fasen ”SIP-möte och plan”, uppgiften ”Beskriv kommunens insatser och behov inför SIP-mötet”" in messages
    admin.check("tio-fel")


def test_a_misspelt_phase_is_the_one_cause_listed_first_with_its_follow_ons_under_it(admin: Visit) -> None:
    text = FINSAM.replace("      - to: samtycke\n", "      - to: samtyke\n", 1)
    typo_line = text.splitlines().index("      - to: samtyke") + 1
    page = open_editor(admin, "finsam-insats")
    set_editor_text(page, text)
    page.locator("#validering-status").filter(has_text="1 fel i definitionen.").wait_for()
    causes = page.locator("#problem-lista > li")
    assert causes.count() == 1
    first = causes.first
    assert first.locator("button.goto").first.inner_text() == f"Rad {typo_line}"
    assert "övergång till okänd fas 'samtyke' (menade du 'samtycke'?)" in first.inner_text()
    summary = first.locator("details.follow-ons summary")
    assert summary.inner_text().endswith("följdfel av detta")
    summary.click()
    follow = first.locator("details.follow-ons li")
    assert follow.count() >= 7
    assert "Fasen ”Samtycke” kan inte nås från startfasen ”Aktualisering”" in follow.all_inner_texts()[1:][0] or any(
        "Fasen ”Samtycke” kan inte nås" in t for t in follow.all_inner_texts()
    )
    # the cause is an error on its line, the follow-ons are warnings on theirs
    assert typo_line in marker_lines(page, typo_line)
    assert page.locator(".cm-lint-marker-error").count() >= 1
    assert page.locator(".cm-lint-marker-warning").count() >= 1
    admin.check("foljdfel")


def cursor_to(page: Any, needle: str, offset: int | None = None) -> None:
    """Put the cursor in the editor at the end of the first occurrence of needle (or offset into it)."""
    page.evaluate(
        "([n, o]) => { const v = window.insatsEditor; const i = v.state.doc.toString().indexOf(n);"
        " if (i < 0) throw new Error('not in the document: ' + n);"
        " v.focus(); v.dispatch({selection: {anchor: i + (o === null ? n.length : o)}}); }",
        [needle, offset],
    )


def open_completion(page: Any) -> None:
    """Ctrl+Space once no completion is active and the mouse is off the editor."""
    page.mouse.move(0, 0)
    page.wait_for_function("() => CM.completionStatus(window.insatsEditor.state) === null")
    page.keyboard.press("Control+Space")


def choose(page: Any, label: str) -> None:
    """Click the one option left once the popup has filtered down to it (Enter right after the popup
    changes is ignored by CodeMirror on purpose, and a click on an option being replaced is lost)."""
    page.wait_for_function(
        "(l) => { const o = document.querySelectorAll('.cm-tooltip-autocomplete li');"
        " return o.length === 1 && o[0].querySelector('.cm-completionLabel').textContent === l; }",
        arg=label,
    )
    page.locator(".cm-tooltip-autocomplete li").click()
    page.wait_for_function(
        "(l) => { const v = window.insatsEditor;"
        " return v.state.doc.lineAt(v.state.selection.main.head).text.includes(l); }",
        arg=label,
    )


def test_completion_offers_fields_with_their_descriptions_the_documents_ids_and_durations(admin: Visit) -> None:
    page = open_editor(admin, "sip")
    popup = page.locator(".cm-tooltip-autocomplete")
    # a responsible party or role: the document's ids, with their labels
    cursor_to(
        page, "        responsible: socialsekreterare\n        due: 2 arbetsdagar\n", len("        responsible: ")
    )
    page.keyboard.press("Shift+End")
    page.keyboard.press("Delete")
    open_completion(page)
    popup.wait_for()
    options = popup.inner_text()
    assert "socialsekreterare" in options
    assert "roll: Socialsekreterare" in options
    assert "kommun" in options
    assert "part: Kommunen (socialtjänst)" in options
    page.keyboard.type("fast")
    choose(page, "fast_vardkontakt")
    line = page.evaluate(
        "() => { const v = window.insatsEditor; return v.state.doc.lineAt(v.state.selection.main.head).text; }"
    )
    assert line == "        responsible: fast_vardkontakt"
    # a field name on a new line of a task
    page.keyboard.press("End")
    page.keyboard.press("Enter")
    page.keyboard.type("bloc")
    popup.get_by_text("blocking").wait_for()
    assert "Måste vara klar innan fasen kan lämnas" in page.locator(".cm-completionInfo").inner_text()
    choose(page, "blocking")
    line = page.evaluate(
        "() => { const v = window.insatsEditor; return v.state.doc.lineAt(v.state.selection.main.head).text; }"
    )
    assert line == "        blocking: "
    page.keyboard.press("Control+Space")
    popup.get_by_text("false", exact=True).wait_for()
    page.keyboard.press("Escape")
    # a duration
    cursor_to(page, "        due: 3 arbetsdagar\n", len("        due: "))
    page.keyboard.press("Shift+End")
    page.keyboard.press("Delete")
    open_completion(page)
    popup.get_by_text("5 arbetsdagar").wait_for()
    assert "14 dagar" in popup.inner_text()
    page.keyboard.press("Escape")
    # a transition's target: the phases
    cursor_to(page, "      - to: samtycke\n", len("      - to: "))
    page.keyboard.press("Shift+End")
    page.keyboard.press("Delete")
    open_completion(page)
    popup.get_by_text("planering").wait_for()
    assert "fas: Samtycke till SIP" in popup.inner_text()
    admin.check("komplettering")


def hover_word(page: Any, needle: str, offset: int) -> None:
    box = page.evaluate(
        "([n, o]) => { const v = window.insatsEditor; const i = v.state.doc.toString().indexOf(n) + o;"
        " v.dispatch({effects: CM.EditorView.scrollIntoView(i, {y: 'center'})});"
        " return new Promise((done) => requestAnimationFrame(() => { const c = v.coordsAtPos(i);"
        " done({x: c.left, y: (c.top + c.bottom) / 2}); })); }",
        [needle, offset],
    )
    page.mouse.move(box["x"] + 3, box["y"])


def test_hover_explains_a_field_and_names_an_id_by_its_label(admin: Visit) -> None:
    page = open_editor(admin, "sip")
    tooltip = page.locator(".cm-tooltip-hover .cm-help")
    hover_word(page, "    kind: referral", len("    "))
    tooltip.wait_for()
    assert "kind: Slags fas" in tooltip.inner_text()
    page.mouse.move(1, 1)
    tooltip.wait_for(state="detached")
    hover_word(page, "        responsible: socialsekreterare", len("        responsible: "))
    tooltip.filter(has_text="Roll: Socialsekreterare").wait_for()
    admin.check("hjalp")


@pytest.mark.parametrize("admin", [375], indirect=True)
def test_the_editor_on_a_phone_shows_problems_and_markers(admin: Visit) -> None:
    page = open_editor(admin, "sip")
    admin.check("smal")
    text = SIP.replace("        responsible: region\n", "        responsible: regionen\n", 1)
    bad = text.splitlines().index("        responsible: regionen") + 1
    set_editor_text(page, text)
    page.locator("#validering-status").filter(has_text="1 fel i definitionen.").wait_for()
    assert bad in marker_lines(page, bad)
    width = page.evaluate("() => document.documentElement.scrollWidth")
    wide = page.evaluate(
        "() => [...document.querySelectorAll('main *')].filter((e) => e.getBoundingClientRect().right > 376)"
        ".slice(0, 5).map((e) => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"
    )
    assert width <= 375, f"the page scrolls sideways at 375 px ({width} px): {wide}"
    admin.check("smal-fel")


def test_without_javascript_the_textarea_is_the_editor_and_saves(served: tuple[PagesApp, str], browser: Any) -> None:
    pages, base = served
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="sv-SE", java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(base + "/logga-in")
        page.get_by_label("Användarnamn").fill("frida.admin@forbund")
        from tests.integration.pages_kit import PASSWORD

        page.get_by_label("Lösenord").fill(PASSWORD)
        page.get_by_role("button", name="Logga in").click()
        page.goto(base + "/admin/definitioner/sip")
        area = page.locator("textarea#yaml")
        assert area.is_visible()
        assert page.locator(".cm-editor").count() == 0
        area.fill(SIP.replace("name: Samordnad individuell plan (SIP)", "name: SIP utan skript", 1))
        Path(REPO / "test-artifacts").mkdir(exist_ok=True)
        page.screenshot(path=str(REPO / "test-artifacts" / "editor-1366-utan-js.png"), full_page=True)
        page.get_by_role("button", name="Spara som ny version").click()
        assert "är sparad men inte publicerad." in page.content()
        assert "SIP utan skript" in page.locator("h1").inner_text()
        # and a broken text comes back with its problems, in words, at their lines
        page.locator("textarea#yaml").fill(
            SIP.replace("        responsible: region\n", "        responsible: regionen\n", 1)
        )
        page.get_by_role("button", name="Spara som ny version").click()
        problems = page.locator("#problem-lista").inner_text()
        assert "okänd part eller roll 'regionen' (menade du 'region'?)" in problems
        assert "phases[" not in problems
    finally:
        context.close()
    assert any(d.name == "SIP utan skript" for d in pages.services.definitions.list())
