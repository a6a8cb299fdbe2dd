"""Shared fixtures: the real records beside the repository, in ``../shared``."""

from __future__ import annotations

import ast
import contextlib
import gc
import json
import logging
import sys
from collections.abc import Iterator
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


@contextlib.contextmanager
def rdflib_log_kept(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[logging.LogRecord]]:
    """The records rdflib logs meanwhile, kept as some log handlers keep them."""
    kept: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = kept.append  # type: ignore[method-assign]
    logger = logging.getLogger("rdflib")
    monkeypatch.setattr(logger, "propagate", False)
    logger.addHandler(handler)
    try:
        yield kept
    finally:
        logger.removeHandler(handler)


def assert_dropped_cleanly(kept: list[logging.LogRecord]) -> None:
    """Dropping the kept log records frees what they hold without an unraisable error (as
    pyoxigraph raises for query results freed in another thread than their own)."""
    raised: list = []
    hook, sys.unraisablehook = sys.unraisablehook, raised.append
    try:
        kept.clear()
        gc.collect()
    finally:
        sys.unraisablehook = hook
    assert not raised, raised[0].exc_value
