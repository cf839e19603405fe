"""The web pages without a browser: CSRF, sign-in, the session cookie and the access rules."""

from __future__ import annotations

import base64
import hashlib
import json
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from engine.adapters.store.models import AccessLogRow
from tests.integration.pages_kit import PASSWORD, PNR_ALVA, PNR_BO, PagesApp, build, caller, csrf_of

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PagesApp]:
    p = build(Path(tmp_path_factory.mktemp("pages")))
    yield p
    p.close()


def client(pages: PagesApp) -> TestClient:
    return TestClient(pages.app, raise_server_exceptions=True, follow_redirects=False)


def signed_in(pages: PagesApp, user: str) -> TestClient:
    c = client(pages)
    token = csrf_of(c.get("/logga-in").text)
    r = c.post("/logga-in", data={"csrf_token": token, "anvandare": user, "losenord": PASSWORD, "nasta": "/"})
    assert r.status_code == 303, r.text
    return c


def log_rows(pages: PagesApp, case_id: str) -> int:
    with pages.services.uow() as uow:
        return int(
            uow.session.scalar(select(func.count()).select_from(AccessLogRow).where(AccessLogRow.case_id == case_id))
            or 0
        )


def test_pages_need_sign_in_and_come_back_after_it(pages: PagesApp) -> None:
    c = client(pages)
    r = c.get("/uppgifter?visa=overdue")
    assert r.status_code == 303
    assert r.headers["location"] == "/logga-in?nasta=/uppgifter%3Fvisa%3Doverdue"
    token = csrf_of(c.get(r.headers["location"]).text)
    r = c.post(
        "/logga-in",
        data={
            "csrf_token": token,
            "anvandare": "sara.samordnare@kommun",
            "losenord": PASSWORD,
            "nasta": "/uppgifter?visa=overdue",
        },
    )
    assert r.status_code == 303
    assert r.headers["location"] == "/uppgifter?visa=overdue"


def test_session_cookie_is_signed_httponly_and_samesite_lax(pages: PagesApp) -> None:
    c = client(pages)
    r = c.get("/logga-in")
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie or "samesite=lax" in cookie.lower()
    c.cookies.set("insats_session", c.cookies["insats_session"][:-3] + "abc")
    r = c.get("/uppgifter")
    assert r.status_code == 303  # a tampered cookie is no session


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(pages: PagesApp) -> None:
    c = client(pages)
    token = csrf_of(c.get("/logga-in").text)
    r = c.post("/logga-in", data={"csrf_token": token, "anvandare": "sara.samordnare@kommun", "losenord": "fel"})
    assert r.status_code == 401
    assert "Fel användarnamn eller lösenord" in r.text
    r = c.post("/logga-in", data={"csrf_token": token, "anvandare": "ingen@alls", "losenord": "fel"})
    assert r.status_code == 401


def test_forms_without_a_valid_csrf_token_are_rejected(pages: PagesApp) -> None:
    case = pages.refer(PNR_BO, "Bo Csrf")
    c = signed_in(pages, "sara.samordnare@kommun")
    for data in ({}, {"csrf_token": "förfalskad"}):
        r = c.post(f"/uppgifter/{case.id}/bekrafta_remiss/slutfor", data=data)
        assert r.status_code == 403
        assert "CSRF" in r.text
    # a token from another session does not work either
    other = client(pages)
    foreign = csrf_of(other.get("/logga-in").text)
    r = c.post(f"/uppgifter/{case.id}/bekrafta_remiss/slutfor", data={"csrf_token": foreign})
    assert r.status_code == 403
    assert pages.services.cases.get_case(caller("sara.samordnare@kommun"), case.id).tasks[0].status == "open"
    # sign-in itself needs the token (no login CSRF)
    r = client(pages).post("/logga-in", data={"anvandare": "sara.samordnare@kommun", "losenord": PASSWORD})
    assert r.status_code == 403
    # the JSON validation endpoint wants the header
    admin = signed_in(pages, "frida.admin@forbund")
    assert admin.post("/admin/validera", json={"yaml": "id: x"}).status_code == 403


