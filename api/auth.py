"""Who is calling: bearer JWTs (party systems and persons) or an API key header (party systems).

Production: tokens come from the region's or kommun's identity provider and are verified against
the configured issuer, audience and JWKS URL (`JWKS_URL`, `JWT_ISSUER`, `JWT_AUDIENCE`).
Embedded default (no JWKS URL): the app is its own small authorisation server. At first start it
generates an RS256 key pair and a set of demo clients into `settings.key_dir` (var/keys, never
committed); `POST /api/v1/token` implements the OAuth 2 client-credentials grant for them, and a
client's API key may be sent in `X-API-Key` instead of a bearer token.

Claims → `Caller`: `sub` → user_id, `kind`, `party`, `roles`, `name`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import time
from collections.abc import Container
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from api.fields import CONTROL_CHARACTERS
from api.problems import ApiError
from engine.service.access import PERSON_KINDS, Caller

EMBEDDED_ISSUER = "insats-embedded"
EMBEDDED_AUDIENCE = "insats-api"
KINDS = ("party_system", "handlaggare", "samordnare", "forbund_admin", "auditor")

bearer_scheme = HTTPBearer(auto_error=False, description="OAuth 2 bearer-token (JWT)")
api_key_scheme = APIKeyHeader(name="X-API-Key", auto_error=False, description="API-nyckel för partssystem")


@dataclass(frozen=True)
class DemoClient:
    """A client or person known to the embedded default (what an IdP would hold in production)."""

    client_id: str
    kind: str
    party: str | None
    roles: tuple[str, ...] = ()
    name: str = ""
    secret: str | None = None
    api_key: str | None = None

    def caller(self) -> Caller:
        return Caller(user_id=self.client_id, kind=self.kind, party=self.party, roles=self.roles, name=self.name)


DEMO_IDENTITIES: tuple[DemoClient, ...] = (
    DemoClient("af-system", "party_system", "af", (), "Arbetsförmedlingens ärendesystem"),
    DemoClient("fk-system", "party_system", "fk", (), "Försäkringskassans ärendesystem"),
    DemoClient("kommun-system", "party_system", "kommun", (), "Kommunens verksamhetssystem"),
    DemoClient("region-system", "party_system", "region", (), "Regionens journalsystem"),
    DemoClient("anna.handlaggare@af", "handlaggare", "af", (), "Anna Andersson (AF)"),
    DemoClient("fredrik.handlaggare@fk", "handlaggare", "fk", (), "Fredrik Berg (FK)"),
    DemoClient(
        "sara.samordnare@kommun",
        "samordnare",
        "kommun",
        ("samordnare", "teamledare", "samverkansteam", "handledare"),
        "Sara Lind (samordnare)",
    ),
    DemoClient("rut.rehab@region", "handlaggare", "region", ("rehabkoordinator",), "Rut Holm (region)"),
    DemoClient("forbund.admin", "forbund_admin", None, (), "Förbundsadministratör"),
    DemoClient("ida.auditor", "auditor", None, (), "Ida Granskare (loggkontroll)"),
)


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass
class Authenticator:
    """Issues and verifies tokens; holds the embedded key pair and demo clients."""

    issuer: str
    audience: str
    private_key: Any = None
    public_key: Any = None
    kid: str = ""
    jwks_client: Any = None
    clients: dict[str, dict[str, Any]] = field(default_factory=dict)
    parties: Container[str] | None = None
    """The parties a token may name (api/parties.py: those the loaded definitions declare); None: any."""
    token_ttl: int = 3600
    verified: dict[str, tuple[Caller, float]] = field(default_factory=dict, repr=False)
    """Tokens already verified → (caller, exp): a client sends the same bearer token on every
    request, and an RS256 check plus claim parsing costs more than the rest of a cheap request.
    Entries are used only before `exp` (after it the full check runs again, leeway included)."""
    verified_max: int = 4096

    @property
    def embedded(self) -> bool:
        return self.jwks_client is None

    # --- issuing (embedded only) --------------------------------------------------------

    def issue(self, who: DemoClient | Caller, ttl: int | None = None, now: float | None = None) -> str:
        if self.private_key is None:
            raise ApiError("unsupported_grant_type", "Tokens utfärdas av den externa identitetsleverantören", 400)
        issued = int(now if now is not None else time.time())
        user_id = who.client_id if isinstance(who, DemoClient) else who.user_id
        claims = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": user_id,
            "iat": issued,
            "nbf": issued - 5,
            "exp": issued + (ttl or self.token_ttl),
            "kind": who.kind,
            "party": who.party,
            "roles": list(who.roles),
            "name": who.name,
        }
        return jwt.encode(claims, self.private_key, algorithm="RS256", headers={"kid": self.kid})

    def client_credentials(self, client_id: str, client_secret: str) -> DemoClient:
        entry = self.clients.get(client_id)
        if entry is None or not entry.get("secret_sha256"):
            raise ApiError("invalid_client", "Okänd klient eller fel hemlighet", 401)
        if not hmac.compare_digest(entry["secret_sha256"], _hash(client_secret)):
            raise ApiError("invalid_client", "Okänd klient eller fel hemlighet", 401)
        return _client_from_entry(client_id, entry)

    def by_api_key(self, api_key: str) -> Caller:
        digest = _hash(api_key)
        for client_id, entry in self.clients.items():
            stored = entry.get("api_key_sha256")
            if stored and hmac.compare_digest(stored, digest):
                return _client_from_entry(client_id, entry).caller()
        raise ApiError("invalid_token", "Okänd API-nyckel", 401, headers={"WWW-Authenticate": "Bearer"})

    # --- verifying ------------------------------------------------------------------------

    def verify(self, token: str) -> Caller:
        hit = self.verified.get(token)
        if hit is not None and time.time() < hit[1]:
            return hit[0]
        caller, exp = self._verify(token)
        if len(self.verified) >= self.verified_max:
            try:  # drop the oldest entry (dicts keep insertion order)
                del self.verified[next(iter(self.verified))]
            except (KeyError, StopIteration, RuntimeError):
                pass
        self.verified[token] = (caller, exp)
        return caller

    def _verify(self, token: str) -> tuple[Caller, float]:
        if len(token) > MAX_TOKEN_CHARS or not token.isascii():
            raise _invalid("Ogiltig token / malformed token")
        try:
            if self.jwks_client is not None:
                key: Any = self.jwks_client.get_signing_key_from_jwt(token).key
            else:
                key = self.public_key
            claims = jwt.decode(
                token,
                key,
                algorithms=["RS256", "ES256", "PS256"],
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["exp", "sub", "iss", "aud"]},
                leeway=30,
            )
        except jwt.ExpiredSignatureError as exc:
            raise _invalid("Token har gått ut / token expired") from exc
        except (jwt.PyJWTError, TypeError, ValueError, KeyError, AttributeError) as exc:
            # PyJWT's whole family, and what a key of another algorithm makes it raise
            # (`TypeError: Expecting a PEM-formatted key` for an ES256 header): a 401, never a 500.
            raise _invalid(f"Ogiltig token: {str(exc)[:200]}") from exc
        try:
            exp = float(claims["exp"])
        except (TypeError, ValueError, OverflowError) as exc:
            raise _invalid("Ogiltig token: exp") from exc
        return caller_from_claims(claims, self.parties), exp

    def jwks(self) -> dict[str, Any]:
        if self.public_key is None:
            return {"keys": []}
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.public_key))
        jwk.update({"kid": self.kid, "use": "sig", "alg": "RS256"})
        return {"keys": [jwk]}


def _invalid(detail: str) -> ApiError:
    return ApiError("invalid_token", detail, 401, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


MAX_TOKEN_CHARS = 16_384
MAX_CLAIM = {"sub": 200, "name": 200, "party": 100, "role": 100}
MAX_ROLES = 50


def _claim_text(claims: dict[str, Any], name: str, limit: int, required: bool = False) -> str | None:
    """A string claim within bounds, with no control characters (it reaches the access log)."""
    value = claims.get(name)
    if value is None or (value == "" and not required):
        if required:
            raise _invalid(f"Token saknar {name}")
        return None
    if not isinstance(value, str) or not value or len(value) > limit or CONTROL_CHARACTERS.search(value):
        raise _invalid(f"Ogiltigt anspråk i token: {name} (en text på högst {limit} tecken)")
    return value


def caller_from_claims(claims: dict[str, Any], parties: Container[str] | None = None) -> Caller:
    """Claims → Caller, each claim checked for type and size here, at authentication, so nothing
    oversized or malformed gets as far as a query or the access log (issue 13)."""
    kind = claims.get("kind")
    if not isinstance(kind, str) or kind not in KINDS:
        raise _invalid(f"Okänd anroparstyp i token: {str(kind)[:50]!r}")
    user_id = _claim_text(claims, "sub", MAX_CLAIM["sub"], required=True)
    party = _claim_text(claims, "party", MAX_CLAIM["party"])
    if party is not None and parties is not None and party not in parties:
        raise _invalid(f"Okänd part i token: {party!r}")
    if kind in ("party_system", "handlaggare", "samordnare") and party is None:
        raise _invalid("Token saknar part")
    name = _claim_text(claims, "name", MAX_CLAIM["name"]) or ""
    roles = claims.get("roles") or ()
    if isinstance(roles, str):
        roles = roles.split()
    if not isinstance(roles, list | tuple) or len(roles) > MAX_ROLES:
        raise _invalid(f"Ogiltigt anspråk i token: roles (högst {MAX_ROLES} texter)")
    for role in roles:
        if not isinstance(role, str) or not role or len(role) > MAX_CLAIM["role"] or CONTROL_CHARACTERS.search(role):
            raise _invalid("Ogiltigt anspråk i token: roles")
    assert user_id is not None
    return Caller(user_id=user_id, kind=kind, party=party, roles=tuple(roles), name=name)


def _client_from_entry(client_id: str, entry: dict[str, Any]) -> DemoClient:
    return DemoClient(
        client_id=client_id,
        kind=entry["kind"],
        party=entry.get("party"),
        roles=tuple(entry.get("roles") or ()),
        name=entry.get("name", ""),
    )


# --- key material on disk (embedded default) ------------------------------------------------


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def create_once(path: Path, data: bytes) -> None:
    """Write `path` (0600) unless it exists, atomically: of several processes starting together
    (api replicas on one key volume) one creates it and all then read the same file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    _write_private(tmp, data)
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()


