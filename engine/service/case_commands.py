"""Case commands: referral and every command on a case, each one unit of work on the store:
load, authorize, decide, append (engine/service/ports.py has the writer's contract)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from engine.core import commands as c
from engine.core.decide import decide, local_date
from engine.core.events import Rejected
from engine.core.identity import PersonId, PersonnummerError, parse_personnummer
from engine.service import access
from engine.service.access import Caller
from engine.service.case_views import case_out
from engine.service.changes import changed
from engine.service.definitions import DefinitionCache
from engine.service.errors import ServiceError, forbidden
from engine.service.ports import (
    CaseChange,
    CaseStore,
    CaseUnit,
    IdempotentAnswer,
    NewPerson,
    PersonRecord,
    ReferenceTaken,
    StoredCase,
    TryAgain,
    VersionConflict,
    new_access_entry,
)
from engine.service.views import CaseOut, ReferralIn

ATTEMPTS = 10
Action = Callable[[CaseUnit], tuple[CaseOut, CaseChange]]


def normalise_personnummer(value: str, today: date) -> PersonId:
    """12 digits, ÅÅÅÅMMDDNNNN; samordningsnummer allowed. Raises person_invalid (Swedish message)."""
    try:
        return parse_personnummer(value, today)
    except PersonnummerError as exc:
        raise ServiceError("person_invalid", str(exc), details={"field": "personnummer"}) from None


def version_conflict(case_id: str, expected: int | None, current: int | None) -> ServiceError:
    return ServiceError(
        "version_conflict",
        "Ärendet har ändrats sedan du läste det: läs om det och försök igen",
        details={"case_id": case_id, "expected_version": expected, "current_version": current},
    )


def reference_taken() -> ServiceError:
    """A party's own case number is on another of its cases (checked before append; a race the
    check missed is the store's `ReferenceTaken`): the same answer either way."""
    return ServiceError("reference_taken", "Diarienumret används redan i ett annat ärende hos er part",
                        status=409, details={"field": "reference"})  # fmt: skip


def request_hash(payload: dict[str, Any]) -> str:
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def command_payload(command: c.Command) -> dict[str, Any]:
    data = {f.name: getattr(command, f.name) for f in dataclasses.fields(command) if f.name != "actor"}
    return {"type": type(command).__name__, **data}


