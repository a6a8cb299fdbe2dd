"""The shapes themselves: valid SHACL, complete for the ontology, and each one able to fail.

Every shape with a target gets a graph that breaks it (made by changing a conforming graph in
the way its constraints forbid), and the report must name the right focus node, path and shape.
The SPARQL rules get hand-made graphs of their own.
"""

from __future__ import annotations

import random
import re
from functools import cache

import pytest
from conftest import load_record
from pyshacl.entrypoints import meta_validate
from rdflib import OWL, RDF, RDFS, XSD, BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import SH
from spec_record import complete_record

import kg
from kg.enums import ENUMS
from kg.mesh import LAST_OLD, normalize_mesh_id
from kg.namespaces import CTG, MESHV, PROV, STUDY
from kg.resources import ONTOLOGY
from kg.sinks import DatasetSink
from kg.validate import load_shapes, validate

SHAPES = "https://w3id.org/ctgov-kg/shapes#"
ELSEWHERE = URIRef("https://example.org/elsewhere")
OTHER = URIRef("https://example.org/Other")
LAT = URIRef("http://www.w3.org/2003/01/geo/wgs84_pos#lat")


@cache
def shapes() -> Graph:
    return load_shapes()


@cache
def ontology() -> Graph:
    return Graph().parse(ONTOLOGY, format="turtle")


def _graph(*records: dict) -> Graph:
    sink = DatasetSink()
    for record in records:
        sink.add(kg.map_record(record))
    return kg.KnowledgeGraph(sink.dataset).union()


@cache
def base() -> Graph:
    """A conforming graph with a node of every class: the record with every field of the API
    model, and two real records for what it lacks. The made-up record's latitude is put in
    range, and the result groups its figures name (but do not define) are made groups."""
    g = _graph(complete_record(), load_record("NCT00763412"), load_record("NCT04207047"))
    for s in list(g.subjects(LAT, None)):
        g.set((s, LAT, Literal("45.5", datatype=XSD.decimal)))
    for group in list(g.objects(None, URIRef(CTG + "group"))):
        g.add((group, RDF.type, URIRef(CTG + "ResultGroup")))
    return g


def _targeted_shapes() -> list[URIRef]:
    g = shapes()
    targeted = set(g.subjects(SH.targetClass, None)) | set(g.subjects(SH.targetSubjectsOf, None))
    return sorted(targeted, key=str)


# --- the shapes graph ----------------------------------------------------------------------


def test_the_shapes_are_valid_shacl():
    conforms, _, text = meta_validate(shapes(), inference="none")
    assert conforms, text


def test_every_shape_is_named_and_has_a_message_a_curator_can_read():
    g = shapes()
    found = set(g.subjects(RDF.type, SH.NodeShape)) | set(g.subjects(RDF.type, SH.PropertyShape))
    found |= set(g.subjects(RDF.type, SH.SPARQLConstraint))
    assert len(found) > 400
    for shape in found:
        assert isinstance(shape, URIRef), f"unnamed shape {shape}"
        messages = [m for m in g.objects(shape, SH.message) if m.language == "en"]
        assert messages, f"{shape} has no English sh:message"
        assert len(str(messages[0])) > 30 and str(messages[0]).endswith("."), shape


def test_severities_are_the_three_of_shacl():
    used = set(shapes().objects(None, SH.severity))
    assert used <= {SH.Violation, SH.Warning, SH.Info}
    assert {SH.Warning, SH.Info} <= used


def test_every_class_of_the_ontology_has_a_node_shape():
    g = shapes()
    classes = {c for c in ontology().subjects(RDF.type, OWL.Class) if isinstance(c, URIRef)}
    classes |= {URIRef(MESHV + "Descriptor"), URIRef(MESHV + "SupplementaryConceptRecord")}
    classes.add(URIRef(PROV + "Entity"))
    node_targets = {
        c for s in g.subjects(RDF.type, SH.NodeShape) for c in g.objects(s, SH.targetClass)
    }
    assert sorted(classes - node_targets) == []


def _members(g: Graph, node):
    union = g.value(node, OWL.unionOf)
    return list(Collection(g, union)) if union is not None else [node]


