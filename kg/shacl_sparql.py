"""SHACL shapes compiled to SPARQL: each constraint is one SELECT over a whole Oxigraph store.

A constraint (a value test on a property, a count of a property's values, a value test on focus
nodes, an sh:sparql query) becomes a :class:`Check`; the checks that state the same constraint
on the same property, in whichever shapes and for whichever classes, share one query, a
:class:`Scan`. The query returns, across all studies at once, the focus nodes (``?this``) and
values (``?value``) that may break the constraint, with what says which shapes they are focus
nodes of; its cost is one pass over the property (over the distinct values, for tests on
literals), whatever the number of shapes and focus nodes. ``rdfs:label`` is checked for 28
classes in one scan, not 28.

The semantics are pyshacl's (SHACL Core as pyshacl 0.40 decides it, without inference), which
the plain validator uses. Where SPARQL and pyshacl could disagree on a value (ill-typed
literals, Python regular expressions, comparisons across datatypes), the query keeps every value
that SPARQL cannot show to conform, and the check's test then decides each of those few in
Python as pyshacl does. A component, path or target this module does not implement is refused
with :class:`~kg.errors.InputError` naming the shape, so that no shape goes unchecked silently.

>>> from kg.validate import load_shapes
>>> scans = compile_shapes(load_shapes())
>>> shared = [s for s in scans if any(c.shape.endswith("#Study-label") for c in s.checks)]
>>> [(s.kind, len(s.checks)) for s in shared]
[('value', 28), ('count', 32)]
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import logging
import operator
import re
import warnings
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Protocol

import rdflib
from pyshacl.rdfutil.compare import compare_literal
from rdflib import OWL, RDF, RDFS, XSD, BNode, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import SH
from rdflib.term import Node

from kg.errors import InputError, QueryError
from kg.sparql import term as sparql_term
from kg.sparql import tokens, where_start

__all__ = ["Check", "Derivation", "Scan", "SparqlConstraint", "Targets", "compile_shapes"]

NAMESPACES = {k: str(v) for k, v in rdflib.Graph().namespaces()}
"""The prefixes every sh:select may use undeclared: rdflib's, which pyshacl's queries get."""

_TARGETS = (SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf, SH.targetNode)
_METADATA = frozenset(
    {SH.message, SH.severity, SH.deactivated, SH.name, SH.description, SH.order, SH.group}
    | {SH.defaultValue, SH.path, SH.flags, *_TARGETS}
)
_REFUSED = {
    SH.minLength: "MinLength",
    SH.maxLength: "MaxLength",
    SH.languageIn: "LanguageIn",
    SH.uniqueLang: "UniqueLang",
    SH.equals: "Equals",
    SH.disjoint: "Disjoint",
    SH.lessThan: "LessThan",
    SH.lessThanOrEquals: "LessThanOrEquals",
    SH["not"]: "Not",
    SH["and"]: "And",
    SH.xone: "Xone",
    SH.hasValue: "HasValue",
    SH.closed: "Closed",
    SH.ignoredProperties: "Closed",
    SH.qualifiedValueShape: "QualifiedValueShape",
    SH.property: "Property",
    SH.target: "a SPARQL-based target (sh:target)",
    SH.rule: "a SHACL rule (sh:rule)",
}
_VALUE = {
    SH.datatype: "Datatype",
    SH.nodeKind: "NodeKind",
    SH["in"]: "In",
    SH["class"]: "Class",
    SH.pattern: "Pattern",
    SH.minInclusive: "MinInclusive",
    SH.maxInclusive: "MaxInclusive",
    SH.minExclusive: "MinExclusive",
    SH.maxExclusive: "MaxExclusive",
    SH["or"]: "Or",
    SH.node: "Node",
}
_SINGLE = (SH.datatype, SH.nodeKind, SH["in"], SH.minCount, SH.maxCount)
_RANGE_TEST = {"MinInclusive": ">=", "MaxInclusive": "<=", "MinExclusive": ">", "MaxExclusive": "<"}

_YEAR = "(?:[1-9][0-9]{3})"
_MONTH_DAY = (
    "(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])|(?:0[13-9]|1[0-2])-(?:29|30)"
    "|(?:0[13578]|1[02])-31)"
)
_STRICT = {
    XSD.integer: "^-?[0-9]{1,18}$",
    XSD.decimal: "^-?[0-9]{1,18}(?:[.][0-9]{1,18})?$",
    XSD.double: "^(?:-?[0-9]{1,17}(?:[.][0-9]{1,17})?(?:E-?[0-9]{1,3})?|-?INF|NaN)$",
    XSD.float: "^(?:-?[0-9]{1,9}(?:[.][0-9]{1,9})?(?:E-?[0-9]{1,2})?|-?INF|NaN)$",
    XSD.boolean: "^(?:true|false)$",
    XSD.date: f"^{_YEAR}-{_MONTH_DAY}$",
    XSD.dateTime: f"^{_YEAR}-{_MONTH_DAY}T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
    "(?:[.][0-9]{1,6})?(?:Z|[+-](?:0[0-9]|1[0-3]):[0-5][0-9])?$",
    XSD.duration: "^P(?:[0-9]{1,6}Y(?:[0-9]{1,6}M)?(?:[0-9]{1,6}D)?|[0-9]{1,6}M(?:[0-9]{1,6}D)?"
    "|[0-9]{1,6}D)$",
}
"""Lexical forms that rdflib surely reads as a valid value of the datatype (a subset of what it
accepts): a literal of the datatype in one of these forms conforms without a look in Python."""
_NOT_IN_RUST = re.compile(r"\(\?<?[=!]|\(\?P=|\(\?>|\\[1-9Z]")

_TYPE = f"<{RDF.type}>"
_TYPE_PATH = f"<{RDF.type}>/<{RDFS.subClassOf}>*"


class Context(Protocol):
    """What a value test may ask of the data: whether the value is an instance of a class."""

    def is_instance(self, node: Node, cls: Node) -> bool:
        """True when ``node`` has ``rdf:type`` ``cls`` or a subclass of it (rdfs:subClassOf*)."""
        ...


# --- value tests: one constraint on one value node ------------------------------------------


class _Test:
    """A constraint on one value node, as a SPARQL expression that is true when the value
    surely conforms (``exact``: exactly when it conforms), false or an error otherwise (it is
    read through COALESCE), and, as pyshacl decides, in Python. Oxigraph decodes a term from
    the store each time an expression names its variable (a read for an IRI), so each names
    it as few times as it can. ``distinct``: worth testing each distinct value once rather
    than each triple."""

    exact = True
    distinct = True

    def sparql(self, var: str, types: str) -> str:
        raise NotImplementedError

    def minus(self, var: str, types: str) -> str | None:
        """A pattern matching exactly the conforming values, for MINUS; None if there is none."""
        return None

    def holds(self, value: Node, ctx: Context) -> bool:
        raise NotImplementedError


@dataclass(frozen=True)
class _Datatype(_Test):
    datatype: URIRef
    exact: bool = field(init=False)

    def __post_init__(self) -> None:
        with _quiet():
            probe = Literal("\x00 no value", datatype=self.datatype)
            anything = probe.ill_typed is not True and _actual_datatype(probe, self.datatype)
        exact = anything or self.datatype in (RDFS.Literal, RDF.langString)
        object.__setattr__(self, "exact", exact)

    def sparql(self, var: str, types: str) -> str:
        if self.datatype == RDFS.Literal:
            return f"isLiteral({var})"
        if self.datatype == RDF.langString:
            return f'LANG({var}) != ""'
        same = f"sameTerm(DATATYPE({var}), {sparql_term(self.datatype)})"
        if self.exact:
            return same
        strict = _STRICT.get(self.datatype)
        return f'{same} && REGEX(STR({var}), "{strict}")' if strict else "false"

    def holds(self, value: Node, ctx: Context) -> bool:
        """pyshacl's DatatypeConstraintComponent, for one value."""
        rule = self.datatype
        if not isinstance(value, Literal):
            return False
        with _quiet():
            if value.datatype == rule:
                return value.ill_typed is not True and _actual_datatype(value, rule)
            if rule == RDFS.Literal:
                return True
            if rule == RDFS.Datatype and value.datatype:
                return True
            if value.datatype is None and value.language is None and rule == XSD.string:
                return _actual_datatype(value, rule)
            if rule == RDF.langString and value.language:
                return _actual_datatype(value, rule)
        return False


