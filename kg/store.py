"""Studies in an Oxigraph store on disk (pyoxigraph, RocksDB): for data too large for rdflib.

``kg build --store DIR`` puts each record's quads into the store, one named graph per study.
What the records say of shared nodes (organizations, conditions, MeSH and browse terms) goes
once into one more graph, :data:`SHARED`: Oxigraph's union default graph keeps a triple once per
graph that holds it, so a sponsor named by 5,000 studies would otherwise match 5,000 times in
every join. Queries over the union see the same triples as the per-study dataset of ``kg build
-o``; a study's own graph holds its own nodes.

Two ways in, both safe to interrupt:

- A new store is filled by a streamed bulk load (:class:`BulkSink`), into a directory beside
  the target that is moved into place only when the build is complete: an interrupted or failed
  first build leaves no store, never half of one.
- A store that holds studies is updated (:class:`UpdateSink`): a record whose stored copy has
  the same last-update date (and was made by this version of the tool) is not even mapped; new
  and changed studies are written in batches, each batch one transaction that drops the old
  graphs and inserts the new ones, so an interruption leaves every study either as it was or
  as it is now. Shared facts are only ever added.

Beside the quads, the store's directory holds its text index (:mod:`kg.text_index`), made with
a new store and given each update's new values before the update commits.
"""

from __future__ import annotations

import contextlib
import functools
import os
import queue
import shutil
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.build import BuildReport, run
from kg.errors import InputError, output_error, writing
from kg.mapping import TOOL, MappedRecord
from kg.namespaces import CTG, GRAPH, STUDY, TYPE
from kg.sinks import encode_apart, lines_of
from kg.text_index import TextIndex
from kg.version import __version__

BATCH_BYTES = 16 << 20
LOAD_BYTES = 32 << 20
LOADERS = 2
SHARED = GRAPH + "shared/nodes"