def test_every_property_of_the_ontology_is_checked_on_every_class_it_is_stated_of():
    g, onto = shapes(), ontology()
    checked = {
        (c, p)
        for s in g.subjects(SH.path, None)
        for p in g.objects(s, SH.path)
        for c in g.objects(s, SH.targetClass)
    }
    missing = []
    for p in set(onto.subjects(RDF.type, OWL.DatatypeProperty)) | set(
        onto.subjects(RDF.type, OWL.ObjectProperty)
    ):
        for c in _members(onto, onto.value(p, RDFS.domain)):
            if (c, p) not in checked:
                missing.append(f"{p} on {c}")
    assert sorted(missing) == []


def test_enumerations_are_the_api_v2_values():
    g, onto = shapes(), ontology()
    enumerated = {p: str(e) for p, e in onto.subject_objects(URIRef(CTG + "enumeration"))}
    with_in = set()
    for shape, values in g.subject_objects(SH["in"]):
        path = g.value(shape, SH.path)
        assert path in enumerated, f"{shape}: sh:in on a property without an API enumeration"
        assert {str(v) for v in Collection(g, values)} == set(ENUMS[enumerated[path]]), shape
        with_in.add(path)
    # an outcome measure's dispersion type is free text; its baseline twin is checked
    assert sorted(set(enumerated) - with_in) == []


def _pattern(shape: str) -> re.Pattern:
    return re.compile(str(shapes().value(URIRef(SHAPES + shape), SH.pattern)))


MESH_PATTERNS = [
    ("DescriptorShape", "D"),
    ("SupplementaryConceptShape", "C"),
    ("Descriptor-meshAncestor", "D"),
    ("Study-conditionMesh", "DC"),
    ("Study-interventionMesh", "DC"),
    ("Study-conditionMeshAncestor", "D"),
    ("Study-interventionMeshAncestor", "D"),
]


@pytest.mark.parametrize(("shape", "letters"), MESH_PATTERNS)
def test_mesh_patterns_accept_exactly_nlms_own_form(shape, letters):
    pattern = _pattern(shape)
    rng = random.Random(3)
    for letter in "DCQ":
        last = LAST_OLD[letter]
        numbers = {0, 1, 9, last - 1, last, last + 1, last + 10, 99999, 999999, 10**6, 10**9 - 1}
        numbers |= {rng.randrange(10**9) for _ in range(200)}
        numbers |= {rng.randrange(last) for _ in range(50)}
        for n in sorted(numbers):
            for width in (6, 9):
                if n >= 10**width:
                    continue
                ui = f"{letter}{n:0{width}d}"
                expected = letter in letters and normalize_mesh_id(ui) == ui
                assert bool(pattern.match("http://id.nlm.nih.gov/mesh/" + ui)) == expected, ui
    assert not pattern.match("https://id.nlm.nih.gov/mesh/D018358")


# --- every shape fails on a graph that breaks it --------------------------------------------


def _only(shape: URIRef) -> Graph:
    """The shapes graph cut down to one shape and what it refers to (sh:node shapes, lists,
    SPARQL prefixes)."""
    g, out = shapes(), Graph()
    todo, seen = [shape], set()
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        for p, o in g.predicate_objects(node):
            out.add((node, p, o))
            if p not in (SH.targetClass, SH.targetSubjectsOf, SH["class"], SH.path):
                todo.append(o)
    return out


def _around(g: Graph, focus) -> Graph:
    """The focus node's triples, and the types of the nodes it links to."""
    out = Graph()
    for p, o in g.predicate_objects(focus):
        out.add((focus, p, o))
        for t in g.objects(o, RDF.type):
            out.add((o, RDF.type, t))
    return out


def _focus(shape: URIRef):
    g, b = shapes(), base()
    cls = g.value(shape, SH.targetClass)
    found = (
        set(b.subjects(RDF.type, cls))
        if cls is not None
        else {s for s, _ in b.subject_objects(g.value(shape, SH.targetSubjectsOf))}
    )
    path = g.value(shape, SH.path)
    having = {f for f in found if path is None or b.value(f, path) is not None}
    return sorted(having or found, key=str)[0]


def _replace(small: Graph, focus, path, value) -> None:
    small.remove((focus, path, None))
    small.add((focus, path, value))


