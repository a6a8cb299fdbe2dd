"""Every leaf value of every real record is in its study's graph (results left out on purpose)."""

from __future__ import annotations

import pytest
from conftest import CTGOV, RECORD_FILES, SEED
from spec_record import complete_record

from kg import map_record, mapping, records
from kg.fidelity import LEFT_OUT, leaves, main, measure
from kg.read import Record


@pytest.mark.parametrize("path", [*RECORD_FILES, SEED], ids=lambda p: p.stem)
def test_every_leaf_of_a_real_record_is_in_the_graph(path):
    (record,) = records([path])
    fidelity = measure(record)
    assert fidelity.missing == []
    assert fidelity.found == fidelity.leaves > 0


def test_nothing_is_left_out_the_results_section_included():
    (record,) = records([CTGOV / "NCT02552212.json"])
    fidelity = measure(record)
    results = [p for p, _ in leaves(record.data) if p.startswith("$.resultsSection")]
    assert len(results) > 2000
    assert LEFT_OUT == {}
    assert fidelity.left_out == 0
    assert fidelity.found == fidelity.leaves


def test_a_dropped_field_is_caught(monkeypatch):
    monkeypatch.delitem(mapping._STATUS, "whyStopped")
    (record,) = records([CTGOV / "NCT00973089.json"])
    fidelity = measure(record)
    why = record.data["protocolSection"]["statusModule"]["whyStopped"]
    assert fidelity.missing == [f"$.protocolSection.statusModule.whyStopped = {why!r:.80}"]


def test_a_value_seen_twice_must_be_in_the_graph_twice(monkeypatch):
    # other "false" flags stay in the graph: the dropped one is still missed, by count
    monkeypatch.delitem(mapping._OVERSIGHT, "oversightHasDmc")
    (record,) = records([CTGOV / "NCT02552212.json"])
    assert record.data["protocolSection"]["oversightModule"]["oversightHasDmc"] is False
    missing = measure(record).missing
    assert len(missing) == 1
    assert missing[0].endswith(" = False")


def test_script_prints_the_total(capsys):
    assert main([str(CTGOV), str(SEED)]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith("total  ") and "(100.00%)" in last


def test_every_field_of_the_api_model_is_mapped():
    """A record with every field of the official spec filled in loses no value."""
    data = complete_record()
    mapped = map_record(data)
    fidelity = measure(Record(data, "spec", mapped.nct_id))
    assert fidelity.missing == []
    assert fidelity.leaves > 200
    unknown = [w for w in mapped.warnings if "not in the API v2 study model" in w]
    assert unknown == []
