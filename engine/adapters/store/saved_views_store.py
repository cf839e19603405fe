"""`SqlAlchemySavedViews`: the `SavedViewStore` port (engine/service/query_ports.py) on `saved_views`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from engine.adapters.store.team_models import SavedViewRow
from engine.service.query_ports import SavedViewRecord
from engine.service.uow import UowFactory


def _record(r: SavedViewRow) -> SavedViewRecord:
    return SavedViewRecord(r.id, r.user_id, r.kind, r.name, dict(r.filters or {}), r.created_at)


class SqlAlchemySavedViews:
    def __init__(self, uow: UowFactory) -> None:
        self._uow = uow

    def list(self, user_id: str, kind: str | None) -> list[SavedViewRecord]:
        q = select(SavedViewRow).where(SavedViewRow.user_id == user_id)
        if kind is not None:
            q = q.where(SavedViewRow.kind == kind)
        with self._uow() as uow:
            return [_record(r) for r in uow.session.scalars(q.order_by(SavedViewRow.name, SavedViewRow.id))]

    def add(self, user_id: str, kind: str, name: str, filters: dict[str, Any], at: datetime) -> SavedViewRecord | None:
        with self._uow() as uow:
            row = SavedViewRow(user_id=user_id, kind=kind, name=name, filters=filters, created_at=at)
            uow.session.add(row)
            try:
                uow.session.flush()
            except IntegrityError:  # unique (user_id, kind, name): the name is taken
                uow.session.rollback()
                return None
            record = _record(row)
            uow.session.commit()
            return record

    def delete(self, user_id: str, view_id: int) -> bool:
        with self._uow() as uow:
            gone = uow.session.execute(
                delete(SavedViewRow).where(SavedViewRow.id == view_id, SavedViewRow.user_id == user_id)
            )
            uow.session.commit()
            return bool(getattr(gone, "rowcount", 0))
