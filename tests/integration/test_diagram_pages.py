"""The diagram in the editor page (SQLite app, no browser): drawn once per definition version, the
transitions as a list below it, and a page that still works when Graphviz cannot draw."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.adapters.diagram import GraphvizRenderer
from engine.service.diagrams import DiagramService
from tests.integration.pages_kit import PagesApp, build, csrf_of
from tests.integration.test_pages import signed_in

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def pages(tmp_path: Path) -> Iterator[PagesApp]:
    p = build(tmp_path)
    yield p
    p.close()


def test_the_editor_draws_each_version_once_with_zoom_buttons_and_the_transitions_as_text(pages: PagesApp) -> None:
    pages.services.diagrams = diagrams = DiagramService(GraphvizRenderer())
    admin = signed_in(pages, "frida.admin@forbund")
    first = admin.get("/admin/definitioner/finsam-insats").text
    assert admin.get("/admin/definitioner/finsam-insats").text.count("<svg") == 1
    assert diagrams.renders == 1  # the second visit drew nothing
    assert '<title id="diagram-title">Processdiagram: Individuell insats (FINSAM) (version 1)</title>' in first
    for button in ("Zooma in", "Zooma ut", "Återställ"):
        assert f">{button}</button>" in first
    assert (
        "<li>Från <strong>Förberedande insats</strong> till <strong>Kartläggning</strong> (Tillbaka till kartläggning):"
        " när samordnaren väljer det (tillbaka)</li>"
    ) in first
    assert "Rehabiliteringskedjan" in first
    admin.get("/admin/definitioner/sip")
    assert diagrams.renders == 2


def test_without_graphviz_the_page_says_so_and_keeps_the_text(pages: PagesApp) -> None:
    pages.services.diagrams = DiagramService(GraphvizRenderer(executable="finns-inte-dot"))
    admin = signed_in(pages, "frida.admin@forbund")
    r = admin.get("/admin/definitioner/finsam-insats")
    assert r.status_code == 200
    assert "Diagrammet kunde inte ritas just nu." in r.text
    assert "<svg" not in r.text
    assert "till <strong>Samtycke</strong>" in r.text
    text = (ROOT / "definitions" / "finsam-insats.yaml").read_text(encoding="utf-8")
    answer = admin.post("/admin/validera", json={"yaml": text}, headers={"X-CSRF-Token": csrf_of(r.text)}).json()
    assert answer["ok"] is True
    assert "Diagrammet kunde inte ritas just nu." in answer["svg"]
