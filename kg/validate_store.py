"""SHACL validation of an Oxigraph store in SPARQL: each constraint is one query over all studies.

:mod:`kg.shacl_sparql` compiles the shapes; here the queries run on the store, in ``jobs``
threads (Oxigraph answers a query without holding the GIL), the few values that SPARQL cannot
judge are decided as pyshacl decides them, and the findings become the same
:class:`~kg.findings.ValidationReport` that :func:`kg.validate` makes of the store's graph: the
same rows and the same SHACL report graph. Nothing is copied out of the store, so the cost is a
few scans of each property instead of one pyshacl call per batch of studies.

A finding on a shared node (an organization, a condition, a MeSH term: graph
:data:`kg.store.SHARED`) belongs to the studies that link to it, as when :func:`kg.validate` joins
the shared nodes to their studies.

>>> import kg
>>> store = kg.OxigraphStore.memory()
>>> _ = store.build(kg.sample_paths())
>>> report = validate_store(store)
>>> report.conforms, report.studies, report.counts()
(True, 7, {'Violation': 0, 'Warning': 0, 'Info': 1})
"""

from __future__ import annotations

import functools
import math
import os
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pyoxigraph as ox
import rdflib
from pyshacl.rdfutil import stringify_node
from rdflib import RDF, RDFS, BNode, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import SH
from rdflib.term import Node

from kg.errors import InputError
from kg.findings import ValidationReport
from kg.namespaces import GRAPH
from kg.oxigraph_terms import rows_to_rdflib
from kg.shacl_sparql import Check, Nested, Scan, Targets, compile_shapes
from kg.sparql import term as sparql_term
from kg.store import SHARED, OxigraphStore
from kg.validate import _found, _nct_in, _Outcome, _report, load_shapes

__all__ = ["validate_store"]

_CHUNK = 200
_ROWS_PER_BATCH = 1_000_000
"""Rows a count scan groups at once, at most (Oxigraph holds about 270 bytes a focus node)."""
_SAMPLE = 100  # study graphs whose rows estimate a count scan's
_MOST_ROWS = 5_000  # a study's rows in one count scan, at most: no estimate for fewer studies


def validate_store(
    store: OxigraphStore,
    *,
    shapes: rdflib.Graph | str | os.PathLike | None = None,
    jobs: int = 1,
) -> ValidationReport:
    """Validate every study of an Oxigraph store against the shapes, in SPARQL on the store.

    The findings are those of :func:`kg.validate` on the store's graph (pyshacl, no inference).

    :param shapes: a shapes graph or a directory of ``*.ttl`` shapes; the shipped ones if None.
    :param jobs: queries run at once, each in a thread (never two sh:minCount/sh:maxCount
        scans at once: each groups the subjects of its path in memory, up to
        ``_ROWS_PER_BATCH`` rows of them in a store as kg builds it, else all of them).
    :raises InputError: when the shapes cannot be loaded, or use SHACL that the SPARQL validator
        does not implement (naming the shape and the component).
    """
    shapes_graph = shapes if isinstance(shapes, rdflib.Graph) else load_shapes(shapes)
    data = _Data(store.store)
    scans = compile_shapes(shapes_graph, hierarchy=bool(data.superclasses))
    derived = [s for s in scans if s.derivation is not None]
    data.keep(derived)
    queried = [s for s in scans if s.derivation is None]
    # the longest first, then the counts, which run one at a time: the threads end together
    queried.sort(key=lambda scan: (scan.kind != "sparql", scan.kind not in _GROUPED))
    hits = [hit for found in _Queue(queried).run(data.run, jobs) for hit in found]
    unproven = []
    for scan in derived:
        if data.proven(scan):
            hits += data.derive(scan)
        else:
            unproven.append(scan)
    hits += [hit for found in _Queue(unproven).run(data.run, jobs) for hit in found]
    report = rdflib.Graph()
    nodes = [_add_result(report, hit, shapes_graph) for hit in hits]
    owners = _Owners(store.store, [hit.focus for hit in hits])
    found = [_found(report, node, owners, shapes_graph) for node in nodes]
    return _report([_Outcome(found, data.studies())])


