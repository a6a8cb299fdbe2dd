"""Exports: RDF files (streamed where the format allows), networkx files, a VoID/DCAT description.

Every file is written to a temporary file beside the target and renamed when complete
(:mod:`kg.atomic`): an interrupted export never leaves a truncated file under the final name.
N-Triples and N-Quads are written quad by quad from the dataset, without a copy of the graph
(N-Triples keeps a set of the lines about shared nodes, which every study repeats). Turtle,
TriG, RDF/XML and plain JSON-LD go through rdflib's serializers, which hold the graph in
memory; rdflib's Turtle writer also grows superlinearly (159k triples took 195 s), so use N-Quads
for anything large. JSON-LD uses the shipped context (:mod:`kg.jsonld`); ``frame=True`` writes
one nested document per study instead, study by study.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import rdflib

from kg import jsonld
from kg.atomic import atomic_write
from kg.build import build_time
from kg.namespaces import (
    BASE,
    CTG,
    DCT,
    GRAPH,
    MESHV,
    PREFIXES,
    SCHEMA,
    STUDY,
    XSD,
)
from kg.network import NETWORK_FORMATS, VIEWS, prefixed, to_networkx, write_network
from kg.stats import Counts, count
from kg.terms import Lit, nt_term
from kg.version import __version__

if TYPE_CHECKING:
    from kg.graph import KnowledgeGraph
    from kg.store import OxigraphStore

__all__ = [
    "FORMATS",
    "RDF_FORMATS",
    "as_graph",
    "check_options",
    "describe",
    "export",
    "format_for_path",
]

RDF_FORMATS: dict[str, str] = {
    "ttl": "turtle",
    "nt": "nt",
    "nq": "nquads",
    "trig": "trig",
    "jsonld": "json-ld",
    "rdfxml": "xml",
}
FORMATS = (*RDF_FORMATS, *NETWORK_FORMATS)
_SUFFIXES = {
    ".ttl": "ttl",
    ".nt": "nt",
    ".nq": "nq",
    ".trig": "trig",
    ".jsonld": "jsonld",
    ".rdf": "rdfxml",
    ".xml": "rdfxml",
    ".owl": "rdfxml",
    ".graphml": "graphml",
    ".gexf": "gexf",
    ".cyjs": "cytoscape",
    ".json": "nodelink",
}
_QUADS = {"nq", "trig", "jsonld"}
_PER_STUDY = (STUDY, GRAPH)

DATASET = BASE + "dataset"
VOID = "http://rdfs.org/ns/void#"
DCAT = "http://www.w3.org/ns/dcat#"
CTGOV = "https://clinicaltrials.gov/"
# ClinicalTrials.gov data are a work of the US government, in the public domain (the site's
# terms ask only for attribution and for no claim of endorsement): the Public Domain Mark says so.
PUBLIC_DOMAIN = "https://creativecommons.org/publicdomain/mark/1.0/"


def format_for_path(path: str | os.PathLike) -> str:
    """The export format for an output path, by its extension.

    >>> format_for_path("out/sponsors.graphml"), format_for_path("all.nq")
    ('graphml', 'nq')

    :raises ValueError: for an extension that names no export format.
    """
    suffix = Path(path).suffix.lower()
    if suffix not in _SUFFIXES:
        known = " ".join(sorted(_SUFFIXES))
        raise ValueError(
            f"{path}: no export format for {suffix or '(no extension)'!r}; use --to, "
            f"or one of {known}"
        )
    return _SUFFIXES[suffix]


def export(
    graph: KnowledgeGraph | OxigraphStore,
    destination: str | os.PathLike,
    *,
    to: str | None = None,
    view: str = "full",
    frame: bool = False,
    describe: bool = False,
) -> Path:
    """Write the graph (or a networkx view of it, or its description) to a file; atomic.

    :param graph: a graph, or an Oxigraph store: N-Triples and N-Quads stream from the store;
        the other formats read the whole store into memory first (:func:`as_graph`).
    :param to: a format of :data:`FORMATS`; by default from the extension of ``destination``.
    :param view: the networkx view, for graphml, gexf, nodelink and cytoscape.
    :param frame: JSON-LD only: one nested document per study.
    :param describe: write the VoID/DCAT description instead of the data (an RDF format).
    :raises ValueError: for an unknown format or view, or options that do not go together.
    :raises OutputError: when the file cannot be written (a full disk); nothing is written.
    """
    target = Path(destination)
    to = check_options(target, to=to, view=view, frame=frame, describe=describe)
    if to in ("nt", "nq") and not describe:
        with atomic_write(target) as out:
            write_lines(_quads(graph), out, triples=to == "nt")
        return target
    graph = as_graph(graph)
    if describe:
        return _serialize(_description(count(graph), build_time()), target, to)
    if to in NETWORK_FORMATS:
        return write_network(to_networkx(graph, view), target, to, date=build_time()[:10])
    if frame:
        with atomic_write(target) as out:
            write_framed(graph, out)
        return target
    source = graph.dataset if to in _QUADS else graph.union()
    return _serialize(source, target, to)


def check_options(
    destination: str | os.PathLike,
    *,
    to: str | None = None,
    view: str = "full",
    frame: bool = False,
    describe: bool = False,
) -> str:
    """The format :func:`export` will write, after checking that the options go together.

    :raises ValueError: for an unknown format or view, or options that do not go together.
    """
    to = to or format_for_path(destination)
    if to not in FORMATS:
        raise ValueError(f"unknown format {to!r}; use one of {', '.join(FORMATS)}")
    if view not in VIEWS:
        raise ValueError(f"unknown view {view!r}; use one of {', '.join(VIEWS)}")
    if frame and (to != "jsonld" or describe):
        raise ValueError("framing is for the JSON-LD export of the data only (--to jsonld)")
    if describe and to not in ("ttl", "nt", "jsonld", "rdfxml"):
        raise ValueError(f"the description is one graph: use ttl, nt, jsonld or rdfxml, not {to}")
    if view != "full" and to not in NETWORK_FORMATS:
        raise ValueError(f"a view is for the networkx formats ({', '.join(NETWORK_FORMATS)})")
    return to


def _serialize(source: rdflib.Graph, target: Path, to: str) -> Path:
    options: dict[str, Any] = {}
    if to == "jsonld":
        options = {"context": jsonld.context(), "use_native_types": True}
    with atomic_write(target) as out:
        source.serialize(out, format=RDF_FORMATS[to], encoding="utf-8", **options)
    return target


def write_lines(quads: Iterable[tuple[Any, ...]], out: IO[bytes], *, triples: bool = False) -> int:
    """Write N-Quads (or N-Triples) one line at a time; returns the number of lines.

    N-Triples has no graph names: a triple about a shared node (an organization, a condition),
    which every study naming it repeats, is written once.
    """
    seen: set[str] = set()
    lines = 0
    for s, p, o, g in quads:
        head = f"{_nt(s)} {_nt(p)} {_nt(o)}"
        if triples:
            if not head[1:].startswith(_PER_STUDY):
                if head in seen:
                    continue
                seen.add(head)
            line = head + " .\n"
        else:
            line = f"{head} {_nt(g)} .\n"
        out.write(line.encode("utf-8"))
        lines += 1
    return lines


def as_graph(source: KnowledgeGraph | OxigraphStore) -> KnowledgeGraph:
    """A graph in memory: the graph itself, or every study of an Oxigraph store, copied."""
    if not hasattr(source, "dataset"):
        import pyoxigraph as ox

        from kg.graph import KnowledgeGraph

        dataset = rdflib.Dataset(default_union=True)
        dataset.parse(data=source.store.dump(format=ox.RdfFormat.N_QUADS), format="nquads")
        return KnowledgeGraph(dataset)
    return source


def _quads(source: KnowledgeGraph | OxigraphStore) -> Iterable[tuple[Any, ...]]:
    """Every quad in a named graph, from a graph or straight from a store."""
    if hasattr(source, "dataset"):
        yield from source.quads()
        return
    for q in source.store.quads_for_pattern(None, None, None, None):
        if type(q.graph_name).__name__ != "DefaultGraph":
            yield q.subject, q.predicate, q.object, q.graph_name


def _nt(term: Any) -> str:
    """A term's N-Triples form: rdflib terms through kg.terms, pyoxigraph's own ``str``."""
    if isinstance(term, rdflib.Literal):
        datatype = str(term.datatype) if term.datatype else None
        return nt_term(Lit(str(term), datatype, term.language))
    if isinstance(term, rdflib.BNode):
        return f"_:{term}"
    if isinstance(term, rdflib.URIRef):
        return nt_term(str(term))
    return str(term)


def write_framed(graph: KnowledgeGraph, out: IO[bytes]) -> int:
    """Write one nested JSON-LD document per study (see :func:`kg.jsonld.frame_study`)."""
    context = jsonld.context()
    compactor = jsonld.Compactor(context)
    head = json.dumps({"@context": context}, indent=1, ensure_ascii=False)
    out.write((head[: head.rindex("}")].rstrip() + ',\n "@graph": [\n').encode("utf-8"))
    count = 0
    for nct in graph.studies():
        named = graph.dataset.graph(rdflib.URIRef(GRAPH + nct))
        documents = jsonld.frame_study(named, STUDY + nct, compactor, shared_facts=graph.dataset)
        for document in documents:
            text = json.dumps(document, indent=1, ensure_ascii=False)
            out.write(((",\n" if count else "") + text).encode("utf-8"))
            count += 1
    out.write(b"\n ]\n}\n")
    return count


def describe(graph: KnowledgeGraph) -> rdflib.Graph:
    """A VoID and DCAT description of the dataset: counts, build date, source and licence."""
    return _description(count(graph), build_time())


def _description(counts: Counts, created: str) -> rdflib.Graph:
    g = rdflib.Graph()
    for prefix, namespace in {**PREFIXES, "void": VOID, "dcat": DCAT}.items():
        g.bind(prefix, namespace, replace=True)
    d = rdflib.URIRef(DATASET)
    void, dcat, dct = rdflib.Namespace(VOID), rdflib.Namespace(DCAT), rdflib.Namespace(DCT)
    g.add((d, rdflib.RDF.type, void.Dataset))
    g.add((d, rdflib.RDF.type, dcat.Dataset))
    g.add((d, dct.title, rdflib.Literal("ClinicalTrials.gov studies as RDF (ctgov-kg)", lang="en")))
    g.add(
        (
            d,
            dct.description,
            rdflib.Literal(
                "Study records of the ClinicalTrials.gov API v2 mapped to RDF by ctgov-kg "
                f"{__version__}, one named graph per study.",
                lang="en",
            ),
        )
    )
    created_at = rdflib.Literal(created, datatype=rdflib.URIRef(XSD + "dateTime"), normalize=False)
    g.add((d, dct.created, created_at))
    g.add((d, dct.source, rdflib.URIRef(CTGOV)))
    g.add((d, dct.license, rdflib.URIRef(PUBLIC_DOMAIN)))
    g.add((d, void.uriSpace, rdflib.Literal(BASE)))
    g.add((d, void.vocabulary, rdflib.URIRef(CTG.rstrip("#"))))
    for namespace in (MESHV, SCHEMA, DCT):
        g.add((d, void.vocabulary, rdflib.URIRef(namespace)))
    count = rdflib.URIRef(XSD + "integer")

    def number(value: int) -> rdflib.Literal:
        return rdflib.Literal(str(value), datatype=count)

    g.add((d, void.triples, number(counts.triples)))
    g.add((d, void.entities, number(counts.subjects)))
    g.add((d, void.distinctSubjects, number(counts.subjects)))
    g.add((d, void.distinctObjects, number(counts.objects)))
    g.add((d, void.properties, number(len(counts.properties))))
    g.add((d, void.classes, number(len(counts.classes))))
    for cls, n in counts.classes.items():
        part = rdflib.URIRef(f"{DATASET}#class-{_fragment(cls)}")
        g.add((d, void.classPartition, part))
        g.add((part, void["class"], rdflib.URIRef(cls)))
        g.add((part, void.entities, number(n)))
    for prop, n in counts.properties.items():
        part = rdflib.URIRef(f"{DATASET}#property-{_fragment(prop)}")
        g.add((d, void.propertyPartition, part))
        g.add((part, void.property, rdflib.URIRef(prop)))
        g.add((part, void.triples, number(n)))
    return g


def _fragment(iri: str) -> str:
    return prefixed(iri).replace(":", "-").replace("/", "-").replace("#", "-")
