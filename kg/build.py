"""The build loop: read records, map each one, hand it to a sink, and count what happened.

A record that fails is reported and the loop goes on (unless ``strict``); the same NCT ID seen
twice keeps the version with the later ``lastUpdatePostDateStruct`` date. With ``known`` (the
versions a store already holds) a record no newer than its stored copy is not even mapped.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import multiprocessing
import os
import signal
import tempfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import BinaryIO, TypeVar

from kg.errors import BuildError, RecordError
from kg.iris import graph_iri
from kg.mapping import MappedRecord, last_update, map_read_record
from kg.read import Record, Unit, read_unit, records, units
from kg.sinks import Sink, encode_apart
from kg.sinks import encode as encode_quads
from kg.spool import Span, SpoolReader, SpoolWriter


@dataclass
class BuildReport:
    """What a build read, converted, failed on and warned about."""

    read: int = 0
    converted: int = 0
    failed: int = 0
    duplicates: int = 0
    unchanged: int = 0
    quads: int = 0
    errors: list[RecordError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no record failed."""
        return self.failed == 0

    def summary(self) -> str:
        """The one-line summary: ``read N, converted M, failed K``."""
        line = f"read {self.read}, converted {self.converted}, failed {self.failed}"
        if self.unchanged:
            line += f", unchanged {self.unchanged}"
        if self.duplicates:
            line += f", duplicates {self.duplicates}"
        return line + f" ({self.quads} quads)"


def build_time() -> str:
    """The build's timestamp: ``SOURCE_DATE_EPOCH`` when set (reproducible builds), else now."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    moment = datetime.fromtimestamp(int(epoch), UTC) if epoch else datetime.now(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def run(
    inputs: Iterable[str | os.PathLike],
    sink: Sink,
    *,
    strict: bool = False,
    contact_details: bool = True,
    built_at: str | None = None,
    stdin: BinaryIO | None = None,
    progress: Callable[[BuildReport], None] | None = None,
    jobs: int = 1,
    known: Mapping[str, str] | None = None,
) -> BuildReport:
    """Map every record of ``inputs`` into ``sink``; the sink is not closed here.

    With ``jobs`` > 1 and a sink that takes text, files and zip members are read, mapped and
    encoded in that many worker processes; the output is the same, in the same order.
    ``known`` maps NCT IDs to the record version (``YYYY-MM-DD``) already in the sink's store:
    a record of that version or older is counted as unchanged and left out.

    :raises RecordError: with ``strict``, at the first record that fails.
    :raises OutputError: when the sink or the workers' spool (in ``TMPDIR``) cannot be written.
    """
    inputs = list(inputs)
    report = BuildReport()
    options = _Options(
        contact_details, built_at, getattr(sink, "triples", None), getattr(sink, "shared", None)
    )
    parallel = jobs > 1 and options.encode is not None and "-" not in map(os.fsdecode, inputs)
    converted = _converted(inputs, options, stdin, jobs if parallel else 1, known or {})
    with _rare_collections(), contextlib.closing(converted):
        _take(converted, sink, report, strict, progress)
    return report


def _take(
    converted: Iterator[_Item],
    sink: Sink,
    report: BuildReport,
    strict: bool,
    progress: Callable[[BuildReport], None] | None,
) -> None:
    """Hand every converted record to the sink, keeping the later copy of a study seen twice."""
    versions: dict[str, tuple[str, int | None]] = {}
    """NCT ID -> (version taken, its quad count; None when the stored copy was kept)."""
    for item in converted:
        report.read += 1
        if progress is not None:
            progress(report)
        if isinstance(item, RecordError):
            _fail(report, item, strict)
            continue
        nct_id = item.nct_id if isinstance(item, _Unchanged) else item.record.nct_id
        earlier, earlier_quads = versions.get(nct_id, (None, None))
        if earlier is not None:
            report.duplicates += 1
            if item.version <= earlier:
                report.warnings.append(
                    f"{item.source}: {nct_id} seen before with version {earlier or '?'}; "
                    f"this copy ({item.version or 'no date'}) is not newer and is skipped"
                )
                continue
            report.warnings.append(
                f"{item.source}: {nct_id} seen before with version {earlier or '?'}; "
                f"replaced by this newer copy ({item.version})"
            )
            if earlier_quads is None:
                report.unchanged -= 1
            else:
                sink.remove(graph_iri(nct_id))
                report.converted -= 1
                report.quads -= earlier_quads
        if isinstance(item, _Unchanged):
            report.unchanged += 1
            versions[nct_id] = (item.version, None)
            if item.stored > item.version:
                report.warnings.append(
                    f"{item.source}: {nct_id} is stored with a newer version "
                    f"({item.stored}) than this copy ({item.version}), which is skipped"
                )
            continue
        mapped = item.record
        versions[mapped.nct_id] = (item.version, item.count)
        if item.lines is None:
            sink.add(mapped)
        else:
            sink.add_lines(mapped.graph, item.lines, item.shared_lines)
        report.converted += 1
        report.quads += item.count
        report.warnings.extend(f"{item.source}: {w}" for w in mapped.warnings)


GC_THRESHOLD = 100_000
"""Allocations (less deallocations) between two young-generation collections while a build
runs, instead of Python's 700: a record makes thousands of objects that live until the next
record, and collecting them every 700 made the 1,000-study benchmark about 20% slower. Memory
stays flat: reference counting frees each record's objects, and collections still come."""