_GROUPED = {"count", "min"}  # the kinds of scan that group every subject of a path


class _Queue:
    """The scans in order, taken by ``jobs`` threads, but never two count scans at once: each
    groups the subjects of its path in memory (all of them, 1.3 GiB for rdfs:label at 100,000
    studies, where it cannot group a batch of graphs at a time), so two at once would double
    the peak. A thread skips to the next other scan instead."""

    def __init__(self, scans: Sequence[Scan]) -> None:
        self._pending = list(enumerate(scans))
        self._found: list[list[_Hit]] = [[] for _ in scans]
        self._counting = False
        self._turn = threading.Condition()

    def run(self, work: Callable[[Scan], list[_Hit]], jobs: int) -> list[list[_Hit]]:
        """Each scan's hits, in the scans' order; the first failure is raised."""
        with ThreadPoolExecutor(max(1, jobs)) as pool:
            for done in [pool.submit(self._work, work) for _ in range(max(1, jobs))]:
                done.result()
        return self._found

    def _work(self, work: Callable[[Scan], list[_Hit]]) -> None:
        while (taken := self._take()) is not None:
            index, scan = taken
            try:
                self._found[index] = work(scan)
            except BaseException:
                with self._turn:
                    self._pending.clear()
                raise
            finally:
                with self._turn:
                    self._counting = self._counting and scan.kind not in _GROUPED
                    self._turn.notify_all()

    def _take(self) -> tuple[int, Scan] | None:
        with self._turn:
            while self._pending:
                for at, (_, scan) in enumerate(self._pending):
                    if scan.kind not in _GROUPED or not self._counting:
                        self._counting = self._counting or scan.kind in _GROUPED
                        return self._pending.pop(at)
                self._turn.wait()
            return None


@dataclass(frozen=True)
class _Hit:
    """One result: the check that found it, where, and what the report says of it."""

    check: Check
    focus: Node
    path: Node | None
    value: Node | None
    bindings: tuple[tuple[str, Node], ...] = ()
    details: tuple[Nested, ...] = ()


@dataclass
class _Candidate:
    """A row of a scan, its types and target flags gathered: a focus node and its value."""

    focus: Node
    value: Node | None
    count: int | None = None
    types: set[Node] = field(default_factory=set)
    value_types: set[Node] = field(default_factory=set)
    flags: set[tuple[URIRef, Node]] = field(default_factory=set)


@dataclass(frozen=True)
class _Value:
    """What value tests may ask of a candidate's value: its classes, superclasses included."""

    node: Node | None
    classes: frozenset[Node]

    def is_instance(self, node: Node, cls: Node) -> bool:
        """True when ``node`` is the value and an instance of ``cls``."""
        return node == self.node and cls in self.classes


