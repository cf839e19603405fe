"""Staff sign-in through an external OpenID Connect provider (production; SITHS behind the
region's or kommun's IdP). Authorization code flow with PKCE, state and nonce; the ID token is
verified against the provider's JWKS (signature, issuer, audience, expiry, nonce).

The ID token says who the person is: `kind` (handlaggare, samordnare, forbund_admin, auditor),
`party` and `roles` (claim names configurable, see config.py). An account row is created or
updated on each sign-in, without a password.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt

from api.auth import MAX_CLAIM, MAX_ROLES
from api.fields import CONTROL_CHARACTERS
from engine.service.accounts import WEB_KINDS, AccountOut

ALGORITHMS = ["RS256", "PS256", "ES256"]


class OidcError(Exception):
    pass


def _client(web: Any) -> httpx.Client:
    if web.http is None:
        web.http = httpx.Client(timeout=10.0)
    client: httpx.Client = web.http
    return client


def metadata(web: Any) -> dict[str, Any]:
    if web.oidc_meta is None:
        issuer = str(web.settings.web_oidc_issuer).rstrip("/")
        r = _client(web).get(issuer + "/.well-known/openid-configuration")
        if r.status_code != 200:
            raise OidcError(f"discovery {r.status_code}")
        web.oidc_meta = r.json()
    meta: dict[str, Any] = web.oidc_meta
    return meta


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def start(web: Any, next_url: str) -> tuple[str, dict[str, str]]:
    meta = metadata(web)
    s = web.settings
    pending = {
        "state": secrets.token_urlsafe(24),
        "nonce": secrets.token_urlsafe(24),
        "verifier": secrets.token_urlsafe(48),
        "next": next_url,
    }
    query = {
        "response_type": "code",
        "client_id": s.web_oidc_client_id,
        "redirect_uri": s.web_oidc_redirect_url,
        "scope": s.web_oidc_scopes,
        "state": pending["state"],
        "nonce": pending["nonce"],
        "code_challenge": _b64(hashlib.sha256(pending["verifier"].encode()).digest()),
        "code_challenge_method": "S256",
    }
    return f"{meta['authorization_endpoint']}?{urlencode(query)}", pending


def finish(web: Any, pending: dict[str, str], code: str, state: str) -> AccountOut:
    if not code or not hmac.compare_digest(pending.get("state", "").encode(), state.encode()):
        raise OidcError("state mismatch")
    meta = metadata(web)
    s = web.settings
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": s.web_oidc_redirect_url,
        "client_id": s.web_oidc_client_id,
        "code_verifier": pending["verifier"],
    }
    if s.web_oidc_client_secret:
        form["client_secret"] = s.web_oidc_client_secret
    r = _client(web).post(meta["token_endpoint"], data=form)
    if r.status_code != 200 or "id_token" not in r.json():
        raise OidcError(f"token endpoint {r.status_code}")
    id_token = r.json()["id_token"]
    jwks = _client(web).get(meta["jwks_uri"]).json()
    kid = jwt.get_unverified_header(id_token).get("kid")
    keys = [k for k in jwt.PyJWKSet.from_dict(jwks).keys if kid is None or k.key_id == kid]
    if not keys:
        raise OidcError("no signing key")
    try:
        claims = jwt.decode(
            id_token,
            keys[0].key,
            algorithms=ALGORITHMS,
            audience=s.web_oidc_client_id,
            issuer=str(s.web_oidc_issuer).rstrip("/"),
            options={"require": ["exp", "iat", "sub"]},
        )
    except (jwt.PyJWTError, TypeError, ValueError, KeyError) as exc:
        raise OidcError(f"id_token: {str(exc)[:200]}") from None
    if not hmac.compare_digest(str(claims.get("nonce", "")).encode(), pending["nonce"].encode()):
        raise OidcError("nonce mismatch")
    kind = claims.get(s.web_oidc_kind_claim)
    party = claims.get(s.web_oidc_party_claim)
    roles = claims.get(s.web_oidc_roles_claim) or []
    if isinstance(roles, str):
        roles = json.loads(roles) if roles.startswith("[") else roles.split()
    if kind not in WEB_KINDS:
        raise OidcError(f"kind {kind!r}")
    if party and str(party) not in web.parties:  # a party no loaded definition declares
        raise OidcError(f"party {party!r}")
    user_id = str(claims.get(s.web_oidc_user_claim) or claims["sub"])
    name = str(claims.get(s.web_oidc_name_claim) or "")
    if not isinstance(roles, list | tuple) or len(roles) > MAX_ROLES:
        raise OidcError("roles")
    for text, limit in (
        (user_id, MAX_CLAIM["sub"]),
        (name, MAX_CLAIM["name"]),
        *((str(r), MAX_CLAIM["role"]) for r in roles),
    ):
        if len(text) > limit or CONTROL_CHARACTERS.search(text):
            raise OidcError("a claim too long or with control characters")  # it would reach the access log
    account: AccountOut = web.accounts.save(
        user_id,
        kind=str(kind),
        party=str(party) if party else None,
        roles=tuple(str(r) for r in roles),
        name=name,
    )
    return account
