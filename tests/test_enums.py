"""The enumerations table matches the official API v2 description."""

from __future__ import annotations

import yaml
from conftest import SHARED

from kg.enums import ENUMS


def test_enums_are_those_of_the_spec():
    spec = yaml.safe_load((SHARED / "spec" / "ctg-oas-v2.yaml").read_text(encoding="utf-8"))
    schemas = spec["components"]["schemas"]
    expected = {
        name: frozenset(schema["enum"])
        for name, schema in schemas.items()
        if "enum" in schema and name != "FieldStatsType"
    }
    assert expected == ENUMS