def _actual_datatype(value: Literal, rule: Node) -> bool:
    """pyshacl's check that a literal's Python value is of its datatype's Python type."""
    found = value.value
    expected = {
        XSD.string: (str, bytes),
        RDF.langString: (str, bytes),
        XSD.integer: int,
        XSD.float: float,
        XSD.decimal: Decimal,
        XSD.boolean: bool,
        XSD.date: date,
        XSD.time: time,
        XSD.dateTime: datetime,
    }.get(rule)
    return expected is None or isinstance(found, expected)


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """rdflib logs every literal it cannot read; here that is the question being asked."""
    logger = logging.getLogger("rdflib.term")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            yield
    finally:
        logger.setLevel(level)


_KINDS = {
    SH.IRI: ("isIRI({v})", (URIRef,)),
    SH.BlankNode: ("isBlank({v})", (BNode,)),
    SH.Literal: ("isLiteral({v})", (Literal,)),
    SH.BlankNodeOrIRI: ("!isLiteral({v})", (BNode, URIRef)),
    SH.BlankNodeOrLiteral: ("!isIRI({v})", (BNode, Literal)),
    SH.IRIOrLiteral: ("!isBlank({v})", (URIRef, Literal)),
}


@dataclass(frozen=True)
class _NodeKind(_Test):
    kind: URIRef
    distinct = False

    def sparql(self, var: str, types: str) -> str:
        return _KINDS[self.kind][0].format(v=var)

    def holds(self, value: Node, ctx: Context) -> bool:
        kinds = _KINDS[self.kind][1]
        if isinstance(value, BNode | Literal):
            return isinstance(value, kinds)
        return URIRef in kinds


_IRI = _NodeKind(SH.IRI)


@dataclass(frozen=True)
class _In(_Test):
    values: tuple[Node, ...]
    distinct = False

    def sparql(self, var: str, types: str) -> str:
        found = [f"sameTerm({var}, {sparql_term(v)})" for v in self.values]
        return f"({' || '.join(found)})" if found else "false"

    def holds(self, value: Node, ctx: Context) -> bool:
        return value in set(self.values)


@dataclass(frozen=True)
class _Class(_Test):
    cls: Node

    def sparql(self, var: str, types: str) -> str:
        return f"EXISTS {{ {self.minus(var, types)} }}"

    def minus(self, var: str, types: str) -> str:
        return f"{var} {types} {sparql_term(self.cls)} ."

    def holds(self, value: Node, ctx: Context) -> bool:
        return not isinstance(value, Literal) and ctx.is_instance(value, self.cls)


@dataclass(frozen=True)
class _Pattern(_Test):
    pattern: str
    flags: str
    exact = False

    def sparql(self, var: str, types: str) -> str:
        if _NOT_IN_RUST.search(self.pattern):
            return "false"
        pattern = sparql_term(Literal(self.pattern))
        flags = f', "{self.flags}"' if self.flags else ""
        return f"REGEX(STR({var}), {pattern}{flags})"

    def holds(self, value: Node, ctx: Context) -> bool:
        """pyshacl's PatternConstraintComponent: ``re.search`` on the value's string form."""
        if isinstance(value, BNode):
            return False
        text = str(value)
        if (
            isinstance(value, Literal)
            and value.value is not None
            and value.datatype in (None, RDF.langString, XSD.string)
        ):
            text = str(value.value)
        flags = (re.I if "i" in self.flags else 0) | (re.M if "m" in self.flags else 0)
        return re.compile(self.pattern, flags).search(text) is not None


