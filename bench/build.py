"""Conversion speed: a bulk zip to N-Quads, against merely parsing the same records, same run.

Prints one row per corpus size: the baseline (``json.loads`` of every member), reading and
mapping alone (quads made and dropped: what the streaming build costs before any text is
written), the streaming build (``kg build --jobs 1`` and ``--jobs N``), the rdflib path (the
same mapping into an rdflib Dataset, as ``kg.build`` does), each as seconds, records/s,
quads/s and its ratio to the baseline, plus the peak memory of each build (a child process's
max RSS).

    python bench/build.py --sizes 1000,10000
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import write_zip

CHILD = """
import json, resource, sys, time
import kg
from kg.build import run
from kg.sinks import DatasetSink, NQuadsSink
class Dropped:
    def add(self, record): pass
    def remove(self, graph): pass
    def close(self): pass
kind, zip_path, out, jobs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
t = time.perf_counter()
sink = {"nquads": NQuadsSink, "rdflib": DatasetSink, "map": Dropped}[kind]
sink = sink(out) if kind == "nquads" else sink()
report = run([zip_path], sink, jobs=jobs, built_at="2026-01-01T00:00:00Z")
sink.close()
seconds = time.perf_counter() - t
peak_kib = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
               resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
print(json.dumps({"seconds": seconds, "records": report.converted, "quads": report.quads,
                  "peak_mib": peak_kib / 1024}))
"""


def baseline(zip_path: Path) -> float:
    """Seconds to read and ``json.loads`` every member: the floor any conversion stands on."""
    start = time.perf_counter()
    with zipfile.ZipFile(zip_path) as zf:
        for name in sorted(zf.namelist()):
            json.loads(zf.read(name))
    return time.perf_counter() - start


def child(script: str, *args: str) -> dict:
    """Run ``script`` in a fresh interpreter (its peak memory its own) and return the JSON it
    prints."""
    done = subprocess.run(
        [sys.executable, "-c", script, *args], check=True, capture_output=True, text=True
    )
    return json.loads(done.stdout)


def measure(kind: str, zip_path: Path, jobs: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.nq"
        result = child(CHILD, kind, str(zip_path), str(out), str(jobs))
        result["bytes"] = out.stat().st_size if out.exists() else 0
        return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--rdflib-max", type=int, default=2000, help="skip rdflib above this")
    args = parser.parse_args()
    print(f"# {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print(
        f"{'studies':>8} {'path':<18} {'seconds':>8} {'rec/s':>8} {'quads/s':>9} "
        f"{'x json':>7} {'peak MiB':>9}"
    )
    for size in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            zip_path = write_zip(size, Path(tmp) / "ctg-studies.json.zip")
            base = baseline(zip_path)
            print(f"{size:>8} {'json.loads only':<18} {base:>8.2f} {size / base:>8.0f}")
            runs = [("map", 1), ("nquads", 1), ("nquads", args.jobs)]
            if size <= args.rdflib_max:
                runs.append(("rdflib", 1))
            for kind, jobs in runs:
                r = measure(kind, zip_path, jobs)
                name = {"map": "read+map only", "nquads": "N-Quads", "rdflib": "rdflib Dataset"}
                label = f"{name[kind]} j{jobs}"
                print(
                    f"{size:>8} {label:<18} {r['seconds']:>8.2f} "
                    f"{r['records'] / r['seconds']:>8.0f} {r['quads'] / r['seconds']:>9.0f} "
                    f"{r['seconds'] / base:>7.1f} {r['peak_mib']:>9.0f}"
                )
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(f"# max RSS of this process: {own} MiB")


if __name__ == "__main__":
    main()
