"""The Python API's graph: an rdflib Dataset, one named graph per study, and its build report."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import rdflib

from kg.atomic import atomic_write
from kg.build import BuildReport, run
from kg.namespaces import CTG, PREFIXES, STUDY
from kg.sinks import DatasetSink

if TYPE_CHECKING:
    import networkx as nx

    from kg.findings import ValidationReport
    from kg.stats import Stats

FORMATS: dict[str, str] = {
    ".nq": "nquads",
    ".nt": "nt",
    ".ttl": "turtle",
    ".trig": "trig",
    ".jsonld": "json-ld",
    ".json": "json-ld",
    ".rdf": "xml",
    ".xml": "xml",
    ".owl": "xml",
}
QUAD_FORMATS = frozenset({"nquads", "trig", "json-ld"})


def format_for(path: str | os.PathLike) -> str:
    """The rdflib format name for an output path, by its extension.

    :raises ValueError: for an extension that names no RDF format.
    """
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        known = " ".join(sorted(FORMATS))
        raise ValueError(
            f"{path}: unknown output format {suffix or '(none)'!r}; use one of {known}"
        )
    return FORMATS[suffix]


class KnowledgeGraph:
    """Studies as RDF: ``dataset``, one named graph per study; ``report``, how the build went."""

    def __init__(self, dataset: rdflib.Dataset, report: BuildReport | None = None) -> None:
        self.dataset = dataset
        self.report = report if report is not None else BuildReport()
        for prefix, namespace in PREFIXES.items():
            dataset.bind(prefix, namespace, replace=True)

    @property
    def store(self) -> rdflib.Dataset:
        """The underlying rdflib Dataset, for power users."""
        return self.dataset

    def __len__(self) -> int:
        """The number of distinct triples over all studies."""
        return len(self.union())

    def studies(self) -> list[str]:
        """The NCT IDs of the studies in the graph, sorted."""
        studies = self.dataset.subjects(rdflib.RDF.type, rdflib.URIRef(CTG + "Study"))
        return sorted(str(s).removeprefix(STUDY) for s in set(studies))

    def quads(self) -> Iterator[tuple[rdflib.term.Node, ...]]:
        """Every quad, study by study."""
        for s, p, o, g in self.dataset.quads((None, None, None, None)):
            if g is not None:
                yield s, p, o, g

    def union(self) -> rdflib.Graph:
        """All studies' triples in one graph (shared nodes merged)."""
        graph = rdflib.Graph()
        for prefix, namespace in PREFIXES.items():
            graph.bind(prefix, namespace, replace=True)
        for s, p, o, _ in self.quads():
            graph.add((s, p, o))
        return graph

    def serialize(self, destination: str | os.PathLike, *, format: str | None = None) -> Path:
        """Write the graph to a file, its format from the extension unless given; atomic.

        :raises OutputError: when the file cannot be written (a full disk); nothing is written.
        """
        target = Path(destination)
        fmt = format or format_for(target)
        source = self.dataset if fmt in QUAD_FORMATS else self.union()
        with atomic_write(target) as out:
            source.serialize(out, format=fmt, encoding="utf-8")
        return target

    def to_networkx(self, view: str = "full") -> nx.Graph:
        """A networkx view of the graph: see :func:`kg.network.to_networkx`."""
        from kg.network import to_networkx

        return to_networkx(self, view)

    def export(self, destination: str | os.PathLike, **options: Any) -> Path:
        """Write an RDF, networkx or description file: see :func:`kg.export.export`."""
        from kg.export import export

        return export(self, destination, **options)

    def describe(self) -> rdflib.Graph:
        """The VoID/DCAT description of the graph: see :func:`kg.export.describe`."""
        from kg.export import describe

        return describe(self)

    def stats(self, **options: Any) -> Stats:
        """Counts and rankings of the graph: see :func:`kg.stats.stats`."""
        from kg.stats import stats

        return stats(self, **options)

    def plot(self, destination: str | os.PathLike, **options: Any) -> Path:
        """Draw a view to PNG, SVG or HTML: see :func:`kg.plot.plot`."""
        from kg.plot import plot

        return plot(self, destination, **options)

    def query(self, query: str, /, params: dict[str, Any] | None = None, **options: Any) -> Any:
        """Run a library query, a ``.rq`` file or SPARQL text: see :func:`kg.query.query`."""
        from kg.query import query as run_query

        return run_query(self, query, params, **options)

    def validate(self, **options: Any) -> ValidationReport:
        """Check the graph against the SHACL shapes: see :func:`kg.validate.validate`."""
        from kg.validate import validate

        return validate(self, **options)


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
    report = run(inputs, sink, strict=strict, contact_details=contact_details, built_at=built_at)
    return KnowledgeGraph(sink.dataset, report)
