"""ctgov-kg: ClinicalTrials.gov API v2 study records as an RDF knowledge graph.

>>> import kg
>>> graph = kg.build(kg.sample_paths())
>>> "NCT07366658" in graph.studies()
True
"""

from __future__ import annotations

from kg.build import BuildReport
from kg.errors import InputError, KgError, RecordError
from kg.graph import KnowledgeGraph, build
from kg.mapping import MappedRecord, map_record
from kg.read import Record, records
from kg.resources import sample_paths
from kg.version import __version__

__all__ = [
    "BuildReport",
    "InputError",
    "KgError",
    "KnowledgeGraph",
    "MappedRecord",
    "Record",
    "RecordError",
    "__version__",
    "build",
    "map_record",
    "records",
    "sample_paths",
]
