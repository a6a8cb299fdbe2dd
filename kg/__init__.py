"""ctgov-kg: ClinicalTrials.gov API v2 study records as an RDF knowledge graph.

>>> import kg
>>> graph = kg.build(kg.sample_paths())
>>> "NCT07366658" in graph.studies()
True
"""

from __future__ import annotations

from kg.build import BuildReport
from kg.endpoint import Endpoint
from kg.errors import InputError, KgError, QueryError, RecordError
from kg.export import export
from kg.findings import ValidationReport, ValidationResult
from kg.graph import KnowledgeGraph, build
from kg.mapping import MappedRecord, map_record
from kg.network import to_networkx
from kg.plot import plot
from kg.query import queries, query
from kg.read import Record, records
from kg.resources import sample_paths
from kg.results import QueryResult
from kg.serve import serve
from kg.stats import stats
from kg.store import OxigraphStore
from kg.validate import validate
from kg.version import __version__

__all__ = [
    "BuildReport",
    "Endpoint",
    "InputError",
    "KgError",
    "KnowledgeGraph",
    "MappedRecord",
    "OxigraphStore",
    "QueryError",
    "QueryResult",
    "Record",
    "RecordError",
    "ValidationReport",
    "ValidationResult",
    "__version__",
    "build",
    "export",
    "map_record",
    "plot",
    "queries",
    "query",
    "records",
    "sample_paths",
    "serve",
    "stats",
    "to_networkx",
    "validate",
]
