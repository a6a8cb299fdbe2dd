"""SHACL validation with pyshacl, study by study, in batches, across cores.

Each study's named graph already holds the triples of the shared nodes it links to
(organizations, conditions, MeSH terms), so a batch of studies is self-contained and the
findings do not depend on how the studies are batched. A graph without graph names is split
into the same per-study units first; records are mapped in the workers, batch by batch, so a
corpus of any size is validated without building its whole graph. Each batch is one pyshacl
call; batches run in worker processes, forked so that they inherit the data instead of
receiving a copy. No RDFS/OWL inference unless asked: it makes validation about ten times
slower.

At registry scale, build an Oxigraph store (``kg build --store``) and validate it with
:func:`kg.validate_store.validate_store` (``kg validate --store``): the same shapes, compiled to
SPARQL (:mod:`kg.shacl_sparql`), run on the store over all studies at once, and the same
findings as here, in the same :class:`~kg.findings.ValidationReport`.

>>> import kg
>>> report = kg.build(kg.sample_paths()).validate()
>>> report.conforms, report.studies, report.counts()
(True, 7, {'Violation': 0, 'Warning': 0, 'Info': 1})
"""

from __future__ import annotations

import functools
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyshacl
import rdflib
from pyshacl.errors import ReportableRuntimeError
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.namespace import RDF, SH
from rdflib.plugins.sparql import prepareQuery

from kg.errors import InputError, RecordError
from kg.findings import ValidationReport, ValidationResult
from kg.mapping import map_read_record, map_record
from kg.namespaces import CTG, FOAF, GRAPH, STUDY
from kg.read import Record, nct_id_of
from kg.resources import ONTOLOGY, shapes_dir
from kg.sinks import DatasetSink

if TYPE_CHECKING:
    from kg.graph import KnowledgeGraph

__all__ = ["BATCH_SIZE", "INFERENCE", "load_shapes", "validate"]

BATCH_SIZE = 50
"""Studies per pyshacl call: large enough that pyshacl's per-call cost is spread thin."""
INFERENCE = ("rdfs", "owlrl", "both")

Triple = tuple[rdflib.term.Node, rdflib.term.Node, rdflib.term.Node]
_PRIMARY_TOPIC = rdflib.URIRef(FOAF + "primaryTopic")


def load_shapes(directory: str | os.PathLike | None = None) -> rdflib.Graph:
    """Every ``*.ttl`` file of ``directory`` as one shapes graph (the shipped shapes if None).

    :raises InputError: when the directory has no ``.ttl`` file or one does not parse.
    """
    return _load_shapes(str(Path(directory or shapes_dir()).resolve()))


@functools.cache
def _load_shapes(directory: str) -> rdflib.Graph:
    files = sorted(Path(directory).glob("*.ttl"))
    if not files:
        raise InputError(f"{directory}: no shapes (*.ttl files) there")
    graph = rdflib.Graph()
    for path in files:
        try:
            graph.parse(path, format="turtle")
        except Exception as exc:  # rdflib raises several unrelated types for bad Turtle
            raise InputError(f"{path}: not Turtle: {exc}") from None
    return graph


def validate(
    source: KnowledgeGraph | rdflib.Graph | Iterable[dict | Record],
    *,
    shapes: rdflib.Graph | str | os.PathLike | None = None,
    jobs: int = 1,
    batch_size: int = BATCH_SIZE,
    inference: str | None = None,
) -> ValidationReport:
    """Validate studies against the shapes, in batches, batches in ``jobs`` processes.

    :param source: a :class:`~kg.graph.KnowledgeGraph`, an rdflib Dataset (one named graph per
        study), an rdflib Graph (split into studies by their IRIs), or API v2 study records
        (dicts, or :class:`~kg.read.Record` as :func:`kg.records` reads them): these are mapped
        batch by batch in the workers and the whole graph is never built; a repeated NCT ID
        is validated once (its first copy); a record that cannot be mapped is listed in the
        report's ``errors``.
    :param shapes: a shapes graph or a directory of ``*.ttl`` shapes; the shipped ones if None.
    :param jobs: worker processes; 1 validates in this process.
    :param batch_size: studies per pyshacl call.
    :param inference: ``rdfs``, ``owlrl`` or ``both`` to infer with the ontology first.
    :raises ValueError: for an unknown ``inference`` or a ``batch_size`` below 1.
    :raises InputError: when the shapes cannot be loaded or used.
    """
    if inference not in (None, "none", *INFERENCE):
        raise ValueError(f"unknown inference {inference!r}; use one of {', '.join(INFERENCE)}")
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    data = getattr(source, "dataset", source)
    shapes_graph = shapes if isinstance(shapes, rdflib.Graph) else load_shapes(shapes)
    options = _Options(None if inference in (None, "none") else inference)
    if isinstance(data, rdflib.Graph):
        units = _units(data)
        work: Iterable[Any] = [
            (i, min(i + batch_size, len(units))) for i in range(0, len(units), batch_size)
        ]
        run: Callable[[Any], _Outcome] = _run_span
    else:
        units, work, run = [], _chunks(data, batch_size), _run_records
    global _WORK
    _WORK = _Work(data if units else None, units, shapes_graph, options)
    try:
        if jobs > 1 and "fork" in multiprocessing.get_all_start_methods():
            with multiprocessing.get_context("fork").Pool(jobs) as pool:
                return _report(pool.imap(run, work))
        return _report(map(run, work))
    finally:
        _WORK = None


