"""Shared fixtures: the real records beside the repository, in ``../shared``."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from kg import map_record

SHARED = Path(__file__).resolve().parents[2] / "shared"
CTGOV = SHARED / "data" / "ctgov"
SEED = SHARED / "seeds" / "000_63495c14c8a6f394.txt"
RECORD_FILES = sorted(CTGOV.glob("NCT*.json"))
PARTIAL = {"NCT00465816", "NCT03453554"}


def load_record(nct_id: str) -> dict:
    """A real record by NCT ID (the seed's study is NCT07366658)."""
    if nct_id == "NCT07366658":
        return ast.literal_eval(SEED.read_text(encoding="utf-8").split("\n", 1)[1])
    return json.loads((CTGOV / f"{nct_id}.json").read_text(encoding="utf-8"))


def mapped_triples(nct_id: str, **options) -> set[tuple]:
    """A real record's triples, as ``(s, p, o)`` with the mapping's own terms."""
    return {(s, p, o) for s, p, o, _ in map_record(load_record(nct_id), **options)}


@pytest.fixture(scope="session")
def all_records() -> dict[str, dict]:
    """Every real record, the seed included, by NCT ID."""
    records = {p.stem: load_record(p.stem) for p in RECORD_FILES}
    records["NCT07366658"] = load_record("NCT07366658")
    return records
