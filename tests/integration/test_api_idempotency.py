"""Every POST of the API honours `Idempotency-Key` (issue 13): the same key with the same request
returns the first response and acts once; with another request it is 422 `idempotency_conflict`.
The routes are enumerated from the app itself, so a new POST without a scenario here fails; a POST
where the key cannot apply says so in the OpenAPI document (`x-idempotency: not-applicable...`)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.integration.api_kit import Api, new_personnummer

SARA = "sara.samordnare@kommun"
ADMIN = "forbund.admin"
ROOT = Path(__file__).resolve().parents[2]
NOT_APPLICABLE = {"/api/v1/token", "/api/v1/persons/search", "/api/v1/me/substitutes", "/api/v1/me/views"}


@dataclass
class Call:
    path: str
    body: Any
    other_path: str
    other_body: Any
    who: str = SARA
    if_match: str | None = None
    effect: Callable[[], Any] | None = None
    """What the request changes, read after the first and after the retry: must be equal."""


def _case(api: Api, to: str | None = None) -> dict[str, Any]:
    case = api.named(consent=("af", "fk", "kommun", "region"))
    return api.to(case, to) if to else case


def _version(api: Api, case: dict[str, Any]) -> Callable[[], Any]:
    return lambda: api.fresh(case)["version"]


def _cmd(api: Api, route: str, body: Any, other: Any, to: str | None = None, task: str | None = None) -> Call:
    case = _case(api, to)
    if task is None and "{task_id}" in route:
        task = next(t["task_id"] for t in case["tasks"] if t["status"] == "open" and t["party"] == "kommun")
    path = "/cases/" + case["id"] + route.split("{case_id}")[1].replace("{task_id}", task or "")
    other_path = path
    if other is None:  # no body to vary: the same request on another case
        twin = _case(api, to)
        other_path = path.replace(case["id"], twin["id"])
    return Call(path, body, other_path, other if other is not None else body,
                if_match=f'"{case["version"]}"', effect=_version(api, case))  # fmt: skip


def _definitions(api: Api) -> Callable[[], Any]:
    return lambda: api.get("/definitions?limit=100", ADMIN).json()["total"]


def scenario(api: Api, route: str) -> Call:
    finsam = (ROOT / "definitions" / "finsam-insats.yaml").read_text(encoding="utf-8")
    today = api.clock.today.isoformat()
    match route:
        case "/api/v1/cases":
            body = {"personnummer": new_personnummer(), "name": "Kim Exempel"}
            return Call("/cases", body, "/cases", {**body, "name": "Kim Annan"})
        case "/api/v1/cases/{case_id}/consents":
            case = api.refer(personnummer=new_personnummer())
            path = f"/cases/{case['id']}/consents"
            return Call(path, {"parties": ["kommun"], "given_on": today}, path,
                        {"parties": ["kommun", "af"], "given_on": today}, if_match=f'"{case["version"]}"',
                        effect=_version(api, case))  # fmt: skip
        case "/api/v1/cases/{case_id}/consents/withdraw":
            return _cmd(api, route, {"parties": ["af"]}, {"parties": ["fk"]})
        case "/api/v1/cases/{case_id}/decision":
            return _cmd(api, route, {"decision": "admitted"}, {"decision": "on_hold"}, to="beslut")
        case "/api/v1/cases/{case_id}/phase":
            case = api.finish_tasks(_case(api))
            path = f"/cases/{case['id']}/phase"
            return Call(path, {"phase": "samtycke"}, path, {"phase": "beslut"}, if_match=f'"{case["version"]}"',
                        effect=_version(api, case))  # fmt: skip
        case "/api/v1/cases/{case_id}/tasks/{task_id}/accept":
            return _cmd(api, route, {}, None)
        case "/api/v1/cases/{case_id}/tasks/{task_id}/decline":
            return _cmd(api, route, {"reason": "inte aktuell"}, {"reason": "annat"})
        case "/api/v1/cases/{case_id}/tasks/{task_id}/complete":
            return _cmd(api, route, {"note": "klart"}, {"note": "annat"})
        case "/api/v1/cases/{case_id}/tasks/{task_id}/comments":
            return _cmd(api, route, {"text": "ringer"}, {"text": "mejlar"})
        case "/api/v1/cases/{case_id}/contacts":
            return _cmd(api, route, {"channel": "telefon"}, {"channel": "sms"})
        case "/api/v1/cases/{case_id}/facts":
            return _cmd(api, route, {"fact": "inskrivningssamtal_hallet", "value": today},
                        {"fact": "inskrivningssamtal_hallet", "value": "2026-01-02"})  # fmt: skip
        case "/api/v1/cases/{case_id}/extend":
            return _cmd(api, route, {"reason": "mer tid"}, {"reason": "annat"}, to="arbetstraning")
        case "/api/v1/cases/{case_id}/exit":
            call = _cmd(api, route, {"outcome": "studier"}, {"outcome": "förvärvsarbete"}, to="avslut")
            case_id = call.path.split("/")[2]
            case = api.finish_tasks(api.fresh({"id": case_id}))
            call.if_match = f'"{case["version"]}"'
            return call
        case "/api/v1/cases/{case_id}/abort":
            return _cmd(api, route, {"reason": "flytt"}, {"reason": "sjukdom"})
        case "/api/v1/cases/{case_id}/protected-identity":
            return _cmd(api, route, {}, None)
        case "/api/v1/cases/{case_id}/team":
            return _cmd(api, route, {"party": "kommun", "user_id": "kim@kommun", "name": "Kim"},
                        {"party": "kommun", "user_id": "kai@kommun", "name": "Kai"})  # fmt: skip
        case "/api/v1/cases/{case_id}/team/hand-over":
            body = {"party": "kommun", "from_user": SARA, "to_user": "kim@kommun", "to_name": "Kim"}
            return _cmd(api, route, body, {**body, "to_user": "kai@kommun"})
        case "/api/v1/cases/{case_id}/tasks/{task_id}/unclaim":
            return _cmd(api, route, {}, None)  # the referrer (Sara) has the new tasks
        case "/api/v1/cases/{case_id}/tasks/{task_id}/claim":
            call = _cmd(api, route, {}, None)
            for path in (call.path, call.other_path):
                case = api.fresh({"id": path.split("/")[2]})
                api.cmd(case, path.split(case["id"])[1].replace("/claim", "/unclaim"))
            call.if_match = "*"
            return call
        case "/api/v1/cases/{case_id}/tasks/{task_id}/assign":
            call = _cmd(api, route, {"user_id": "kim@kommun"}, {"user_id": "kai@kommun"})
            case = api.fresh({"id": call.path.split("/")[2]})
            api.cmd(case, "/team", {"party": "kommun", "user_id": "kim@kommun", "name": "Kim"})
            call.if_match = "*"
            return call
        case "/api/v1/cases/{case_id}/tasks/{task_id}/priority":
            return _cmd(api, route, {"priority": "high"}, {"priority": "normal"})
        case "/api/v1/cases/{case_id}/tasks/{task_id}/follow-up":
            return _cmd(api, route, {"on": today}, {"on": None})
        case "/api/v1/cases/{case_id}/external-reference":
            return _cmd(api, route, {"party": "kommun", "reference": "K-1"}, {"party": "kommun", "reference": "K-2"})
        case "/api/v1/cases/{case_id}/emergency-access":
            return _cmd(api, route, {"reason": "Deltagaren i kris, ringer nu"}, {"reason": "Ett annat skäl än det"})
        case "/api/v1/definitions":
            mine = finsam.replace("id: finsam-insats", f"id: idem-{uuid.uuid4().hex[:8]}", 1)
            return Call("/definitions", {"yaml": mine}, "/definitions",
                        {"yaml": mine.replace("label: Aktualisering", "label: Remiss", 1)}, who=ADMIN,
                        effect=_definitions(api))  # fmt: skip
        case "/api/v1/definitions/{definition_id}/versions/{version}/publish":
            did = f"idem-{uuid.uuid4().hex[:8]}"
            mine = finsam.replace("id: finsam-insats", f"id: {did}", 1)
            for _ in range(2):
                assert api.post("/definitions", ADMIN, {"yaml": mine}).status_code == 201
            return Call(f"/definitions/{did}/versions/1/publish", None, f"/definitions/{did}/versions/2/publish",
                        None, who=ADMIN, effect=lambda: api.get(f"/definitions/{did}/versions/2", ADMIN)
                        .json()["published"])  # fmt: skip
        case "/api/v1/definitions/{definition_id}/simulate":
            path = "/definitions/finsam-insats/simulate"
            return Call(path, {"start": "2026-06-15", "path": ["samtycke", "beslut"]}, path,
                        {"start": "2026-06-16", "path": ["samtycke", "beslut"]}, who=ADMIN)  # fmt: skip
        case "/api/v1/definitions/{definition_id}/migrations":
            path = "/definitions/finsam-insats/migrations"
            body = {"from_version": 1, "to_version": 1, "dry_run": True}
            return Call(path, body, path, {**body, "phase_map": {"avslut": "avslut"}}, who=ADMIN)
    raise AssertionError(f"no idempotency scenario for POST {route}: add one, or document it as not applicable")


def post_routes(api: Api) -> list[str]:
    """Every POST of the API, from the app's own OpenAPI document."""
    paths = api.app.openapi()["paths"]
    return sorted(p for p, ops in paths.items() if "post" in ops and p.startswith("/api/v1"))


