"""The build loop: read records, map each one, hand it to a sink, and count what happened.

A record that fails is reported and the loop goes on (unless ``strict``); the same NCT ID seen
twice keeps the version with the later ``lastUpdatePostDateStruct`` date.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import BinaryIO

from kg.errors import RecordError
from kg.mapping import last_update, map_record
from kg.read import records
from kg.sinks import Sink


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
) -> BuildReport:
    """Map every record of ``inputs`` into ``sink``; the sink is not closed here.

    :raises RecordError: with ``strict``, at the first record that fails.
    """
    report = BuildReport()
    versions: dict[str, tuple[str, int]] = {}
    for item in records(inputs, stdin=stdin):
        report.read += 1
        if progress is not None:
            progress(report)
        if isinstance(item, RecordError):
            _fail(report, item, strict)
            continue
        try:
            mapped = map_record(
                item.data, source=item.source, built_at=built_at, contact_details=contact_details
            )
        except RecordError as exc:
            _fail(report, exc.located(source=item.source, nct_id=item.nct_id), strict)
            continue
        version = last_update(item.data) or ""
        earlier, earlier_quads = versions.get(mapped.nct_id, (None, 0))
        if earlier is not None:
            report.duplicates += 1
            if version <= earlier:
                report.warnings.append(
                    f"{item.source}: {mapped.nct_id} seen before with version {earlier or '?'}; "
                    f"this copy ({version or 'no date'}) is not newer and is skipped"
                )
                continue
            report.warnings.append(
                f"{item.source}: {mapped.nct_id} seen before with version {earlier or '?'}; "
                f"replaced by this newer copy ({version})"
            )
            sink.remove(mapped.graph)
            report.converted -= 1
            report.quads -= earlier_quads
        versions[mapped.nct_id] = (version, len(mapped.quads))
        sink.add(mapped)
        report.converted += 1
        report.quads += len(mapped.quads)
        report.warnings.extend(f"{item.source}: {w}" for w in mapped.warnings)
    return report


def _fail(report: BuildReport, error: RecordError, strict: bool) -> None:
    report.failed += 1
    report.errors.append(error)
    if strict:
        raise error
