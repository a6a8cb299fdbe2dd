"""Export speed and memory on a synthetic corpus, against rdflib's own writers in the same run.

``python bench/export.py 500`` builds that many synthetic studies (bench/corpus.py), then times
the streamed N-Quads/N-Triples export against rdflib serializing the dataset/union, and the
other formats, views and stats; peak Python memory comes from tracemalloc (slower, so timed
separately). Figures only: nothing is asserted.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpus

import kg


def _timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def _peak(action: Callable[[], object]) -> float:
    tracemalloc.start()
    action()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int, nargs="?", default=500, help="synthetic studies")
    parser.add_argument("--turtle", action="store_true", help="also time Turtle (slow)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        zipped = corpus.write_zip(args.count, out / "corpus.zip")
        t = time.perf_counter()
        graph = kg.build(zipped)
        print(
            f"build {args.count} studies: {time.perf_counter() - t:.1f} s, {len(graph):,} triples"
        )

        def rdflib_nquads() -> None:
            graph.dataset.serialize(io.BytesIO(), format="nquads")

        def rdflib_nt() -> None:
            graph.union().serialize(io.BytesIO(), format="nt")

        rows = [
            ("nq, streamed", lambda: graph.export(out / "a.nq"), rdflib_nquads),
            ("nt, streamed", lambda: graph.export(out / "a.nt"), rdflib_nt),
        ]
        for name, ours, baseline in rows:
            a, b = _timed(ours), _timed(baseline)
            ma, mb = _peak(ours), _peak(baseline)
            print(
                f"{name:<14} {a:6.2f} s vs rdflib {b:6.2f} s (x{b / a:4.1f}); "
                f"peak {ma:7.1f} MiB vs {mb:7.1f} MiB"
            )
        others = ["trig", "jsonld", "rdfxml"] + (["ttl"] if args.turtle else [])
        for to in others:
            print(f"{to:<14} {_timed(lambda to=to: graph.export(out / f'a.{to}', to=to)):6.2f} s")
        framed = _timed(lambda: graph.export(out / "f.jsonld", frame=True))
        print(f"{'framed jsonld':<14} {framed:6.2f} s")
        for view in ("full", "sponsor-collaboration", "condition-intervention", "mesh"):
            g = None

            def make(view: str = view) -> None:
                nonlocal g
                g = kg.to_networkx(graph, view)

            took = _timed(make)
            print(f"view {view:<22} {took:6.2f} s, {g.number_of_nodes():,} nodes")
        print(f"{'graphml full':<14} {_timed(lambda: graph.export(out / 'a.graphml')):6.2f} s")
        print(f"{'stats':<14} {_timed(lambda: graph.stats()):6.2f} s")


if __name__ == "__main__":
    main()