def test_task_actions_go_through_the_service_with_its_rules(pages: PagesApp) -> None:
    case = pages.refer(PNR_ALVA, "Alva Regel")
    sara = signed_in(pages, "sara.samordnare@kommun")
    token = csrf_of(sara.get("/uppgifter").text)
    r = sara.post(f"/uppgifter/{case.id}/bekrafta_remiss/avboj", data={"csrf_token": token, "orsak": ""})
    assert r.status_code == 303
    assert "Ange en orsak" in sara.get("/uppgifter").text
    r = sara.post(
        f"/uppgifter/{case.id}/bekrafta_remiss/kommentera", data={"csrf_token": token, "kommentar": "Ringer i morgon"}
    )
    page = sara.get(f"/arenden/{case.id}").text
    assert "Kommentaren är sparad" in page
    assert "Ringer i morgon" in page
    # AF does not own the kommun's task: the service says no, the page shows it
    anna = signed_in(pages, "anna.handlaggare@af")
    token = csrf_of(anna.get("/uppgifter").text)
    anna.post(f"/uppgifter/{case.id}/bekrafta_remiss/slutfor", data={"csrf_token": token})
    assert "Uppgiften tillhör en annan part" in anna.get("/uppgifter").text


def test_party_without_consent_sees_no_personal_data_and_the_view_is_logged(pages: PagesApp) -> None:
    case = pages.to_inskrivning(pages.refer("197803031231", "Cecilia Hemlig", consent=("kommun", "region")))
    anna = signed_in(pages, "anna.handlaggare@af")
    tasks = anna.get("/uppgifter").text
    assert "Delta i inskrivningssamtalet" in tasks
    assert "Cecilia" not in tasks
    assert "197803031231" not in tasks
    before = log_rows(pages, case.id)
    page = anna.get(f"/arenden/{case.id}").text
    assert "Samtycket omfattar inte din part" in page or "Deltagarens samtycke omfattar inte din part" in page
    assert "Cecilia" not in page
    assert "197803031231" not in page
    assert "Tidslinje" not in page
    # the region is covered: it sees the person, and the read is logged
    rut = signed_in(pages, "rut.rehab@region")
    page = rut.get(f"/arenden/{case.id}").text
    assert "Cecilia Hemlig" in page
    assert "197803031231" in page
    assert log_rows(pages, case.id) > before


def test_forbund_admin_never_sees_a_case_and_parties_never_see_admin_pages(pages: PagesApp) -> None:
    case = pages.refer("196904041115", "David Admin")
    admin = signed_in(pages, "frida.admin@forbund")
    r = admin.get(f"/arenden/{case.id}")
    assert r.status_code == 403
    assert "David" not in r.text
    assert admin.get("/uppgifter").status_code == 403
    stats = admin.get("/admin/statistik").text
    assert "David" not in stats
    assert "&lt;5" in stats  # small counts are suppressed
    assert "196904041115" not in stats
    sara = signed_in(pages, "sara.samordnare@kommun")
    for path in ("/admin/definitioner", "/admin/definitioner/finsam-insats", "/admin/statistik"):
        assert sara.get(path).status_code == 403


def test_live_validation_returns_problems_at_their_lines_and_a_diagram_when_valid(pages: PagesApp) -> None:
    admin = signed_in(pages, "frida.admin@forbund")
    page = admin.get("/admin/definitioner/finsam-insats").text
    token = csrf_of(page)
    text = (Path(__file__).resolve().parents[2] / "definitions" / "finsam-insats.yaml").read_text()
    broken = text.replace("responsible: samverkansteam", "responsible: okand_roll", 1)
    line = broken.splitlines().index("        responsible: okand_roll") + 1
    r = admin.post("/admin/validera", json={"yaml": broken}, headers={"X-CSRF-Token": token})
    body = r.json()
    assert body["ok"] is False
    assert any(p["line"] == line and "okand_roll" in p["message"] for p in body["problems"]), body
    r = admin.post("/admin/validera", json={"yaml": text}, headers={"X-CSRF-Token": token})
    assert r.json()["ok"] is True
    assert "<svg" in r.json()["svg"]
    assert "Arbetsträning" in r.json()["svg"]


