"""Benchmark: load time and the median time of every library query, rdflib against Oxigraph.

For each size a synthetic corpus is made from the real records (``bench/corpus.py``: NCT IDs
renumbered, sponsors, conditions, MeSH terms, dates and sites shuffled with a fixed seed) and
written as a bulk zip to a temporary directory. It is then built into each store as ``kg build``
would (read, map, load), next to a baseline that reads and maps only. Every library query then
runs ``--repeat`` times on each store with its default parameters (a synthetic NCT ID where one
is asked for); the median is printed with the ratio rdflib / Oxigraph.

rdflib keeps about 1.5 KB of memory per quad, so it is only built up to ``--rdflib-max``
studies; above that only Oxigraph runs and the line says so. Nothing is written outside the
temporary directory.

``--store DIR`` times the queries on a store built before (``kg build CORPUS --store DIR``, a
corpus from ``bench/corpus.py``), opened read-only: no corpus is made and nothing is loaded, so
the slow queries of a large store can be timed again and again. There each query runs in a
process of its own, ended at the timeout (a query stopped in a thread would go on using a core
until Oxigraph returns its next row). ``--queries`` picks some; ``--library DIR`` times the
``.rq`` files of another folder instead (an older copy of ``queries/``, to compare).

    python bench/query.py                       # 1000, 10000, 50000 studies
    python bench/query.py --sizes 1000 --repeat 5
    python bench/query.py --sizes 10000 --rdflib-max 10000 --without-results
    python bench/query.py --store /tmp/store100k --queries country-counts,late-studies
    python bench/query.py --store /tmp/store100k --library /tmp/old-queries
"""

from __future__ import annotations

import argparse
import functools
import gc
import json
import math
import multiprocessing
import statistics
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import corpus

import kg
from kg.build import run
from kg.errors import QueryTimeout
from kg.library import Query, load

SYNTHETIC_STUDY = "NCT90000007"


class _Nowhere:
    """A sink that drops everything: the read-and-map baseline."""

    triples = None

    def add(self, record: object) -> None:
        pass

    def add_lines(self, graph: str, lines: bytes, shared: bytes = b"") -> None:
        pass

    def remove(self, graph: str) -> None:
        pass

    def close(self) -> None:
        pass


def write_corpus(count: int, path: Path, *, seed: int, without_results: bool) -> Path:
    """The synthetic corpus as a bulk zip (the results section left out if asked)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for record in corpus.studies(count, seed=seed):
            if without_results:
                record.pop("resultsSection", None)
            nct = record["protocolSection"]["identificationModule"]["nctId"]
            zf.writestr(f"{nct}.json", json.dumps(record, ensure_ascii=False))
    return path


def params_for(query: Query) -> dict[str, str]:
    """Default parameters, with a study that exists in every synthetic corpus."""
    return {p.name: SYNTHETIC_STUDY for p in query.parameters if p.name == "nctId"}


def time_query(source: object, query: Query, repeat: int, timeout: float) -> float:
    """The median wall time of ``repeat`` runs, in seconds (inf when one timed out)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        try:
            kg.query(source, query, params_for(query), timeout=timeout)
        except QueryTimeout:
            return math.inf
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def fmt_ms(seconds: float | None, timeout: float) -> str:
    if seconds is None:
        return "-"
    if math.isinf(seconds):
        return f">{timeout * 1000:.0f}"
    return f"{seconds * 1000:.1f}"


def ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or math.isinf(a) or math.isinf(b):
        return "-"
    return f"{a / max(b, 1e-9):.1f}"


def selected(args: argparse.Namespace) -> list[Query]:
    """The queries ``--queries`` names (all by default), of the library or of ``--library``.

    :raises SystemExit: for a name not there.
    """
    if args.library is not None:
        queries = [load(path) for path in sorted(Path(args.library).glob("*.rq"))]
    else:
        queries = kg.queries()
    if not args.queries:
        return queries
    names = [n.strip() for n in args.queries.split(",") if n.strip()]
    unknown = sorted(set(names) - {q.name for q in queries})
    if unknown:
        raise SystemExit(f"no such queries: {', '.join(unknown)}")
    return [q for q in queries if q.name in names]


def time_queries(
    queries: list[Query],
    oxigraph: Callable[[Query], float],
    graph: object | None,
    args: argparse.Namespace,
) -> None:
    """One line per query: its median on rdflib (when built) and on Oxigraph, and the ratio."""
    width = max(len(q.name) for q in queries)
    print(f"\n{'query'.ljust(width)}  {'rdflib ms':>10}  {'Oxigraph ms':>11}  {'ratio':>7}")
    ratios = []
    for q in queries:
        ox_time = oxigraph(q)
        rdf_time = time_query(graph, q, args.repeat, args.timeout) if graph is not None else None
        if rdf_time is not None and not math.isinf(rdf_time) and not math.isinf(ox_time):
            ratios.append(rdf_time / max(ox_time, 1e-9))
        print(
            f"{q.name.ljust(width)}  {fmt_ms(rdf_time, args.timeout):>10}  "
            f"{fmt_ms(ox_time, args.timeout):>11}  {ratio(rdf_time, ox_time):>7}",
            flush=True,
        )
    if ratios:
        geo = math.exp(sum(map(math.log, ratios)) / len(ratios))
        print(f"{'geometric mean ratio'.ljust(width)}  {'':>10}  {'':>11}  {geo:>7.1f}")