@dataclass(frozen=True)
class _Range(_Test):
    name: str
    bound: Literal
    exact = False

    def sparql(self, var: str, types: str) -> str:
        return f"{var} {_RANGE_TEST[self.name]} {sparql_term(self.bound)}"

    def holds(self, value: Node, ctx: Context) -> bool:
        """pyshacl's value range components: literals of comparable kinds only."""
        if not isinstance(value, Literal):
            return False
        if isinstance(self.bound.value, str) != isinstance(value.value, str):
            return False
        try:
            order = compare_literal(value, self.bound)
        except (TypeError, NotImplementedError):
            return False
        return {
            "MinInclusive": order >= 0,
            "MaxInclusive": order <= 0,
            "MinExclusive": order > 0,
            "MaxExclusive": order < 0,
        }[self.name]


@dataclass(frozen=True)
class Nested:
    """A result of validating a value node against a shape reached by sh:node (sh:detail)."""

    shape: Node
    component: URIRef
    severity: URIRef
    messages: tuple[Literal, ...]
    details: tuple[Nested, ...] = ()


@dataclass(frozen=True)
class _Shape:
    """A shape that value nodes are checked against (sh:node, the members of sh:or)."""

    node: Node
    severity: URIRef
    messages: tuple[Literal, ...]
    parts: tuple[tuple[URIRef, _Test], ...]
    deactivated: bool

    @property
    def exact(self) -> bool:
        return all(t.exact for _, t in self.parts)

    def sparql(self, var: str, types: str) -> str:
        if self.deactivated or not self.parts:
            return "true"
        return " && ".join(_surely(t, var, types) for _, t in self.parts)

    def minus(self, var: str, types: str) -> str | None:
        if self.deactivated or len(self.parts) != 1:
            return None
        return self.parts[0][1].minus(var, types)

    def results(self, value: Node, ctx: Context) -> tuple[Nested, ...]:
        """What validating ``value`` against this shape reports, nested results included."""
        if self.deactivated:
            return ()
        found = []
        for component, test in self.parts:
            if not test.holds(value, ctx):
                details = test.shape.results(value, ctx) if isinstance(test, _Node) else ()
                found.append(Nested(self.node, component, self.severity, self.messages, details))
        return tuple(found)


@dataclass(frozen=True)
class _Or(_Test):
    members: tuple[_Shape, ...]

    @property
    def exact(self) -> bool:  # type: ignore[override]
        return all(m.exact for m in self.members)

    def sparql(self, var: str, types: str) -> str:
        if not self.members:
            return "true"
        return "(" + " || ".join(f"({m.sparql(var, types)})" for m in self.members) + ")"

    def minus(self, var: str, types: str) -> str | None:
        patterns = [m.minus(var, types) for m in self.members]
        if not patterns or None in patterns:
            return None
        return " UNION ".join(f"{{ {p} }}" for p in patterns)

    def holds(self, value: Node, ctx: Context) -> bool:
        return not self.members or any(not m.results(value, ctx) for m in self.members)


@dataclass(frozen=True)
class _Node(_Test):
    shape: _Shape

    @property
    def exact(self) -> bool:  # type: ignore[override]
        return self.shape.exact

    def sparql(self, var: str, types: str) -> str:
        return self.shape.sparql(var, types)

    def minus(self, var: str, types: str) -> str | None:
        return self.shape.minus(var, types)

    def holds(self, value: Node, ctx: Context) -> bool:
        return not self.shape.results(value, ctx)


# --- checks, and the scans that run them -----------------------------------------------------


@dataclass(frozen=True)
class SparqlConstraint:
    """An sh:sparql constraint: its node, for sh:sourceConstraint, and its own messages."""

    node: Node
    messages: tuple[Literal, ...]


@dataclass(frozen=True)
class Targets:
    """What makes a node a focus node of a shape (its target declarations)."""

    classes: frozenset[Node] = frozenset()
    subjects_of: frozenset[Node] = frozenset()
    objects_of: frozenset[Node] = frozenset()
    nodes: frozenset[Node] = frozenset()

    def __or__(self, other: Targets) -> Targets:
        return Targets(
            self.classes | other.classes,
            self.subjects_of | other.subjects_of,
            self.objects_of | other.objects_of,
            self.nodes | other.nodes,
        )

    def __bool__(self) -> bool:
        return bool(self.classes or self.subjects_of or self.objects_of or self.nodes)

    def pattern(self, types: str, *, once: bool = True) -> str:
        """A group pattern that binds ``?this`` to each focus node: once each, or (``once``
        False) once per target that it meets, which spares Oxigraph a hash of every node."""
        if len(self.classes) == 1 and not (self.subjects_of or self.objects_of or self.nodes):
            (cls,) = self.classes
            pattern = f"?this {types} {sparql_term(cls)} ."
            if types == _TYPE or not once:
                return pattern
            return f"{{ SELECT DISTINCT ?this WHERE {{ {pattern} }} }}"
        found = []
        if self.classes:
            classes = " ".join(sorted(sparql_term(c) for c in self.classes))
            found.append(f"?this {types} ?_c . VALUES ?_c {{ {classes} }}")
        found += [f"?this {sparql_term(p)} ?_o ." for p in sorted(self.subjects_of)]
        found += [f"?_s {sparql_term(p)} ?this ." for p in sorted(self.objects_of)]
        if self.nodes:
            found.append(f"VALUES ?this {{ {' '.join(sorted(map(sparql_term, self.nodes)))} }}")
        union = " UNION ".join(f"{{ {f} }}" for f in found)
        return f"{{ SELECT DISTINCT ?this WHERE {{ {union} }} }}" if once else union


@dataclass(frozen=True)
class Check:
    """One constraint of one shape: where it applies, what it tests, what its results say.

    ``test`` is set for a value constraint, ``count`` for sh:minCount and sh:maxCount,
    ``sparql`` for an sh:sparql constraint. ``path_sparql`` is the path in SPARQL syntax.
    """

    shape: Node
    component: URIRef
    severity: URIRef
    path: Node | None
    path_sparql: str | None
    messages: tuple[Literal, ...]
    targets: Targets
    test: _Test | None = None
    count: int | None = None
    sparql: SparqlConstraint | None = None

    @property
    def valued(self) -> bool:
        """False for the cardinality components, whose results have no sh:value."""
        return self.count is None

    def breaks(self, count: int) -> bool:
        """True when a focus node with ``count`` distinct values breaks this count check."""
        assert self.count is not None
        if self.component == SH.MinCountConstraintComponent:
            return count < self.count
        return count > self.count

    @property
    def details(self) -> _Shape | None:
        """The shape whose results nest under each of this check's (sh:node), else None."""
        return self.test.shape if isinstance(self.test, _Node) else None


