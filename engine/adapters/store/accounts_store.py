"""`SqlAlchemyAccounts`: the `AccountStore` port (engine/service/query_ports.py) on `web_accounts`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.adapters.store.web_models import WebAccountRow
from engine.service.access import PERSON_KINDS
from engine.service.query_ports import AccountRecord
from engine.service.uow import UowFactory


def _record(row: WebAccountRow) -> AccountRecord:
    return AccountRecord(
        user_id=row.user_id, kind=row.kind, party=row.party, created_at=row.created_at, roles=tuple(row.roles or ()),
        name=row.name, email=row.email, notify_mode=row.notify_mode, active=row.active,
        password_hash=row.password_hash, last_login_at=row.last_login_at,
    )  # fmt: skip


class SqlAlchemyAccountsTransaction:
    def __init__(self, session: Session) -> None:
        self._s = session

    def count(self) -> int:
        return int(self._s.scalar(select(func.count()).select_from(WebAccountRow)) or 0)

    def get(self, user_id: str) -> AccountRecord | None:
        row = self._s.get(WebAccountRow, user_id)
        return _record(row) if row is not None else None

    def of_party(self, party: str) -> list[AccountRecord]:
        q = (
            select(WebAccountRow)
            .where(WebAccountRow.party == party, WebAccountRow.active.is_(True),
                   WebAccountRow.kind.in_(sorted(PERSON_KINDS)))  # fmt: skip
            .order_by(WebAccountRow.name, WebAccountRow.user_id)
        )
        return [_record(row) for row in self._s.scalars(q)]

    def put(self, account: AccountRecord) -> None:
        row = self._s.get(WebAccountRow, account.user_id)
        if row is None:
            row = WebAccountRow(user_id=account.user_id, created_at=account.created_at)
            self._s.add(row)
        row.kind, row.party, row.roles, row.name = account.kind, account.party, list(account.roles), account.name
        row.email, row.notify_mode, row.active = account.email, account.notify_mode, account.active
        row.password_hash, row.last_login_at = account.password_hash, account.last_login_at

    def commit(self) -> None:
        self._s.commit()


class SqlAlchemyAccounts:
    def __init__(self, uow: UowFactory) -> None:
        self._uow = uow

    @contextmanager
    def transaction(self) -> Iterator[SqlAlchemyAccountsTransaction]:
        with self._uow() as uow:
            yield SqlAlchemyAccountsTransaction(uow.session)
