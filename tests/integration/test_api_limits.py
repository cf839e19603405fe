"""Issue 13: request bodies are limited before they are read, and sign-in attempts are rate limited
(POST /api/v1/token and POST /logga-in), both answered as problem+json (or, on the page, in Swedish)."""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from limits import parse

from api.auth import load_or_create_clients
from api.limits import BodyLimit, SignInLimiter
from tests.integration.api_kit import Api
from tests.integration.pages_kit import PASSWORD, PagesApp, build, csrf_of

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

MiB = 1024 * 1024
PROBLEM = "application/problem+json"


def _is_problem(r: object, status: int, code: str) -> None:
    assert r.status_code == status, r.text[:300]  # type: ignore[attr-defined]
    assert r.headers["content-type"].startswith(PROBLEM)  # type: ignore[attr-defined]
    assert r.json()["type"] == "https://insats.example/problems/" + code  # type: ignore[attr-defined]


# --- 7. body limits ----------------------------------------------------------------------------------


def test_a_body_over_the_limit_is_413_before_auth_and_before_reading(api: Api) -> None:
    r = api.client.post("/api/v1/cases", content=b"x" * (MiB + 1), headers={"Content-Type": "application/json"})
    _is_problem(r, 413, "payload_too_large")


def test_a_streamed_body_is_counted_and_refused_once_over_the_limit(api: Api) -> None:
    def chunks() -> Iterator[bytes]:  # no Content-Length: chunked; 4 MiB in all
        for _ in range(64):
            yield b" " * (64 * 1024)

    headers = api.h("sara.samordnare@kommun", **{"Content-Type": "application/json"})
    r = api.client.post("/api/v1/cases", content=chunks(), headers=headers)
    _is_problem(r, 413, "payload_too_large")


def test_definitions_take_a_larger_body(api: Api) -> None:
    body = b'{"yaml": "' + b"a" * (MiB + MiB // 2) + b'"}'
    r = api.client.post(
        "/api/v1/definitions", content=body, headers=api.h("forbund.admin", **{"Content-Type": "application/json"})
    )
    assert r.status_code == 422, r.text[:300]
    r = api.client.post("/api/v1/definitions", content=b"a" * (3 * MiB), headers=api.h("forbund.admin"))
    _is_problem(r, 413, "payload_too_large")


def test_the_body_limit_is_configurable_and_counts_chunks() -> None:
    async def app(scope: dict[str, object], receive: object, send: object) -> None:
        while True:
            message = await receive()  # type: ignore[operator]
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 204, "headers": []})  # type: ignore[operator]
        await send({"type": "http.response.body", "body": b""})  # type: ignore[operator]

    limited = BodyLimit(app, max_body_bytes=10, max_definition_body_bytes=20)  # type: ignore[arg-type]

    left: list[int] = []

    def call(path: str, chunks: list[bytes], length: int | None = None) -> int:
        queue = [{"type": "http.request", "body": c, "more_body": i < len(chunks) - 1} for i, c in enumerate(chunks)]
        out: list[dict[str, object]] = []

        async def receive() -> dict[str, object]:
            return queue.pop(0)

        async def send(message: dict[str, object]) -> None:
            out.append(message)

        headers = [] if length is None else [(b"content-length", str(length).encode())]
        scope = {"type": "http", "path": path, "method": "POST", "headers": headers, "query_string": b""}
        asyncio.run(limited(scope, receive, send))  # type: ignore[arg-type]
        left.append(len(queue))
        return int(out[0]["status"])  # type: ignore[call-overload]

    assert call("/api/v1/cases", [b"12345", b"12345"]) == 204
    assert call("/api/v1/cases", [b"12345", b"12345", b"1", b"2", b"3"]) == 413
    assert left[-1] == 2, "reading stops at the chunk that passes the limit"
    assert call("/api/v1/cases", [b"1"], length=11) == 413
    assert call("/api/v1/definitions", [b"1" * 15]) == 204
    assert call("/admin/validera", [b"1" * 21]) == 413


