"""Scale: one table per corpus size of what issue 7 asks, each figure beside its baseline.

For each size a synthetic bulk zip is made (``bench/corpus.py``, fixed seed), then, each step in
a child process so that its peak memory (max RSS, workers included) is its own:

- ``json.loads`` of every member: the baseline conversion is measured against;
- reading and mapping alone, the streaming N-Quads build (``--jobs N``), and the rdflib Dataset
  path (up to ``--rdflib-max`` studies: it holds ~1.5 KB per quad);
- ``kg build ZIP --store DIR``: the zip to a queryable Oxigraph store, and its size on disk
  (``--loaders N``: also with N bulk loads at once instead of the build's default), with the
  time of its end (the last bulk load, then the compaction and the text index at once, each
  timed; ``--end-apart``: also built with the two one after the other, their baseline);
- the median of every library query on that store (default parameters, ``--repeat`` runs after
  one warm-up run; the warm-up alone where ``--repeat`` runs would exceed ``--query-budget``);
- validating the store: the shapes run as SPARQL on Oxigraph.

Per-study figures are printed beside the totals, so that linear growth shows. Corpora and
stores are made in a temporary directory, removed at the end; ``--workdir DIR`` makes them in
DIR and keeps them there (a 100k store is GBs: measure it again with ``--store``).

    python bench/scale.py --sizes 1000,10000,100000
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from build import baseline, child, measure
from corpus import write_zip

import kg
from kg.store import LOADERS
from kg.text_index import FILE as TEXT_INDEX

STORE_CHILD = """
import json, resource, sys, time
import kg
from kg import store as kg_store
from kg.store import BulkSink
from kg.text_index import TextIndex
zip_path, directory, jobs, loaders = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
apart = sys.argv[5] == "apart"
phases = {}
def timed(name, call):
    def timed_call(*args, **kwargs):
        start = time.perf_counter()
        try:
            return call(*args, **kwargs)
        finally:
            phases[name] = time.perf_counter() - start
    return timed_call
BulkSink.close = timed("close_seconds", BulkSink.close)
TextIndex.make = staticmethod(timed("text_index_seconds", TextIndex.make))
at_once = kg_store._at_once
def end(compact, index):
    compact = timed("compaction_seconds", compact)
    if not apart:
        return at_once(compact, index)
    compact()
    if index is not None:
        index()
kg_store._at_once = end
t = time.perf_counter()
store = kg.OxigraphStore.open(directory, create=True)
report = store.build([zip_path], jobs=jobs, loaders=loaders, built_at="2026-01-01T00:00:00Z")
seconds = time.perf_counter() - t
peak_kib = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
               resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
print(json.dumps({"seconds": seconds, "records": report.converted, "quads": report.quads,
                  "peak_mib": peak_kib / 1024, **phases}))
"""

QUERY_CHILD = """
import json, sys
sys.path.insert(0, sys.argv[3])
from query import time_query
import kg
store = kg.OxigraphStore.open(sys.argv[1], read_only=True)
repeat, budget = int(sys.argv[2]), float(sys.argv[4])
medians, rows = {}, {}
for q in kg.queries():
    warm = time_query(store, q, 1, 600.0)
    timed = time_query(store, q, repeat, 600.0) if warm.seconds * repeat <= budget else warm
    medians[q.name], rows[q.name] = timed.seconds, timed.rows
print(json.dumps({"medians": medians, "rows": rows}))
"""

VALIDATE_CHILD = """
import json, resource, sys, time
import kg
from kg.validate_store import validate_store
store = kg.OxigraphStore.open(sys.argv[1], read_only=True)
t = time.perf_counter()
report = validate_store(store, jobs=int(sys.argv[2]))
seconds = time.perf_counter() - t
peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": seconds, "results": len(report.results),
                  "peak_mib": peak_kib / 1024}))