@dataclass(frozen=True)
class Scan:
    """One query over the whole store for every check that states the same constraint (the
    same path and test, or path and count) on whichever shapes and targets.

    Its rows are candidates: ``?this``; ``?value`` (value constraints) or ``?count``, the
    number of distinct values (counts); ``?type`` and ``?vtype``, each rdf:type of ``?this``
    and of ``?value``, a row each; and the booleans that ``flags`` name, whether ``?this`` is
    the subject (sh:targetSubjectsOf) or object (sh:targetObjectsOf) of a predicate. A check
    keeps the rows whose focus node is one of its targets and, for a count, whose count breaks
    its bound; unless ``exact``, only those whose value its test, in Python, finds breaking it.
    An sh:sparql check has a scan of its own, whose rows are those of its sh:select, its
    targets bound in the query.
    """

    kind: str
    query: str
    checks: tuple[Check, ...]
    exact: bool = True
    flags: tuple[tuple[str, URIRef, Node], ...] = ()
    derivation: Derivation | None = None
    grouped: str | None = None
    """For a count scan whose grouping may run a batch of named graphs at a time: the pattern
    it groups by focus node. Exact where each node's triples are all in one graph, as kg lays
    out a store (a study's nodes in its graph, shared nodes in the shared graph)."""
    batched: str | None = None
    """``query`` with that grouping inside ``VALUES ?_g {} GRAPH ?_g``, for :meth:`in_graphs`."""

    def in_graphs(self, graphs: Iterable[str]) -> str:
        """The query with its grouping over the named graphs ``graphs`` (IRIs) only."""
        assert self.batched is not None
        return self.batched.replace(_NO_GRAPHS, _graphs(graphs), 1)

    def rows_in(self, graphs: Iterable[str]) -> str:
        """A query of ``?n``, the number of rows the grouping meets in the graphs ``graphs``."""
        assert self.grouped is not None
        rows = f"GRAPH ?_g {{ {self.grouped} }}"
        return f"SELECT (COUNT(*) AS ?n) WHERE {{ {_graphs(graphs)} {rows} }}"


_NO_GRAPHS = "VALUES ?_g {}"


def _graphs(graphs: Iterable[str]) -> str:
    return f"VALUES ?_g {{ {' '.join(f'<{g}>' for g in graphs)} }}"


@dataclass(frozen=True)
class Derivation:
    """How the rows of a scan of sh:nodeKind sh:IRI on a path's values follow from other
    scans', so that its query need not run: Oxigraph decodes each value to learn its kind (a
    read from the store per triple), while a value that is an instance of a class whose
    instances are all IRIs is one.

    ``sources`` are the sh:class (or sh:or of sh:class) scans of the same shapes and path:
    their rows whose value is no IRI are this scan's rows, once ``proofs``, the node scans that
    test sh:nodeKind sh:IRI on every instance of those classes, have no row whose focus node
    is not an IRI. Otherwise the scan's own query runs.
    """

    sources: tuple[Scan, ...]
    proofs: tuple[Scan, ...]


def compile_shapes(shapes: rdflib.Graph, *, hierarchy: bool = True) -> list[Scan]:
    """Every constraint of every shape with a target, as the scans that check them.

    :param hierarchy: False when the data has no ``rdfs:subClassOf``: targets and sh:class then
        match ``rdf:type`` alone, which Oxigraph answers faster than the path
        ``rdf:type/rdfs:subClassOf*``.
    :raises InputError: naming the shape and the component, for one that is not implemented.
    """
    compiler = _Compiler(shapes, _TYPE_PATH if hierarchy else _TYPE)
    groups: dict[tuple, list[Check]] = {}
    for shape in sorted(_shapes(shapes), key=lambda s: (isinstance(s, BNode), str(s))):
        for check in compiler.checks(shape):
            groups.setdefault(_key(check), []).append(check)
    paths = Counter(k[1] for k in groups if k[0] == "minus" and isinstance(k[2], _Class))
    compiler.shared = {path for path, n in paths.items() if n > 1}
    return _derived([compiler.scan(key, tuple(checks)) for key, checks in groups.items()])


def _derived(scans: list[Scan]) -> list[Scan]:
    """The scans, each value scan of sh:nodeKind sh:IRI alone given its :class:`Derivation`
    where every one of its shapes also has an sh:class test of classes whose instances a node
    scan tests for sh:nodeKind sh:IRI."""
    proofs: dict[Node, Scan] = {}
    for scan in scans:
        if scan.kind == "node" and any(c.test == _IRI for c in scan.checks):
            for cls in scan.checks[0].targets.classes:
                proofs.setdefault(cls, scan)
    sources: dict[Node, list[tuple[Scan, frozenset[Node]]]] = {}
    for scan in scans:
        for check in scan.checks if scan.kind == "minus" else ():
            classes = _classes(check.test)
            if classes and classes <= proofs.keys():
                sources.setdefault(check.shape, []).append((scan, classes))
    found = []
    for scan in scans:
        pairs = [sources[c.shape][0] for c in scan.checks if c.shape in sources]
        if (
            scan.kind == "value"
            and not scan.flags
            and all(c.test == _IRI for c in scan.checks)
            and len(pairs) == len(scan.checks)
        ):
            own = dict.fromkeys(s for s, _ in pairs)
            needed = dict.fromkeys(proofs[cls] for _, classes in pairs for cls in sorted(classes))
            scan = dataclasses.replace(scan, derivation=Derivation(tuple(own), tuple(needed)))
        found.append(scan)
    return found


def _classes(test: _Test | None) -> frozenset[Node] | None:
    """The classes a value must be an instance of (one of) to pass ``test``, if that is all
    the test asks: sh:class, or sh:or of shapes that each are one sh:class."""
    if isinstance(test, _Class):
        return frozenset([test.cls])
    if isinstance(test, _Or) and test.members:
        found = [
            _classes(m.parts[0][1]) if not m.deactivated and len(m.parts) == 1 else None
            for m in test.members
        ]
        if None not in found:
            return frozenset().union(*found)  # type: ignore[arg-type]
    return None