def _break_property(shape: URIRef, small: Graph, focus) -> None:
    g = shapes()
    path = g.value(shape, SH.path)
    has = lambda p: g.value(shape, p) is not None  # noqa: E731
    if g.value(shape, SH.minCount) is not None:
        small.remove((focus, path, None))
    elif has(SH["in"]):
        _replace(small, focus, path, Literal("NOT_AN_API_VALUE"))
    elif has(SH.pattern):
        iri = g.value(shape, SH.nodeKind) == SH.IRI or has(SH["class"])
        _replace(small, focus, path, ELSEWHERE if iri else Literal("not of the form"))
    elif has(SH["class"]) or has(SH["or"]):
        _replace(small, focus, path, ELSEWHERE)
        small.add((ELSEWHERE, RDF.type, OTHER))
    elif has(SH.datatype):
        wrong = Literal(7) if g.value(shape, SH.datatype) == XSD.string else Literal("seven")
        _replace(small, focus, path, wrong)
    elif has(SH.node):
        _replace(small, focus, path, Literal("2020-13-45"))
    elif g.value(shape, SH.nodeKind) == SH.Literal:
        _replace(small, focus, path, ELSEWHERE)
    elif g.value(shape, SH.nodeKind) == SH.IRI:
        _replace(small, focus, path, Literal("not a link"))
    else:
        raise AssertionError(f"no way to break {shape}")


def _break_node(shape: URIRef, small: Graph, focus):
    g = shapes()
    if g.value(shape, SH["class"]) is not None:
        small.remove((focus, RDF.type, g.value(shape, SH["class"])))
        return focus
    new = ELSEWHERE if g.value(shape, SH.pattern) is not None else BNode("elsewhere")
    for p, o in list(small.predicate_objects(focus)):
        small.remove((focus, p, o))
        small.add((new, p, o))
    return new


BREAKABLE = [s for s in _targeted_shapes() if shapes().value(s, SH.sparql) is None]


@pytest.mark.parametrize("shape", BREAKABLE, ids=lambda s: str(s).removeprefix(SHAPES))
def test_each_shape_fails_on_a_graph_that_breaks_it(shape):
    g = shapes()
    only = _only(shape)
    focus = _focus(shape)
    small = _around(base(), focus)
    assert [r for r in validate(small, shapes=only).results if r.shape == str(shape)] == []
    path = g.value(shape, SH.path)
    if path is None:
        focus = _break_node(shape, small, focus)
    else:
        _break_property(shape, small, focus)
    found = validate(small, shapes=only).results
    severity = str(g.value(shape, SH.severity) or SH.Violation).rsplit("#", 1)[1]
    expected = (str(focus), None if path is None else str(path), str(shape), severity)
    assert expected in {(r.focus, r.path, r.shape, r.severity) for r in found}, found
    message = str(g.value(shape, SH.message))
    assert message in {r.message for r in found}


# --- the SPARQL rules ----------------------------------------------------------------------

SPARQL_TESTED = {
    "CompletionNotBeforeStart",
    "CompletedHasCompletionDate",
    "ArmInterventionInStudy",
    "CompletedWithParticipants",
    "InterventionalPhase",
    "PostedResultsPresent",
    "AgeRange",
    "InterventionInArmHint",
}


def test_every_sparql_shape_has_a_test_below():
    found = {str(s).removeprefix(SHAPES) for s in shapes().subjects(SH.sparql, None)}
    assert found == SPARQL_TESTED


def _study(nct: str, **changes) -> dict:
    """A real complete record with a new NCT ID and some status and design fields changed."""
    record = load_record("NCT03418623")
    record["protocolSection"]["identificationModule"]["nctId"] = nct
    status = record["protocolSection"]["statusModule"]
    design = record["protocolSection"]["designModule"]
    for key, value in changes.items():
        target = design if key in ("phases", "enrollmentInfo", "studyType") else status
        if value is None:
            target.pop(key, None)
        else:
            target[key] = value
    return record


def _findings(*records: dict, shape: str) -> list[tuple]:
    report = validate(_graph(*records))
    return [
        (r.nct_id, r.path, r.value, r.severity, r.message)
        for r in report.results
        if r.shape == SHAPES + shape
    ]


