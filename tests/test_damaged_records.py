"""Real records damaged at random (fixed seeds): every record is built or is a RecordError that
names its field, and what is built is N-Quads that Oxigraph's strict parser and rdflib read,
RDF/XML and GraphML that XML parsers read, and a store of every study built."""

from __future__ import annotations

import json
import random

import networkx as nx
import pyoxigraph as ox
import pytest
import rdflib
from conftest import RECORD_FILES

from kg.build import run
from kg.cli import main
from kg.errors import RecordError
from kg.sinks import NQuadsSink
from kg.store import OxigraphStore

ODD_TEXT = [
    "#", "##", "%", "%zz", "\x00", "\x01", "\u2028", "\xa0", "\ud800", "\udfff", "<", ">", '"',
    "\\", "\n", "\r", "\t", " ", "", "x" * 3000, "\u202e", "\ufeff", "\uffff", "\U0010ffff", "{}",
    "^", "`", "|", "[", "]", "http://", "a b", "?", "/", "@", ":", "é",
]  # fmt: skip
ODD_VALUES = [None, 0, -1, 1.5, 10**30, True, [], {}, [None], {"a": 1}, float("inf")]


def _damaged(value, rng: random.Random, rate: float):
    """``value`` with about ``rate`` of its leaves replaced or given odd text."""
    if isinstance(value, dict):
        return {key: _damaged(item, rng, rate) for key, item in value.items()}
    if isinstance(value, list):
        return [_damaged(item, rng, rate) for item in value]
    if rng.random() >= rate:
        return value
    if isinstance(value, str) and rng.random() < 0.8:
        odd, at = rng.choice(ODD_TEXT), rng.randrange(len(value) + 1)
        return rng.choice([odd, value[:at] + odd + value[at:]])
    return rng.choice(ODD_VALUES)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_damaged_records_are_built_or_reported_and_the_output_parses(tmp_path, seed):
    rng = random.Random(seed)
    records = [json.loads(path.read_text(encoding="utf-8")) for path in RECORD_FILES]
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(30):
        record = _damaged(records[i % len(records)], rng, rng.choice([0.01, 0.03, 0.1]))
        ident = record.get("protocolSection", {}).get("identificationModule")
        if isinstance(ident, dict):
            ident["nctId"] = f"NCT{90000000 + i:08d}"
        (folder / f"{i:02d}.json").write_text(json.dumps(record), encoding="utf-8")
    out = tmp_path / "out.nq"
    sink = NQuadsSink(out)
    report = run([folder], sink)
    sink.close()
    assert report.read == 30 and report.converted + report.failed == 30
    assert report.converted > 0 and report.failed > 0
    assert all(isinstance(e, RecordError) and e.path.startswith("$") for e in report.errors)
    lines = set(out.read_text(encoding="utf-8").split("\n")[:-1])  # not splitlines: U+2028
    assert len(set(ox.parse(path=out, format=ox.RdfFormat.N_QUADS))) == len(lines)
    parsed = rdflib.Dataset().parse(out, format="nquads")
    assert len(set(parsed.quads((None, None, None, None)))) == len(set(lines))
    for name in ("x.rdf", "x.graphml"):  # XML: no control character may stand in it
        assert main(["export", str(folder), "-o", str(tmp_path / name)]) == 1  # some failed
    assert len(rdflib.Graph().parse(tmp_path / "x.rdf", format="xml")) > 0
    assert nx.read_graphml(tmp_path / "x.graphml").number_of_nodes() > 0
    store = OxigraphStore.open(tmp_path / "store", create=True)
    assert store.build([folder]).converted == len(store.studies()) == report.converted