def _targets_of(checks: Iterable[Check]) -> Targets:
    """The focus nodes of any of ``checks``: the union of their targets."""
    return functools.reduce(operator.or_, (c.targets for c in checks))


def _key(check: Check) -> tuple:
    """Which checks share a scan: the counts of a path's values (a minimum above one apart); a
    test that MINUS can run (a class); every other test on a path's values, or on the same
    focus nodes, at once."""
    if check.sparql is not None:
        return ("sparql", check.shape, check.sparql.node)
    if check.count is not None:
        if check.component == SH.MinCountConstraintComponent and check.count > 1:
            return ("min", check.path_sparql, check.count)
        return ("count", check.path_sparql)
    assert check.test is not None
    if check.test.minus("?value", _TYPE) is not None:
        return ("minus", check.path_sparql, check.test, None if check.path else check.targets)
    if check.path_sparql is not None:
        return ("value", check.path_sparql)
    return ("node", None, check.targets)


def _shapes(g: rdflib.Graph) -> set[Node]:
    """The shapes of the graph: declared ones and those with a target."""
    found = set(g.subjects(RDF.type, SH.NodeShape)) | set(g.subjects(RDF.type, SH.PropertyShape))
    for predicate in _TARGETS:
        found |= set(g.subjects(predicate, None))
    return found