@contextlib.contextmanager
def _rare_collections() -> Iterator[None]:
    before = gc.get_threshold()
    gc.set_threshold(max(GC_THRESHOLD, before[0]), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


@dataclass(frozen=True)
class _Options:
    contact_details: bool
    built_at: str | None
    encode: bool | None
    """None: hand quads to the sink; else encode them in the worker (True: as N-Triples)."""
    shared: str | None = None
    """The graph the sink keeps shared-node lines in, encoded apart (see :func:`encode`)."""


@dataclass(frozen=True, slots=True)
class _Unchanged:
    """A record whose stored copy is as new as it (or newer): not mapped."""

    source: str
    nct_id: str
    version: str
    stored: str


@dataclass(slots=True)
class _Converted:
    """A mapped record, its quads already encoded as UTF-8 N-Quads when a worker made it (the
    study's own lines in a spool file until the build reads them)."""

    source: str
    version: str
    record: MappedRecord
    count: int
    lines: bytes | Span | None = None
    shared_lines: bytes = b""


_Item = _Converted | _Unchanged | RecordError
_CHUNK = 8
"""Units (files, zip members) a worker converts in one task."""
_IN_FLIGHT = 16
"""Tasks for each worker handed out and not yet taken by the sink: a bound, so that memory
stays flat when the sink is slower than the workers."""
_known: Mapping[str, str] = {}
"""In a worker process: the versions already stored (set once per worker, not per task)."""
_spool: SpoolWriter | None = None
"""In a worker process: where it writes the records' own lines."""
_busy: _Busy | None = None
"""In a worker process: where it notes the unit it converts."""
_BUSY = ".busy"
_T = TypeVar("_T")


def _converted(
    inputs: Iterable[str | os.PathLike],
    options: _Options,
    stdin: BinaryIO | None,
    jobs: int,
    known: Mapping[str, str],
) -> Iterator[_Item]:
    if jobs <= 1:
        for item in records(inputs, stdin=stdin):
            if isinstance(item, RecordError):
                yield item
            else:
                yield _unchanged(item, known) or _convert(item, options, encode=False)
        return
    context = multiprocessing.get_context("fork")
    with tempfile.TemporaryDirectory(prefix="kg-spool-") as directory:
        pool = ProcessPoolExecutor(
            jobs, mp_context=context, initializer=_remember, initargs=(known, directory)
        )
        spool = SpoolReader(directory)
        pending: deque[Future[list[_Item]]] = deque()
        try:
            for chunk in _chunks(units(inputs), _CHUNK):
                work = [u if isinstance(u, RecordError) else (u, options) for u in chunk]
                pending.append(pool.submit(_convert_units, work))
                if len(pending) >= jobs * _IN_FLIGHT:
                    yield from _taken(pending.popleft(), spool, directory)
            while pending:
                yield from _taken(pending.popleft(), spool, directory)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            spool.close()


def _chunks(items: Iterable[_T], size: int) -> Iterator[list[_T]]:
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def _taken(future: Future[list[_Item]], spool: SpoolReader, directory: str) -> list[_Item]:
    """A worker's converted records, their own lines read back from its spool file."""
    try:
        batch = future.result()
    except BrokenProcessPool:
        busy = sorted(_busy_units(directory))
        raise BuildError(
            "a worker process ended abruptly (killed, or out of memory) while the workers "
            f"converted {', '.join(busy) or 'no record'}; the build stopped"
        ) from None
    for item in batch:
        if isinstance(item, _Converted) and isinstance(item.lines, Span):
            item.lines = spool.read(item.lines)
    return batch


def _remember(known: Mapping[str, str], spool: str) -> None:
    """A worker's start (forked inside :func:`_rare_collections`): the stored versions, its
    spool file, and what the parent held at the fork frozen, never scanned nor copied by a
    collection. Ctrl-C is the build's to handle: it stops the workers."""
    global _known, _spool, _busy
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _known = known
    _spool = SpoolWriter(spool)
    _busy = _Busy(spool)
    gc.freeze()


class _Busy:
    """A worker's note of the unit it converts, which the build reads if the worker dies."""

    def __init__(self, directory: str) -> None:
        path = os.path.join(directory, f"{os.getpid()}{_BUSY}")
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)

    def now(self, unit: Unit | None) -> None:
        data = b"" if unit is None else unit.source.encode("utf-8", "backslashreplace")
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, data, 0)


