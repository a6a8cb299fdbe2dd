"""The build loop: read records, map each one, hand it to a sink, and count what happened.

A record that fails is reported and the loop goes on (unless ``strict``); the same NCT ID seen
twice keeps the version with the later ``lastUpdatePostDateStruct`` date.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import BinaryIO

from kg.errors import RecordError
from kg.mapping import MappedRecord, last_update, map_record
from kg.read import Record, Unit, read_unit, records, units
from kg.sinks import Sink
from kg.sinks import encode as encode_quads


@dataclass
class BuildReport:
    """What a build read, converted, failed on and warned about."""

    read: int = 0
    converted: int = 0
    failed: int = 0
    duplicates: int = 0
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
) -> BuildReport:
    """Map every record of ``inputs`` into ``sink``; the sink is not closed here.

    With ``jobs`` > 1 and an N-Quads sink, files and zip members are read, mapped and encoded
    in that many worker processes; the output is the same, in the same order.

    :raises RecordError: with ``strict``, at the first record that fails.
    """
    inputs = list(inputs)
    report = BuildReport()
    versions: dict[str, tuple[str, int]] = {}
    options = _Options(contact_details, built_at, getattr(sink, "triples", None))
    parallel = jobs > 1 and options.encode is not None and "-" not in map(os.fsdecode, inputs)
    for item in _converted(inputs, options, stdin, jobs if parallel else 1):
        report.read += 1
        if progress is not None:
            progress(report)
        if isinstance(item, RecordError):
            _fail(report, item, strict)
            continue
        mapped = item.record
        earlier, earlier_quads = versions.get(mapped.nct_id, (None, 0))
        if earlier is not None:
            report.duplicates += 1
            if item.version <= earlier:
                report.warnings.append(
                    f"{item.source}: {mapped.nct_id} seen before with version {earlier or '?'}; "
                    f"this copy ({item.version or 'no date'}) is not newer and is skipped"
                )
                continue
            report.warnings.append(
                f"{item.source}: {mapped.nct_id} seen before with version {earlier or '?'}; "
                f"replaced by this newer copy ({item.version})"
            )
            sink.remove(mapped.graph)
            report.converted -= 1
            report.quads -= earlier_quads
        versions[mapped.nct_id] = (item.version, item.count)
        if item.lines is None:
            sink.add(mapped)
        else:
            sink.add_lines(mapped.graph, item.lines)
        report.converted += 1
        report.quads += item.count
        report.warnings.extend(f"{item.source}: {w}" for w in mapped.warnings)
    return report


@dataclass(frozen=True)
class _Options:
    contact_details: bool
    built_at: str | None
    encode: bool | None
    """None: hand quads to the sink; else encode them in the worker (True: as N-Triples)."""


@dataclass(slots=True)
class _Converted:
    """A mapped record, its quads already encoded as text when a worker made it."""

    source: str
    version: str
    record: MappedRecord
    count: int
    lines: str | None = None


def _converted(
    inputs: Iterable[str | os.PathLike], options: _Options, stdin: BinaryIO | None, jobs: int
) -> Iterator[_Converted | RecordError]:
    if jobs <= 1:
        for item in records(inputs, stdin=stdin):
            yield item if isinstance(item, RecordError) else _convert(item, options, encode=False)
        return
    work = (u if isinstance(u, RecordError) else (u, options) for u in units(inputs))
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        for batch in pool.imap(_convert_unit, work, chunksize=8):
            yield from batch


def _convert_unit(work: RecordError | tuple[Unit, _Options]) -> list[_Converted | RecordError]:
    """In a worker: read, map and encode every record of one unit."""
    if isinstance(work, RecordError):
        return [work]
    unit, options = work
    return [
        item if isinstance(item, RecordError) else _convert(item, options, encode=True)
        for item in read_unit(unit)
    ]


def _convert(record: Record, options: _Options, *, encode: bool) -> _Converted | RecordError:
    try:
        mapped = map_record(
            record.data,
            source=record.source,
            built_at=options.built_at,
            contact_details=options.contact_details,
        )
    except RecordError as exc:
        return exc.located(source=record.source, nct_id=record.nct_id)
    version = last_update(record.data) or ""
    count = len(mapped.quads)
    if not encode:
        return _Converted(record.source, version, mapped, count)
    lines = encode_quads(mapped.quads, triples=bool(options.encode))
    mapped.quads = []
    return _Converted(record.source, version, mapped, count, lines)


def _fail(report: BuildReport, error: RecordError, strict: bool) -> None:
    report.failed += 1
    report.errors.append(error)
    if strict:
        raise error