class _Compiler:
    def __init__(self, shapes: rdflib.Graph, types: str) -> None:
        self.g = shapes
        self.types = types
        self._nested: dict[Node, _Shape] = {}
        self._queries: dict[tuple[Node, Node], str] = {}
        self.shared: set[str] = set()  # paths with sh:class tests of different classes

    def checks(self, shape: Node) -> list[Check]:
        """The checks of one shape; none when it has no target or is deactivated."""
        g = self.g
        self._refuse_unknown(shape)
        tests = self._tests(shape)
        path = g.value(shape, SH.path)
        path_sparql = None if path is None else self._path(shape, path)
        targets = self._targets(shape)
        if not targets or _deactivated(g, shape):
            return []
        severity = g.value(shape, SH.severity) or SH.Violation
        messages = tuple(m for m in g.objects(shape, SH.message) if isinstance(m, Literal))

        def check(name: str, **more: object) -> Check:
            component = SH[f"{name}ConstraintComponent"]
            return Check(shape, component, severity, path, path_sparql, messages, targets, **more)  # type: ignore[arg-type]

        found = [check(_name(component), test=test) for component, test in tests]
        for predicate, name in ((SH.minCount, "MinCount"), (SH.maxCount, "MaxCount")):
            limit = g.value(shape, predicate)
            if limit is None:
                continue
            if path_sparql is None:
                raise _refusal(shape, f"{_short(predicate)} on a node shape")
            n = _integer(shape, predicate, limit)
            if name == "MaxCount" or n > 0:
                found.append(check(name, count=n))
        for constraint in sorted(g.objects(shape, SH.sparql), key=str):
            if not _deactivated(g, constraint):
                query, sparql = self._sparql(shape, constraint, targets, path_sparql)
                self._queries[shape, constraint] = query
                found.append(check("SPARQL", sparql=sparql))
        return found

    def scan(self, key: tuple, checks: tuple[Check, ...]) -> Scan:
        """The query that checks ``checks``, which share the scan ``key``."""
        kind, path = key[0], key[1]
        if kind == "sparql":
            return Scan(kind, self._queries[key[1], key[2]], checks)
        targets = _targets_of(checks)
        flags = tuple(
            (f"_t{i}", target, predicate)
            for i, (target, predicate) in enumerate(
                [(SH.targetSubjectsOf, p) for p in sorted(targets.subjects_of)]
                + [(SH.targetObjectsOf, p) for p in sorted(targets.objects_of)]
            )
        )
        extra = [f"OPTIONAL {{ ?this {_TYPE} ?type }}"]
        for name, target, predicate in flags:
            triple = f"?this {sparql_term(predicate)} ?_x{name}"
            if target == SH.targetObjectsOf:
                triple = f"?_x{name} {sparql_term(predicate)} ?this"
            extra.append(f"BIND (EXISTS {{ {triple} }} AS ?{name})")
        selected = ["?this", "?type", *(f"?{n}" for n, _, _ in flags)]
        tests = list(dict.fromkeys(c.test for c in checks if c.test is not None))
        grouped = batched = None
        if kind == "count":
            found = self._counts(path, checks)
            selected.append("?count")
            if self._batchable(checks):
                grouped = self._grouped(path, checks)
                batched = self._counts(path, checks, batched=True)
        elif kind == "min":
            found = self._fewer(path, key[2], targets)
        elif path is None:
            subjects = not (targets.objects_of or targets.nodes)
            found = self._failing(None, tests, targets.pattern(self.types, once=False), subjects)
            selected.append("?value")
        else:
            failing = self._failing(path, tests, narrow=self._narrowing(checks, targets))
            found = f"{{ SELECT ?this ?value WHERE {{ {failing} }} }}"
            if (restrict := self._restrict(targets)) is not None:
                found += (
                    f" {self._members(targets)}"
                    if path in self.shared and kind == "minus" and isinstance(tests[0], _Class)
                    else f" FILTER {restrict}"
                )
            extra.append(f"OPTIONAL {{ ?value {_TYPE} ?vtype }}")
            selected += ["?value", "?vtype"]

        def select(pattern: str) -> str:
            return f"SELECT {' '.join(selected)} WHERE {{ {pattern} {' '.join(extra)} }}"

        exact = len(tests) < 2 and all(t.exact for t in tests)
        return Scan(
            kind,
            select(found),
            checks,
            exact,
            flags,
            grouped=grouped,
            batched=None if batched is None else select(batched),
        )

    def _counts(self, path: str, checks: tuple[Check, ...], *, batched: bool = False) -> str:
        """A pattern binding ``?this`` and ``?count``, its number of distinct values of
        ``path``, for the focus nodes of the sh:minCount 1 checks without a value and the nodes
        with more values than the lowest sh:maxCount; each check then judges its own nodes.

        The focus nodes and the path's triples are grouped together, one scan of each, the
        triples counted (a set per node only for the few found): a lookup per focus node costs
        about 20 us on disk, and MINUS held every subject of the path and a set per node. One
        scan serves both bounds, so the grouping of every subject is paid once per path; one
        COUNT, not one per bound (a third faster). ``batched``: the grouping inside
        ``VALUES ?_g {} GRAPH ?_g`` (see :attr:`Scan.grouped`)."""
        low = [c for c in checks if c.component == SH.MinCountConstraintComponent]
        high = [c for c in checks if c.component == SH.MaxCountConstraintComponent]
        rows = self._grouped(path, checks)
        if batched:
            rows = f"{_NO_GRAPHS} GRAPH ?_g {{ {rows} }}"
        bounds = ["{} = 0"] if low else []
        if high:
            bounds.append(f"{{}} > {min(c.count for c in high if c.count is not None)}")

        def outside(count: str) -> str:
            return " || ".join(bound.format(count) for bound in bounds)

        found = (
            f"SELECT ?this WHERE {{ {{ SELECT ?this (COUNT(?_v) AS ?_n) WHERE {{ {rows} }} "
            f"GROUP BY ?this }} FILTER ({outside('?_n')}) }}"
        )
        counted = (
            f"SELECT ?this (COUNT(DISTINCT ?_v) AS ?count) WHERE {{ {{ {found} }} "
            f"OPTIONAL {{ ?this {path} ?_v }} }} GROUP BY ?this "
            f"HAVING ({outside('COUNT(DISTINCT ?_v)')})"
        )
        restrict = self._restrict(_targets_of(high)) if high else None
        if restrict is None:
            return f"{{ {counted} }}"
        if low:
            restrict = f"(?count = 0 || {restrict})"
        return f"{{ {counted} }} FILTER {restrict}"

    def _grouped(self, path: str, checks: tuple[Check, ...]) -> str:
        """The rows a count scan groups: the path's triples, and the focus nodes of its
        sh:minCount 1 checks (found without a value)."""
        low = [c for c in checks if c.component == SH.MinCountConstraintComponent]
        rows = f"{{ ?this {path} ?_v }}"
        if low:
            rows = f"{{ {_targets_of(low).pattern(self.types, once=False)} }} UNION {rows}"
        return rows

    def _batchable(self, checks: tuple[Check, ...]) -> bool:
        """True when a count scan may group a batch of graphs at a time: the path is one
        predicate (so a node's values are in the graph of its own triples, in kg's layout) and
        each focus node is found by its own triples (its type, or a predicate it is the
        subject of). The nodes a batch finds are counted again over the whole store, so only
        a node whose values are spread over graphs could be missed."""
        targets = _targets_of(checks)
        return (
            self.types == _TYPE
            and all(isinstance(c.path, URIRef) for c in checks)
            and not (targets.objects_of or targets.nodes)
        )

    def _fewer(self, path: str, n: int, targets: Targets) -> str:
        """A pattern binding ``?this`` to the focus nodes with fewer than ``n`` (above one)
        distinct values of ``path``."""
        focus = targets.pattern(self.types, once=False)
        enough = (
            f"SELECT ?this WHERE {{ ?this {path} ?_v }} GROUP BY ?this "
            f"HAVING (COUNT(DISTINCT ?_v) >= {n})"
        )
        return f"{{ {{ {focus} }} MINUS {{ {enough} }} }}"

    def _failing(
        self,
        path: str | None,
        tests: list[_Test],
        focus: str = "",
        subjects: bool = False,
        narrow: dict[_Test, str] | None = None,
    ) -> str:
        """A group pattern binding ``?this`` and ``?value`` where the value may break one of
        ``tests``: the values of ``path``, or (no path) the focus nodes that ``focus`` binds.

        Tests on literals, whose values repeat, run once per distinct value, GROUP BY keeping
        Oxigraph from moving them back into the scan, and the triples with the values that
        fail are found again; tests that are cheap, or on nodes, which do not repeat, run on
        each triple, where a test that ``narrow`` gives instances of its classes keeps only
        their failures. A class test runs as MINUS, alone. Focus nodes that are ``subjects``
        are no literals, so a pattern that matches one shows it is an IRI: sh:nodeKind sh:IRI
        beside the pattern is not tested again."""
        var = "?this" if path is None else "?value"
        minus = tests[0].minus(var, self.types) if len(tests) == 1 else None
        shown = tests
        if subjects and any(isinstance(t, _Pattern) for t in tests):
            shown = [t for t in tests if t != _IRI]
        ok = " && ".join(_surely(t, var, self.types) for t in shown)
        keep = f"MINUS {{ {minus} }}" if minus is not None else f"FILTER (!({ok}))"
        if path is None:
            return f"{{ {focus} {keep} BIND (?this AS ?value) }}"
        if minus is not None or not all(t.distinct for t in tests):
            if narrow:
                return self._narrowed(path, tests, narrow)
            return f"{{ SELECT ?this ?value WHERE {{ ?this {path} ?value {keep} }} }}"
        values = f"SELECT ?value WHERE {{ ?_s {path} ?value }} GROUP BY ?value HAVING (!({ok}))"
        return f"{{ {values} }} ?this {path} ?value ."

    def _narrowed(self, path: str, tests: list[_Test], narrow: dict[_Test, str]) -> str:
        """The triples whose value breaks a test of ``tests``: one that ``narrow`` gives the
        instances of its classes for keeps only their triples, by a join (most values may
        break it)."""

        def breaks(group: list[_Test]) -> str:
            return " || ".join(f"!{_surely(t, '?value', self.types)}" for t in group)

        plain = [t for t in tests if t not in narrow]
        branches = [f"{{ ?this {path} ?value FILTER ({breaks(plain)}) }}"] if plain else []
        groups: dict[str, list[_Test]] = {}
        for test in tests:
            if test in narrow:
                groups.setdefault(narrow[test], []).append(test)
        for members, group in groups.items():
            failing = (
                f"SELECT ?this ?value WHERE {{ ?this {path} ?value FILTER ({breaks(group)}) }}"
            )
            branches.append(f"{{ {{ {failing} }} {members} }}")
        return f"{{ SELECT ?this ?value WHERE {{ {' UNION '.join(branches)} }} }}"

    def _narrowing(self, checks: tuple[Check, ...], targets: Targets) -> dict[_Test, str]:
        """For each test of a value scan whose checks target fewer classes than the scan's, a
        subquery of the instances of those classes: a value that breaks it elsewhere is no
        candidate (an sh:in list on one class, free text on another, on the same path)."""
        narrow: dict[_Test, str] = {}
        if self._restrict(targets) is None:
            return narrow
        for test in dict.fromkeys(c.test for c in checks if c.test is not None):
            own = _targets_of([c for c in checks if c.test == test])
            if own.classes != targets.classes and self._restrict(own) is not None:
                narrow[test] = self._members(own)
        return narrow

    def _members(self, targets: Targets) -> str:
        """A subquery of the focus nodes of class targets, joined by hashing where most rows
        would otherwise each be looked up (up to 0.2 ms a lookup on a store larger than the
        memory)."""
        return f"{{ SELECT DISTINCT ?this WHERE {{ {targets.pattern(self.types, once=False)} }} }}"

    def _restrict(self, targets: Targets) -> str | None:
        """A condition that keeps the focus nodes of class targets, when that is all there is
        (a value may break the constraint of one class where another class has none): looked
        up for each candidate, not joined with every instance of the classes."""
        if self.types != _TYPE or targets.subjects_of or targets.objects_of or targets.nodes:
            return None
        classes = " ".join(sorted(sparql_term(c) for c in targets.classes))
        return f"EXISTS {{ ?this {_TYPE} ?_t . VALUES ?_t {{ {classes} }} }}"

    def _refuse_unknown(self, shape: Node) -> None:
        for predicate in set(self.g.predicates(shape, None)):
            if predicate in _REFUSED:
                what = f"{_short(predicate)} ({_component(_REFUSED[predicate])})"
                raise _refusal(shape, what)
            known = predicate in _METADATA or predicate in _VALUE or predicate in _SINGLE
            if str(predicate).startswith(str(SH)) and not known and predicate != SH.sparql:
                raise _refusal(shape, f"{_short(predicate)} (a parameter it does not know)")
            if predicate in _SINGLE and len(set(self.g.objects(shape, predicate))) > 1:
                raise _refusal(shape, f"more than one {_short(predicate)}")

    def _tests(self, shape: Node) -> list[tuple[URIRef, _Test]]:
        """The value constraints of a shape, one test per constraint value."""
        g = self.g
        found: list[tuple[URIRef, _Test]] = []
        flags = "".join(c for c in str(g.value(shape, SH.flags) or "").lower() if c in "im")
        for predicate, name in _VALUE.items():
            component = SH[f"{name}ConstraintComponent"]
            for value in sorted(g.objects(shape, predicate), key=lambda v: v.n3()):
                found.append((component, self._test(shape, predicate, name, value, flags)))
        return found

    def _test(self, shape: Node, predicate: URIRef, name: str, value: Node, flags: str) -> _Test:
        g = self.g
        if predicate == SH.datatype and isinstance(value, URIRef):
            return _Datatype(value)
        if predicate == SH.nodeKind and value in _KINDS:
            return _NodeKind(value)  # type: ignore[arg-type]
        if predicate == SH["in"]:
            return _In(tuple(Collection(g, value)))
        if predicate == SH["class"]:
            return _Class(value)
        if predicate == SH.pattern and isinstance(value, Literal):
            try:
                re.compile(str(value))
            except re.error as exc:
                raise _refusal(shape, f"sh:pattern {str(value)!r} ({exc})") from None
            return _Pattern(str(value), flags)
        if name in _RANGE_TEST and isinstance(value, Literal):
            return _Range(name, value)
        if predicate == SH["or"]:
            return _Or(tuple(self._nested_shape(shape, m) for m in Collection(g, value)))
        if predicate == SH.node:
            return _Node(self._nested_shape(shape, value))
        raise _refusal(shape, f"{_short(predicate)} {value.n3()} ({_component(name)})")

    def _nested_shape(self, owner: Node, node: Node) -> _Shape:
        """A shape reached by sh:node or sh:or: value constraints only, checked on the value."""
        if node in self._nested:
            return self._nested[node]
        g = self.g
        if g.value(node, SH.path) is not None:
            raise _refusal(owner, f"a property shape inside sh:node or sh:or ({node.n3()})")
        for predicate in (SH.minCount, SH.maxCount, SH.sparql):
            if g.value(node, predicate) is not None:
                raise _refusal(owner, f"{_short(predicate)} in a shape inside sh:node or sh:or")
        self._refuse_unknown(node)
        self._nested[node] = _Shape(node, SH.Violation, (), (), True)  # a cycle conforms
        shape = _Shape(
            node,
            g.value(node, SH.severity) or SH.Violation,
            tuple(m for m in g.objects(node, SH.message) if isinstance(m, Literal)),
            tuple(self._tests(node)),
            _deactivated(g, node),
        )
        self._nested[node] = shape
        return shape

    def _targets(self, shape: Node) -> Targets:
        g = self.g
        classes = set(g.objects(shape, SH.targetClass))
        if (shape, RDF.type, RDFS.Class) in g or (shape, RDF.type, OWL.Class) in g:
            classes.add(shape)
        nodes = frozenset(g.objects(shape, SH.targetNode))
        if any(isinstance(n, BNode) for n in nodes):
            raise _refusal(shape, "a blank node as sh:targetNode")
        return Targets(
            frozenset(classes),
            frozenset(g.objects(shape, SH.targetSubjectsOf)),
            frozenset(g.objects(shape, SH.targetObjectsOf)),
            nodes,
        )

    def _path(self, shape: Node, path: Node) -> str:
        """A predicate or inverse path in SPARQL; other paths are refused."""
        if isinstance(path, URIRef):
            return sparql_term(path)
        inverse = self.g.value(path, SH.inversePath)
        if isinstance(inverse, URIRef) and len(set(self.g.predicates(path, None))) == 1:
            return f"^{sparql_term(inverse)}"
        raise _refusal(shape, "a sh:path other than a property or its inverse")

    def _sparql(
        self, shape: Node, constraint: Node, targets: Targets, path: str | None
    ) -> tuple[str, SparqlConstraint]:
        """An sh:sparql constraint with ``$this`` bound by the shape's targets."""
        g = self.g
        allowed = {RDF.type, SH.select, SH.message, SH.prefixes, SH.deactivated}
        for predicate in set(g.predicates(constraint, None)) - allowed:
            raise _refusal(shape, f"{_short(predicate)} on its sh:sparql constraint")
        select = g.value(constraint, SH.select)
        if not isinstance(select, Literal):
            raise _refusal(shape, "an sh:sparql constraint without sh:select")
        text = str(select)
        words = [t.text.upper() for t in tokens(text) if t.kind == "word"]
        for word in ("MINUS", "VALUES", "SERVICE"):
            if word in words:
                raise _refusal(shape, f"{word} in sh:select (SHACL forbids it there)")
        for word in ("LIMIT", "OFFSET"):
            if word in words:
                raise _refusal(
                    shape,
                    f"{word} in sh:select (it would cut the results of all focus nodes at once)",
                )
        if not all(_subqueries_select_this(text)):
            raise _refusal(shape, "a subquery that uses $this but does not select it")
        pieces, at = [], 0
        for tok in tokens(text):
            if tok.kind != "var":
                continue
            if tok.text[1:] in ("shapesGraph", "failure") or (tok.text == "$PATH" and path is None):
                raise _refusal(shape, f"{tok.text} in sh:select")
            if tok.text == "$PATH" or tok.text[1:] == "currentShape":
                value = path if tok.text == "$PATH" else sparql_term(shape)
                pieces += [text[at : tok.start], value or ""]
                at = tok.start + len(tok.text)
        text = "".join(pieces) + text[at:]
        if not _selects_this(text):
            raise _refusal(shape, "an sh:select that does not select $this")
        try:
            start = where_start(text)
        except QueryError as exc:
            raise _refusal(shape, f"an sh:select that cannot be read ({exc})") from None
        prefixes = {**NAMESPACES, **self._prefixes(constraint)}
        head = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in prefixes.items())
        messages = tuple(m for m in g.objects(constraint, SH.message) if isinstance(m, Literal))
        query = f"{head}{text[:start]} {targets.pattern(self.types)} {text[start:]}"
        return query, SparqlConstraint(constraint, messages)

    def _prefixes(self, constraint: Node) -> dict[str, str]:
        """The prefixes sh:prefixes declares, found as pyshacl finds them."""
        g = self.g
        ontologies = set(g.subjects(RDF.type, OWL.Ontology))
        named = set(g.objects(g.identifier, SH.declare))
        everywhere = named.union(*(set(g.objects(o, SH.declare)) for o in ontologies))
        found = {}
        for source in g.objects(constraint, SH.prefixes):
            own = set(g.objects(source, SH.declare))
            declares = own | named if own and source in ontologies else everywhere | own
            for declare in declares:
                prefix, namespace = g.value(declare, SH.prefix), g.value(declare, SH.namespace)
                if prefix is not None and namespace is not None:
                    found[str(prefix)] = str(namespace)
        return found


