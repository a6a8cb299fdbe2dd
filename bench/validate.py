"""Validation speed: studies per second, in batches across cores, against one pyshacl call.

For each size, a synthetic corpus made from the real records (bench/corpus.py) is validated
from its records to a report, each way measured in this run, on this machine:

- ``kg.validate(records)``: batches of studies mapped and validated in worker processes;
- the same in one process (``-j 1``, up to ``--serial-max``), to tell batching from parallelism;
- the baseline (up to ``--one-call-max``): every study mapped into one graph, validated by one
  pyshacl call. Its SPARQL constraints are parsed once, as kg.validate does; plain pyshacl
  parses them once per focus node, which is far slower (timed up to ``--plain-max`` studies);
- ``kg.validate(graph)`` on a graph already built by ``kg.build`` (up to ``--graph-max``);
- ``kg validate --store``: the shapes as SPARQL on an Oxigraph store (kg.validate_store), the
  store built once from the corpus first (not timed; up to ``--store-max``), its ratio to the
  parallel pyshacl run and whether both found the same results.

``python bench/validate.py --sizes 1000 10000``; ``--sizes 100`` for a quick look;
``--sizes 100000 --pyshacl-max 10000`` times the store alone at 100,000. CPU seconds are printed
too: on a shared machine they say more than the wall clock.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyshacl
import rdflib
from rdflib.namespace import SH

import kg
from kg.sinks import DatasetSink
from kg.validate import BATCH_SIZE, _Batch, load_shapes  # _Batch parses SPARQL once
from kg.validate_store import validate_store

sys.path.insert(0, str(Path(__file__).parent))
import corpus


def studies(path: Path) -> list[kg.Record]:
    return [r for r in kg.records([path]) if isinstance(r, kg.Record)]


def streamed(path: Path, jobs: int, batch_size: int) -> kg.ValidationReport:
    return kg.validate(studies(path), jobs=jobs, batch_size=batch_size)


def results(report: kg.ValidationReport) -> int:
    return len(list(report.graph.objects(None, SH.result)))


def findings(report: kg.ValidationReport) -> set[tuple]:
    """The rows without values and messages: Oxigraph writes valid literals in canonical form
    (1.50 as 1.5), which the records mapped in memory keep as they are."""
    return {(r.nct_id, r.focus, r.path, r.shape, r.constraint, r.severity) for r in report.results}


def stored(path: Path, directory: Path, jobs: int) -> tuple[kg.OxigraphStore, float]:
    """The corpus built into an Oxigraph store (kg build --store); the seconds it took."""
    start = time.perf_counter()
    store = kg.OxigraphStore.open(directory, create=True)
    store.build([path], jobs=jobs)
    return store, time.perf_counter() - start


def one_call(path: Path, *, cached: bool) -> int:
    """Every study mapped into one graph, then one pyshacl call."""
    graph = _Batch() if cached else rdflib.Graph()
    term = DatasetSink().term
    for record in studies(path):
        for s, p, o, _ in kg.map_record(record.data).quads:
            graph.add((term(s), term(p), term(o)))
    _, report, _ = pyshacl.validate(
        graph, shacl_graph=load_shapes(), inplace=True, allow_warnings=True, allow_infos=True
    )
    return len(list(report.objects(None, SH.result)))


def built_graph(path: Path, jobs: int, batch_size: int) -> tuple[int, float]:
    """kg.validate on a graph built first; the build is not timed."""
    start = time.perf_counter()
    graph = kg.build(path)
    build = time.perf_counter() - start
    report = graph.validate(jobs=jobs, batch_size=batch_size)
    return len(list(report.graph.objects(None, SH.result))), build


def timed(run: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[float, float, Any]:
    """Wall-clock seconds, CPU seconds (this process and its finished workers), the result."""
    wall, cpu = time.perf_counter(), _cpu()
    value = run(*args, **kwargs)
    return time.perf_counter() - wall, _cpu() - cpu, value


def _cpu() -> float:
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _busy(n: int) -> int:
    return sum(i * i for i in range(n))


def parallel_capacity(jobs: int) -> float:
    """How many CPU-bound processes this machine really runs at once (jobs of them at best)."""
    n = 3_000_000
    start = time.perf_counter()
    for _ in range(jobs):
        _busy(n)
    serial = time.perf_counter() - start
    start = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        pool.map(_busy, [n] * jobs)
    return serial / (time.perf_counter() - start)


def measure(size: int, path: Path, args: argparse.Namespace, tmp: Path) -> None:
    print(f"\n{size} studies")
    jobs, batch = args.jobs, args.batch_size
    rows, parallel = [], None
    if size <= args.pyshacl_max:
        seconds, cpu, report = timed(streamed, path, jobs, batch)
        rows.append(("kg.validate(records), in parallel", seconds, cpu, results(report)))
        parallel = (seconds, report)
    if size <= args.serial_max:
        seconds, cpu, report = timed(streamed, path, 1, batch)
        rows.append(("kg.validate(records), one process", seconds, cpu, results(report)))
    baseline = None
    if size <= args.one_call_max:
        rows.append(("one graph, one pyshacl call", *timed(one_call, path, cached=True)))
        baseline = rows[-1][1]
    if size <= args.plain_max:
        rows.append(("  the same, plain pyshacl", *timed(one_call, path, cached=False)))
    for name, seconds, cpu, found in rows:
        ratio = f"{baseline / seconds:5.2f}x" if baseline else "    -"
        print(
            f"  {name:36} {seconds:7.1f} s {size / seconds:6.1f} studies/s {ratio}   "
            f"{cpu:7.1f} CPU s {size / cpu:6.1f} studies/CPU s  ({found} results)"
        )
    if size <= args.graph_max:
        seconds, cpu, (found, build) = timed(built_graph, path, jobs, batch)
        print(
            f"  {'kg.validate(graph), in parallel':36} {seconds - build:7.1f} s "
            f"{size / (seconds - build):6.1f} studies/s (after kg.build, {build:.0f} s, not "
            f"counted; {found} results)"
        )
    if size <= args.store_max:
        in_store(size, path, args, tmp, parallel)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak memory of this process so far: {peak:.0f} MB")


def in_store(
    size: int,
    path: Path,
    args: argparse.Namespace,
    tmp: Path,
    parallel: tuple[float, kg.ValidationReport] | None,
) -> None:
    """kg.validate_store on a store built from the corpus, against the parallel pyshacl run
    (its seconds and report)."""
    store, build = stored(path, tmp / f"store-{size}", args.jobs)
    quads = len(store)
    seconds, cpu, report = timed(validate_store, store, jobs=args.jobs)
    ratio = f"{parallel[0] / seconds:5.1f}x" if parallel else "    -"
    print(
        f"  {'kg validate --store (SPARQL)':36} {seconds:7.1f} s {size / seconds:6.1f} studies/s "
        f"{ratio}   {cpu:7.1f} CPU s {size / cpu:6.1f} studies/CPU s  ({results(report)} "
        f"results; after kg build --store, {build:.0f} s, {quads:,} quads, not counted)"
    )
    if parallel is not None:
        same = findings(report) == findings(parallel[1])
        print(
            f"  the same findings as kg.validate(records) in parallel: {same} "
            f"({results(report)} and {results(parallel[1])} results); ratio: its seconds over "
            "these"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
    parser.add_argument(
        "--one-call-max",
        type=int,
        default=1000,
        help="time the baseline up to this size (it holds the whole graph: 1.8 GB for 1,000)",
    )
    parser.add_argument("--serial-max", type=int, default=1000, help="-j 1 up to this size")
    parser.add_argument("--plain-max", type=int, default=200, help="plain pyshacl up to this size")
    parser.add_argument("--graph-max", type=int, default=1000, help="kg.build + validate up to")
    parser.add_argument(
        "--store-max", type=int, default=10**9, help="kg validate --store up to this size"
    )
    parser.add_argument(
        "--pyshacl-max", type=int, default=10**9, help="parallel pyshacl up to this size"
    )
    args = parser.parse_args()
    targets = len(set(load_shapes().subjects(SH.targetClass, None)))
    print(
        f"{os.cpu_count()} cores (running {parallel_capacity(args.jobs):.1f} CPU-bound processes "
        f"at once), jobs {args.jobs}, batch size {args.batch_size}, {targets} shapes with "
        "targets; times from records to report"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            zipped = corpus.write_zip(size, Path(tmp) / f"corpus-{size}.zip")
            measure(size, zipped, args, Path(tmp))


if __name__ == "__main__":
    main()