def _busy_units(directory: str) -> Iterator[str]:
    for name in os.listdir(directory):
        if name.endswith(_BUSY):
            with open(os.path.join(directory, name), "rb") as note:
                if unit := note.read().decode("utf-8"):
                    yield unit


def _convert_units(work: list[RecordError | tuple[Unit, _Options]]) -> list[_Item]:
    """In a worker: read, map and encode every record of some units."""
    items: list[_Item] = []
    for one in work:
        if isinstance(one, RecordError):
            items.append(one)
            continue
        unit, options = one
        if _busy is not None:
            _busy.now(unit)
        items.extend(
            item
            if isinstance(item, RecordError)
            else _unchanged(item, _known) or _convert(item, options, encode=True)
            for item in read_unit(unit)
        )
    if _busy is not None:
        _busy.now(None)
    return items


def _unchanged(record: Record, known: Mapping[str, str]) -> _Unchanged | None:
    """The record, when the store holds a copy at least as new."""
    stored = known.get(record.nct_id or "") if known else None
    if stored is None:
        return None
    version = last_update(record.data)
    if version is None or version > stored:
        return None
    return _Unchanged(record.source, record.nct_id or "", version, stored)


def _convert(record: Record, options: _Options, *, encode: bool) -> _Converted | RecordError:
    try:
        mapped = map_read_record(
            record.data,
            source=record.source,
            built_at=options.built_at,
            contact_details=options.contact_details,
        )
    except RecordError as exc:
        return exc.located(source=record.source, nct_id=record.nct_id)
    version = last_update(record.data) or ""
    mapped.warnings[:0] = record.warnings
    count = len(mapped.quads)
    if not encode:
        return _Converted(record.source, version, mapped, count)
    if options.shared:
        own, shared = encode_apart(mapped.quads, options.shared)
    else:
        own, shared = encode_quads(mapped.quads, triples=bool(options.encode)), b""
    mapped.quads = []
    return _Converted(
        record.source, version, mapped, count, own if _spool is None else _spool.write(own), shared
    )


def _fail(report: BuildReport, error: RecordError, strict: bool) -> None:
    report.failed += 1
    report.errors.append(error)
    if strict:
        raise error