def _surely(test: _Test, var: str, types: str) -> str:
    """A test's expression, an error read as false: true when the value surely conforms."""
    return f"COALESCE({test.sparql(var, types)}, false)"


def _selects_this(text: str) -> bool:
    """True when the SELECT clause projects ``$this`` (or ``*``)."""
    seen = False
    for tok in tokens(text):
        if tok.kind == "word" and tok.text.upper() == "SELECT":
            seen = True
        elif seen and ((tok.kind == "word" and tok.text.upper() == "WHERE") or tok.text == "{"):
            return False
        elif seen and (tok.text == "*" or (tok.kind == "var" and tok.text[1:] == "this")):
            return True
    return False


def _subqueries_select_this(text: str) -> Iterator[bool]:
    """For each subquery, whether it projects ``$this`` (or ``*``) or does not use it.

    Such a subquery, joined to the focus nodes, gives what SHACL's pre-bound ``$this`` gives;
    one that uses ``$this`` without projecting it has a ``$this`` of its own.
    """
    depth, projecting, open_, before = 0, False, [], None
    for tok in tokens(text):
        word = tok.text.upper() if tok.kind == "word" else None
        this = tok.kind == "var" and tok.text[1:] == "this"
        everything = tok.text == "*" and before in ("SELECT", "DISTINCT", "REDUCED")
        if projecting and (word == "WHERE" or tok.text == "{"):
            projecting = False
        elif projecting and (this or everything):
            open_[-1][1] = True
        before = word
        if this:
            for sub in open_:
                sub[2] = True
        if word == "SELECT" and depth > 0:
            projecting = True
            open_.append([depth, False, False])
        depth += (tok.text == "{") - (tok.text == "}")
        while open_ and depth < open_[-1][0]:
            _, selects, uses = open_.pop()
            yield selects or not uses


def _deactivated(g: rdflib.Graph, node: Node) -> bool:
    return any(isinstance(v, Literal) and v.value is True for v in g.objects(node, SH.deactivated))


def _integer(shape: Node, predicate: URIRef, value: Node) -> int:
    if isinstance(value, Literal) and isinstance(value.value, int):
        return value.value
    raise _refusal(shape, f"{_short(predicate)} {value.n3()} (not an integer)")


def _refusal(shape: Node, what: str) -> InputError:
    name = shape.n3() if isinstance(shape, URIRef) else "an unnamed shape"
    return InputError(f"shape {name}: {what} is not implemented by the SPARQL validator")


def _component(name: str) -> str:
    return f"sh:{name}ConstraintComponent" if name.isalpha() else name


def _name(component: Node) -> str:
    return str(component).rsplit("#", 1)[-1].removesuffix("ConstraintComponent")


def _short(predicate: Node) -> str:
    return "sh:" + str(predicate).rsplit("#", 1)[-1]
