"""`api-info` (DIGG), the embedded token endpoint (OAuth 2 client credentials) and its JWKS."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request

from api.auth import AuthDep
from api.fields import QueryText
from api.limits import sign_in_limiter
from api.problems import ApiError, problem_responses
from api.routing import CheckedRoute
from api.schemas import ApiInfo, TokenPublic

router = APIRouter(route_class=CheckedRoute)


@router.get("/api-info", tags=["api-info"], response_model=ApiInfo, summary="Om API:et / about the API")
def api_info(request: Request) -> ApiInfo:
    from api.app import API_RELEASED, API_VERSION, CONTACT, LICENCE

    base = str(request.base_url).rstrip("/")
    return ApiInfo(
        api_name="insats",
        api_version=API_VERSION,
        api_released=API_RELEASED,
        api_documentation=base + "/docs",
        api_status="active",
        description="Processmotor för individuella insatser i samordningsförbund / "
        "workflow engine for individual FINSAM interventions",
        contact=CONTACT["email"],
        licence=LICENCE["name"],
    )


@router.post(
    "/token",
    tags=["auth"],
    response_model=TokenPublic,
    summary="Hämta token (client credentials) / get a token",
    description="OAuth 2 client-credentials grant for the embedded default's party-system clients. "
    "Send `application/x-www-form-urlencoded` with grant_type=client_credentials, client_id, client_secret. "
    "`Idempotency-Key` does not apply (OAuth 2, RFC 6749 §4.4): each request issues a fresh token and "
    "a token is never stored to be replayed; a key sent is ignored.",
    openapi_extra={"x-idempotency": "not-applicable: OAuth 2 token endpoint; every call issues a new token"},
    responses=problem_responses(400, 401, 429),
)
def token(
    request: Request,
    auth: AuthDep,
    grant_type: Annotated[str, Form(max_length=100, examples=["client_credentials"])],
    client_id: Annotated[QueryText, Form(max_length=200, examples=["kommun-system"])],
    client_secret: Annotated[QueryText, Form(max_length=200, examples=["s3cr3t-from-var-keys"])],
) -> TokenPublic:
    if grant_type != "client_credentials":
        raise ApiError(
            "unsupported_grant_type",
            "Bara grant_type=client_credentials stöds",
            400,
            errors=[{"field": "grant_type", "message": "must be client_credentials"}],
        )
    if not auth.embedded:
        raise ApiError("unsupported_grant_type", "Tokens utfärdas av den externa identitetsleverantören", 400)
    limiter = sign_in_limiter(request)
    wait = limiter.check(request, client_id)
    if wait is not None:
        raise ApiError(
            "too_many_requests",
            f"För många försök; vänta {wait} s / too many attempts, retry after {wait} s",
            429,
            headers={"Retry-After": str(wait)},
        )
    try:
        client = auth.client_credentials(client_id, client_secret)
    except ApiError:
        limiter.failed(request, client_id)
        raise
    return TokenPublic(access_token=auth.issue(client), expires_in=auth.token_ttl)


@router.get(
    "/jwks",
    tags=["auth"],
    summary="Publika nycklar (JWKS) / public signing keys",
    responses={200: {"content": {"application/json": {"example": {"keys": [{"kty": "RSA", "kid": "1a2b3c"}]}}}}},
)
def jwks(auth: AuthDep) -> dict[str, Any]:
    return auth.jwks()