def load_or_create_keys(key_dir: Path) -> tuple[Any, Any, str]:
    """The embedded RS256 key pair; generated on first start, reused afterwards."""
    private_path = key_dir / "jwt-private.pem"
    if not private_path.exists():
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        create_once(private_path, pem)
    private_key = serialization.load_pem_private_key(private_path.read_bytes(), password=None)
    public_key = private_key.public_key()
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    kid = hashlib.sha256(der).hexdigest()[:16]
    return private_key, public_key, kid


def load_or_create_clients(key_dir: Path) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, str]]]:
    """Demo clients: hashed secrets in clients.json, the plain ones in demo-secrets.json (0600).

    The plain secrets are kept only so `make run` can print them for the README walk-through;
    a real deployment uses an external IdP and has neither file.
    """
    clients_path = key_dir / "clients.json"
    secrets_path = key_dir / "demo-secrets.json"
    clients: dict[str, dict[str, Any]]
    plain: dict[str, dict[str, str]]
    if clients_path.exists():
        clients = json.loads(clients_path.read_text())
        plain = json.loads(secrets_path.read_text()) if secrets_path.exists() else {}
        return clients, plain
    clients = {}
    plain = {}
    for ident in DEMO_IDENTITIES:
        entry: dict[str, Any] = {
            "kind": ident.kind,
            "party": ident.party,
            "roles": list(ident.roles),
            "name": ident.name,
        }
        if ident.kind == "party_system":
            secret = secrets.token_urlsafe(24)
            api_key = "ik_" + secrets.token_urlsafe(24)
            entry["secret_sha256"] = _hash(secret)
            entry["api_key_sha256"] = _hash(api_key)
            plain[ident.client_id] = {"client_secret": secret, "api_key": api_key}
        clients[ident.client_id] = entry
    mine = json.dumps(clients, indent=2, ensure_ascii=False).encode()
    create_once(clients_path, mine)
    if clients_path.read_bytes() != mine:  # another process made them first: theirs hold
        return load_or_create_clients(key_dir)
    _write_private(secrets_path, json.dumps(plain, indent=2).encode())
    return clients, plain


