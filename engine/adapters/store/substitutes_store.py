"""`SqlAlchemySubstitutes`: the `SubstituteStore` port (engine/service/substitutes.py) on `substitutes`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from engine.adapters.store.team_models import SubstituteRow
from engine.service.substitutes import SubstituteRecord
from engine.service.uow import UowFactory


def _record(row: SubstituteRow) -> SubstituteRecord:
    return SubstituteRecord(row.id, row.user_id, row.party, row.substitute_id, row.substitute_name, row.starts_on,
                            row.ends_on, row.created_at)  # fmt: skip


class SqlAlchemySubstitutesTransaction:
    def __init__(self, session: Session) -> None:
        self._s = session

    def of(self, user_id: str) -> list[SubstituteRecord]:
        q = select(SubstituteRow).where(SubstituteRow.user_id == user_id).order_by(SubstituteRow.starts_on)
        return [_record(r) for r in self._s.scalars(q)]

    def acting_for(self, substitute_id: str, on: date) -> list[SubstituteRecord]:
        q = select(SubstituteRow).where(
            SubstituteRow.substitute_id == substitute_id, SubstituteRow.starts_on <= on, SubstituteRow.ends_on >= on
        )
        return [_record(r) for r in self._s.scalars(q)]

    def standing_in(self, user_ids: list[str], on: date) -> list[SubstituteRecord]:
        q = select(SubstituteRow).where(
            SubstituteRow.user_id.in_(user_ids), SubstituteRow.starts_on <= on, SubstituteRow.ends_on >= on
        )
        return [_record(r) for r in self._s.scalars(q)]

    def add(self, record: SubstituteRecord) -> SubstituteRecord:
        row = SubstituteRow(user_id=record.user_id, party=record.party, substitute_id=record.substitute_id,
                            substitute_name=record.substitute_name, starts_on=record.starts_on,
                            ends_on=record.ends_on, created_at=record.created_at)  # fmt: skip
        self._s.add(row)
        self._s.flush()
        return _record(row)

    def delete(self, user_id: str, substitute: int) -> bool:
        q = delete(SubstituteRow).where(SubstituteRow.id == substitute, SubstituteRow.user_id == user_id)
        return bool(self._s.execute(q).rowcount)  # type: ignore[attr-defined]

    def commit(self) -> None:
        self._s.commit()


class SqlAlchemySubstitutes:
    def __init__(self, uow: UowFactory) -> None:
        self._uow = uow

    @contextmanager
    def transaction(self) -> Iterator[SqlAlchemySubstitutesTransaction]:
        with self._uow() as uow:
            yield SqlAlchemySubstitutesTransaction(uow.session)
