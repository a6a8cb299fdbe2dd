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
``--param NAME=VALUE`` gives a parameter to every query that has it (the default is the
query's own), ``--text-index`` says when a text search is given the store's text index:
``cost`` as ``kg query`` does (where :meth:`kg.text_index.TextIndex.pays`), ``always`` or
``never``, the way the calibration of :data:`kg.text_index.GIVEN` was measured. Each line has
the rows the query returned and whether the index narrowed it.

    python bench/query.py                       # 1000, 10000, 50000 studies
    python bench/query.py --sizes 1000 --repeat 5
    python bench/query.py --sizes 10000 --rdflib-max 10000 --without-results
    python bench/query.py --store /tmp/store100k --queries country-counts,late-studies
    python bench/query.py --store /tmp/store100k --library /tmp/old-queries
    python bench/query.py --store /tmp/store100k --queries studies-by-keyword \
        --param text=tumor --text-index never
"""

from __future__ import annotations

import argparse
import functools
import gc
import importlib
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
from typing import Any, NamedTuple

import corpus

import kg
from kg import sparql
from kg.build import run
from kg.errors import QueryTimeout
from kg.library import Query, load

kg_query = importlib.import_module("kg.query")

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


PARAMS: dict[str, str] = {}
"""The ``--param`` values, by parameter name."""


def params_for(query: Query) -> dict[str, str]:
    """Default parameters, with a study that exists in every synthetic corpus, and the
    ``--param`` values the query has a parameter for."""
    names = {p.name for p in query.parameters}
    found = {"nctId": SYNTHETIC_STUDY} if "nctId" in names else {}
    return found | {name: value for name, value in PARAMS.items() if name in names}


class Timed(NamedTuple):
    """A query's median wall time in seconds (inf when a run timed out), its rows, and whether
    the text index narrowed it (None: the query searches no text)."""

    seconds: float
    rows: int | None = None
    narrowed: bool | None = None


def time_query(source: object, query: Query, repeat: int, timeout: float) -> Timed:
    """The median of ``repeat`` runs of ``query`` on ``source``."""
    times = []
    rows = None
    for _ in range(repeat):
        start = time.perf_counter()
        try:
            result = kg.query(source, query, params_for(query), timeout=timeout)
        except QueryTimeout:
            return Timed(math.inf)
        times.append(time.perf_counter() - start)
        rows = len(result)
    return Timed(statistics.median(times), rows, was_narrowed(source, query))


def was_narrowed(source: object, query: Query) -> bool | None:
    """Whether ``kg.query`` gives ``query`` values from the text index of ``source``."""
    if not query.search:
        return None
    index = getattr(source, "text", None)
    if index is None:
        return False
    bindings = query.bindings(params_for(query))
    text = sparql.with_values(query.text, bindings)
    return kg_query.narrowed(text, query, bindings, index) != text


def use_text_index(store: kg.OxigraphStore, mode: str) -> None:
    """Make ``store`` give its text index to the queries as ``--text-index`` says."""
    if mode == "never":
        store.text = None
    elif mode == "always" and store.text is not None:
        store.text.pays = lambda found, within: True


def fmt_ms(timed: Timed | None, timeout: float) -> str:
    if timed is None:
        return "-"
    if math.isinf(timed.seconds):
        return f">{timeout * 1000:.0f}"
    return f"{timed.seconds * 1000:.1f}"


def ratio(a: Timed | None, b: Timed | None) -> str:
    if a is None or b is None or math.isinf(a.seconds) or math.isinf(b.seconds):
        return "-"
    return f"{a.seconds / max(b.seconds, 1e-9):.1f}"


def fmt_index(timed: Timed) -> str:
    return {None: "", True: "yes", False: "no"}[timed.narrowed]


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
    oxigraph: Callable[[Query], Timed],
    graph: object | None,
    args: argparse.Namespace,
) -> None:
    """One line per query: its median on rdflib (when built) and on Oxigraph, the ratio, the
    rows Oxigraph returned and whether the text index narrowed the query."""
    width = max(len(q.name) for q in queries)
    print(
        f"\n{'query'.ljust(width)}  {'rdflib ms':>10}  {'Oxigraph ms':>11}  {'ratio':>7}"
        f"  {'rows':>8}  index"
    )
    ratios = []
    for q in queries:
        ox = oxigraph(q)
        rdf = time_query(graph, q, args.repeat, args.timeout) if graph is not None else None
        if rdf is not None and not math.isinf(rdf.seconds) and not math.isinf(ox.seconds):
            ratios.append(rdf.seconds / max(ox.seconds, 1e-9))
        rows = "-" if ox.rows is None else f"{ox.rows:,}"
        print(
            f"{q.name.ljust(width)}  {fmt_ms(rdf, args.timeout):>10}  "
            f"{fmt_ms(ox, args.timeout):>11}  {ratio(rdf, ox):>7}  {rows:>8}  {fmt_index(ox)}",
            flush=True,
        )
    if ratios:
        geo = math.exp(sum(map(math.log, ratios)) / len(ratios))
        print(f"{'geometric mean ratio'.ljust(width)}  {'':>10}  {'':>11}  {geo:>7.1f}")


def _time_in_child(path: Path, query: Query, args: argparse.Namespace, out: Any) -> None:
    """In a child process: open the store read-only, say so, send the time and rows of each
    run, then whether the text index narrowed the query."""
    store = kg.OxigraphStore.open(path, read_only=True)
    use_text_index(store, args.text_index)
    out.send(None)
    for _ in range(args.repeat):
        start = time.perf_counter()
        result = kg.query(store, query, params_for(query))
        out.send((time.perf_counter() - start, len(result)))
    out.send(was_narrowed(store, query))


def time_in_child(path: Path, query: Query, args: argparse.Namespace) -> Timed:
    """The median of ``--repeat`` runs in a child process (inf when one ran over
    ``--timeout``)."""
    receive, send = multiprocessing.Pipe(duplex=False)
    child = multiprocessing.Process(
        target=_time_in_child, args=(path, query, args, send), daemon=True
    )
    child.start()
    send.close()
    times = []
    try:
        receive.recv()  # the store is open
        for _ in range(args.repeat):
            if not receive.poll(args.timeout):
                return Timed(math.inf)
            seconds, rows = receive.recv()
            times.append(seconds)
        narrowed = receive.recv()
    except EOFError:
        raise SystemExit(f"{query.name}: the query failed (exit code {child.exitcode})") from None
    finally:
        child.kill()
        child.join()
        receive.close()
    return Timed(statistics.median(times), rows, narrowed)


def bench_store(path: Path, args: argparse.Namespace) -> None:
    """Time the queries on a store built before, each in a child process."""
    store = kg.OxigraphStore.open(path, read_only=True)
    studies = len(store.studies())
    print(f"\n== {studies:,} studies, {len(store):,} quads in {path} (built before)")
    del store
    queries = selected(args)
    time_queries(queries, lambda q: time_in_child(path, q, args), None, args)


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
    use_text_index(store, args.text_index)

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
    parser.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a parameter for every query that has it; repeat for more",
    )
    parser.add_argument(
        "--text-index",
        choices=("cost", "always", "never"),
        default="cost",
        help="when text searches are given the store's text index (default: where it pays)",
    )
    args = parser.parse_args()
    for given in args.param:
        name, sep, value = given.partition("=")
        if not sep:
            parser.error(f"--param {given}: expected NAME=VALUE")
        PARAMS[name] = value
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
