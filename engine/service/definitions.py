"""Process definitions: stored versions, upload with located errors, publish, simulate, migrate."""

from __future__ import annotations

import builtins
import dataclasses
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from engine.core.definition import Definition
from engine.core.definition_diff import DiffLine, diff_definitions, who
from engine.core.events import Event
from engine.core.loader import DefinitionError, Problem, loads, parse_yaml, problem_dicts
from engine.core.migration import TaskChange, migrate_state
from engine.core.simulation import SimulationError, SimulationOptions, agenda, simulate, timeline
from engine.service.access import Caller, require_admin
from engine.service.changes import restated
from engine.service.errors import ServiceError, not_found
from engine.service.idempotency import check_key, once
from engine.service.ports import (
    CaseChange,
    CaseStore,
    CaseUnit,
    DefinitionRecord,
    DefinitionRows,
    DefinitionStore,
    DefinitionUnit,
    VersionConflict,
)
from engine.service.views import (
    AgendaLineOut,
    DefinitionDetail,
    DefinitionOut,
    MigrationCaseOut,
    MigrationReport,
    SimulationOut,
    TimelineBarOut,
)
from engine.service.yaml_edit import set_version


class DefinitionCache:
    """Parsed definitions per (id, version). Stored versions never change, so caching is safe.
    Rows are read through the `DefinitionRows` port, in the caller's unit of work (`ctx`)."""

    def __init__(self, rows: DefinitionRows) -> None:
        self._rows = rows
        self._parsed: dict[tuple[str, int], Definition] = {}
        self._lock = threading.Lock()

    def peek(self, definition_id: str, version: int) -> Definition | None:
        """The parsed definition if it is cached, without a read."""
        return self._parsed.get((definition_id, version))

    def get(self, ctx: object, definition_id: str, version: int) -> Definition:
        key = (definition_id, version)
        found = self._parsed.get(key)
        if found is not None:
            return found
        text = self._rows.yaml(ctx, definition_id, version)
        if text is None:
            raise not_found(f"Definitionen {definition_id}@{version}")
        parsed = loads(text, f"{definition_id}@{version}")
        with self._lock:
            self._parsed[key] = parsed
        return parsed

    def latest_published(self, ctx: object, definition_id: str) -> Definition:
        version = self._rows.latest_published(ctx, definition_id)
        if version is None:
            if self._rows.exists(ctx, definition_id):
                raise ServiceError(
                    "definition_not_published", f"Definitionen {definition_id} har ingen publicerad version"
                )
            raise not_found(f"Definitionen {definition_id}")
        return self.get(ctx, definition_id, version)


def stored_labels(d: Definition) -> dict[str, Any]:
    """What the pages show of a definition, as plain JSON stored with its row: `Definition.labels()`
    (id → label for phases, tasks, parties, roles, facts), its name, and each phase's transitions
    (`to`, `label`: the buttons of a case page), and what the case page's forms offer: each fact's
    type, each phase's kind and whether it can be extended, the outcomes (those that need a reason)
    and the avbrott reasons. A row stored before a key existed lacks it: readers default to empty."""
    transitions = {p.id: [{"to": t.to, "label": t.label} for t in p.transitions] for p in d.phases}
    forms = {
        "fact_types": {f.id: f.type.value for f in d.facts},
        "phase_kinds": {p.id: p.kind.value for p in d.phases},
        "extendable": [p.id for p in d.phases if p.extension is not None],
        "outcomes": [o.value for o in d.outcomes],
        "reasons_required_for": [o.value for o in d.reasons_required_for],
        "avbrott_reasons": list(d.avbrott_reasons),
    }
    return {**d.labels(), "name": d.name, "transitions": transitions, "forms": forms}


def empty_labels(definition_id: str) -> dict[str, Any]:
    return {"phases": {}, "tasks": {}, "parties": {}, "roles": {}, "facts": {}, "name": definition_id,
            "transitions": {}, "forms": {}}  # fmt: skip


def problem_details(problems: list[Problem]) -> dict[str, Any]:
    """line, message, path, code and caused_by of each problem, causes first (loader.problem_dicts)."""
    return {"problems": problem_dicts(problems)}


