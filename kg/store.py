"""Studies in an Oxigraph store on disk (pyoxigraph, RocksDB): for data too large for rdflib.

``kg build --store DIR`` streams each record's quads into the store, one named graph per study.
What the records say of shared nodes (organizations, conditions, MeSH and browse terms) goes
once into one more graph, :data:`SHARED`: Oxigraph's union default graph keeps a triple once per
graph that holds it, so a sponsor named by 5,000 studies would otherwise match 5,000 times in
every join. Queries over the union see the same triples as the per-study dataset of ``kg build
-o``; a study's own graph holds its own nodes.

New studies are bulk-loaded in batches; a study whose graph is already there is replaced in one
transaction (drop and insert together); shared facts are only ever added. Each batch and each
replacement is committed whole, so a build that is interrupted leaves a store that opens and
answers queries, holding the studies of the batches done so far; building again completes it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.build import BuildReport, run
from kg.errors import InputError
from kg.mapping import MappedRecord
from kg.namespaces import CTG, GRAPH, STUDY, TYPE
from kg.terms import nquad

BATCH_BYTES = 128 << 20
SHARED = GRAPH + "shared/nodes"
_OWN = (f"<{STUDY}", f"<{GRAPH}")


class OxigraphStore:
    """An Oxigraph store of studies: ``store`` is the pyoxigraph Store, for power users."""

    def __init__(self, store: ox.Store, path: Path | None = None) -> None:
        self.store = store
        self.path = path

    @classmethod
    def open(
        cls, path: str | os.PathLike, *, create: bool = False, read_only: bool = False
    ) -> OxigraphStore:
        """Open the store in directory ``path``; ``create`` makes it when it is not there.

        ``read_only`` opens it for queries only, and lets several processes do so at once;
        it must not be used while another process builds into the store (RocksDB's rule).

        :raises InputError: when there is no store there (and ``create`` is False), the path
            is a file or a non-empty directory that is no store, or the store is locked.
        """
        target = Path(path)
        if target.exists() and not target.is_dir():
            raise InputError(f"{target}: a file, not a store directory")
        if not create and not (target / "CURRENT").is_file():
            raise InputError(f"{target}: no Oxigraph store here; make one with kg build --store")
        stranger = target.is_dir() and any(target.iterdir()) and not (target / "CURRENT").is_file()
        if create and stranger:
            raise InputError(f"{target}: not empty and not an Oxigraph store")
        try:
            store = ox.Store.read_only(str(target)) if read_only else ox.Store(str(target))
        except OSError as exc:
            raise InputError(f"{target}: cannot open the store: {exc}") from None
        return cls(store, target)

    @classmethod
    def memory(cls) -> OxigraphStore:
        """A store in memory (tests, benchmarks)."""
        return cls(ox.Store())

    def __repr__(self) -> str:
        return f"OxigraphStore({str(self.path) if self.path else 'memory'!r})"

    def __len__(self) -> int:
        """The number of quads in the store."""
        return len(self.store)

    def build(
        self,
        inputs: Iterable[str | os.PathLike] | str | os.PathLike,
        *,
        strict: bool = False,
        contact_details: bool = True,
        built_at: str | None = None,
        progress: Callable[[BuildReport], None] | None = None,
        **options: Any,
    ) -> BuildReport:
        """Load records into the store, replacing the studies already in it.

        :raises RecordError: with ``strict``, at the first record that fails (the records
            before it are kept).
        :raises InputError: when an input path does not exist.
        """
        if isinstance(inputs, str | os.PathLike):
            inputs = [inputs]
        sink = StoreSink(self.store)
        try:
            report = run(
                inputs,
                sink,
                strict=strict,
                contact_details=contact_details,
                built_at=built_at,
                progress=progress,
                **options,
            )
        except KeyboardInterrupt:
            sink.discard()
            raise
        finally:
            sink.close()
        return report

    def studies(self) -> list[str]:
        """The NCT IDs of the studies in the store, sorted."""
        found = self.store.quads_for_pattern(None, ox.NamedNode(TYPE), ox.NamedNode(CTG + "Study"))
        return sorted({q.subject.value.removeprefix(STUDY) for q in found})

    def query(self, query: str, /, params: dict[str, Any] | None = None, **options: Any) -> Any:
        """Run a library query, a ``.rq`` file or SPARQL text here: see :func:`kg.query.query`."""
        from kg.query import query as run_query

        return run_query(self, query, params, **options)


class StoreSink:
    """Where the build loop puts records when it builds into a store.

    ``triples = False`` asks a parallel build for N-Quads text (:meth:`add_lines`).
    """

    triples = False

    def __init__(self, store: ox.Store, *, batch_bytes: int | None = None) -> None:
        self.store = store
        self._batch_bytes = batch_bytes or BATCH_BYTES
        self._pending: dict[str, str] = {}
        self._shared: list[str] = []
        self._seen: set[str] = set()
        self._size = 0
        self._had_graphs = next(iter(store.named_graphs()), None) is not None

    def add(self, record: MappedRecord) -> None:
        """Take one record's quads."""
        self.add_lines(record.graph, "".join(map(nquad, record.quads)))

    def add_lines(self, graph: str, text: str) -> None:
        """Take one record as N-Quads text, every line in ``graph``."""
        own, shared = self._split(graph, text)
        if self._had_graphs and self.store.contains_named_graph(ox.NamedNode(graph)):
            self._replace(graph, own, shared)
            return
        self._size += len(own) + len(shared) - len(self._pending.pop(graph, ""))
        self._pending[graph] = own
        self._shared.append(shared)
        if self._size >= self._batch_bytes:
            self.flush()

    def _split(self, graph: str, text: str) -> tuple[str, str]:
        """The study's own lines, and the shared lines not seen before, moved to SHARED."""
        own: list[str] = []
        shared: list[str] = []
        cut = len(f" <{graph}> .\n")
        for line in text.splitlines(keepends=True):
            if line.startswith(_OWN):
                own.append(line)
            else:
                moved = f"{line[:-cut]} <{SHARED}> .\n"
                if moved not in self._seen:
                    self._seen.add(moved)
                    shared.append(moved)
        return "".join(own), "".join(shared)

    def remove(self, graph: str) -> None:
        """Drop a record taken earlier."""
        if graph in self._pending:
            self._size -= len(self._pending.pop(graph))
        else:
            self.store.remove_graph(ox.NamedNode(graph))

    def flush(self) -> None:
        """Write the pending records to the store as one batch."""
        if self._pending or self._shared:
            data = "".join([*self._shared, *self._pending.values()]).encode("utf-8")
            self.store.bulk_load(input=data, format=ox.RdfFormat.N_QUADS)
            self.discard()

    def discard(self) -> None:
        """Forget the pending records (an interrupted build)."""
        self._pending.clear()
        self._shared.clear()
        self._size = 0

    def close(self) -> None:
        """Write what is pending and make it durable."""
        self.flush()
        self.store.flush()

    def _replace(self, graph: str, own: str, shared: str) -> None:
        """Drop the study's graph and insert its new quads in one transaction."""
        own_suffix, shared_suffix = f" <{graph}> .\n", f" <{SHARED}> .\n"
        triples = "".join(line[: -len(own_suffix)] + " .\n" for line in own.splitlines(True))
        common = "".join(line[: -len(shared_suffix)] + " .\n" for line in shared.splitlines(True))
        self.store.update(
            f"DROP SILENT GRAPH <{graph}> ;\n"
            f"INSERT DATA {{ GRAPH <{graph}> {{\n{triples}}}\nGRAPH <{SHARED}> {{\n{common}}} }}"
        )
