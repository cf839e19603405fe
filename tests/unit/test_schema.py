"""The JSON Schema an admin's editor validates against: committed, current, and referenced by every YAML file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from engine.core.loader import load, parse_yaml, to_plain
from engine.core.schema import definition_schema

DEFINITIONS = Path(__file__).resolve().parents[2] / "definitions"
SCHEMA_FILE = DEFINITIONS / "insats-definition.schema.json"
SHIPPED = sorted(DEFINITIONS.glob("*.yaml"))
SCHEMA_COMMENT = "# yaml-language-server: $schema=./insats-definition.schema.json"


def _validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _plain(path: Path) -> Any:
    return to_plain(parse_yaml(path.read_text(encoding="utf-8"), str(path)))


def test_committed_schema_is_the_one_the_models_generate() -> None:
    committed = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert committed == definition_schema(), "run `make schema` and commit definitions/insats-definition.schema.json"


def test_both_standard_definitions_are_shipped() -> None:
    assert {p.name for p in SHIPPED} >= {"finsam-insats.yaml", "sip.yaml"}


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_definition_validates_against_the_json_schema(path: Path) -> None:
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in _validator().iter_errors(_plain(path))]
    assert errors == []


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_definition_loads(path: Path) -> None:
    definition = load(path)
    assert definition.id == path.stem


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_definition_references_the_schema_in_its_first_line(path: Path) -> None:
    first_line = path.read_text(encoding="utf-8").splitlines()[0]
    assert first_line == SCHEMA_COMMENT
    assert (path.parent / "insats-definition.schema.json").is_file()


def test_json_schema_rejects_what_the_loader_rejects() -> None:
    """The schema is not a blank cheque: an unknown field and a bad duration fail in the editor too."""
    data = _plain(DEFINITIONS / "finsam-insats.yaml")
    data["phases"][0]["tasks"][0]["prioritet"] = "hög"
    data["phases"][0]["tasks"][0]["due"] = "5 arbetsdar"
    messages = sorted(e.message for e in _validator().iter_errors(data))
    assert len(messages) == 2
    assert any("prioritet" in m for m in messages)
    assert any("5 arbetsdar" in m for m in messages)
