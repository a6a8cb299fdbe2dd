"""bench/scale.py runs end to end on a small corpus and writes every figure it prints."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import kg

SCALE = Path(__file__).resolve().parent.parent / "bench" / "scale.py"


def test_the_scale_benchmark_measures_every_step_of_a_small_corpus(tmp_path):
    out = tmp_path / "figures.json"
    options = ["--sizes", "40", "--rdflib-max", "40", "--repeat", "1", "--json", str(out)]
    done = subprocess.run(
        [sys.executable, str(SCALE), *options, "--workdir", str(tmp_path / "work")],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    (figures,) = json.loads(out.read_text())
    assert figures["studies"] == 40
    assert figures["quads"] > 40 * 100
    assert figures["rdflib_s"] > 0 and figures["nquads_s"] > 0
    store = next(v for k, v in figures.items() if k.startswith("store_"))
    assert store["records"] == 40 and store["disk_mib"] > 0
    assert store["close_seconds"] >= store["text_index_seconds"] > 0
    assert set(figures["queries"]) == {q.name for q in kg.queries()}
    assert figures["validate_s"] > 0
    assert "validate the store" in done.stdout