"""


def disk_mib(directory: Path) -> float:
    return sum(p.stat().st_size for p in directory.rglob("*") if p.is_file()) / 2**20


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        cpu,
    )
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({model}), {memory:.0f} GiB, Python {platform.python_version()}"


def row(label: str, seconds: float, size: int, base: float | None, extra: str = "") -> None:
    per = seconds / size * 1e3
    ratio = f"{seconds / base:>7.1f}x" if base else f"{'-':>8}"
    print(f"  {label:<34} {seconds:>9.1f} s {per:>8.2f} ms/study {ratio} {extra}")


def bench(size: int, args: argparse.Namespace, workdir: Path) -> dict:
    """Every figure for one corpus size, printed as it is measured."""
    start = time.perf_counter()
    zip_path = write_zip(size, workdir / f"ctg-studies-{size}.json.zip")
    print(f"\n== {size:,} studies (corpus made in {time.perf_counter() - start:.0f} s)", flush=True)
    base = baseline(zip_path)
    figures: dict = {"studies": size, "json_s": base}
    row("json.loads (baseline)", base, size, base)
    mapped = measure("map", zip_path, 1)
    row("read + map, 1 process", mapped["seconds"], size, base, f"{mapped['peak_mib']:.0f} MiB")
    nq = measure("nquads", zip_path, args.jobs)
    figures.update(quads=nq["quads"], nquads_s=nq["seconds"], nquads_mib=nq["peak_mib"])
    row(
        f"zip -> N-Quads, {args.jobs} jobs",
        nq["seconds"],
        size,
        base,
        f"{nq['peak_mib']:.0f} MiB, {nq['quads'] / nq['seconds']:,.0f} quads/s",
    )
    if size <= args.rdflib_max:
        rdf = measure("rdflib", zip_path, 1)
        figures.update(rdflib_s=rdf["seconds"], rdflib_mib=rdf["peak_mib"])
        row(
            "zip -> rdflib Dataset",
            rdf["seconds"],
            size,
            base,
            f"{rdf['peak_mib']:.0f} MiB, {rdf['seconds'] / nq['seconds']:.1f}x the N-Quads path",
        )
    builds = [(n, "together") for n in sorted({LOADERS, args.loaders}, reverse=True)]
    if args.end_apart:
        builds.append((LOADERS, "apart"))
    for loaders, end in builds:
        directory = workdir / f"store-{size}"
        shutil.rmtree(directory, ignore_errors=True)
        store = child(STORE_CHILD, str(zip_path), str(directory), str(args.jobs), str(loaders), end)
        on_disk = disk_mib(directory)
        text_mib = (directory / TEXT_INDEX).stat().st_size / 2**20
        key = f"store_{loaders}" + ("_apart" if end == "apart" else "")
        figures[key] = {**store, "disk_mib": on_disk, "text_index_mib": text_mib}
        row(
            "zip -> Oxigraph store, end apart"
            if end == "apart"
            else f"zip -> Oxigraph store, {loaders} loader{'s' * (loaders > 1)}",
            store["seconds"],
            size,
            base,
            f"{store['peak_mib']:.0f} MiB, {on_disk:,.0f} MiB on disk "
            f"({text_mib:,.0f} MiB of it the text index); the last load, then compaction and "
            f"text index {'one after the other' if end == 'apart' else 'at once'}: "
            f"{store['close_seconds']:.1f} s (compaction {store['compaction_seconds']:.1f} s, "
            f"the index {store['text_index_seconds']:.1f} s)",
        )
    figures.update(store_figures(directory, size, base, args))
    return figures


def store_figures(directory: Path, size: int, base: float | None, args: argparse.Namespace) -> dict:
    """The library queries' medians and the validation of one store, printed as measured."""
    figures: dict = {}
    if not args.no_queries:
        timed = child(
            QUERY_CHILD,
            str(directory),
            str(args.repeat),
            str(Path(__file__).parent),
            str(args.query_budget),
        )
        medians, rows = timed["medians"], timed["rows"]
        figures.update(queries=medians, query_rows=rows)
        slowest = sorted(medians.items(), key=lambda kv: -kv[1])
        print(
            f"  library queries, median of {args.repeat} (1 run where {args.repeat} would take "
            f"over {args.query_budget:.0f} s): slowest first (ms, rows)"
        )
        for name, seconds in slowest:
            print(f"    {name:<34} {seconds * 1e3:>9.1f} {rows[name]:>9,}")
    if not args.no_validate:
        checked = child(VALIDATE_CHILD, str(directory), str(args.jobs))
        figures.update(validate_s=checked["seconds"], validate_mib=checked["peak_mib"])
        row(
            f"validate the store (SPARQL), {args.jobs} jobs",
            checked["seconds"],
            size,
            base,
            f"{size / checked['seconds']:,.0f} studies/s, {checked['results']} results, "
            f"{checked['peak_mib']:.0f} MiB",
        )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--rdflib-max", type=int, default=2000, help="skip rdflib above this")
    parser.add_argument("--repeat", type=int, default=3, help="runs per query")
    parser.add_argument(
        "--query-budget",
        type=float,
        default=60.0,
        help="a query whose --repeat runs would take longer than this many seconds runs once",
    )
    parser.add_argument("--no-validate", action="store_true")
    parser.add_argument("--no-queries", action="store_true", help="skip the library queries")
    parser.add_argument(
        "--loaders",
        type=int,
        default=LOADERS,
        help=f"also build the store with this many bulk loads at once (default {LOADERS})",
    )
    parser.add_argument(
        "--end-apart",
        action="store_true",
        help="also build the store with its compaction and text index one after the other",
    )
    parser.add_argument(
        "--workdir", type=Path, help="make the corpora and stores here, and keep them"
    )
    parser.add_argument(
        "--store",
        type=Path,
        help="measure only the queries and the validation of this existing store (no corpus)",
    )
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    args = parser.parse_args()
    print(f"# {machine()}")
    print("# columns: total, per study, ratio to json.loads of the same records, notes")
    results = []
    if args.store:
        size = len(kg.OxigraphStore.open(args.store, read_only=True).studies())
        print(f"\n== {size:,} studies (the store {args.store})", flush=True)
        results.append({"studies": size, **store_figures(args.store, size, None, args)})
    else:
        with contextlib.ExitStack() as stack:
            if args.workdir:
                args.workdir.mkdir(parents=True, exist_ok=True)
                workdir = args.workdir
            else:
                workdir = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            for size in (int(s) for s in args.sizes.split(",")):
                results.append(bench(size, args, workdir))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