# --- 8. rate limits on sign-in --------------------------------------------------------------------------


@pytest.fixture
def small_limit(api: Api) -> Iterator[SignInLimiter]:
    before = api.app.state.sign_in_limiter
    api.app.state.sign_in_limiter = SignInLimiter(per_user=parse("3/minute"), per_address=parse("5/minute"))
    try:
        yield api.app.state.sign_in_limiter
    finally:
        api.app.state.sign_in_limiter = before


def _token(api: Api, client_id: str, secret: str) -> object:
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    return api.client.post("/api/v1/token", data=form)


def test_failed_token_requests_are_rate_limited_per_client(api: Api, small_limit: SignInLimiter) -> None:
    _, plain = load_or_create_clients(Path(api.app.state.settings.key_dir))
    good = plain["kommun-system"]["client_secret"]
    assert _token(api, "kommun-system", good).status_code == 200  # type: ignore[attr-defined]
    for _ in range(3):
        _is_problem(_token(api, "kommun-system", "fel"), 401, "invalid_client")
    r = _token(api, "kommun-system", good)
    _is_problem(r, 429, "too_many_requests")
    assert 1 <= int(r.headers["Retry-After"]) <= 60  # type: ignore[attr-defined]
    # another client from the same address still gets in, until the address itself is over its limit
    assert _token(api, "af-system", plain["af-system"]["client_secret"]).status_code == 200  # type: ignore[attr-defined]
    for _ in range(2):
        _token(api, "fk-system", "fel")
    _is_problem(_token(api, "region-system", plain["region-system"]["client_secret"]), 429, "too_many_requests")


def test_settings_name_the_limits() -> None:
    from engine.settings import Settings

    s = Settings(login_rate_limit="2/second", max_body_bytes=4096)
    limiter = SignInLimiter.from_settings(s)
    assert (limiter.per_user.amount, limiter.per_user.get_expiry()) == (2, 1)
    assert Settings().max_body_bytes == MiB
    assert Settings().max_definition_body_bytes > MiB


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PagesApp]:
    p = build(Path(tmp_path_factory.mktemp("pages-limits")))
    yield p
    p.close()


def test_sign_in_page_says_in_swedish_when_there_were_too_many_attempts(pages: PagesApp) -> None:
    pages.app.state.sign_in_limiter = SignInLimiter(per_user=parse("2/minute"), per_address=parse("50/minute"))
    c = TestClient(pages.app, follow_redirects=False)
    token = csrf_of(c.get("/logga-in").text)
    form = {"csrf_token": token, "anvandare": "sara.samordnare@kommun", "losenord": "fel"}
    assert [c.post("/logga-in", data=form).status_code for _ in range(2)] == [401, 401]
    r = c.post("/logga-in", data=form | {"losenord": PASSWORD})
    assert r.status_code == 429
    assert "För många inloggningsförsök" in r.text
    assert int(r.headers["Retry-After"]) >= 1
    other = c.post("/logga-in", data=form | {"anvandare": "anna.handlaggare@af", "losenord": PASSWORD})
    assert other.status_code == 303


def test_a_page_form_with_a_nul_is_refused(pages: PagesApp) -> None:
    c = TestClient(pages.app, follow_redirects=False)
    token = csrf_of(c.get("/logga-in").text)
    r = c.post("/logga-in", data={"csrf_token": token, "anvandare": "sara\x00", "losenord": "x"})
    assert r.status_code == 422


def test_a_page_url_with_a_nul_is_refused(pages: PagesApp) -> None:
    c = TestClient(pages.app, follow_redirects=False)
    for url in ("/arenden/abc%00def", "/uppgifter?sok=a%00b", "/logga-in?nasta=/%01"):
        assert c.get(url).status_code == 400, url
