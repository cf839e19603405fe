"""`python -m engine validate`: every problem on stderr as file:line: message, exit 1, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FINSAM = ROOT / "definitions" / "finsam-insats.yaml"
SIP = ROOT / "definitions" / "sip.yaml"


def validate(*files: Path | str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "engine", "validate", *map(str, files)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )


def write_broken(tmp_path: Path) -> Path:
    text = FINSAM.read_text(encoding="utf-8")
    text = text.replace("      - to: kartlaggning\n", "      - to: kartlagning\n", 1)
    text = text.replace("        due: 3 arbetsdagar\n", "        due: 3 arbetsdar\n        prioritet: hög\n", 1)
    text = text.replace("  notify: fk\n", "  notify: forsakringskassan\n", 1)
    path = tmp_path / "trasig.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def line_of(path: Path, snippet: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines.count(snippet) == 1
    return lines.index(snippet) + 1


def test_shipped_definitions_validate_with_exit_code_0() -> None:
    out = validate(FINSAM, SIP)
    assert out.returncode == 0, out.stderr
    assert out.stderr == ""
    assert f"{FINSAM}: OK (finsam-insats@1, 8 faser)" in out.stdout
    assert f"{SIP}: OK (sip@1, 5 faser)" in out.stdout


def test_broken_definition_reports_every_problem_with_its_line(tmp_path: Path) -> None:
    path = write_broken(tmp_path)
    out = validate(path)
    assert out.returncode == 1
    assert "Traceback" not in out.stderr
    lines = out.stderr.splitlines()
    expected = [
        (f"{path}:{line_of(path, '        due: 3 arbetsdar')}: ", "okänd enhet 'arbetsdar'"),
        (f"{path}:{line_of(path, '        prioritet: hög')}: ", "okänt fält 'prioritet'"),
        (f"{path}:{line_of(path, '      - to: kartlagning')}: ", "övergång till okänd fas 'kartlagning'"),
        (f"{path}:{line_of(path, '  notify: forsakringskassan')}: ", "okänd part eller roll 'forsakringskassan'"),
    ]
    for start, words in expected:
        assert any(line.startswith(start) and words in line for line in lines), (start, words, out.stderr)
    assert lines[-1] == f"{path}: {len(lines) - 1} fel"


def test_good_and_bad_files_together_exit_1_and_report_both(tmp_path: Path) -> None:
    out = validate(SIP, write_broken(tmp_path))
    assert out.returncode == 1
    assert f"{SIP}: OK" in out.stdout
    assert "trasig.yaml" in out.stderr


def test_yaml_syntax_error_is_located(tmp_path: Path) -> None:
    path = tmp_path / "syntax.yaml"
    path.write_text("id: x\nname: a: b\n", encoding="utf-8")
    out = validate(path)
    assert out.returncode == 1
    assert out.stderr.startswith(f"{path}:2: YAML-syntaxfel")
    assert "Traceback" not in out.stderr


def test_missing_file_is_a_plain_message() -> None:
    out = validate("finns-inte.yaml")
    assert out.returncode == 1
    assert out.stderr.splitlines()[0] == "finns-inte.yaml: filen finns inte"
    assert "Traceback" not in out.stderr


def test_file_not_in_utf8_is_a_plain_message(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("id: x\nname: Förbund\n".encode("latin-1"))
    out = validate(path)
    assert out.returncode == 1
    assert out.stderr.startswith(f"{path}:2: filen är inte kodad i UTF-8")
    assert "Traceback" not in out.stderr


def test_empty_file_and_top_level_list_are_plain_messages(tmp_path: Path) -> None:
    empty = tmp_path / "tom.yaml"
    empty.write_text("", encoding="utf-8")
    listing = tmp_path / "lista.yaml"
    listing.write_text("- id: x\n", encoding="utf-8")
    out = validate(empty, listing)
    assert out.returncode == 1
    assert f"{empty}:1: filen är tom" in out.stderr
    assert f"{listing}:1: definitionen ska vara en YAML-mappning" in out.stderr
    assert "Traceback" not in out.stderr
