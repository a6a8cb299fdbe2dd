"""The ontology (kg/data/ontology.ttl) declares every ctg: term the mapping can produce.

Two sources of terms are checked: the graphs mapped from the real records beside the repository,
and the source of kg/mapping.py itself, read with :mod:`ast`, which also names the fields that
no shared record has.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
from rdflib import OWL, RDF, RDFS, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

from kg.enums import ENUMS
from kg.mapping import map_record
from kg.namespaces import CTG, DCT, FOAF, GEO, MESHV, PROV, SCHEMA, SKOS, XSD
from kg.terms import Lit

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(__file__).resolve().parents[2] / "shared"
ONTOLOGY_FILE = ROOT / "kg" / "data" / "ontology.ttl"
MAPPING_FILE = ROOT / "kg" / "mapping.py"
SEED = SHARED / "seeds" / "000_63495c14c8a6f394.txt"
RECORD_FILES = sorted((SHARED / "data" / "ctgov").glob("NCT*.json"))

ONTOLOGY_IRI = URIRef("https://w3id.org/ctgov-kg/vocab")
ENUMERATION = URIRef(CTG + "enumeration")
# Namespaces whose classes and datatypes a domain or range may name without declaring them.
STANDARD = (XSD, str(RDFS), SCHEMA, GEO, MESHV, FOAF, PROV, DCT, SKOS)


def _load(path: Path) -> dict:
    if path == SEED:
        first, rest = path.read_text(encoding="utf-8").split("\n", 1)
        assert first.strip() == "Raw JSON"
        return ast.literal_eval(rest)
    return json.loads(path.read_text(encoding="utf-8"))


@cache
def ontology() -> Graph:
    return Graph().parse(ONTOLOGY_FILE, format="turtle")


def _local(iri: Node) -> str | None:
    return str(iri)[len(CTG) :] if isinstance(iri, URIRef) and str(iri).startswith(CTG) else None


def _members(g: Graph, node: Node) -> list[Node]:
    """A class or datatype expression as the named terms it unites (itself when named)."""
    union = g.value(node, OWL.unionOf)
    if union is None:
        equivalent = g.value(node, OWL.equivalentClass)
        union = g.value(equivalent, OWL.unionOf) if equivalent is not None else None
    if union is None:
        return [node]
    return [m for item in Collection(g, union) for m in _members(g, item)]


def _superclasses(g: Graph, cls: Node) -> set[Node]:
    return set(g.transitive_objects(cls, RDFS.subClassOf))


def _is_property(g: Graph, term: URIRef) -> bool:
    return bool({OWL.ObjectProperty, OWL.DatatypeProperty} & set(g.objects(term, RDF.type)))


def _is_annotation(g: Graph, term: URIRef) -> bool:
    return (term, RDF.type, OWL.AnnotationProperty) in g


def _is_class(g: Graph, term: URIRef) -> bool:
    return bool({OWL.Class, RDFS.Class, RDFS.Datatype} & set(g.objects(term, RDF.type)))


def _undocumented(g: Graph, local: str) -> list[str]:
    """What the ontology lacks for ctg:<local>; empty when it is fully declared."""
    term = URIRef(CTG + local)
    if not (_is_property(g, term) or _is_class(g, term) or _is_annotation(g, term)):
        return [f"ctg:{local} is not declared as a class or property"]
    missing = [
        f"ctg:{local} has no English {p.n3(g.namespace_manager)}"
        for p in (RDFS.label, RDFS.comment)
        if not any(isinstance(o, Literal) and o.language == "en" for o in g.objects(term, p))
    ]
    if _is_property(g, term):
        missing += [
            f"ctg:{local} has no {p.n3(g.namespace_manager)}"
            for p in (RDFS.domain, RDFS.range)
            if g.value(term, p) is None
        ]
    return missing


# --- terms of the mapped graphs ----------------------------------------------------------------


def _used_terms(quads) -> tuple[set[str], set[str]]:
    """The ctg: local names used as predicates and as classes (objects of rdf:type)."""
    predicates, classes = set(), set()
    for _s, p, o, _g in quads:
        if _local(URIRef(p)) is not None:
            predicates.add(_local(URIRef(p)))
        if p == str(RDF.type) and isinstance(o, str) and _local(URIRef(o)) is not None:
            classes.add(_local(URIRef(o)))
    return predicates, classes


@cache
def _mapped(path: Path):
    return map_record(_load(path))


RECORDS = [*RECORD_FILES, SEED]


# --- terms of the mapping's source --------------------------------------------------------------


def _ctg_const(node: ast.AST) -> str | None:
    """``"name"`` of an expression ``CTG + "name"``."""
    if (
        isinstance(node, ast.BinOp)
        and isinstance(node.op, ast.Add)
        and isinstance(node.left, ast.Name)
        and node.left.id == "CTG"
        and isinstance(node.right, ast.Constant)
        and isinstance(node.right.value, str)
    ):
        return node.right.value
    return None


def _calls(tree: ast.AST, func: str) -> Iterator[ast.Call]:
    for n in ast.walk(tree):
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == func:
            yield n


class _MappingSource:
    """The ctg: local names that kg/mapping.py can produce, with the enumeration of each.

    Predicates come from the field tables, pairs ``("localName", kind)`` (kinds that ignore their
    predicate, such as ``_flat``, only flatten a nested object and are skipped), from the
    dict comprehension of boolean fields, from ``CTG + "name"`` anywhere, from kind factories
    that put an argument after ``CTG`` (``_nct_link("expandedAccessStudy")``), from suffixes a
    kind appends to its predicate (``p + "Type"`` of date structs), and from f-strings such as
    ``f"{which}Mesh"`` expanded with the constant arguments passed as ``which``.
    """

    def __init__(self, source: str) -> None:
        self.tree = ast.parse(source)
        body = self.tree.body
        self.defs = {n.name: n for n in body if isinstance(n, ast.FunctionDef)}
        self.assigns = {
            t.id: n.value
            for n in body
            if isinstance(n, ast.Assign)
            for t in n.targets
            if isinstance(t, ast.Name)
        }
        self.terms: dict[str, str | None] = {}
        self._collect()

    def _add(self, name: str, enum: str | None = None) -> None:
        if enum is not None or name not in self.terms:
            self.terms[name] = enum

    def _kind_def(self, expr: ast.AST) -> ast.FunctionDef | None:
        """The function a kind expression runs as ``(ctx, s, p, v, path)``."""
        if isinstance(expr, ast.Name):
            if expr.id in self.defs:
                return self.defs[expr.id]
            if expr.id in self.assigns:
                return self._kind_def(self.assigns[expr.id])
        elif (
            isinstance(expr, ast.Call)
            and isinstance(expr.func, ast.Name)
            and expr.func.id in self.defs
        ):
            inner = [n for n in self.defs[expr.func.id].body if isinstance(n, ast.FunctionDef)]
            return inner[-1] if inner else None
        return None

    def _uses_predicate(self, expr: ast.AST) -> bool:
        fd = self._kind_def(expr)
        if fd is None or len(fd.args.args) < 3:
            return True
        p = fd.args.args[2].arg
        return any(isinstance(n, ast.Name) and n.id == p for n in ast.walk(fd))

    def _enum(self, expr: ast.AST) -> str | None:
        """``X`` of a kind ``_enum("X")``, also wrapped, as in ``_many(_enum("X"))``."""
        if not isinstance(expr, ast.Call) or not isinstance(expr.func, ast.Name):
            return None
        if expr.func.id == "_enum" and expr.args and isinstance(expr.args[0], ast.Constant):
            return expr.args[0].value
        if len(expr.args) == 1 and not expr.keywords:
            return self._enum(expr.args[0])
        return None

    def _suffixes(self) -> dict[str, list[tuple[str, str | None]]]:
        """Kinds that add ``p + "Suffix"`` besides ``p``: name -> [(suffix, enumeration)]."""
        found: dict[str, list[tuple[str, str | None]]] = {}
        for name, fd in self.defs.items():
            if len(fd.args.args) < 3:
                continue
            p = fd.args.args[2].arg
            for n in ast.walk(fd):
                if not (isinstance(n, ast.Tuple) and len(n.elts) == 2):
                    continue
                key, kind = n.elts
                if (
                    isinstance(key, ast.BinOp)
                    and isinstance(key.left, ast.Name)
                    and key.left.id == p
                    and isinstance(key.right, ast.Constant)
                ):
                    found.setdefault(name, []).append((key.right.value, self._enum(kind)))
        return found

    def _constant_args(self, func: str, param: str) -> list[str]:
        fd = self.defs.get(func)
        params = [a.arg for a in fd.args.args] if fd else []
        if param not in params:
            return []
        i = params.index(param)
        return [
            c.args[i].value
            for c in _calls(self.tree, func)
            if len(c.args) > i and isinstance(c.args[i], ast.Constant)
        ]

    def _collect(self) -> None:
        suffixes = self._suffixes()
        for n in ast.walk(self.tree):
            if isinstance(n, ast.Tuple) and len(n.elts) == 2:
                key, kind = n.elts
                if isinstance(key, ast.Constant) and isinstance(kind, ast.Name | ast.Call):
                    if not isinstance(key.value, str) or ":" in key.value:
                        continue
                    if not self._uses_predicate(kind):
                        continue
                    self._add(key.value, self._enum(kind))
                    func = kind if isinstance(kind, ast.Name) else kind.func
                    for suffix, enum in suffixes.get(getattr(func, "id", ""), ()):
                        self._add(key.value + suffix, enum)
                elif _ctg_const(key):
                    self._add(_ctg_const(key), self._enum(kind))
            elif _ctg_const(n):
                self._add(_ctg_const(n))
            elif isinstance(n, ast.DictComp) and isinstance(n.value, ast.Tuple):
                # {k: (k, _bool) for k in ("oversightHasDmc", ...)}
                key, kind = n.value.elts
                gen = n.generators[0]
                if isinstance(key, ast.Name) and getattr(gen.target, "id", None) == key.id:
                    for c in getattr(gen.iter, "elts", ()):
                        if isinstance(c, ast.Constant):
                            self._add(c.value, self._enum(kind))
            elif isinstance(n, ast.Call) and isinstance(n.func, ast.Call):
                # _enum("AgencyClass")(ctx, org, CTG + "agencyClass", ...)
                for a in n.args:
                    if _ctg_const(a):
                        self._add(_ctg_const(a), self._enum(n.func))
        for name, fd in self.defs.items():
            for n in ast.walk(fd):
                if (
                    isinstance(n, ast.BinOp)
                    and getattr(n.left, "id", None) == "CTG"
                    and isinstance(n.right, ast.Name)
                ):
                    for value in self._constant_args(name, n.right.id):
                        self._add(value)
        for n in ast.walk(self.tree):
            if isinstance(n, ast.JoinedStr) and len(n.values) == 2:
                head, tail = n.values
                if (
                    isinstance(head, ast.FormattedValue)
                    and isinstance(head.value, ast.Name)
                    and isinstance(tail, ast.Constant)
                    and re.fullmatch(r"[A-Za-z]+", tail.value)
                ):
                    for func in self.defs:
                        for value in self._constant_args(func, head.value.id):
                            self._add(value + tail.value)


@cache
def mapping_terms() -> dict[str, str | None]:
    return _MappingSource(MAPPING_FILE.read_text(encoding="utf-8")).terms


# --- tests ---------------------------------------------------------------------------------------


def test_ontology_parses_and_has_its_header():
    g = ontology()
    assert (ONTOLOGY_IRI, RDF.type, OWL.Ontology) in g
    assert g.value(ONTOLOGY_IRI, OWL.versionInfo) == Literal("0.1.0")
    assert g.value(ONTOLOGY_IRI, URIRef(DCT + "license")) == URIRef(
        "https://opensource.org/licenses/MIT"
    )
    for p in ("title", "description"):
        assert g.value(ONTOLOGY_IRI, URIRef(DCT + p)) is not None, p


def test_every_ctg_term_is_documented_and_defined_by_the_ontology():
    g = ontology()
    terms = {s for s in g.subjects() if _local(s) is not None}
    assert len(terms) > 200
    problems = [m for t in sorted(terms) for m in _undocumented(g, _local(t))]
    problems += [
        f"{t.n3(g.namespace_manager)} has no rdfs:isDefinedBy"
        for t in sorted(terms)
        if (t, RDFS.isDefinedBy, ONTOLOGY_IRI) not in g
    ]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", RECORDS, ids=lambda p: p.stem)
def test_terms_of_mapped_records_are_declared(path):
    g = ontology()
    predicates, classes = _used_terms(_mapped(path).quads)
    assert {"nctId", "briefTitle"} <= predicates
    assert "Study" in classes
    problems = [m for name in sorted(predicates | classes) for m in _undocumented(g, name)]
    problems += [
        f"ctg:{p} is used as a predicate" for p in predicates if _is_class(g, URIRef(CTG + p))
    ]
    problems += [
        f"ctg:{c} is used as a class" for c in classes if not _is_class(g, URIRef(CTG + c))
    ]
    assert not problems, "\n".join(problems)


def test_mapping_source_yields_the_terms_expected():
    """The source reader finds terms of each of its kinds (a guard on the reader itself)."""
    terms = mapping_terms()
    assert len(terms) > 150
    for name in (
        "nctId",  # table pair
        "oversightHasDmc",  # dict comprehension
        "Study",  # CTG + "Study"
        "expandedAccessStudy",  # _nct_link("expandedAccessStudy")
        "startDateType",  # p + "Type" of _date_struct
        "interventionMeshAncestor",  # f"{which}MeshAncestor"
        "conditionBrowseBranch",  # f"{which}BrowseBranch"
        "fdaaa801Violation",
    ):
        assert name in terms, name
    for container in ("protocolSection", "statusModule", "designInfo", "geoPoint", "bioSpec"):
        assert container not in terms, container
    assert terms["overallStatus"] == "Status"
    assert terms["phase"] == "Phase"
    assert terms["agencyClass"] == "AgencyClass"
    assert terms["completionDateType"] == "DateType"
    assert terms["armGroup"] is None


def test_every_term_of_the_mapping_source_is_declared():
    g = ontology()
    problems = [m for name in sorted(mapping_terms()) for m in _undocumented(g, name)]
    assert not problems, "\n".join(problems)


def test_enumerated_properties_name_their_enumeration():
    g = ontology()
    expected = {name: enum for name, enum in mapping_terms().items() if enum is not None}
    stated = {_local(s): str(o) for s, o in g.subject_objects(ENUMERATION)}
    assert stated == expected
    assert set(stated.values()) <= set(ENUMS)
    for name, enum in stated.items():
        comment = str(g.value(URIRef(CTG + name), RDFS.comment))
        assert f"`{enum}`" in comment, name


def test_domains_and_ranges_are_declared_classes_or_standard_terms():
    g = ontology()
    problems = []
    for prop in sorted(s for s in g.subjects() if _local(s) and _is_property(g, s)):
        for p in (RDFS.domain, RDFS.range):
            for node in g.objects(prop, p):
                for member in _members(g, node):
                    if not isinstance(member, URIRef):
                        problems.append(f"{prop} {p}: unnamed {member!r}")
                    elif _local(member) is not None:
                        if not _is_class(g, member) or _undocumented(g, _local(member)):
                            problems.append(f"{prop} {p}: ctg:{_local(member)} is not declared")
                    elif not str(member).startswith(STANDARD):
                        problems.append(f"{prop} {p}: {member} is not a standard term")
        kind = set(g.objects(prop, RDF.type))
        ranges = [m for r in g.objects(prop, RDFS.range) for m in _members(g, r)]
        data = all(str(r).startswith(XSD) or r == RDFS.Literal for r in ranges)
        if (OWL.DatatypeProperty in kind) != data:
            problems.append(f"{prop}: datatype/object property does not match its range")
    assert not problems, "\n".join(problems)


def test_partial_date_unites_the_three_date_datatypes():
    g = ontology()
    members = _members(g, URIRef(CTG + "PartialDate"))
    assert members == [URIRef(XSD + t) for t in ("date", "gYearMonth", "gYear")]


def test_mesh_ancestor_is_transitive():
    assert (URIRef(CTG + "meshAncestor"), RDF.type, OWL.TransitiveProperty) in ontology()


@pytest.mark.parametrize("path", RECORDS, ids=lambda p: p.stem)
def test_mapped_records_agree_with_domains_and_ranges(path):
    """Subjects carry a type within each ctg: property's domain; objects fit its range."""
    g = ontology()
    quads = _mapped(path).quads
    types: dict[str, set[Node]] = {}
    for s, p, o, _g in quads:
        if p == str(RDF.type):
            types.setdefault(s, set()).add(URIRef(o))
    closed = {s: set().union(*(_superclasses(g, c) for c in ts)) for s, ts in types.items()}
    problems = set()
    for s, p, o, _g in quads:
        prop = URIRef(p)
        if _local(prop) is None:
            continue
        domain = {m for d in g.objects(prop, RDFS.domain) for m in _members(g, d)}
        if not domain & closed.get(s, set()):
            problems.add(f"{_local(prop)}: subject typed {sorted(types.get(s, ()))}")
        rng = {m for r in g.objects(prop, RDFS.range) for m in _members(g, r)}
        if isinstance(o, Lit):
            datatype = URIRef(o.datatype or XSD + "string")
            if RDFS.Literal not in rng and datatype not in rng:
                problems.add(f"{_local(prop)}: literal {o.lex!r} of {datatype}")
        elif any(str(r).startswith(XSD) for r in rng):
            problems.add(f"{_local(prop)}: IRI {o} for a datatype range")
        elif o in closed and not rng & closed[o]:
            problems.add(f"{_local(prop)}: object typed {sorted(types[o])}")
    assert not problems, "\n".join(sorted(problems))