class CaseCommands:
    def __init__(
        self, store: CaseStore, clock: Callable[[], datetime], ids: Callable[[], str], definitions: DefinitionCache
    ) -> None:
        self._store = store
        self._clock = clock
        self._ids = ids
        self._defs = definitions

    def refer(self, caller: Caller, referral: ReferralIn, idempotency_key: str | None = None) -> CaseOut:
        party = access.require_party(caller)
        pid = _validate_referral(referral, local_date(self._clock()))
        request = {"op": "refer", **referral.model_dump(mode="json")}
        return self._run(caller, idempotency_key, request, 201, lambda u: self._refer(u, caller, party, referral, pid))

    def execute(
        self,
        caller: Caller,
        case_id: str,
        command: c.Command,
        expected_version: int | None,
        idempotency_key: str | None = None,
    ) -> CaseOut:
        if isinstance(command, c.Refer):
            raise forbidden("Använd remiss för att skapa ett ärende")
        request = {"op": "execute", "case_id": case_id, "expected_version": expected_version,
                   **command_payload(command)}  # fmt: skip
        return self._run(
            caller, idempotency_key, request, 200, lambda u: self._decide(u, caller, case_id, command, expected_version)
        )

    # --- the one path ----------------------------------------------------------------------

    def _run(self, caller: Caller, key: str | None, request: dict[str, Any], status: int, action: Action) -> CaseOut:
        """One unit of work: (replay the answer stored under the key, or) decide and append. A lost
        race on a unique key or a deadlock runs the unit again, and so does a lost version guard
        when the caller sent no version (If-Match `*`); with a version it is 412."""
        if key is not None and (not key.strip() or len(key) > 200):
            raise ServiceError("validation_error", "Ogiltig Idempotency-Key", details={"field": "Idempotency-Key"})
        digest = request_hash(request) if key is not None else ""
        lost: str | None = None
        for _attempt in range(ATTEMPTS):
            try:
                with self._store.unit() as unit:
                    if key is not None:
                        stored = unit.idempotent_answer(caller.user_id, key)
                        if stored is not None:
                            out = self._replay(unit, caller, stored, digest)
                            unit.commit()
                            return out
                    out, change = action(unit)
                    if key is not None:
                        change = change.with_idempotency(
                            IdempotentAnswer(caller.user_id, key, digest, out.model_dump(mode="json"), status,
                                             change.now or self._clock())
                        )  # fmt: skip
                    try:
                        unit.append([change])
                    except ReferenceTaken:
                        raise reference_taken() from None
                    except VersionConflict:
                        expected = request.get("expected_version")
                        if expected is None:
                            lost = change.after.id
                            continue  # If-Match `*`: decide again on the fresh state, never 412
                        raise version_conflict(change.after.id, expected, None) from None
                    unit.commit()
                    return out
            except TryAgain:
                continue
        if lost is not None:
            raise ServiceError("conflict_try_again", "Ärendet ändrades samtidigt flera gånger; försök igen",
                               status=409, details={"case_id": lost})  # fmt: skip
        raise ServiceError("idempotency_conflict", "Begäran med samma Idempotency-Key pågår; försök igen", status=409)

    def _decide(
        self, unit: CaseUnit, caller: Caller, case_id: str, command: c.Command, expected_version: int | None
    ) -> tuple[CaseOut, CaseChange]:
        row = unit.load_for_command(case_id)
        if row is None:
            raise ServiceError("not_found", "Ärendet finns inte")
        d = self._defs.get(unit, row.definition_id, row.definition_version)
        state = row.state
        now = self._clock()
        access.authorize_command(caller, state, d, command, now)
        # Only after access is settled: a 412 carries the current version, which a party that may
        # not see the case must not learn (nor that the case exists).
        if expected_version is not None and expected_version != row.version:
            raise version_conflict(case_id, expected_version, row.version)
        result = decide(d, state, _as_caller(command, caller), now)
        if isinstance(result, Rejected):
            raise ServiceError.from_rejection(result)
        if isinstance(command, c.SetExternalReference):
            ref = result.state.external_refs.get(command.party)
            if ref is not None and unit.case_with_reference(command.party, ref) not in (None, case_id):
                raise reference_taken()
        change = changed(row, result, now, caller.user_id)
        out, logged = case_out(caller, change.after, result.state, d, now, after_command=True)
        if logged:
            purpose = type(command).__name__
            if isinstance(command, c.GrantEmergencyAccess):
                purpose = f"{access.NODATKOMST}: {command.reason.strip()}"[:300]
            entry = new_access_entry(caller, now, resource="case", purpose=purpose, case_id=case_id,
                                     person_id=change.after.person_id)  # fmt: skip
            change = dataclasses.replace(change, access_log=[entry])
        return out, change

    def _refer(
        self, unit: CaseUnit, caller: Caller, party: str, r: ReferralIn, pid: PersonId | None
    ) -> tuple[CaseOut, CaseChange]:
        d = self._defs.latest_published(unit, r.definition_id)
        now = self._clock()
        case_id = self._ids()
        facts: dict[str, Any] = {}
        if r.sick_period_start is not None:
            if d.rehabiliteringskedjan is None:
                raise ServiceError(
                    "validation_error",
                    f"{d.key} följer inte rehabiliteringskedjan",
                    details={"field": "sick_period_start"},
                )
            facts[d.rehabiliteringskedjan.fact] = r.sick_period_start
        anonymous = r.anonymous or r.protected_identity
        person_referrer = access.needs_to_know(caller)  # a person joins the team; a party system does not
        cmd = c.Refer(
            case_id=case_id, referred_by=party, anonymous=anonymous, facts=facts, actor=caller.user_id,
            referrer_name=(caller.name or caller.user_id) if person_referrer else None,
            referrer_role=next(iter(sorted(access.party_roles(caller, d))), None) if person_referrer else None,
        )  # fmt: skip
        result = decide(d, None, cmd, now)
        if isinstance(result, Rejected):
            raise ServiceError.from_rejection(result)
        person: NewPerson | None = None
        record: PersonRecord | None = None
        gender: str | None = r.gender
        birth_year = r.birth_year
        if pid is not None:
            gender, birth_year = pid.gender, pid.birth_year
            known = unit.person_by_number(pid.number)
            if known is None:
                person = NewPerson(self._ids(), pid.number, r.name, gender, birth_year, new=True)
                record = PersonRecord(person.id, pid.number, r.name)
            else:
                # The same person referred again: the case links to them as they are. A referral
                # never changes the person data other cases show (a name given is not written).
                record = known
        new = result.state
        after = StoredCase(
            id=case_id, person_id=record.id if record else None, definition_id=d.id, definition_version=d.version,
            state=new, status=new.status, phase=new.phase, version=1, last_event_seq=len(result.events),
            anonymous=anonymous, protected=r.protected_identity, referred_by=party, gender=gender,
            birth_year=birth_year, created_at=now, updated_at=now, closed_at=None, outcome=new.outcome,
            person=record,
        )  # fmt: skip
        change = CaseChange(
            before=None, after=after, events=result.events, set_timers=result.set_timers,
            cancel_timers=result.cancel_timers, actor=caller.user_id, now=now, person=person,
        )  # fmt: skip
        out, logged = case_out(caller, after, new, d, now)
        if logged:
            entry = new_access_entry(caller, now, resource="case", purpose="refer", case_id=case_id,
                                     person_id=after.person_id)  # fmt: skip
            change = dataclasses.replace(change, access_log=[entry])
        return out, change

    def _replay(self, unit: CaseUnit, caller: Caller, stored: IdempotentAnswer, digest: str) -> CaseOut:
        """A replayed answer is a read of the case now: the stored answer names the case, which is
        loaded and shown at the caller's access level today (a consent withdrawn since the first
        answer hides what it hid; no access at all is 404), and logged as every read is."""
        if stored.request_hash != digest:
            raise ServiceError(
                "idempotency_conflict",
                "Idempotency-Key har redan använts för en annan begäran",
                details={"field": "Idempotency-Key"},
            )
        case_id = stored.response.get("id")
        row = unit.load(case_id) if isinstance(case_id, str) else None
        if row is None:
            raise ServiceError("not_found", "Ärendet finns inte")
        d = self._defs.get(unit, row.definition_id, row.definition_version)
        now = self._clock()
        out, logged = case_out(caller, row, row.state, d, now)
        if logged:
            unit.log_access([new_access_entry(caller, now, resource="case", purpose="idempotent_replay",
                                              case_id=row.id, person_id=row.person_id)])  # fmt: skip
        return out


def _as_caller(command: c.Command, caller: Caller) -> c.Command:
    """The command as the caller sends it: their id as actor; a claim and an emergency access carry
    the caller's own party (and a claim their name, for joining the team)."""
    if isinstance(command, c.ClaimTask):
        name = caller.name or caller.user_id
        return dataclasses.replace(command, actor=caller.user_id, party=caller.party, name=name)
    if isinstance(command, c.GrantEmergencyAccess):
        return dataclasses.replace(command, actor=caller.user_id, party=caller.party)
    return dataclasses.replace(command, actor=caller.user_id)


def _validate_referral(r: ReferralIn, today: date) -> PersonId | None:
    if r.anonymous or r.protected_identity:
        if r.personnummer or r.name:
            raise ServiceError(
                "validation_error",
                "Anonyma deltagare och deltagare med skyddade personuppgifter registreras utan namn och personnummer",
                details={"field": "personnummer" if r.personnummer else "name"},
            )
        return None
    if not r.personnummer:
        raise ServiceError(
            "validation_error", "Personnummer krävs (eller ange anonymt deltagande)", details={"field": "personnummer"}
        )
    return normalise_personnummer(r.personnummer, today)
