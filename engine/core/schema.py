"""The JSON Schema of the definition language, committed as definitions/insats-definition.schema.json."""

from __future__ import annotations

from typing import Any

from engine.core.definition import Definition


def definition_schema() -> dict[str, Any]:
    schema = Definition.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://insats.example/schema/insats-definition.schema.json"
    return schema