class OxigraphStore:
    """An Oxigraph store of studies: ``store`` is the pyoxigraph Store, for power users;
    ``text`` its text index (``None`` for a store made before there was one)."""

    def __init__(
        self, store: ox.Store, path: Path | None = None, text: TextIndex | None = None
    ) -> None:
        self.store = store
        self.path = path
        self.text = text

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
        return cls(store, target, TextIndex.open(target, read_only=read_only))

    @classmethod
    def memory(cls) -> OxigraphStore:
        """A store in memory (tests, benchmarks), with its text index in memory too."""
        return cls(ox.Store(), None, TextIndex.open(None))

    def __repr__(self) -> str:
        return f"OxigraphStore({str(self.path) if self.path else 'memory'!r})"

    def __len__(self) -> int:
        """The number of quads in the store."""
        return len(self.store)

    @property
    def empty(self) -> bool:
        """True when the store holds no quad (a build then makes it whole, in one bulk load)."""
        return next(iter(self.store.quads_for_pattern(None, None, None)), None) is None

    def build(
        self,
        inputs: Iterable[str | os.PathLike] | str | os.PathLike,
        *,
        strict: bool = False,
        contact_details: bool = True,
        built_at: str | None = None,
        progress: Callable[[BuildReport], None] | None = None,
        force: bool = False,
        loaders: int = LOADERS,
        **options: Any,
    ) -> BuildReport:
        """Load records into the store: all of them into a new store, else only the new and
        changed studies (``force``: every study), replacing their stored graphs.

        ``loaders``: bulk loads run at once into a new store (see :class:`BulkSink`).

        :raises RecordError: with ``strict``, at the first record that fails (a new store is
            then not made; an update keeps the batches committed before it).
        :raises InputError: when an input path does not exist.
        :raises OutputError: when the store cannot be written (a full disk); a new store is
            then not made, an update keeps the batches committed before it.
        """
        if isinstance(inputs, str | os.PathLike):
            inputs = [inputs]
        settings = dict(
            strict=strict,
            contact_details=contact_details,
            built_at=built_at,
            progress=progress,
            **options,
        )
        where = str(self.path or "the store in memory")
        if self.empty and self.path is not None:
            return self._build_beside(inputs, settings, loaders, where)
        if self.empty:
            alongside = None if self.text is None else functools.partial(self.text.fill, self.store)
            sink = BulkSink(self.store, loaders=loaders, where=where, alongside=alongside)
            return _fill(sink, inputs, settings)
        known = {} if force else self.versions()
        sink = UpdateSink(self.store, where=where, text=self.text)
        report = _fill(sink, inputs, {**settings, "known": known})
        if self.text is None and self.path is not None:
            with writing(where):
                TextIndex.make(self.path, self.store)
            self.text = TextIndex.open(self.path)
        return report

    def _build_beside(
        self, inputs: list, settings: dict[str, Any], loaders: int, where: str
    ) -> BuildReport:
        """Build a new store in a directory beside this one and move it here when complete;
        ``where`` names it in an :class:`~kg.errors.OutputError`."""
        assert self.path is not None
        beside = self.path.with_name(f".{self.path.name}.building")
        shutil.rmtree(beside, ignore_errors=True)
        try:
            with writing(where):
                fresh = ox.Store(str(beside))
            sink = BulkSink(
                fresh,
                loaders=loaders,
                where=where,
                alongside=functools.partial(TextIndex.make, beside, fresh),
            )
            report = _fill(sink, inputs, settings)
        except BaseException:
            fresh = None
            shutil.rmtree(beside, ignore_errors=True)
            raise
        del fresh
        self.store = None  # type: ignore[assignment]  # closes the empty store here
        if self.text is not None:
            self.text.close()
        old = self.path.with_name(f".{self.path.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        with writing(where):
            os.rename(self.path, old)
            os.rename(beside, self.path)
        shutil.rmtree(old)
        self.store = ox.Store(str(self.path))
        self.text = TextIndex.open(self.path)
        return report

    def versions(self) -> dict[str, str]:
        """NCT ID -> record version (last update posted) of every study in the store that this
        version of the tool made: the studies an update may leave as they are."""
        tool = ox.Literal(f"{TOOL} {__version__}")
        made_here = {
            q.subject
            for q in self.store.quads_for_pattern(None, ox.NamedNode(CTG + "toolVersion"), tool)
            if q.subject == q.graph_name
        }
        return {
            q.subject.value.removeprefix(GRAPH): q.object.value
            for q in self.store.quads_for_pattern(None, ox.NamedNode(CTG + "recordVersion"), None)
            if q.subject == q.graph_name and q.subject in made_here
        }

    def studies(self) -> list[str]:
        """The NCT IDs of the studies in the store, sorted."""
        found = self.store.quads_for_pattern(None, ox.NamedNode(TYPE), ox.NamedNode(CTG + "Study"))
        return sorted({q.subject.value.removeprefix(STUDY) for q in found})

    def query(self, query: str, /, params: dict[str, Any] | None = None, **options: Any) -> Any:
        """Run a library query, a ``.rq`` file or SPARQL text here: see :func:`kg.query.query`."""
        from kg.query import query as run_query

        return run_query(self, query, params, **options)


def _fill(sink: BulkSink | UpdateSink, inputs: list, settings: dict[str, Any]) -> BuildReport:
    """Run the build loop into ``sink``: closed when the loop ends, aborted when it fails."""
    try:
        report = run(inputs, sink, **settings)
    except BaseException:
        sink.abort()
        raise
    sink.close()
    return report


class _SharedLines:
    """Shared-node lines (already in graph :data:`SHARED`) each given once per build."""

    def __init__(self) -> None:
        self._seen: set[bytes] = set()

    def new(self, text: bytes) -> bytes:
        seen = self._seen
        fresh = [line for line in lines_of(text) if line not in seen]
        seen.update(fresh)
        return b"".join(fresh)


class BulkSink:
    """Streams records into an empty store by Oxigraph bulk loads of about ``batch_bytes`` of
    N-Quads each, ``loaders`` of them at a time (default :data:`LOADERS`).

    A bulk load holds its whole input in memory as Oxigraph parses, encodes and sorts it (about
    1 KB a quad), so the batch bounds the build's memory whatever the corpus size: one bulk load
    reading the whole stream keeps up to two batches of a million quads, 1.9 GiB for the
    N-Quads of 10,000 studies alone. Whole builds, by hand: 10,000 studies peaked at 1.9 GiB
    that way, at 0.55, 0.87 and 1.6 GiB with loads of 24, 48 and 96 MiB (68-81 s either way);
    100,000 studies at 0.84 GiB with 32 MiB (18.2 min; 2.4 GiB, 17.1 min the old way).
    The loads start at the first batch, after the build loop has forked its workers. A study
    that a newer copy replaces after it was streamed is replaced in a transaction once the bulk
    loads are done.
    """

    triples = False
    shared = SHARED

    def __init__(
        self,
        store: ox.Store,
        *,
        loaders: int = LOADERS,
        batch_bytes: int | None = None,
        where: str = "the store",
        alongside: Callable[[], None] | None = None,
    ) -> None:
        self.store = store
        self.where = where
        self.alongside = alongside
        self.loaders = max(1, loaders)
        self._batch_bytes = batch_bytes or LOAD_BYTES
        self._shared = _SharedLines()
        self._batch: list[bytes] = []
        self._size = 0
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=self.loaders)
        self._threads: list[threading.Thread] = []
        self._errors: list[BaseException] = []
        self._aborted = False
        self._streamed: set[str] = set()
        self._dropped: set[str] = set()
        self._late: dict[str, tuple[bytes, bytes]] = {}

    def add(self, record: MappedRecord) -> None:
        """Take one record's quads."""
        self.add_lines(record.graph, *encode_apart(record.quads, SHARED))

    def add_lines(self, graph: str, lines: bytes, shared: bytes = b"") -> None:
        """Take one study's own lines and its shared-node lines (in graph :data:`SHARED`),
        UTF-8 N-Quads."""
        shared = self._shared.new(shared)
        if graph in self._dropped:
            self._late[graph] = (lines, shared)
            return
        self._streamed.add(graph)
        self._batch += (lines, shared)
        self._size += len(lines) + len(shared)
        if self._size >= self._batch_bytes:
            self._send()

    def remove(self, graph: str) -> None:
        """Drop a study taken earlier: its newer copy replaces it after the bulk load."""
        self._late.pop(graph, None)
        if graph in self._streamed:
            self._dropped.add(graph)

    def close(self) -> None:
        """End the bulk loads, apply the late replacements, compact, and make it all durable.

        Each bulk load leaves one set of overlapping files, and every lookup then reads each of
        them: compacting once made the slower library queries on 10,000 studies 1.7x to 5.5x
        faster, for 27 s more build (``bench/scale.py``). ``alongside`` (making the text
        index) runs here while a thread compacts, each on a core: on 10,000 studies both took
        27.9 s, against 17.5 s and 14.2 s one after the other (``bench/scale.py --end-apart``);
        on 100,000 the compaction took 390.7 s and the index 349.3 s, at once.
        """
        self._send()
        self._finish()
        with writing(self.where):
            for graph in sorted(self._dropped):
                own, shared = self._late.get(graph, (b"", b""))
                _replace(self.store, [graph], own + shared)
            _at_once(self.store.optimize, self.alongside)
            self.store.flush()

    def abort(self) -> None:
        """Make the bulk loads stop after the batches they are loading, and wait for them."""
        self._aborted = True
        self._batch.clear()
        with contextlib.suppress(Exception):
            self._finish()
        self.store = None  # type: ignore[assignment]  # a traceback keeping the sink must not keep the store open

    def _send(self) -> None:
        """Queue the batch taken so far for the loaders; a failed load ends the build."""
        if not self._batch:
            return
        if not self._threads:
            self._start()
        item, self._batch, self._size = b"".join(self._batch), [], 0
        while True:
            if self._errors:
                self._finish()
            try:
                self._queue.put(item, timeout=0.2)
                return
            except queue.Full:
                if not any(t.is_alive() for t in self._threads):
                    self._finish()
                    raise RuntimeError("the bulk loads ended before the build") from None

    def _start(self) -> None:
        for _ in range(self.loaders):
            thread = threading.Thread(target=self._load, daemon=True)
            self._threads.append(thread)
            thread.start()

    def _load(self) -> None:
        """Bulk-load batches until the stream ends. Lenient: IRIs are not parsed again, since
        the mapping makes only valid ones (:func:`kg.terms.web_link`,
        :func:`kg.terms.iri_segment`); 8% less time to build 10,000 studies (66-67 s against
        71-73 s)."""
        try:
            while (batch := self._queue.get()) is not None:
                if not self._aborted:
                    self.store.bulk_load(input=batch, format=ox.RdfFormat.N_QUADS, lenient=True)
        except BaseException as exc:
            self._errors.append(exc)

    def _finish(self) -> None:
        """Tell each loader the stream is over, wait for all, and raise the first failure."""
        threads, self._threads = self._threads, []
        for thread in threads:
            while thread.is_alive():
                try:
                    self._queue.put(None, timeout=0.2)
                    break
                except queue.Full:
                    continue
        for thread in threads:
            thread.join()
        if self._errors:
            raise output_error(self._errors[0], self.where)


