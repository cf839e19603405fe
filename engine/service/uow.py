"""The unit of work the batch and read services not yet on a port of their own (feed, audit, reports,
dispatch, ...) still open: one transaction with a `session`. The implementation is
engine/adapters/store/uow.py; case writes go through `CaseStore` (engine/service/ports.py)."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # for the type checker only: nothing of sqlalchemy is imported at run time
    from sqlalchemy.orm import Session


class UnitOfWork(Protocol):
    @property
    def session(self) -> Session: ...

    def __enter__(self) -> UnitOfWork: ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...


UowFactory = Callable[[], UnitOfWork]
