"""The process diagram in real Chromium: in the rendered SVG no label overlaps another label or a
box it does not belong to, and none leaves the drawing, for both shipped definitions and a
generated one of 40 phases with back edges, at 1366 and 375 px. Zoom buttons work; on a phone
the page itself does not scroll sideways (the diagram pans in its frame).

Screenshots go to test-artifacts/diagram/ (not committed).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.diagram_kit import generated_definition
from tests.integration import test_pages_browser as pages_browser
from tests.integration.pages_kit import PagesApp, caller
from tests.integration.test_pages_browser import ARTIFACTS, Visit

# the pages' browser fixtures: an app served by uvicorn (its own for this module), Chromium, axe-core
served = pages_browser.served
browser = pages_browser.browser
axe = pages_browser.axe

SHOTS = ARTIFACTS / "diagram"
TOLERANCE = 0.5  # px: what two touching boxes may share through rounding

GEOMETRY = """() => {
  const svg = document.querySelector('#diagram svg.diagram');
  const box = el => {
    const b = el.getBBox(), m = el.getCTM();
    const p = (x, y) => { const q = svg.createSVGPoint(); q.x = x; q.y = y; return q.matrixTransform(m); };
    const a = p(b.x, b.y), c = p(b.x + b.width, b.y + b.height);
    return [Math.min(a.x, c.x), Math.min(a.y, c.y), Math.max(a.x, c.x), Math.max(a.y, c.y)];
  };
  const r = svg.getBoundingClientRect();
  return {
    drawing: [0, 0, r.width, r.height],
    nodes: [...svg.querySelectorAll('g.node')].map(g => ({
      cls: g.getAttribute('class'),
      shape: box(g.querySelector('path, polygon')),
      texts: [...g.querySelectorAll('text')].filter(t => t.textContent.trim())
        .map(t => ({text: t.textContent, box: box(t)})),
    })),
  };
}"""


def _overlap(a: list[float], b: list[float]) -> bool:
    return min(a[2], b[2]) - max(a[0], b[0]) > TOLERANCE and min(a[3], b[3]) - max(a[1], b[1]) > TOLERANCE


def _inside(inner: list[float], outer: list[float]) -> bool:
    return (
        inner[0] >= outer[0] - TOLERANCE
        and inner[1] >= outer[1] - TOLERANCE
        and inner[2] <= outer[2] + TOLERANCE
        and inner[3] <= outer[3] + TOLERANCE
    )


def check_layout(geometry: dict[str, Any]) -> int:
    """Asserts the drawing's rules; answers how many labels (text lines) it checked."""
    nodes = geometry["nodes"]
    drawing = geometry["drawing"]
    assert len(nodes) >= 3
    checked = 0
    for i, n in enumerate(nodes):
        assert _inside(n["shape"], drawing), f"box leaves the drawing: {n['texts'][:1]}"
        for t in n["texts"]:
            checked += 1
            assert _inside(t["box"], drawing), f"label leaves the drawing: {t['text']!r}"
            assert _inside(t["box"], n["shape"]), f"label sticks out of its box: {t['text']!r}"
            for j, other in enumerate(nodes):
                if j == i:
                    continue
                assert not _overlap(t["box"], other["shape"]), (
                    f"label {t['text']!r} overlaps the box of {other['texts'][0]['text']!r}"
                )
                for u in other["texts"]:
                    assert not _overlap(t["box"], u["box"]), f"labels overlap: {t['text']!r} and {u['text']!r}"
    return checked


@pytest.fixture(scope="module")
def definitions(served: tuple[PagesApp, str]) -> dict[str, str]:
    """The editor page of each definition to draw (the 40 phases uploaded by the admin)."""
    pages, _ = served
    admin = caller("frida.admin@forbund")
    known = {d.id for d in pages.services.definitions.list()}
    assert {"finsam-insats", "sip"} <= known, "the shipped definitions are synced into the app"
    big = pages.services.definitions.upload(admin, generated_definition(40))
    return {
        "finsam-insats": "/admin/definitioner/finsam-insats",
        "sip": "/admin/definitioner/sip",
        "40-faser": f"/admin/definitioner/{big.id}?version={big.version}",
    }


@pytest.mark.parametrize("width", [1366, 375])
@pytest.mark.parametrize("name", ["finsam-insats", "sip", "40-faser"])
def test_no_label_overlaps_a_label_or_a_box_and_none_leaves_the_drawing(
    served: tuple[PagesApp, str], browser: Any, axe: str, definitions: dict[str, str], name: str, width: int
) -> None:
    _, base = served
    v = Visit(browser, base, axe, f"diagram-{name}-{width}", width=width)
    try:
        v.sign_in("frida.admin@forbund")
        page = v.go(definitions[name])
        page.locator("#diagram svg.diagram").wait_for()
        checked = check_layout(page.evaluate(GEOMETRY))
        assert checked >= 20
        texts = page.locator("#diagram svg.diagram").inner_html()
        assert "…" not in texts
        assert page.locator(".diagram-text li").count() >= 5  # the text alternative below the SVG
        # the page does not scroll sideways: the diagram pans inside its frame
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
    finally:
        v.close()


def test_zoom_buttons_scale_the_drawing_and_reset_restores_it(
    served: tuple[PagesApp, str], browser: Any, axe: str, definitions: dict[str, str]
) -> None:
    _, base = served
    v = Visit(browser, base, axe, "diagram-zoom", width=375)
    try:
        v.sign_in("frida.admin@forbund")
        page = v.go(definitions["finsam-insats"])
        svg = page.locator("#diagram svg.diagram")
        width = svg.bounding_box()["width"]
        page.get_by_role("button", name="Zooma in").click()
        assert svg.bounding_box()["width"] == pytest.approx(width * 1.25, rel=0.01)
        page.get_by_role("button", name="Zooma ut").click()
        page.get_by_role("button", name="Zooma ut").click()
        assert svg.bounding_box()["width"] == pytest.approx(width / 1.25, rel=0.01)
        page.get_by_role("button", name="Återställ").click()
        assert svg.bounding_box()["width"] == pytest.approx(width, rel=0.01)
        assert "Rehabiliteringskedjan" in svg.inner_html()
        assert page.get_by_role("img", name="Processdiagram: Individuell insats (FINSAM) (version 1)").count() == 1
        v.check("editor-smal")
    finally:
        v.close()


def test_the_layout_check_catches_overlaps_and_labels_outside() -> None:
    box = {"cls": "node phase", "shape": [10, 10, 110, 60], "texts": [{"text": "Fas A", "box": [20, 20, 80, 32]}]}
    other = {"cls": "node guard", "shape": [70, 25, 150, 50], "texts": [{"text": "när", "box": [75, 30, 120, 42]}]}
    with pytest.raises(AssertionError, match="overlaps"):
        check_layout({"drawing": [0, 0, 200, 200], "nodes": [box, other, box]})
    with pytest.raises(AssertionError, match="leaves the drawing"):
        check_layout({"drawing": [0, 0, 100, 100], "nodes": [box, box, box]})
    apart = {**other, "shape": [10, 80, 110, 120], "texts": [{"text": "när", "box": [20, 85, 60, 97]}]}
    assert check_layout({"drawing": [0, 0, 200, 200], "nodes": [box, apart, {**box, "shape": [120, 10, 190, 60],
                         "texts": [{"text": "B", "box": [130, 20, 150, 32]}]}]}) == 3  # fmt: skip