def build_authenticator(settings: Any, parties: Container[str] | None = None) -> Authenticator:
    jwks_url = getattr(settings, "jwks_url", None)
    if jwks_url:
        return Authenticator(
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience or EMBEDDED_AUDIENCE,
            jwks_client=jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=300),
            parties=parties,
        )
    key_dir = Path(getattr(settings, "key_dir", "var/keys"))
    private_key, public_key, kid = load_or_create_keys(key_dir)
    clients, _ = load_or_create_clients(key_dir)
    return Authenticator(
        issuer=getattr(settings, "jwt_issuer", None) or EMBEDDED_ISSUER,
        audience=getattr(settings, "jwt_audience", None) or EMBEDDED_AUDIENCE,
        private_key=private_key,
        public_key=public_key,
        kid=kid,
        clients=clients,
        parties=parties,
    )


# --- FastAPI dependencies -------------------------------------------------------------------


async def get_authenticator(request: Request) -> Authenticator:
    auth: Authenticator = request.app.state.authenticator
    return auth


async def get_caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    api_key: Annotated[str | None, Depends(api_key_scheme)],
) -> Caller:
    auth: Authenticator = request.app.state.authenticator
    if credentials is not None and credentials.credentials:
        caller = auth.verify(credentials.credentials)
    elif api_key:
        caller = auth.by_api_key(api_key)
    else:
        raise ApiError(
            "unauthenticated",
            "Ange en bearer-token (Authorization: Bearer …) eller X-API-Key",
            401,
            headers={"WWW-Authenticate": "Bearer"},
        )
    services = getattr(request.app.state, "services", None)
    if services is not None and caller.kind in PERSON_KINDS:  # whom they stand in for today (substitutes)
        caller = await run_in_threadpool(services.substitutes.with_stand_ins, caller)
    request.state.caller = caller
    return caller


CurrentCaller = Annotated[Caller, Depends(get_caller)]
AuthDep = Annotated[Authenticator, Depends(get_authenticator)]
