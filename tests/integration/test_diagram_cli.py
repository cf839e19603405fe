"""`engine diagram FILE --svg [-o OUT]` with the real Graphviz; the README's SVGs are what it draws
now (`make diagrams` writes them); the renderer's bounds (missing dot, size, time)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from engine.adapters.diagram import GraphvizRenderer
from engine.cli import main
from engine.core.loader import load
from engine.service.diagrams import DiagramService, DiagramUnavailable

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ("finsam-insats", "sip")


@pytest.mark.parametrize("name", SHIPPED)
def test_the_readme_diagrams_are_what_the_cli_draws(name: str, tmp_path: Path) -> None:
    out = tmp_path / f"{name}.svg"
    assert main(["diagram", str(ROOT / "definitions" / f"{name}.yaml"), "--svg", "-o", str(out)]) == 0
    committed = ROOT / "docs" / "diagrams" / f"{name}.svg"
    assert committed.read_text(encoding="utf-8") == out.read_text(encoding="utf-8"), "run `make diagrams`"
    assert f"docs/diagrams/{name}.svg" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_cli_writes_an_accessible_svg_to_stdout_and_the_text_without_svg() -> None:
    path = str(ROOT / "definitions" / "finsam-insats.yaml")
    svg = subprocess.run(
        [sys.executable, "-m", "engine", "diagram", path, "--svg"], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"')
    assert '<title id="diagram-title">Processdiagram: Individuell insats (FINSAM) (version 1)</title>' in svg
    assert svg.count('class="node phase') == 8
    assert "kartlaggning" not in svg
    assert "<!--" not in svg
    text = subprocess.run(
        [sys.executable, "-m", "engine", "diagram", path], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    assert (
        "Förberedande insats → Kartläggning (Tillbaka till kartläggning): när samordnaren väljer det [tillbaka]" in text
    )


def test_an_invalid_definition_is_reported_with_its_line_not_drawn(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    text = (ROOT / "definitions" / "sip.yaml").read_text(encoding="utf-8")
    bad.write_text(text.replace("start: aktualisering", "start: finns_inte", 1), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "engine", "diagram", str(bad), "--svg"], capture_output=True, text=True, cwd=ROOT
    )
    assert done.returncode == 1
    assert "finns_inte" in done.stderr
    assert done.stdout == ""


def test_the_renderer_refuses_what_it_cannot_draw_in_bounds() -> None:
    d = load(ROOT / "definitions" / "sip.yaml")
    for renderer, why in (
        (GraphvizRenderer(executable="finns-inte-dot"), "inte installerat"),
        (GraphvizRenderer(max_bytes=100), "för stor"),
        (GraphvizRenderer(timeout=1e-9), "sekunder"),
    ):
        diagrams = DiagramService(renderer)
        with pytest.raises(DiagramUnavailable, match=why):
            diagrams.svg(d)
        assert diagrams.svg_or_none(d) is None
