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
    options.append("--end-apart")
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
    stores = {k: v for k, v in figures.items() if k.startswith("store_")}
    assert len(stores) == 2 and sum(k.endswith("_apart") for k in stores) == 1
    for store in stores.values():
        assert store["records"] == 40 and store["disk_mib"] > 0
        assert store["close_seconds"] >= store["text_index_seconds"] > 0
        assert store["close_seconds"] >= store["compaction_seconds"] > 0
    (apart,) = (v for k, v in stores.items() if k.endswith("_apart"))
    assert apart["close_seconds"] >= apart["compaction_seconds"] + apart["text_index_seconds"]
    assert set(figures["queries"]) == set(figures["query_rows"]) == {q.name for q in kg.queries()}
    assert figures["query_rows"]["describe-study"] > 0
    assert figures["validate_s"] > 0
    assert "validate the store" in done.stdout


QUERY = SCALE.with_name("query.py")


def test_the_query_benchmark_times_a_text_search_with_and_without_the_text_index(tmp_path):
    corpus = tmp_path / "corpus.zip"
    made = subprocess.run(
        [sys.executable, str(SCALE.with_name("corpus.py")), "40", "-o", str(corpus)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert made.returncode == 0, made.stderr[-3000:]
    kg.OxigraphStore.open(tmp_path / "store", create=True).build([corpus])
    lines = {}
    for mode in ("always", "never"):
        options = ["--queries", "studies-by-keyword,late-studies", "--param", "text=tumor"]
        options += ["--repeat", "1", "--text-index", mode]
        done = subprocess.run(
            [sys.executable, str(QUERY), "--store", str(tmp_path / "store"), *options],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        lines[mode] = {
            line.split()[0]: line.split()[4:]
            for line in done.stdout.splitlines()
            if "  -  " in line
        }
    found = kg.query(kg.OxigraphStore.open(tmp_path / "store"), "studies-by-keyword", text="tumor")
    assert len(found) > 0
    assert lines["always"]["studies-by-keyword"] == [f"{len(found):,}", "yes"]
    assert lines["never"]["studies-by-keyword"] == [f"{len(found):,}", "no"]
    assert lines["always"]["late-studies"] == lines["never"]["late-studies"]
    assert len(lines["never"]["late-studies"]) == 1
