"""Definitions through the service: upload with located problems, publish, simulate, migrate."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from engine.bootstrap import Services
from engine.core import commands as c
from engine.core.loader import loads
from engine.core.simulation import SimulationOptions
from engine.service.errors import ServiceError
from tests.integration.service_kit import ADMIN, AF_HANDLAGGARE, SAMORDNARE, load_state, named_referral, run

FINSAM = (Path(__file__).resolve().parents[2] / "definitions" / "finsam-insats.yaml").read_text(encoding="utf-8")


def renamed_samtycke() -> str:
    """FINSAM with the phase `samtycke` renamed: cases in samtycke cannot follow without a phase map."""
    return FINSAM.replace("  - id: samtycke\n", "  - id: samtycke_v2\n").replace(
        "      - to: samtycke\n", "      - to: samtycke_v2\n"
    )


def test_definitions_dir_is_loaded_as_published_versions(services: Services) -> None:
    listed = {(d.id, d.version): d for d in services.definitions.list()}
    assert listed[("finsam-insats", 1)].published
    got = services.definitions.get("finsam-insats")
    assert got.version == 1
    assert got.yaml == FINSAM
    assert got.definition["start"] == "aktualisering"
    assert services.definitions.sync_from_dir(Path(FINSAM_DIR())) == []  # idempotent


def FINSAM_DIR() -> str:  # noqa: N802
    return str(Path(__file__).resolve().parents[2] / "definitions")


def test_broken_yaml_is_rejected_with_located_problems(services: Services) -> None:
    with pytest.raises(ServiceError) as err:
        services.definitions.upload(ADMIN, "id: x\nversion: 1\nphases: [\n  - id: a\n", file="x.yaml")
    assert (err.value.code, err.value.status) == ("definition_invalid", 422)
    problems = err.value.details["problems"]
    assert problems
    assert all(isinstance(p["line"], int) for p in problems)


def test_invalid_definition_lists_every_problem_with_line_and_path(services: Services) -> None:
    broken = FINSAM.replace("      - to: beslut\n", "      - to: finns_inte\n").replace(
        "        due: 3 arbetsdagar\n", "        due: tre dagar\n"
    )
    with pytest.raises(ServiceError) as err:
        services.definitions.upload(ADMIN, broken)
    problems = {(p["path"], p["line"]) for p in err.value.details["problems"]}
    lines = FINSAM.splitlines()
    due_line = next(i for i, line in enumerate(lines, 1) if line == "        due: 3 arbetsdagar")
    to_line = next(i for i, line in enumerate(lines, 1) if line == "      - to: beslut")
    assert ("phases[1].tasks[0].due", due_line) in problems
    assert any(path.endswith("transitions[0].to") and line in (to_line, to_line + 0) for path, line in problems)
    assert all(isinstance(line, int) and 1 <= line <= len(lines) for _, line in problems)
    with pytest.raises(ServiceError) as err:
        services.definitions.upload(SAMORDNARE, FINSAM)
    assert err.value.code == "forbidden"


def test_upload_stores_the_next_version_unpublished_until_published(services: Services) -> None:
    v2 = services.definitions.upload(ADMIN, FINSAM.replace("name: Individuell insats (FINSAM)", "name: FINSAM v2"))
    assert (v2.version, v2.published, v2.name) == (2, False, "FINSAM v2")
    stored = services.definitions.get("finsam-insats", 2)
    assert loads(stored.yaml).version == 2
    assert "# yaml-language-server" in stored.yaml  # comments kept
    assert services.cases.refer(AF_HANDLAGGARE, named_referral()).definition_version == 1
    services.definitions.publish(ADMIN, "finsam-insats", 2)
    assert services.definitions.get("finsam-insats").version == 2
    assert services.cases.refer(AF_HANDLAGGARE, named_referral()).definition_version == 2


def test_simulate_a_stored_definition(services: Services) -> None:
    out = services.definitions.simulate("finsam-insats", None, SimulationOptions(start=date(2026, 6, 15)))
    assert out.closed_on is not None
    assert out.lines
    assert any("Uppgift" in line.what for line in out.lines)


def test_migrate_dry_run_reports_unmappable_cases_and_changes_nothing(services: Services) -> None:
    early = services.cases.refer(AF_HANDLAGGARE, named_referral())
    in_samtycke = services.cases.refer(AF_HANDLAGGARE, named_referral(pnr="198112189876", name="Bo Berg"))
    run(services, SAMORDNARE, in_samtycke.id, c.CompleteTask("bekrafta_remiss"))
    run(services, SAMORDNARE, in_samtycke.id, c.StartPhase("samtycke"))
    services.definitions.upload(ADMIN, renamed_samtycke())
    before = {cid: load_state(services, cid) for cid in (early.id, in_samtycke.id)}

    report = services.definitions.migrate(ADMIN, "finsam-insats", 1, 2, {}, dry_run=True)
    by_case = {r.case_id: r for r in report.cases}
    assert by_case[early.id].status == "would_migrate"
    assert by_case[in_samtycke.id].status == "unmappable"
    assert "samtycke" in by_case[in_samtycke.id].problems[0]
    assert (report.migrated, report.unmappable, report.dry_run) == (1, 1, True)
    for cid, (row, _state) in before.items():
        row2, state2 = load_state(services, cid)
        assert (row2.version, row2.definition_version, row2.state) == (row.version, 1, row.state)

    with pytest.raises(ServiceError) as err:
        services.definitions.migrate(ADMIN, "finsam-insats", 1, 2, {"samtycke": "saknas"}, dry_run=True)
    assert err.value.code == "migration_invalid"

    report = services.definitions.migrate(ADMIN, "finsam-insats", 1, 2, {"samtycke": "samtycke_v2"}, dry_run=False)
    assert {r.status for r in report.cases} == {"migrated"}
    row, state = load_state(services, in_samtycke.id)
    assert (row.definition_version, state.definition_version, state.phase, row.phase) == (
        2,
        2,
        "samtycke_v2",
        "samtycke_v2",
    )
    # the migrated case runs on the new version
    out = run(services, SAMORDNARE, in_samtycke.id, c.RecordConsent(("kommun",), given_on=date(2026, 6, 15)))
    assert out.definition_version == 2
    timeline = services.cases.timeline(SAMORDNARE, in_samtycke.id, limit=100)
    assert "CaseMigrated" in [e.type for e in timeline.items]


def test_only_admins_migrate(services: Services) -> None:
    with pytest.raises(ServiceError) as err:
        services.definitions.migrate(SAMORDNARE, "finsam-insats", 1, 1, {}, dry_run=True)
    assert err.value.code == "forbidden"


def test_a_version_stored_meanwhile_by_another_process_is_skipped_not_an_error(services: Services) -> None:
    """Two web workers starting together both sync definitions/: the second finds the row taken."""
    from engine.adapters.store.db import session_factory
    from engine.adapters.store.definition_store import SqlAlchemyDefinitionStore

    store = SqlAlchemyDefinitionStore(session_factory(services.engine))
    with store.unit() as unit:
        stored = unit.get("finsam-insats", 1)
        assert stored is not None
        assert unit.add(stored) is False  # ON CONFLICT DO NOTHING: no unique violation
    assert services.definitions.sync_from_dir(Path(__file__).resolve().parents[2] / "definitions") == []