def _chunks(records: Iterable[dict | Record], size: int) -> Iterator[list[dict | Record]]:
    """Batches of records, each NCT ID once: a study twice in one graph is not that study."""
    batch: list[dict | Record] = []
    seen: set[str] = set()
    for record in records:
        nct = record.nct_id if isinstance(record, Record) else nct_id_of(record)
        if nct is not None:
            if nct in seen:
                continue
            seen.add(nct)
        batch.append(record)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


# --- units: a study's triples, with the shared nodes it links to ------------------------------


@dataclass(frozen=True)
class _Unit:
    """One study (or, with ``nct`` None, triples outside every study): a named graph of the
    source and/or triples."""

    nct: str | None
    name: rdflib.term.Node | None = None
    triples: tuple[Triple, ...] = ()


def _units(data: rdflib.Graph) -> list[_Unit]:
    """The studies of a graph. A Dataset's study graphs are units as they are; triples in other
    graphs (the default graph; the graph of shared nodes of an Oxigraph store, kg.store) are
    split by study and joined to the studies that link to them."""
    if not isinstance(data, rdflib.Dataset):
        return _split(list(data), {})
    named: dict[str, rdflib.term.Node] = {}
    loose: list[Triple] = []
    for graph in data.graphs():
        if next(iter(graph), None) is None:
            continue
        nct = None if graph.identifier == DATASET_DEFAULT_GRAPH_ID else _graph_study(graph)
        if nct is None:
            loose += graph
        else:
            named[nct] = graph.identifier
    if not loose:
        return [_Unit(nct, name) for nct, name in sorted(named.items())]
    return _split(loose, {nct: list(data.graph(name)) for nct, name in named.items()}, named)


def _graph_study(graph: rdflib.Graph) -> str | None:
    """The NCT ID of a study's named graph (the study is its primary topic); else None."""
    return _nct_in(graph.value(graph.identifier, _PRIMARY_TOPIC))


def _nct_in(node: Any) -> str | None:
    """``NCT...`` of a study IRI, of an IRI below it or of a study's graph IRI; else None."""
    text = str(node)
    for base in (STUDY, GRAPH):
        if isinstance(node, rdflib.URIRef) and text.startswith(base) and len(text) > len(base):
            return text[len(base) :].split("/", 1)[0]
    return None


def _split(
    loose: list[Triple],
    named_triples: dict[str, list[Triple]],
    named: dict[str, rdflib.term.Node] | None = None,
) -> list[_Unit]:
    """Triples without a study graph, as per-study units: each study's own nodes (its IRI and
    those below it, its graph node) with the shared nodes that it links to and the types of the
    nodes those link to. Studies that have a named graph (``named``) keep it and get only the
    shared triples. Triples that no study reaches form one more unit."""
    owned: dict[str, list[Triple]] = {}
    shared: dict[rdflib.term.Node, list[Triple]] = {}
    for triple in loose:
        nct = _nct_in(triple[0])
        if nct is not None:
            owned.setdefault(nct, []).append(triple)
        else:
            shared.setdefault(triple[0], []).append(triple)
    named = named or {}
    units, reached = [], set()
    for nct in sorted(set(owned) | set(named)):
        own = owned.get(nct, [])
        extra, linked = list(own), set()
        for _, _, o in [*own, *named_triples.get(nct, ())]:
            if o in shared and o not in linked:
                linked.add(o)
                extra += shared[o]
        for node in sorted(linked, key=str):
            for _, _, o in shared[node]:
                if o in shared and o not in linked:
                    extra += [t for t in shared[o] if t[1] == RDF.type]
        reached |= linked
        units.append(_Unit(nct, named.get(nct), tuple(extra)))
    rest = tuple(t for node, ts in shared.items() if node not in reached for t in ts)
    if rest:
        units.append(_Unit(None, triples=rest))
    return units


def _unit_triples(data: rdflib.Graph | None, unit: _Unit) -> Iterator[Triple]:
    if unit.name is not None and isinstance(data, rdflib.Dataset):
        yield from data.graph(unit.name)
    yield from unit.triples


# --- batches ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Options:
    inference: str | None


