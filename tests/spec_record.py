"""A study record with every field of the API v2 model filled in, made from the official spec.

Used to prove that the mapping (and the ontology) cover the whole model, not only the fields
the real records happen to have. Values are valid and distinct where they can be.
"""

from __future__ import annotations

from functools import cache
from itertools import count
from typing import Any

import yaml
from conftest import SHARED

SPEC = SHARED / "spec" / "ctg-oas-v2.yaml"

# fields whose strings have a form of their own (by property name or by schema name)
BY_KEY: dict[str, Any] = {
    "nctId": "NCT00000001",
    "nctIdAliases": ["NCT00000002"],
    "minimumAge": "18 Years",
    "maximumAge": "65 Years",
    "pmid": "12345678",
    "link": "https://example.org/link",
    "url": "https://example.org/url",
    "abbrev": "BC04",
    "groupId": "XG000",
    "groupIds": ["XG000"],
    "id": None,  # per schema, below
}
BY_SCHEMA_ID = {
    "Mesh": "D018358",
    "BrowseLeaf": "M20479",
    "FlowGroup": "FG000",
    "MeasureGroup": "OG000",
    "EventGroup": "EG000",
}
BY_FORMAT = {
    "PartialDate": "2020-01",
    "DateTimeMinutes": "2020-01-15T10:30",
    "nct": "NCT00000003",
    "GeoName": "Springfield",
}
NUMERIC_STRINGS = {
    "numSubjects", "numUnits", "value", "spread", "lowerLimit", "upperLimit", "paramValue",
    "dispersionValue", "pValue", "ciPctValue", "ciLowerLimit", "ciUpperLimit",
    "frequencyThreshold",
}  # fmt: skip
# fields the registry sends that the published spec does not list
EXTRA = {
    "derivedSection": {
        "miscInfoModule": {"modelPredictions": {"bmiLimits": {"minBmi": 18.5, "maxBmi": 35}}}
    }
}


@cache
def schemas() -> dict[str, Any]:
    return yaml.safe_load(SPEC.read_text(encoding="utf-8"))["components"]["schemas"]


def complete_record() -> dict[str, Any]:
    """Every property of ``Study``, recursively, with one list item each."""
    numbers = count(1)
    record = _value("Study", {"$ref": "#/components/schemas/Study"}, numbers, "Study")
    _merge(record, EXTRA)
    return record


def _value(key: str, prop: dict, numbers, owner: str) -> Any:
    if "$ref" in prop:
        name = prop["$ref"].rsplit("/", 1)[1]
        schema = schemas()[name]
        if "enum" in schema:
            return schema["enum"][next(numbers) % len(schema["enum"])]
        if "properties" in schema:
            return {k: _value(k, v, numbers, name) for k, v in schema["properties"].items()}
        if name in BY_FORMAT:
            return BY_FORMAT[name]
        prop = schema
    if key == "id" and owner in BY_SCHEMA_ID:
        return BY_SCHEMA_ID[owner]
    if BY_KEY.get(key) is not None:
        return BY_KEY[key]
    kind = prop.get("type")
    if kind == "array":
        return [_value(key, prop["items"], numbers, owner)]
    if kind == "boolean":
        return True
    if kind == "integer":
        return next(numbers)
    if kind == "number":
        return next(numbers) + 0.5
    if prop.get("format") == "date":
        return f"20{next(numbers) % 30:02d}-01-15"
    if key in NUMERIC_STRINGS:
        return str(next(numbers))
    return f"{key} {next(numbers)}"


def _merge(into: dict, extra: dict) -> None:
    for key, value in extra.items():
        if isinstance(value, dict):
            _merge(into.setdefault(key, {}), value)
        else:
            into[key] = value