def test_notification_settings_are_kept_per_account(pages: PagesApp) -> None:
    rut = signed_in(pages, "rut.rehab@region")
    token = csrf_of(rut.get("/installningar").text)
    r = rut.post("/installningar", data={"csrf_token": token, "epost": "inte en adress", "lage": "digest"})
    assert r.status_code == 422
    r = rut.post("/installningar", data={"csrf_token": token, "epost": "rut.holm@region.example.se", "lage": "digest"})
    assert r.status_code == 303
    account = pages.app.state.web.accounts.get("rut.rehab@region")
    assert (account.email, account.notify_mode) == ("rut.holm@region.example.se", "digest")


def test_oidc_sign_in_with_pkce_state_and_nonce_against_a_fake_idp(pages: PagesApp) -> None:
    import time
    from urllib.parse import parse_qs, urlparse

    import httpx
    import jwt
    from cryptography.hazmat.primitives.asymmetric import rsa

    issuer = "https://idp.region.example"
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    jwk.update(kid="k1", use="sig", alg="RS256")
    seen: dict[str, Any] = {}

    def idp(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/.well-known/openid-configuration":
            return httpx.Response(
                200,
                json={
                    "issuer": issuer,
                    "authorization_endpoint": issuer + "/authorize",
                    "token_endpoint": issuer + "/token",
                    "jwks_uri": issuer + "/jwks",
                },
            )
        if request.url.path == "/jwks":
            return httpx.Response(200, json={"keys": [jwk]})
        assert request.url.path == "/token"
        form = parse_qs(request.content.decode())
        verifier = form["code_verifier"][0]
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        assert challenge == seen["challenge"]
        now = int(time.time())
        claims = {
            "iss": issuer,
            "aud": "insats",
            "sub": "SE2321000016-ABCD",
            "iat": now,
            "exp": now + 300,
            "nonce": seen["nonce"],
            "name": "Kim Kurator",
            "kind": "handlaggare",
            "party": "region",
            "roles": ["rehabkoordinator"],
        }
        return httpx.Response(200, json={"id_token": jwt.encode(claims, key, "RS256", headers={"kid": "k1"})})

    web = pages.app.state.web
    saved = (web.settings, web.http, web.oidc_meta)
    web.settings = web.settings.model_copy(
        update={
            "web_oidc_issuer": issuer,
            "web_oidc_client_id": "insats",
            "web_oidc_redirect_url": "http://testserver/logga-in/oidc/svar",
        }
    )
    web.http, web.oidc_meta = httpx.Client(transport=httpx.MockTransport(idp)), None
    try:
        c = client(pages)
        assert "SITHS" in c.get("/logga-in").text
        r = c.get("/logga-in/oidc?nasta=/uppgifter")
        assert r.status_code == 303
        query = parse_qs(urlparse(r.headers["location"]).query)
        assert query["code_challenge_method"] == ["S256"]
        seen.update(challenge=query["code_challenge"][0], nonce=query["nonce"][0])
        assert c.get("/logga-in/oidc/svar?code=abc&state=fel").status_code == 401  # wrong state
        r = c.get("/logga-in/oidc?nasta=/uppgifter")
        query = parse_qs(urlparse(r.headers["location"]).query)
        seen.update(challenge=query["code_challenge"][0], nonce=query["nonce"][0])
        r = c.get(f"/logga-in/oidc/svar?code=abc&state={query['state'][0]}")
        assert r.status_code == 303
        assert r.headers["location"] == "/uppgifter"
        assert "Kim Kurator" in c.get("/uppgifter").text
        account = web.accounts.get("SE2321000016-ABCD")
        assert (account.kind, account.party, account.roles) == ("handlaggare", "region", ("rehabkoordinator",))
    finally:
        web.settings, web.http, web.oidc_meta = saved