@dataclass(frozen=True)
class _Work:
    """What every batch needs; set before the workers fork, so they inherit it."""

    data: rdflib.Graph | None
    units: list[_Unit]
    shapes: rdflib.Graph
    options: _Options


_WORK: _Work | None = None

_NAMESPACES = dict(rdflib.Graph().namespaces())


@functools.lru_cache(maxsize=512)
def _prepared(text: str) -> Any:
    return prepareQuery(text, initNs=_NAMESPACES)


class _Batch(rdflib.Graph):
    """A batch's triples. pyshacl runs each sh:sparql constraint as text, once per focus node,
    and rdflib would parse the text every time (17 ms); here it is parsed once per process."""

    def query(self, query_object: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(query_object, str):
            query_object = _prepared(query_object)
        return super().query(query_object, *args, **kwargs)


@dataclass(frozen=True)
class _Found:
    """One result of a batch's report: its identity, its rows, its triples (result node
    ``_:r``, nested nodes ``_:r1``...)."""

    key: tuple[str, ...]
    rows: tuple[ValidationResult, ...]
    triples: tuple[Triple, ...]


@dataclass
class _Outcome:
    """What one batch found: its results, the studies it validated, the records it could not
    map."""

    found: list[_Found]
    studies: int
    errors: list[RecordError] = field(default_factory=list)


def _run_span(span: tuple[int, int]) -> _Outcome:
    """Validate the units ``span`` of the source graph."""
    work = _current()
    units = work.units[span[0] : span[1]]
    graph = _Batch()
    for unit in units:
        for triple in _unit_triples(work.data, unit):
            graph.add(triple)
    found = _check(graph, units, work)
    return _Outcome(found, sum(u.nct is not None for u in units))


def _run_records(records: list[dict | Record]) -> _Outcome:
    """Map a batch of records and validate them: each record's triples are its unit."""
    work = _current()
    graph, units, errors = _Batch(), [], []
    term = DatasetSink().term
    for record in records:
        try:
            if isinstance(record, Record):
                mapped = map_read_record(record.data, source=record.source)
            else:
                mapped = map_record(record)
        except RecordError as exc:
            errors.append(exc)
            continue
        triples = tuple((term(s), term(p), term(o)) for s, p, o, _ in mapped.quads)
        for triple in triples:
            graph.add(triple)
        units.append(_Unit(mapped.nct_id, triples=triples))
    return _Outcome(_check(graph, units, work), len(units), errors)


def _current() -> _Work:
    assert _WORK is not None, "validation work is set before batches run"
    return _WORK


def _check(graph: _Batch, units: Sequence[_Unit], work: _Work) -> list[_Found]:
    """One pyshacl call on a batch's graph, its results as :class:`_Found`."""
    inference = work.options.inference
    try:
        _, report, _ = pyshacl.validate(
            graph,
            shacl_graph=work.shapes,
            ont_graph=_ontology() if inference else None,
            inference=inference or "none",
            inplace=True,
            allow_warnings=True,
            allow_infos=True,
        )
    except ReportableRuntimeError as exc:
        raise InputError(f"the shapes cannot be used: {exc}") from None
    if not isinstance(report, rdflib.Graph):
        raise InputError(f"the shapes cannot be used: {report}")
    owners = functools.partial(_owners, units=units, data=work.data)
    return [_found(report, r, owners, work.shapes) for r in report.objects(None, SH.result)]


@functools.cache
def _ontology() -> rdflib.Graph:
    return rdflib.Graph().parse(ONTOLOGY, format="turtle")


_Owners = Callable[[rdflib.term.Node, rdflib.term.Node | None, rdflib.term.Node | None], list]
"""The studies (NCT IDs, None for none) that a finding on (focus, path, value) belongs to."""


def _found(
    report: rdflib.Graph, result: rdflib.term.Node, owners: _Owners, shapes: rdflib.Graph
) -> _Found:
    focus = report.value(result, SH.focusNode)
    path = report.value(result, SH.resultPath)
    value = report.value(result, SH.value)
    shape = report.value(result, SH.sourceShape)
    component = report.value(result, SH.sourceConstraintComponent)
    messages = sorted(report.objects(result, SH.resultMessage), key=_english_first)
    if report.value(result, SH.sourceConstraint) is not None:
        # pyshacl gives the shape's message and the SPARQL constraint's; the latter says more.
        general = {str(m) for m in shapes.objects(shape, SH.message)}
        messages = [m for m in messages if str(m) not in general] or messages
    path_text = _path_text(report, path)
    row = dict(
        focus=str(focus),
        path=path_text,
        value=None if value is None else str(value),
        message=str(messages[0]) if messages else "",
        severity=str(report.value(result, SH.resultSeverity)).rsplit("#", 1)[-1],
        shape=str(shape) if isinstance(shape, rdflib.URIRef) else "(unnamed shape)",
        constraint=str(component).rsplit("#", 1)[-1],
    )
    key = (
        str(focus),
        path_text or "",
        "" if value is None else value.n3(),
        str(shape),
        str(component),
        str(report.value(result, SH.sourceConstraint) or ""),
    )
    return _Found(
        key,
        tuple(ValidationResult(nct_id=nct, **row) for nct in owners(focus, path, value)),
        tuple(_closure(report, result)),
    )


def _english_first(message: rdflib.term.Node) -> tuple[bool, str]:
    return (getattr(message, "language", None) not in (None, "en"), str(message))


def _path_text(report: rdflib.Graph, path: rdflib.term.Node | None) -> str | None:
    if path is None:
        return None
    if isinstance(path, rdflib.URIRef):
        return str(path)
    inverse = report.value(path, SH.inversePath)
    if isinstance(inverse, rdflib.URIRef):
        return "^" + str(inverse)
    return "(complex path)"


def _owners(
    focus: rdflib.term.Node,
    path: rdflib.term.Node | None,
    value: rdflib.term.Node | None,
    units: Sequence[_Unit],
    data: rdflib.Graph | None,
) -> list[str | None]:
    """The studies a finding belongs to: the study whose IRI the focus node extends, else (a
    shared node) every study of the batch that states the offending triple, or the node."""
    nct = _nct_in(focus)
    if nct is not None:
        return [nct]
    if isinstance(path, rdflib.URIRef) and value is not None:
        pattern: tuple = (focus, path, value)
    else:
        pattern = (focus, None, None)
    owners = []
    for unit in units:
        states = any(_matches(t, pattern) for t in unit.triples)
        if not states and unit.name is not None and isinstance(data, rdflib.Dataset):
            states = pattern in data.graph(unit.name)
        if states:
            owners.append(unit.nct)
    return sorted(set(owners), key=lambda n: (n is None, n or "")) or [None]


def _matches(triple: Triple, pattern: tuple) -> bool:
    return all(p is None or p == t for t, p in zip(triple, pattern, strict=True))


def _closure(report: rdflib.Graph, root: rdflib.term.Node) -> list[Triple]:
    """The result's triples and those of the blank nodes below it, blank nodes renamed in
    traversal order (``_:r``, ``_:r1``, ...) so that equal results give equal triples."""
    names = {root: rdflib.BNode("r")}
    todo, triples = [root], []
    while todo:
        node = todo.pop(0)
        for p, o in sorted(report.predicate_objects(node), key=lambda po: (po[0], po[1].n3())):
            if isinstance(o, rdflib.BNode) and p != SH.sourceShape:
                if o not in names:
                    names[o] = rdflib.BNode(f"r{len(names)}")
                    todo.append(o)
                o = names[o]
            triples.append((names[node], p, o))
    return triples


# --- the report ---------------------------------------------------------------------------


def _report(outcomes: Iterable[_Outcome]) -> ValidationReport:
    """One report from the batches': results deduplicated, in a fixed order, with fixed names."""
    found: dict[tuple[str, ...], _Found] = {}
    rows: set[ValidationResult] = set()
    studies, errors = 0, []
    for outcome in outcomes:
        studies += outcome.studies
        errors += outcome.errors
        for item in outcome.found:
            found.setdefault(item.key, item)
            rows.update(item.rows)
    conforms = not any(r.severity == "Violation" for r in rows)
    graph = rdflib.Graph()
    graph.bind("sh", SH)
    graph.bind("ctgsh", "https://w3id.org/ctgov-kg/shapes#")
    graph.bind("ctg", CTG)
    report = rdflib.BNode("report")
    graph.add((report, RDF.type, SH.ValidationReport))
    graph.add((report, SH.conforms, rdflib.Literal(conforms)))
    for i, key in enumerate(sorted(found)):
        prefix = f"result{i + 1}"
        rename: dict[rdflib.term.Node, rdflib.BNode] = {}
        for s, p, o in found[key].triples:
            s = rename.setdefault(s, _renamed(prefix, s))
            if isinstance(o, rdflib.BNode):
                o = rename.setdefault(o, _renamed(prefix, o))
            graph.add((s, p, o))
        graph.add((report, SH.result, rename[rdflib.BNode("r")]))
    return ValidationReport(conforms, sorted(rows, key=_row_order), graph, studies, errors)


def _renamed(prefix: str, node: rdflib.term.Node) -> rdflib.BNode:
    return rdflib.BNode(prefix if str(node) == "r" else f"{prefix}-{str(node)[1:]}")


def _row_order(row: ValidationResult) -> tuple:
    return (
        row.nct_id is None,
        row.nct_id or "",
        row.severity,
        row.shape,
        row.focus,
        row.path or "",
        row.value or "",
        row.message,
    )
