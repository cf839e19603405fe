"""Parties come from the definitions: a token's party is valid when some loaded definition declares
it (a definition may declare any party), and a consent names the parties of the case's definition."""

from __future__ import annotations

from pathlib import Path

from engine.service.access import Caller
from tests.integration.api_kit import Api

FINSAM = Path(__file__).resolve().parents[2] / "definitions" / "finsam-insats.yaml"
ADMIN = "forbund.admin"


def _token(api: Api, party: str) -> dict[str, str]:
    caller = Caller(user_id=f"system@{party}", kind="party_system", party=party)
    return {"Authorization": "Bearer " + api.app.state.authenticator.issue(caller)}


def test_a_party_is_known_once_a_definition_declares_it(api: Api) -> None:
    before = api.client.get("/api/v1/tasks", headers=_token(api, "skolan"))
    assert before.status_code == 401
    assert before.json()["code"] == "invalid_token"

    text = FINSAM.read_text(encoding="utf-8").replace("id: finsam-insats", "id: skol-insats", 1)
    text = text.replace("  - id: region\n    label: Regionen\n", "  - id: region\n    label: Regionen\n"
                        "  - id: skolan\n    label: Skolan\n", 1)  # fmt: skip
    r = api.client.post(
        "/api/v1/definitions", content=text.encode(), headers=api.h(ADMIN, **{"Content-Type": "application/yaml"})
    )
    assert r.status_code == 201, r.text

    after = api.client.get("/api/v1/tasks", headers=_token(api, "skolan"))
    assert after.status_code == 200, after.text
    unknown = api.client.get("/api/v1/tasks", headers=_token(api, "skatteverket"))
    assert unknown.status_code == 401
    assert unknown.json()["code"] == "invalid_token"


def test_a_consent_for_a_party_the_definition_does_not_declare_is_refused(api: Api) -> None:
    case = api.refer(anonymous=True, gender="annat", birth_year=1990)
    r = api.post(
        f"/cases/{case['id']}/consents",
        "sara.samordnare@kommun",
        {"parties": ["kommun", "skatteverket"], "given_on": api.clock.today.isoformat()},
        headers={"If-Match": f'"{case["version"]}"'},
    )
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "unknown_party"
