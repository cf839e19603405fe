"""The editor's validate endpoint and the API's upload answer with the same located problems:
line, message (in the admin's words), path, code and `caused_by` (the cause listed first)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.integration.api_kit import Api
from tests.integration.pages_kit import PagesApp, csrf_of
from tests.integration.test_pages import pages, signed_in

__all__ = ["pages"]  # the fixture

FINSAM = (Path(__file__).resolve().parents[2] / "definitions" / "finsam-insats.yaml").read_text(encoding="utf-8")
TYPO = FINSAM.replace("      - to: samtycke\n", "      - to: samtyke\n", 1)
TYPO_LINE = TYPO.splitlines().index("      - to: samtyke") + 1


def test_validate_groups_follow_ons_under_their_cause_and_offers_the_documents_ids(pages: PagesApp) -> None:
    admin = signed_in(pages, "frida.admin@forbund")
    token = csrf_of(admin.get("/admin/definitioner/finsam-insats").text)
    r = admin.post("/admin/validera", json={"yaml": TYPO}, headers={"X-CSRF-Token": token})
    body = r.json()
    assert body["ok"] is False
    first, *rest = body["problems"]
    assert first["line"] == TYPO_LINE
    assert first["code"] == "unknown_reference"
    assert first["caused_by"] is None
    assert first["path"] == "phases[0].transitions[0].to"
    assert "phases[" not in first["message"]
    assert rest
    assert all(p["caused_by"] == 0 for p in rest)
    assert {p["id"] for p in body["ids"]["phases"]} >= {"aktualisering", "samtycke", "avslut"}
    assert {"id": "samordnare", "label": "Samordnare"} in body["ids"]["roles"]


def test_the_editor_page_embeds_the_schema_and_ids_for_completion(pages: PagesApp) -> None:
    admin = signed_in(pages, "frida.admin@forbund")
    html = admin.get("/admin/definitioner/finsam-insats").text
    embedded = re.search(r'<script type="application/json" id="editor-help">(.*?)</script>', html, re.S)
    assert embedded is not None
    help_ = json.loads(embedded.group(1))
    task = help_["schema"]["$defs"]["Task"]["properties"]
    assert task["blocking"]["description"] == "Måste vara klar innan fasen kan lämnas"
    assert "5 arbetsdagar" in help_["durations"]
    assert {"id": "samordnare", "label": "Samordnare"} in help_["ids"]["roles"]
    assert "/static/vendor/codemirror.js" in html
    assert admin.get("/static/vendor/codemirror.js").status_code == 200


def test_api_upload_answers_with_code_and_cause_per_error(api: Api) -> None:
    r = api.post("/definitions", "forbund.admin", content=TYPO, headers={"Content-Type": "application/yaml"})
    assert r.status_code == 422
    body = r.json()
    assert body["type"] == "https://insats.example/problems/definition_invalid"
    first, *rest = body["errors"]
    assert (first["line"], first["field"]) == (TYPO_LINE, "phases[0].transitions[0].to")
    assert first["code"] == "unknown_reference"
    assert "caused_by" not in first
    assert rest
    assert all(e["caused_by"] == 0 for e in rest)
    assert {e["code"] for e in rest} == {"unreachable", "no_way_to_exit"}