def _at_once(background: Callable[[], None], here: Callable[[], None] | None) -> None:
    """Run ``background`` in a thread and ``here`` meanwhile; raise the first that fails,
    once both have ended."""
    if here is None:
        background()
        return
    failed: list[BaseException] = []

    def run_background() -> None:
        try:
            background()
        except BaseException as exc:
            failed.append(exc)

    thread = threading.Thread(target=run_background, daemon=True)
    thread.start()
    try:
        here()
    finally:
        thread.join()
    if failed:
        raise failed[0]


class UpdateSink:
    """Writes new and changed studies into a store that holds studies, a batch per transaction.

    New studies go in by a transactional load, changed ones by one SPARQL update that drops the
    stored graphs and inserts the new quads, so a reader (or an interruption) sees every study
    either old or new, never half.
    """

    triples = False
    shared = SHARED

    def __init__(
        self,
        store: ox.Store,
        *,
        batch_bytes: int | None = None,
        where: str = "the store",
        text: TextIndex | None = None,
    ) -> None:
        self.store = store
        self.where = where
        self.text = text
        self._batch_bytes = batch_bytes or BATCH_BYTES
        self._shared = _SharedLines()
        self._pending: dict[str, bytes] = {}
        self._pending_shared: list[bytes] = []
        self._size = 0

    def add(self, record: MappedRecord) -> None:
        """Take one record's quads."""
        self.add_lines(record.graph, *encode_apart(record.quads, SHARED))

    def add_lines(self, graph: str, lines: bytes, shared: bytes = b"") -> None:
        """Take one study's own lines and its shared-node lines (in graph :data:`SHARED`),
        UTF-8 N-Quads."""
        shared = self._shared.new(shared)
        self._size += len(lines) + len(shared) - len(self._pending.pop(graph, b""))
        self._pending[graph] = lines
        self._pending_shared.append(shared)
        if self._size >= self._batch_bytes:
            self.flush()

    def remove(self, graph: str) -> None:
        """Drop a study taken earlier and not yet written (a written one is replaced anyway)."""
        self._size -= len(self._pending.pop(graph, b""))

    def flush(self) -> None:
        """Write the pending studies: the new ones in one transactional load, the changed ones
        in one transaction that drops their old graphs and inserts the new."""
        stored = [g for g in self._pending if self.store.contains_named_graph(ox.NamedNode(g))]
        changed = b"".join(self._pending.pop(g) for g in stored)
        new = b"".join([*self._pending.values(), *self._pending_shared])
        with writing(self.where):
            if self.text is not None:
                self.text.add_nquads(changed, new)
            if stored:
                _replace(self.store, stored, changed)
            if new:
                self.store.load(input=new, format=ox.RdfFormat.N_QUADS)
        self.abort()

    def close(self) -> None:
        """Write what is pending and make it durable."""
        self.flush()
        with writing(self.where):
            self.store.flush()

    def abort(self) -> None:
        """Forget the pending studies (an interrupted build)."""
        self._pending.clear()
        self._pending_shared.clear()
        self._size = 0


def _replace(store: ox.Store, graphs: list[str], lines: bytes) -> None:
    """Drop ``graphs`` and insert the UTF-8 N-Quads ``lines`` in one transaction."""
    drops = "".join(f"DROP SILENT GRAPH <{g}> ;\n" for g in graphs)
    by_graph: dict[str, list[str]] = {}
    for line in lines_of(lines):
        body, _, graph = line.decode("utf-8")[:-3].rpartition(" <")
        by_graph.setdefault(graph[:-1], []).append(body)
    inserts = "\n".join(
        f"GRAPH <{g}> {{\n" + " .\n".join(bodies) + " .\n}" for g, bodies in by_graph.items()
    )
    store.update(f"{drops}INSERT DATA {{\n{inserts}\n}}")
