"""ctgov-kg: ClinicalTrials.gov API v2 study records as an RDF knowledge graph.

>>> import kg
>>> graph = kg.build(kg.sample_paths())
>>> "NCT07366658" in graph.studies()
True
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from kg.build import BuildReport
from kg.build import run as _run
from kg.errors import InputError, KgError, RecordError
from kg.graph import KnowledgeGraph
from kg.mapping import MappedRecord, map_record
from kg.read import Record, records
from kg.resources import sample_paths
from kg.sinks import DatasetSink
from kg.version import __version__

__all__ = [
    "__version__",
    "build",
    "BuildReport",
    "InputError",
    "KgError",
    "KnowledgeGraph",
    "map_record",
    "MappedRecord",
    "Record",
    "RecordError",
    "records",
    "sample_paths",
]


def build(
    inputs: Iterable[str | os.PathLike] | str | os.PathLike,
    *,
    strict: bool = False,
    contact_details: bool = True,
    built_at: str | None = None,
) -> KnowledgeGraph:
    """Build a graph from record files, directories, pages, JSON Lines or bulk zips.

    Records that fail are listed in ``graph.report.errors``; the others are all in the graph.

    :param inputs: one path or several.
    :param strict: raise at the first record that fails instead of going on.
    :param contact_details: False leaves out people's phone numbers and e-mail addresses.
    :param built_at: an ``xsd:dateTime`` stated as the build time; None states none.
    :raises RecordError: with ``strict``, for the first record that fails.
    :raises InputError: when an input path does not exist.
    """
    if isinstance(inputs, str | os.PathLike):
        inputs = [inputs]
    sink = DatasetSink()
    report = _run(
        inputs, sink, strict=strict, contact_details=contact_details, built_at=built_at
    )
    return KnowledgeGraph(sink.dataset, report)
