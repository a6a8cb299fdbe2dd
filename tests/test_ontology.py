"""The ontology (kg/data/ontology.ttl) declares every ctg: term the mapping can produce.

Two sources of terms are checked: the graphs mapped from the real records beside the repository,
and the graph of a record with every field of the API v2 model filled in (``spec_record``),
which also has the fields that no shared record has.
"""

from __future__ import annotations

import ast
import json
from functools import cache
from pathlib import Path

import pytest
from conftest import RECORD_FILES, SEED
from rdflib import OWL, RDF, RDFS, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.term import Node
from spec_record import complete_record

from kg import resources
from kg.enums import ENUMS
from kg.mapping import map_record
from kg.namespaces import CTG, DCT, FOAF, GEO, MESHV, PROV, SCHEMA, SKOS, XSD
from kg.terms import Lit

ONTOLOGY_FILE = resources.ONTOLOGY

ONTOLOGY_IRI = URIRef("https://w3id.org/ctgov-kg/vocab")
ENUMERATION = URIRef(CTG + "enumeration")
# Namespaces whose classes and datatypes a domain or range may name without declaring them.
STANDARD = (XSD, str(RDF), str(RDFS), SCHEMA, GEO, MESHV, FOAF, PROV, DCT, SKOS)


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


def _complete():
    """The mapping of a record with every field of the API v2 model (``spec_record``)."""
    return map_record(complete_record())


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


def test_every_term_of_the_complete_model_is_declared():
    g = ontology()
    predicates, classes = _used_terms(_complete().quads)
    assert len(predicates) > 150
    problems = [m for name in sorted(predicates | classes) for m in _undocumented(g, name)]
    assert not problems, "\n".join(problems)


def test_enumerated_properties_name_their_enumeration():
    """Each enumeration value in the complete record sits under a property naming its enum.

    A property may name several enumerations when it serves several API fields (ctg:dispersionType
    holds `MeasureDispersionType` values on baseline measures, `AnalysisDispersionType` values on
    analyses).
    """
    g = ontology()
    stated: dict[str, set[str]] = {}
    for s, o in g.subject_objects(ENUMERATION):
        stated.setdefault(_local(s), set()).add(str(o))
    assert set().union(*stated.values()) <= set(ENUMS)
    record = complete_record()
    enum_values = {v for values in ENUMS.values() for v in values}
    used = {
        (_local(URIRef(p)), o.lex)
        for _s, p, o, _g in _complete().quads
        if isinstance(o, Lit) and o.lex in enum_values and _local(URIRef(p))
    }
    status = record["protocolSection"]["statusModule"]["overallStatus"]
    assert {v for n, v in used if n == "overallStatus"} == {status}
    for name, value in sorted(used):
        assert name in stated, f"ctg:{name} holds {value!r} but names no enumeration"
        assert any(value in ENUMS[e] for e in stated[name]), f"ctg:{name} holds {value!r}"
    for name, enums in stated.items():
        comment = str(g.value(URIRef(CTG + name), RDFS.comment))
        for enum in enums:
            assert f"`{enum}`" in comment, f"ctg:{name}: {enum}"


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


@pytest.mark.parametrize("path", [*RECORDS, None], ids=lambda p: p.stem if p else "complete")
def test_mapped_records_agree_with_domains_and_ranges(path):
    """Subjects carry a type within each ctg: property's domain; objects fit its range."""
    g = ontology()
    quads = (_mapped(path) if path else _complete()).quads
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
