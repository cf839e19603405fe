"""Local staff accounts for the web pages (the embedded default) and their notification choice.

Passwords are hashed with argon2id (argon2-cffi); an unknown user costs the same time as a wrong
password. Production signs staff in through the region's or kommun's IdP (OIDC, see
api/pages/config.py); such accounts are created on first sign-in with no password.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import BaseModel, ConfigDict

from engine.service.access import CALLER_KINDS, Caller
from engine.service.errors import ServiceError
from engine.service.query_ports import AccountRecord, AccountStore

NotifyMode = Literal["event", "digest", "none"]
NOTIFY_MODES: tuple[str, ...] = ("event", "digest", "none")
WEB_KINDS = frozenset(CALLER_KINDS - {"system", "party_system"})

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not a real password")


class AccountOut(BaseModel):
    model_config = ConfigDict(frozen=True)

    user_id: str
    kind: str
    party: str | None
    roles: tuple[str, ...] = ()
    name: str = ""
    email: str | None = None
    notify_mode: str = "event"
    active: bool = True

    def caller(self) -> Caller:
        return Caller(user_id=self.user_id, kind=self.kind, party=self.party, roles=self.roles, name=self.name)


def _out(row: AccountRecord) -> AccountOut:
    return AccountOut(
        user_id=row.user_id,
        kind=row.kind,
        party=row.party,
        roles=tuple(row.roles or ()),
        name=row.name,
        email=row.email,
        notify_mode=row.notify_mode,
        active=row.active,
    )


def hash_password(password: str) -> str:
    return _hasher.hash(password)


class AccountService:
    def __init__(self, store: AccountStore, clock: Callable[[], datetime]) -> None:
        self._store = store
        self._clock = clock

    def count(self) -> int:
        with self._store.transaction() as tx:
            return tx.count()

    def get(self, user_id: str) -> AccountOut | None:
        with self._store.transaction() as tx:
            row = tx.get(user_id)
            return _out(row) if row is not None and row.active else None

    def colleagues(self, caller: Caller) -> list[AccountOut]:
        """The active handläggare and samordnare of the caller's party, by name (whom a person can
        add to a case's team, assign a task to or name as substitute); none for other callers."""
        if caller.party is None:
            return []
        with self._store.transaction() as tx:
            return [_out(row) for row in tx.of_party(caller.party)]

    def save(
        self,
        user_id: str,
        *,
        kind: str,
        party: str | None,
        roles: tuple[str, ...] = (),
        name: str = "",
        password: str | None = None,
        email: str | None = None,
    ) -> AccountOut:
        """Create or update an account (set-up and tests; an admin tool in production)."""
        if kind not in WEB_KINDS:
            raise ServiceError("validation_error", f"Okänd kontotyp '{kind}'", details={"field": "kind"})
        if kind in ("handlaggare", "samordnare") and not party:
            raise ServiceError("validation_error", "Handläggare och samordnare hör till en part", details={})
        with self._store.transaction() as tx:
            row = tx.get(user_id) or AccountRecord(
                user_id=user_id, kind=kind, party=party, created_at=self._clock(), notify_mode="event", active=True
            )
            row = replace(row, kind=kind, party=party, roles=tuple(roles), name=name)
            if password is not None:
                row = replace(row, password_hash=hash_password(password))
            if email is not None:
                row = replace(row, email=email)
            tx.put(row)
            tx.commit()
            return _out(row)

    def authenticate(self, user_id: str, password: str) -> AccountOut | None:
        with self._store.transaction() as tx:
            row = tx.get(user_id.strip())
            stored = row.password_hash if row is not None and row.active else None
            try:
                _hasher.verify(stored or _DUMMY_HASH, password)
            except (VerificationError, InvalidHashError):
                return None
            if row is None or stored is None:
                return None
            if _hasher.check_needs_rehash(stored):
                row = replace(row, password_hash=hash_password(password))
            row = replace(row, last_login_at=self._clock())
            tx.put(row)
            tx.commit()
            return _out(row)

    def set_notifications(self, caller: Caller, email: str | None, mode: str) -> AccountOut:
        """E-mail per event, a daily digest, or none. Staff addresses only; never a participant's."""
        if mode not in NOTIFY_MODES:
            raise ServiceError("validation_error", "Välj e-post per händelse, daglig sammanfattning eller ingen")
        address: str | None = None
        if email:
            from email_validator import EmailNotValidError, validate_email

            try:
                address = validate_email(email.strip(), check_deliverability=False).normalized
            except EmailNotValidError as exc:
                raise ServiceError(
                    "validation_error", f"Ogiltig e-postadress: {exc}", details={"field": "email"}
                ) from None
        elif mode != "none":
            raise ServiceError("validation_error", "Ange en e-postadress", details={"field": "email"})
        with self._store.transaction() as tx:
            row = tx.get(caller.user_id)
            if row is None:
                raise ServiceError("not_found", "Kontot finns inte")
            row = replace(row, email=address, notify_mode=mode)
            tx.put(row)
            tx.commit()
            return _out(row)
