"""No read path parses a definition (issue 13): the pages show the labels stored with the
definition row at upload or sync. Counted through a wrapper around `engine.core.loader.loads`,
installed wherever the function is imported, on an app whose caches are empty."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path
from typing import Any

import pytest

import engine.core.loader
from tests.integration.pages_kit import PASSWORD, PNR_ALVA, PagesApp, build, caller, csrf_of

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


@pytest.fixture
def loads_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names `loads` was called with, from here on, through every module that imported it."""
    original = engine.core.loader.loads
    calls: list[str] = []

    def counting(text: str, file: str = "<string>", *args: Any, **kwargs: Any) -> Any:
        calls.append(file)
        return original(text, file, *args, **kwargs)

    for module in list(sys.modules.values()):
        if getattr(module, "loads", None) is original:
            monkeypatch.setattr(module, "loads", counting)
    return calls


def signed_in(app: Any, user: str) -> TestClient:
    c = TestClient(app, raise_server_exceptions=True, follow_redirects=False)
    token = csrf_of(c.get("/logga-in").text)
    r = c.post("/logga-in", data={"csrf_token": token, "anvandare": user, "losenord": PASSWORD, "nasta": "/"})
    assert r.status_code == 303, r.text
    return c


def test_inbox_case_page_and_statistics_show_labels_without_parsing_a_definition(
    tmp_path: Path, loads_calls: list[str]
) -> None:
    pages: PagesApp = build(tmp_path)  # definitions synced (parsed) at start, as `make run` does
    try:
        case = pages.refer(PNR_ALVA, "Alva Ek")
        loads_calls.clear()
        handlaggare = signed_in(pages.app, "sara.samordnare@kommun")
        inbox = handlaggare.get("/uppgifter")
        assert inbox.status_code == 200
        assert '<td data-label="Fas">Aktualisering</td>' in inbox.text  # the label, not the id
        page = handlaggare.get(f"/arenden/{case.id}")
        assert page.status_code == 200
        assert "Till Samtycke" in page.text  # a transition's button, labelled
        admin = signed_in(pages.app, "frida.admin@forbund")
        assert admin.get("/admin/statistik").status_code == 200
        assert loads_calls == []
    finally:
        pages.close()


def test_an_uploaded_version_is_shown_with_its_own_labels_unparsed(tmp_path: Path, loads_calls: list[str]) -> None:
    pages: PagesApp = build(tmp_path)
    try:
        svc = pages.services
        text = (Path(__file__).parents[2] / "definitions" / "finsam-insats.yaml").read_text(encoding="utf-8")
        out = svc.definitions.upload(
            caller("frida.admin@forbund"), text.replace("label: Aktualisering", "label: Remissen", 1)
        )
        assert loads_calls  # parsed once, at upload
        loads_calls.clear()
        labels = svc.definitions.labels(out.id, out.version)
        assert "Remissen" in labels["phases"].values()
        assert svc.definitions.latest_labels()[out.id] == labels
        assert loads_calls == []
    finally:
        pages.close()