def test_completion_before_start_is_a_violation_when_both_are_actual():
    start = {"date": "2020-05-14", "type": "ACTUAL"}
    before = _study(
        "NCT90000001",
        startDateStruct=start,
        primaryCompletionDateStruct={"date": "2020-04", "type": "ACTUAL"},
        completionDateStruct={"date": "2019", "type": "ACTUAL"},
    )
    same_month = _study(
        "NCT90000002",
        startDateStruct=start,
        primaryCompletionDateStruct={"date": "2020-05", "type": "ACTUAL"},
        completionDateStruct={"date": "2020-05", "type": "ACTUAL"},
    )
    estimated = _study(
        "NCT90000003",
        startDateStruct={"date": "2020-05-14", "type": "ESTIMATED"},
        completionDateStruct={"date": "2019-01", "type": "ACTUAL"},
    )
    found = _findings(before, same_month, estimated, shape="CompletionNotBeforeStart")
    assert sorted((n, p, v, s) for n, p, v, s, _ in found) == [
        ("NCT90000001", CTG + "completionDate", "2019", "Violation"),
        ("NCT90000001", CTG + "primaryCompletionDate", "2020-04", "Violation"),
    ]
    assert "2020-04 is before the actual start date 2020-05-14" in sorted(m for *_, m in found)[1]


def test_a_completed_study_without_completion_date_is_a_violation():
    found = _findings(
        _study("NCT90000004", overallStatus="COMPLETED", completionDateStruct=None),
        _study("NCT90000005", overallStatus="RECRUITING", completionDateStruct=None),
        shape="CompletedHasCompletionDate",
    )
    assert [(n, p, s) for n, p, _, s, _ in found] == [
        ("NCT90000004", CTG + "completionDate", "Violation")
    ]


def test_an_arm_using_another_studys_intervention_is_a_violation():
    g = _graph(_study("NCT90000006"), _study("NCT90000007"))
    arm = URIRef("https://w3id.org/ctgov-kg/study/NCT90000006/arm/1")
    elsewhere = URIRef("https://w3id.org/ctgov-kg/study/NCT90000007/intervention/1")
    g.add((arm, URIRef(CTG + "usesIntervention"), elsewhere))
    found = [r for r in validate(g).results if r.shape == SHAPES + "ArmInterventionInStudy"]
    assert [(r.nct_id, r.focus, r.path, r.value) for r in found] == [
        ("NCT90000006", str(arm), CTG + "usesIntervention", str(elsewhere))
    ]
    assert "not an intervention of the same study" in found[0].message


def test_registry_data_quality_findings_are_warnings():
    zero = _study(
        "NCT90000008",
        overallStatus="COMPLETED",
        enrollmentInfo={"count": 0, "type": "ACTUAL"},
    )
    no_phase = _study("NCT90000009", phases=None)
    no_results = _study("NCT90000010")
    no_results["hasResults"] = True
    ages = _study("NCT90000011")
    ages["protocolSection"]["eligibilityModule"].update(
        minimumAge="2 Years", maximumAge="18 Months"
    )
    fine = _study("NCT90000012")
    fine["protocolSection"]["eligibilityModule"].update(
        minimumAge="13 Weeks", maximumAge="3 Months"
    )
    records = (zero, no_phase, no_results, ages, fine)
    assert _findings(*records, shape="CompletedWithParticipants")[0][:4] == (
        "NCT90000008",
        CTG + "enrollmentCount",
        "0",
        "Warning",
    )
    # a node shape's SPARQL finding without a ?value has the focus node as its value
    assert [f[:4] for f in _findings(*records, shape="InterventionalPhase")] == [
        ("NCT90000009", CTG + "phase", STUDY + "NCT90000009", "Warning")
    ]
    assert [f[:4] for f in _findings(*records, shape="PostedResultsPresent")] == [
        ("NCT90000010", CTG + "hasResults", "true", "Warning")
    ]
    assert [f[:4] for f in _findings(*records, shape="AgeRange")] == [
        ("NCT90000011", CTG + "minimumAge", "P2Y", "Warning")
    ]
    # rdflib writes the duration 18 months as P1Y6M
    assert "P2Y is above the maximum age P1Y6M" in _findings(*records, shape="AgeRange")[0][4]


def test_an_intervention_no_arm_uses_is_a_hint():
    record = _study("NCT90000013")
    arms = record["protocolSection"]["armsInterventionsModule"]
    for arm in arms["armGroups"]:
        arm.pop("interventionNames", None)
    for intervention in arms["interventions"]:
        intervention.pop("armGroupLabels", None)
    found = _findings(record, shape="InterventionInArmHint")
    assert found and {(f[0], f[3]) for f in found} == {("NCT90000013", "Info")}