class DefinitionService:
    def __init__(
        self, store: DefinitionStore, cases: CaseStore, clock: Callable[[], datetime], cache: DefinitionCache
    ) -> None:
        self._store = store
        self._cases = cases
        self._clock = clock
        self.cache = cache

    # --- reading -------------------------------------------------------------------------

    def list(self) -> builtins.list[DefinitionOut]:
        with self._store.unit() as unit:
            return [_out(r) for r in unit.all()]

    def get(self, definition_id: str, version: int | None = None) -> DefinitionDetail:
        with self._store.unit() as unit:
            if version is None:
                version = unit.max_version(definition_id, published=True) or unit.max_version(definition_id)
            row = unit.get(definition_id, version) if version is not None else None
            if row is None:
                raise not_found(f"Definitionen {definition_id}" + (f"@{version}" if version else ""))
            parsed = self.cache.get(unit, row.id, row.version)
            return DefinitionDetail(
                **_out(row).model_dump(), yaml=row.yaml, definition=parsed.model_dump(mode="json", exclude_none=True)
            )

    def parsed(self, definition_id: str, version: int) -> Definition:
        """The parsed version (cached): for the editor and simulation, never for showing labels."""
        with self._store.unit() as unit:
            return self.cache.get(unit, definition_id, version)

    def diff(self, definition_id: str, from_version: int, to_version: int) -> builtins.list[DiffLine]:
        """What changed from one version to another, in words (`diff_definitions`)."""
        with self._store.unit() as unit:
            old = self.cache.get(unit, definition_id, from_version)
            new = self.cache.get(unit, definition_id, to_version)
        return diff_definitions(old, new)

    def labels(self, definition_id: str, version: int) -> dict[str, Any]:
        """The stored labels of one version (`stored_labels`), read without parsing its YAML;
        empty maps for a row stored without them."""
        with self._store.unit() as unit:
            found = unit.labels(definition_id, version)
            if found is None and unit.get(definition_id, version) is None:
                raise not_found(f"Definitionen {definition_id}@{version}")
        return found or empty_labels(definition_id)

    def latest_labels(self) -> dict[str, dict[str, Any]]:
        """Per definition id, the stored labels of its newest version (no YAML parsed)."""
        with self._store.unit() as unit:
            return unit.latest_labels()

    # --- writing -------------------------------------------------------------------------

    def sync_from_dir(self, directory: str | Path, created_by: str = "system") -> builtins.list[str]:
        """Store each definitions/*.yaml as a published version unless that version is stored already."""
        added: builtins.list[str] = []
        for path in sorted(Path(directory).glob("*.yaml")):
            text = path.read_text(encoding="utf-8")
            definition = loads(text, str(path))
            with self._store.unit() as unit:
                if unit.get(definition.id, definition.version) is not None:
                    continue
                stored = unit.add(
                    DefinitionRecord(
                        id=definition.id, version=definition.version, name=definition.name, yaml=text,
                        published=True, created_at=self._clock(), created_by=created_by,
                        labels=stored_labels(definition),
                    )
                )  # fmt: skip
                unit.commit()
                if stored:  # else another process (a second web worker starting) stored it meanwhile
                    added.append(definition.key)
        return added

    def upload(
        self, caller: Caller, yaml_text: str, file: str = "definition.yaml", idempotency_key: str | None = None
    ) -> DefinitionOut:
        """Validate and store a new (unpublished) version: last + 1, or the file's version if higher.
        With `idempotency_key`, a retry of the same upload returns the first answer (one version)."""
        require_admin(caller)
        check_key(idempotency_key)
        try:
            parsed = loads(yaml_text, file)
        except DefinitionError as exc:
            raise ServiceError(
                "definition_invalid",
                f"Definitionen har {len(exc.problems)} fel",
                details=problem_details(exc.problems),
            ) from None

        def store(unit: DefinitionUnit) -> DefinitionOut:
            last = unit.max_version(parsed.id) or 0
            version = max(last + 1, parsed.version)
            text = yaml_text if version == parsed.version else set_version(yaml_text, version)
            parse_yaml(text, file)  # still YAML
            row = DefinitionRecord(
                id=parsed.id, version=version, name=parsed.name, yaml=text, published=False,
                created_at=self._clock(), created_by=caller.user_id, labels=stored_labels(parsed),
            )  # fmt: skip
            if not unit.add(row):
                raise ServiceError(
                    "definition_exists", f"Version {version} av {parsed.id} laddades upp samtidigt; försök igen"
                )
            return _out(row)

        request = {"op": "upload_definition", "yaml": yaml_text}
        return once(self._store.unit, caller.user_id, idempotency_key, request, DefinitionOut, 201, self._clock, store)

    def publish(
        self, caller: Caller, definition_id: str, version: int, idempotency_key: str | None = None
    ) -> DefinitionOut:
        require_admin(caller)

        def publish(unit: DefinitionUnit) -> DefinitionOut:
            row = unit.publish(definition_id, version)
            if row is None:
                raise not_found(f"Definitionen {definition_id}@{version}")
            return _out(row)

        request = {"op": "publish_definition", "id": definition_id, "version": version}
        return once(self._store.unit, caller.user_id, idempotency_key, request, DefinitionOut, 200, self._clock,
                    publish)  # fmt: skip

    def simulate(
        self,
        definition_id: str,
        version: int | None,
        options: SimulationOptions,
        caller: Caller | None = None,
        idempotency_key: str | None = None,
    ) -> SimulationOut:
        """A dated agenda for a case that follows `options`; changes nothing. With a caller and
        `idempotency_key`, a retry returns the first answer (as every POST of the API)."""

        def run(unit: DefinitionUnit) -> SimulationOut:
            chosen = version
            if chosen is None:
                chosen = unit.max_version(definition_id)
                if chosen is None:
                    raise not_found(f"Definitionen {definition_id}")
            d = self.cache.get(unit, definition_id, chosen)
            try:
                result = simulate(d, options)
            except SimulationError as exc:
                raise ServiceError(exc.code, str(exc), status=422) from None
            return SimulationOut(
                definition_id=d.id,
                definition_version=d.version,
                commands=result.commands,
                closed_on=result.state.closed_on,
                lines=[AgendaLineOut(day=line.day, who=line.who, what=line.what) for line in agenda(d, result)],
                bars=[TimelineBarOut(**dataclasses.asdict(b)) for b in timeline(d, result)],
            )

        key = idempotency_key if caller is not None else None
        request = {"op": "simulate_definition", "id": definition_id, "version": version,
                   "options": dataclasses.asdict(options)}  # fmt: skip
        who = caller.user_id if caller is not None else ""
        return once(self._store.unit, who, key, request, SimulationOut, 200, self._clock, run)

    def migrate(
        self,
        caller: Caller,
        definition_id: str,
        from_version: int,
        to_version: int,
        phase_map: dict[str, str] | None = None,
        dry_run: bool = True,
        idempotency_key: str | None = None,
    ) -> MigrationReport:
        """Move running cases to another version. Cases that cannot be mapped are reported, not changed;
        the migrated ones are one `append` of `CaseMigrated` changes. With `idempotency_key` a retry
        returns the first report and migrates nothing more."""
        require_admin(caller)
        phase_map = phase_map or {}
        request = {"op": "migrate_cases", "id": definition_id, "from": from_version, "to": to_version,
                   "phase_map": phase_map, "dry_run": dry_run}  # fmt: skip

        def run(unit: CaseUnit) -> MigrationReport:
            return self._migrate(unit, caller, definition_id, from_version, to_version, phase_map, dry_run)

        return once(self._cases.unit, caller.user_id, idempotency_key, request, MigrationReport, 200, self._clock,
                    run)  # fmt: skip

    def _migrate(
        self, unit: CaseUnit, caller: Caller, definition_id: str, from_version: int, to_version: int,
        phase_map: dict[str, str], dry_run: bool,
    ) -> MigrationReport:  # fmt: skip
        old = self.cache.get(unit, definition_id, from_version)
        new = self.cache.get(unit, definition_id, to_version)
        unknown = [p for p in phase_map.values() if p not in new.phase_by_id]
        if unknown:
            raise ServiceError(
                "migration_invalid",
                "Fasmappningen pekar på faser som inte finns i den nya versionen: " + ", ".join(unknown),
                details={"phases": unknown},
            )
        now = self._clock()
        out: builtins.list[MigrationCaseOut] = []
        changes: builtins.list[CaseChange] = []
        for row in unit.cases_on(definition_id, from_version, "active"):
            state = row.state
            outcome = migrate_state(old, new, state, phase_map, now)
            before = old.phase_by_id.get(state.phase)
            from_label = before.label if before is not None else state.phase
            if outcome.state is None:
                out.append(
                    MigrationCaseOut(
                        case_id=row.id, status="unmappable", from_phase=state.phase, problems=list(outcome.problems),
                        from_phase_label=from_label,
                    )  # fmt: skip
                )
                continue
            out.append(
                MigrationCaseOut(
                    case_id=row.id,
                    status="would_migrate" if dry_run else "migrated",
                    from_phase=state.phase,
                    to_phase=outcome.state.phase,
                    notes=list(outcome.notes),
                    from_phase_label=from_label,
                    to_phase_label=new.phase_by_id[outcome.state.phase].label,
                    tasks_opened=[_task_words(new, t, "senast") for t in outcome.opened],
                    tasks_closed=[_task_words(old, t, "") for t in outcome.closed],
                    due_moved=[_task_words(new, t, "flyttas") for t in outcome.moved],
                )
            )
            data = {"from": old.key, "to": new.key, "from_phase": state.phase, "to_phase": outcome.state.phase,
                    "actor": caller.user_id}  # fmt: skip
            events = [Event("CaseMigrated", now, data), *outcome.events]
            changes.append(restated(row, outcome.state, now, caller.user_id, events))
        if not dry_run:
            try:
                unit.append(changes)
            except VersionConflict as exc:
                raise ServiceError(
                    "version_conflict", f"Ärendet {exc.case_id} ändrades under migreringen; försök igen"
                ) from None
        return MigrationReport(
            definition_id=definition_id,
            from_version=from_version,
            to_version=to_version,
            dry_run=dry_run,
            cases=out,
            migrated=sum(1 for c in out if c.status in ("migrated", "would_migrate")),
            unmappable=sum(1 for c in out if c.status == "unmappable"),
        )


def _task_words(d: Definition, t: TaskChange, how: str) -> str:
    """'Bekräfta mottagen remiss (Samordnare), senast 2026-06-22' and the like."""
    text = f"{t.label} ({who(d, t.responsible)})"
    if how == "flyttas":
        return f"{text}: förfallodagen flyttas från {t.due_before or 'ingen'} till {t.due_after or 'ingen'}"
    if how == "senast" and t.due_after is not None:
        return f"{text}, senast {t.due_after}"
    return text


def _out(row: DefinitionRecord) -> DefinitionOut:
    return DefinitionOut(
        id=row.id,
        version=row.version,
        name=row.name,
        published=row.published,
        created_at=row.created_at,
        created_by=row.created_by,
    )