class _Data:
    """The store, as the checks see it: the union of its graphs."""

    def __init__(self, store: ox.Store) -> None:
        self.store = store
        self.graphs = _study_graphs(store)
        self._kept: dict[int, list[dict[str, Node]]] = {}
        self.superclasses: dict[Node, set[Node]] = {}
        for row in self.select(f"SELECT ?a ?b WHERE {{ ?a <{RDFS.subClassOf}> ?b }}"):
            self.superclasses.setdefault(row["a"], set()).add(row["b"])

    def select(self, query: str) -> list[dict[str, Node]]:
        """The rows of a SELECT, as rdflib terms by variable name (unbound ones left out)."""
        return _rows(self.store, query, union=True)

    def studies(self) -> int:
        """The number of study graphs in the store."""
        if self.graphs is not None:
            return len(self.graphs)
        return sum(_study_of(g.value) is not None for g in self.store.named_graphs())

    def keep(self, derived: Iterable[Scan]) -> None:
        """Keep the rows of the scans that ``derived`` scans stand on, when they run."""
        for scan in derived:
            assert scan.derivation is not None
            for source in (*scan.derivation.sources, *scan.derivation.proofs):
                self._kept[id(source)] = []

    def run(self, scan: Scan) -> list[_Hit]:
        """Run one scan: its rows, as the results of each of its checks."""
        try:
            batches = self._batches(scan)
            if batches is None:
                rows = self.select(scan.query)
            else:
                rows = [row for batch in batches for row in self.select(scan.in_graphs(batch))]
        except (SyntaxError, OSError, ValueError, RuntimeError) as exc:
            shape = scan.checks[0].shape.n3()
            raise InputError(f"shape {shape}: its query failed: {exc}") from None
        if id(scan) in self._kept:
            self._kept[id(scan)] = rows
        return self._hits(scan, rows)

    def _batches(self, scan: Scan) -> list[list[str]] | None:
        """The graphs a count scan groups at a time, a batch each, when grouping the whole
        store at once would hold more than ``_ROWS_PER_BATCH`` rows (estimated from a sample
        of the study graphs); None to group it whole. The shared graph is a batch of its own."""
        graphs = self.graphs
        if scan.grouped is None or not graphs or len(graphs) * _MOST_ROWS < _ROWS_PER_BATCH:
            return None
        sample = graphs[:: max(1, len(graphs) // _SAMPLE)]
        met = int(self.select(scan.rows_in(sample))[0]["n"])
        parts = math.ceil(met * len(graphs) / len(sample) / _ROWS_PER_BATCH)
        if parts < 2:
            return None
        size = math.ceil(len(graphs) / parts)
        return [graphs[i : i + size] for i in range(0, len(graphs), size)] + [[SHARED]]

    def proven(self, scan: Scan) -> bool:
        """True when the node scans a derived scan stands on found no instance but IRIs."""
        assert scan.derivation is not None
        proofs = scan.derivation.proofs
        return all(isinstance(row["this"], URIRef) for p in proofs for row in self._kept[id(p)])

    def derive(self, scan: Scan) -> list[_Hit]:
        """A derived scan's results: its sources' rows whose value is not an IRI."""
        assert scan.derivation is not None
        sources = scan.derivation.sources
        rows = [r for s in sources for r in self._kept[id(s)] if not isinstance(r["value"], URIRef)]
        return self._hits(scan, rows)

    def _hits(self, scan: Scan, rows: list[dict[str, Node]]) -> list[_Hit]:
        if scan.kind == "sparql":
            return list(_sparql_hits(scan.checks[0], rows))
        hits = []
        for candidate in self._candidates(scan, rows):
            classes = self._closure(candidate.types)
            for check in scan.checks:
                if _targeted(check.targets, candidate, classes):
                    hit = self._judge(scan, check, candidate)
                    if hit is not None:
                        hits.append(hit)
        return hits

    def _candidates(self, scan: Scan, rows: list[dict[str, Node]]) -> Iterable[_Candidate]:
        found: dict[tuple[Node, Node | None], _Candidate] = {}
        for row in rows:
            focus = row["this"]
            value = row.get("value")
            candidate = found.setdefault((focus, value), _Candidate(focus, value))
            if "count" in row:
                candidate.count = int(row["count"])
            if "type" in row:
                candidate.types.add(row["type"])
            if "vtype" in row:
                candidate.value_types.add(row["vtype"])
            for name, target, predicate in scan.flags:
                flag = row.get(name)
                if isinstance(flag, Literal) and flag.value is True:
                    candidate.flags.add((target, predicate))
        return found.values()

    def _closure(self, types: set[Node]) -> set[Node]:
        """The classes and all their superclasses (rdfs:subClassOf*)."""
        found, todo = set(types), list(types)
        while todo:
            for parent in self.superclasses.get(todo.pop(), ()):
                if parent not in found:
                    found.add(parent)
                    todo.append(parent)
        return found

    def _judge(self, scan: Scan, check: Check, candidate: _Candidate) -> _Hit | None:
        """The result of ``check`` on a candidate, or None when the value conforms."""
        if check.count is not None and candidate.count is not None:
            return (
                _Hit(check, candidate.focus, check.path, None)
                if check.breaks(candidate.count)
                else None
            )
        value = candidate.value if check.valued else None
        types = candidate.value_types if check.path is not None else candidate.types
        known = _Value(value, frozenset(self._closure(types)))
        details: tuple[Nested, ...] = ()
        if check.details is not None and value is not None:
            details = check.details.results(value, known)
            if not details:
                return None
        elif not scan.exact and check.test is not None and check.test.holds(value, known):
            return None
        return _Hit(check, candidate.focus, check.path, value, details=details)


def _targeted(targets: Targets, candidate: _Candidate, classes: set[Node]) -> bool:
    """True when the candidate's focus node is a focus node of a shape with ``targets``."""
    return bool(
        targets.classes & classes
        or candidate.focus in targets.nodes
        or any((SH.targetSubjectsOf, p) in candidate.flags for p in targets.subjects_of)
        or any((SH.targetObjectsOf, p) in candidate.flags for p in targets.objects_of)
    )


def _sparql_hits(check: Check, rows: list[dict[str, Node]]) -> Iterator[_Hit]:
    """An sh:sparql constraint's rows as results, as pyshacl reads them."""
    seen = set()
    for row in rows:
        focus = row.pop("this")
        path = row.pop("path", None)
        value = row.pop("value", None)
        if value is None and check.path is None:
            value = focus
        bindings = tuple(sorted(row.items()))
        key = (focus, path, value, bindings)
        if key not in seen:
            seen.add(key)
            yield _Hit(check, focus, path if path is not None else check.path, value, bindings)


_Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple


def _study_graphs(store: ox.Store) -> list[str] | None:
    """The study graphs, sorted, when the store holds only what kg builds (study graphs, the
    shared graph, nothing in the default graph): there each node's triples are all in one
    graph, so a count scan may group a batch of graphs at a time. None otherwise."""
    graphs = []
    for graph in store.named_graphs():
        if _study_of(graph.value) is not None:
            graphs.append(graph.value)
        elif graph.value != SHARED:
            return None
    if store.query("ASK { ?s ?p ?o }"):
        return None
    return sorted(graphs)


def _study_of(graph: str) -> str | None:
    """The NCT ID of a study's graph name; None for the shared graph and any other."""
    if graph == SHARED or not graph.startswith(GRAPH):
        return None
    return _nct_in(URIRef(graph))


# --- the report graph, as pyshacl writes it ----------------------------------------------------


def _add_result(report: rdflib.Graph, hit: _Hit, shapes: rdflib.Graph) -> BNode:
    """Write one result into the report graph; returns its node."""
    check = hit.check
    node = BNode()
    report.add((node, RDF.type, SH.ValidationResult))
    report.add((node, SH.sourceConstraintComponent, check.component))
    report.add((node, SH.sourceShape, check.shape))
    report.add((node, SH.resultSeverity, check.severity))
    report.add((node, SH.focusNode, hit.focus))
    if hit.value is not None:
        report.add((node, SH.value, hit.value))
    if hit.path is not None:
        report.add((node, SH.resultPath, hit.path))
        _copy(shapes, hit.path, report)
    if check.sparql is not None:
        report.add((node, SH.sourceConstraint, check.sparql.node))
        _copy(shapes, check.sparql.node, report)
    for message in _messages(hit, shapes):
        report.add((node, SH.resultMessage, message))
    for nested in hit.details:
        report.add((node, SH.detail, _add_nested(report, nested, hit.value, shapes)))
    return node


def _add_nested(report: rdflib.Graph, nested: Nested, value: Node | None, shapes: rdflib.Graph):
    node = BNode()
    report.add((node, RDF.type, SH.ValidationResult))
    report.add((node, SH.sourceConstraintComponent, nested.component))
    report.add((node, SH.sourceShape, nested.shape))
    report.add((node, SH.resultSeverity, nested.severity))
    report.add((node, SH.focusNode, value))
    report.add((node, SH.value, value))
    generic = _generic(nested.component, nested.shape, value, value, None, shapes)
    for message in nested.messages or generic:
        report.add((node, SH.resultMessage, message))
    for deeper in nested.details:
        report.add((node, SH.detail, _add_nested(report, deeper, value, shapes)))
    return node


def _copy(source: rdflib.Graph, node: Node, target: rdflib.Graph) -> None:
    """A blank node of the shapes graph (a path, a constraint) and what hangs from it, into the
    report, as pyshacl copies them."""
    if isinstance(node, BNode):
        for p, o in source.predicate_objects(node):
            target.add((node, p, o))
            _copy(source, o, target)


def _messages(hit: _Hit, shapes: rdflib.Graph) -> list[Literal]:
    """The result's messages: the shape's; for sh:sparql, its constraint's first, its
    ``{?var}`` filled in; a generic one when there is none."""
    check = hit.check
    if check.sparql is None:
        if check.messages:
            return list(check.messages)
        return _generic(check.component, check.shape, hit.focus, hit.value, check.path, shapes)
    bound = {**dict(hit.bindings), "this": hit.focus}
    if hit.path is not None:
        bound["path"] = hit.path
    if hit.value is not None:
        bound["value"] = hit.value
    extra = [m for m in check.sparql.messages if m not in check.messages]
    return [Literal(_fill(str(m), bound)) for m in [*extra, *check.messages]]


def _fill(message: str, bound: dict[str, Node]) -> str:
    for name, value in bound.items():
        message = re.sub(f"{{[?$]{name}}}", lambda _, v=value: str(v), message)
    return message


_TEMPLATES = {
    "MinCount": "Less than {n} values on {focus}->{path}",
    "MaxCount": "More than {n} values on {focus}->{path}",
    "Datatype": "Value is not Literal with datatype {p}",
    "NodeKind": "Value is not of Node Kind {p}",
    "Class": "Value does not have class {p}",
    "Pattern": "Value does not match pattern '{p}'",
    "MinInclusive": "Value is not >= {p}",
    "MaxInclusive": "Value is not <= {p}",
    "MinExclusive": "Value is not > {p}",
    "MaxExclusive": "Value is not < {p}",
    "Node": "Value does not conform to Shape {p}.",
    "In": "Value {value} not in list {p}",
}


def _generic(
    component: URIRef,
    shape: Node,
    focus: Node | None,
    value: Node | None,
    path: Node | None,
    shapes: rdflib.Graph,
) -> list[Literal]:
    """pyshacl's message for a shape without sh:message (its words, not always its spelling)."""
    name = str(component).rsplit("#", 1)[-1].removesuffix("ConstraintComponent")
    found = shapes.value(shape, SH[name[0].lower() + name[1:]])
    if found is None:
        shown = ""
    elif name == "Pattern":
        shown = str(found)
    elif name == "In":
        shown = str([stringify_node(shapes, v) for v in Collection(shapes, found)])
    else:
        shown = stringify_node(shapes, found)
    text = _TEMPLATES.get(name, "Value does not conform to {shape}").format(
        n=found,
        p=shown,
        focus=stringify_node(_names(), focus) if focus is not None else "",
        value=stringify_node(_names(), value) if value is not None else "",
        path=stringify_node(shapes, path) if path is not None else "",
        shape=stringify_node(shapes, shape),
    )
    return [Literal(text)]


@functools.cache
def _names() -> rdflib.Graph:
    """An empty graph with rdflib's prefixes: how pyshacl names data nodes in its messages."""
    return rdflib.Graph()


# --- which studies a finding belongs to --------------------------------------------------------


class _Owners:
    """The studies that findings belong to: the study whose IRI the focus node extends; for a
    shared node, the studies whose unit holds the offending triple as kg.validate builds units
    (the study's own graph, the shared nodes it links to, the types of the nodes they link to),
    or None when no study links to it."""

    def __init__(self, store: ox.Store, foci: Iterable[Node]) -> None:
        shared = sorted({f for f in foci if isinstance(f, URIRef) and _nct_in(f) is None}, key=str)
        self.loose: dict[Node, set[tuple[Node, Node]]] = {}
        self.own: dict[Node, dict[str, set[tuple[Node, Node]]]] = {}
        self.linked: dict[Node, set[str]] = {}
        self.second: dict[Node, set[str]] = {}
        for start in range(0, len(shared), _CHUNK):
            self._look_up(store, shared[start : start + _CHUNK])

    def _look_up(self, store: ox.Store, foci: Sequence[Node]) -> None:
        values = " ".join(sparql_term(f) for f in foci)
        triples = (
            f"SELECT ?f ?p ?o ?g WHERE {{ VALUES ?f {{ {values} }} "
            "{ ?f ?p ?o } UNION { GRAPH ?g { ?f ?p ?o } } }"
        )
        for row in _rows(store, triples):
            nct = _study_of(str(row["g"])) if "g" in row else None
            if nct is None:
                self.loose.setdefault(row["f"], set()).add((row["p"], row["o"]))
            else:
                own = self.own.setdefault(row["f"], {})
                own.setdefault(nct, set()).add((row["p"], row["o"]))
        linked = f"SELECT ?f ?g WHERE {{ VALUES ?f {{ {values} }} GRAPH ?g {{ ?s ?p ?f }} }}"
        for row in _rows(store, linked):
            if (nct := _study_of(str(row["g"]))) is not None:
                self.linked.setdefault(row["f"], set()).add(nct)
        second = (
            f"SELECT DISTINCT ?f ?h ?g WHERE {{ VALUES ?f {{ {values} }} "
            "{ ?o ?q ?f } UNION { GRAPH ?h { ?o ?q ?f } } GRAPH ?g { ?s ?p ?o } }"
        )
        for row in _rows(store, second):
            if "h" in row and _study_of(str(row["h"])) is not None:
                continue
            if (nct := _study_of(str(row["g"]))) is not None:
                self.second.setdefault(row["f"], set()).add(nct)

    def __call__(self, focus: Node, path: Node | None, value: Node | None) -> list[str | None]:
        nct = _nct_in(focus)
        if nct is not None:
            return [nct]
        exact = isinstance(path, URIRef) and value is not None

        def holds(triples: set[tuple[Node, Node]]) -> bool:
            return (path, value) in triples if exact else bool(triples)

        loose = self.loose.get(focus, set())
        linked = self.linked.get(focus, set())
        own = self.own.get(focus, {})
        owners: set[str | None] = {nct for nct, triples in own.items() if holds(triples)}
        if holds(loose):
            owners |= linked
            if not linked:
                owners.add(None)
        types = {(p, o) for p, o in loose if p == RDF.type}
        if holds(types):
            owners |= self.second.get(focus, set())
        return sorted(owners, key=lambda n: (n is None, n or "")) or [None]


def _rows(store: ox.Store, query: str, *, union: bool = False) -> list[dict[str, Node]]:
    """The rows of a SELECT as rdflib terms by variable name, unbound ones left out.

    The terms become rdflib's once the query's results are gone: rdflib logs an ill-typed
    literal with its traceback, whose frames would keep the results of a thread's query alive
    in a handler that keeps records, and pyoxigraph refuses to free them in another thread.

    :raises InputError: for an RDF-star triple term, which no shape can judge."""
    names, rows = _solutions(store, query, union)
    try:
        terms = rows_to_rdflib(rows)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    return [{n: t for n, t in zip(names, row, strict=True) if t is not None} for row in terms]


def _solutions(
    store: ox.Store, query: str, union: bool
) -> tuple[list[str], list[tuple[_Term | None, ...]]]:
    solutions = store.query(query, use_default_graph_as_union=union)
    return [v.value for v in solutions.variables], [tuple(row) for row in solutions]