def _time_in_child(path: Path, query: Query, repeat: int, out: Any) -> None:
    """In a child process: open the store read-only, say so, and send the time of each run."""
    store = kg.OxigraphStore.open(path, read_only=True)
    out.send(None)
    for _ in range(repeat):
        start = time.perf_counter()
        kg.query(store, query, params_for(query))
        out.send(time.perf_counter() - start)


def time_in_child(path: Path, query: Query, repeat: int, timeout: float) -> float:
    """The median of ``repeat`` runs in a child process (inf when one ran over ``timeout``)."""
    receive, send = multiprocessing.Pipe(duplex=False)
    child = multiprocessing.Process(
        target=_time_in_child, args=(path, query, repeat, send), daemon=True
    )
    child.start()
    send.close()
    times = []
    try:
        receive.recv()  # the store is open
        for _ in range(repeat):
            if not receive.poll(timeout):
                return math.inf
            times.append(receive.recv())
    except EOFError:
        raise SystemExit(f"{query.name}: the query failed (exit code {child.exitcode})") from None
    finally:
        child.kill()
        child.join()
        receive.close()
    return statistics.median(times)


def bench_store(path: Path, args: argparse.Namespace) -> None:
    """Time the queries on a store built before, each in a child process."""
    store = kg.OxigraphStore.open(path, read_only=True)
    studies = len(store.studies())
    print(f"\n== {studies:,} studies, {len(store):,} quads in {path} (built before)")
    del store
    queries = selected(args)
    time_queries(queries, lambda q: time_in_child(path, q, args.repeat, args.timeout), None, args)


def bench_size(count: int, args: argparse.Namespace, workdir: Path) -> None:
    queries = selected(args)
    zip_path = workdir / f"corpus-{count}.zip"
    start = time.perf_counter()
    write_corpus(count, zip_path, seed=args.seed, without_results=args.without_results)
    made = time.perf_counter() - start

    start = time.perf_counter()
    baseline = run([zip_path], _Nowhere())
    mapped = time.perf_counter() - start

    start = time.perf_counter()
    store = kg.OxigraphStore.open(workdir / f"store-{count}", create=True)
    store.build([zip_path])
    ox_load = time.perf_counter() - start

    graph = None
    rdf_load = None
    if count <= args.rdflib_max:
        start = time.perf_counter()
        graph = kg.build([zip_path])
        rdf_load = time.perf_counter() - start

    print(f"\n== {count} studies, {baseline.quads:,} quads (corpus made in {made:.1f} s)")
    print(f"read + map only (baseline)   {mapped:8.1f} s")
    print(
        f"load, Oxigraph on disk       {ox_load:8.1f} s   ({ox_load - mapped:.1f} s past the map)"
    )
    if rdf_load is None:
        need = baseline.quads * 1.5e3 / 2**30
        print(
            f"load, rdflib in memory       skipped: over --rdflib-max (would need ~{need:.0f} GB)"
        )
    else:
        print(
            f"load, rdflib in memory       {rdf_load:8.1f} s   "
            f"({rdf_load - mapped:.1f} s past the map)"
        )
        print(f"load ratio rdflib / Oxigraph {rdf_load / ox_load:8.1f}")

    timer = functools.partial(time_query, store, repeat=args.repeat, timeout=args.timeout)
    time_queries(queries, timer, graph, args)
    del graph, store
    gc.collect()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,50000", help="studies per corpus")
    parser.add_argument("--repeat", type=int, default=3, help="runs per query (median)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per query run")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--rdflib-max", type=int, default=2000, help="largest corpus built in rdflib"
    )
    parser.add_argument(
        "--without-results",
        action="store_true",
        help="leave out the results section (results queries then find nothing; halves the quads)",
    )
    parser.add_argument(
        "--store",
        type=Path,
        metavar="DIR",
        help="time the queries on this store, built before, instead of building corpora",
    )
    parser.add_argument("--queries", help="only these queries, by name, comma-separated")
    parser.add_argument(
        "--library", type=Path, metavar="DIR", help="time the .rq files here instead"
    )
    args = parser.parse_args()
    if args.store is not None:
        version = sys.version.split()[0]
        print(f"ctgov-kg {kg.__version__}, Python {version}, median of {args.repeat}")
        bench_store(args.store, args)
        return 0
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    print(
        f"ctgov-kg {kg.__version__}, Python {sys.version.split()[0]}, "
        f"{len(kg.queries())} library queries, median of {args.repeat}, seed {args.seed}"
        + (", results section left out" if args.without_results else "")
    )
    with tempfile.TemporaryDirectory(prefix="kg-bench-") as tmp:
        for count in sizes:
            bench_size(count, args, Path(tmp))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
