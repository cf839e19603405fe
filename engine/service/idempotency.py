"""`Idempotency-Key` for the POSTs that are not case commands (definitions: upload, publish,
simulate, migrate), in the same `idempotency` table and with the same rules as the case commands
(engine/service/case_commands.py): per caller, the answer stored in the transaction of the effect;
the same key with the same request replays the first answer and acts no more; with another
request it is 422 `idempotency_conflict`."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel

from engine.service.errors import ServiceError
from engine.service.ports import IdempotentAnswer, TryAgain

ATTEMPTS = 3
M = TypeVar("M", bound=BaseModel)


class AnswerUnit(Protocol):
    """The part of a unit of work (case or definition store) that keeps idempotent answers."""

    def idempotent_answer(self, caller: str, key: str) -> IdempotentAnswer | None: ...
    def save_answer(self, answer: IdempotentAnswer) -> None:
        """Insert the answer; `TryAgain` (nothing of this unit will be committed) when another
        transaction stored one under that key meanwhile."""
        ...

    def commit(self) -> None: ...


U = TypeVar("U", bound=AnswerUnit)


def request_hash(payload: dict[str, Any]) -> str:
    """As the case commands hash theirs (engine/service/case_commands.py, which imports this module's
    neighbours and so cannot be imported here)."""
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def check_key(key: str | None) -> None:
    if key is not None and (not key.strip() or len(key) > 200):
        raise ServiceError("validation_error", "Ogiltig Idempotency-Key", details={"field": "Idempotency-Key"})


def once(
    units: Callable[[], Any],
    caller_id: str,
    key: str | None,
    request: dict[str, Any],
    model: type[M],
    status: int,
    now: Callable[[], datetime],
    action: Callable[[U], M],
) -> M:
    """`action` in one unit of work from `units()`, committed with its answer under `key`; or the
    stored answer replayed. `action` writes, never commits."""
    check_key(key)
    digest = request_hash(request) if key is not None else ""
    for _attempt in range(ATTEMPTS):
        try:
            with units() as unit:
                if key is not None:
                    stored = unit.idempotent_answer(caller_id, key)
                    if stored is not None:
                        if stored.request_hash != digest:
                            raise ServiceError(
                                "idempotency_conflict",
                                "Idempotency-Key har redan använts för en annan begäran",
                                details={"field": "Idempotency-Key"},
                            )
                        return model.model_validate(stored.response)
                out = action(unit)
                if key is not None:
                    unit.save_answer(
                        IdempotentAnswer(caller_id, key, digest, out.model_dump(mode="json"), status, now())
                    )
                unit.commit()
                return out
        except TryAgain:
            continue
    raise ServiceError("idempotency_conflict", "Begäran med samma Idempotency-Key pågår; försök igen", status=409)