def test_every_post_route_declares_the_key_or_documents_why_not(api: Api) -> None:
    spec = api.get("/openapi.json", None).json()
    for route in post_routes(api):
        op = spec["paths"][route]["post"]
        headers = {p["name"] for p in op.get("parameters", []) if p["in"] == "header"}
        if route in NOT_APPLICABLE:
            assert op.get("x-idempotency", "").startswith("not-applicable"), route
            assert "Idempotency-Key" in op["description"]
            assert "Idempotency-Key" not in headers, route
        else:
            assert "Idempotency-Key" in headers, route


def test_every_post_route_honours_the_idempotency_key(api: Api) -> None:
    routes = [r for r in post_routes(api) if r not in NOT_APPLICABLE]
    assert len(routes) >= 19
    for route in routes:
        call = scenario(api, route)
        key = f"idem-{uuid.uuid4().hex}"
        headers = {"Idempotency-Key": key, **({"If-Match": call.if_match} if call.if_match else {})}
        first = api.post(call.path, call.who, call.body, headers=headers)
        assert 200 <= first.status_code < 300, (route, first.text)
        effect = call.effect() if call.effect else None
        again = api.post(call.path, call.who, call.body, headers=headers)
        assert (again.status_code, again.json()) == (first.status_code, first.json()), route
        if call.effect:
            assert call.effect() == effect, f"{route} acted twice"
        other = api.post(call.other_path, call.who, call.other_body, headers=headers)
        assert other.status_code == 422, (route, other.text)
        assert other.json()["type"].endswith("/idempotency_conflict"), route
