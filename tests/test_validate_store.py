"""kg.validate_store and kg validate --store: the shapes as SPARQL on an Oxigraph store report
what plain pyshacl reports, on the real records, on every hand-broken shape and record, and on
shapes that use the rest of what the compiler implements; what it does not implement is refused.

Each comparison runs pyshacl on the store's own triples (every graph in one rdflib Graph), so
both sides see the same terms: Oxigraph writes valid literals in canonical form (``1.50`` as
``1.5``).
"""

from __future__ import annotations

import contextlib
import copy
import json
import re
import threading
from functools import cache
from types import SimpleNamespace

import pyoxigraph as ox
import pyshacl
import pytest
import rdflib
from conftest import CTGOV, SEED, assert_dropped_cleanly, load_record, rdflib_log_kept
from rdflib import RDF, RDFS, XSD, BNode, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import SH
from test_shapes import (
    BREAKABLE,
    _around,
    _break_node,
    _break_property,
    _focus,
    _only,
    base,
    shapes,
)

import kg
import kg.validate_store
from kg.cli import main
from kg.errors import InputError
from kg.export import as_graph
from kg.namespaces import CTG, GRAPH, MESH, STUDY
from kg.shacl_sparql import _STRICT, _Datatype, compile_shapes
from kg.store import SHARED
from kg.validate import _Batch, _nct_in
from kg.validate_store import _Data, _Queue, validate_store

SHAPES = "https://w3id.org/ctgov-kg/shapes#"
EX = "https://example.org/"
Key = tuple[str, str | None, str | None, str, str, str]


def _store(graph: rdflib.Graph) -> kg.OxigraphStore:
    """A store holding the triples as kg.build --store lays them out: a study's own nodes in
    its graph, the rest in the shared graph."""
    dataset = rdflib.Dataset()
    for s, p, o in graph:
        nct = _nct_in(s)
        dataset.graph(URIRef(GRAPH + nct if nct else SHARED)).add((s, p, o))
    store = kg.OxigraphStore.memory()
    store.store.load(dataset.serialize(format="nquads").encode(), format=ox.RdfFormat.N_QUADS)
    return store


def _dumped(store: kg.OxigraphStore) -> rdflib.Graph:
    """Every triple of the store, in one rdflib graph."""
    dataset = rdflib.Dataset()
    dataset.parse(data=store.store.dump(format=ox.RdfFormat.N_QUADS), format="nquads")
    graph = _Batch()
    for s, p, o, _ in dataset.quads():
        graph.add((s, p, o))
    return graph


def _keys(report: rdflib.Graph) -> set[Key]:
    """Each result of a SHACL report: focus node, path, value, shape, component, severity (a
    blank node as ``_:``, for the report names them its own way)."""
    found = set()
    for result in report.objects(None, SH.result):
        value = report.value(result, SH.value)
        path = report.value(result, SH.resultPath)
        if isinstance(path, BNode):
            path = "^" + str(report.value(path, SH.inversePath))
        found.add(
            (
                _n3(report.value(result, SH.focusNode)),
                None if path is None else str(path),
                None if value is None else _n3(value),
                str(report.value(result, SH.sourceShape)),
                str(report.value(result, SH.sourceConstraintComponent)),
                str(report.value(result, SH.resultSeverity)),
            )
        )
    return found


def _n3(node: rdflib.term.Node) -> str:
    return "_:" if isinstance(node, BNode) else node.n3()


def _pyshacl(store: kg.OxigraphStore, shapes_graph: rdflib.Graph) -> set[Key]:
    _, report, _ = pyshacl.validate(
        _dumped(store), shacl_graph=shapes_graph, allow_warnings=True, allow_infos=True
    )
    return _keys(report)


def _same(store: kg.OxigraphStore, shapes_graph: rdflib.Graph | None = None) -> set[Key]:
    """Validate both ways, and with every count grouped one graph at a time; assert the same
    results; return them."""
    shapes_graph = shapes_graph if shapes_graph is not None else shapes()
    found = _keys(validate_store(store, shapes=shapes_graph).graph)
    assert found == _pyshacl(store, shapes_graph)
    with _graph_by_graph():
        assert _keys(validate_store(store, shapes=shapes_graph).graph) == found
    return found


@contextlib.contextmanager
def _graph_by_graph():
    """Every count scan that may group a batch of graphs at a time groups as few as it can
    (one graph a batch where it meets at least a row a graph); yields each scan's batches."""
    module = kg.validate_store
    original, most = _Data._batches, module._ROWS_PER_BATCH
    used: list[list[list[str]]] = []

    def batches(self, scan):
        found = original(self, scan)
        if found is not None:
            used.append(found)
        return found

    module._ROWS_PER_BATCH = 1
    _Data._batches = batches
    try:
        yield used
    finally:
        module._ROWS_PER_BATCH = most
        _Data._batches = original


# --- the compiler ------------------------------------------------------------------------------


def test_every_shape_with_a_target_compiles():
    scans = compile_shapes(shapes())
    checked = {c.shape for scan in scans for c in scan.checks}
    g = shapes()
    targeted = {s for p in (SH.targetClass, SH.targetSubjectsOf) for s in g.subjects(p, None)}
    assert checked == targeted
    components = {c.component for scan in scans for c in scan.checks}
    assert len(components) == 12 and SH.SPARQLConstraintComponent in components
    empty = ox.Store()
    for scan in scans:  # each query is SPARQL that Oxigraph runs
        assert list(empty.query(scan.query, use_default_graph_as_union=True)) == []


STRICT_SAMPLES = {
    XSD.integer: ["0", "-123456789012345678"],
    XSD.decimal: ["1.5", "-0.5", "10", "123456789012345678.123456789012345678"],
    XSD.double: ["10", "1.5E-7", "-1.0E308", "1E999", "INF", "-INF", "NaN"],
    XSD.float: ["1.5E-7", "INF"],
    XSD.boolean: ["true", "false"],
    XSD.date: ["2021-02-28", "2021-04-30", "2021-12-31", "1000-01-01", "9999-12-31"],
    XSD.dateTime: [
        "2020-01-31T23:59:59.123456",
        "2020-12-31T00:00:00",
        "2026-01-01T00:00:00Z",
        "2020-01-31T23:59:59.5+13:59",
        "2020-01-31T23:59:59-05:00",
    ],
    XSD.duration: ["P1Y", "P1Y6M", "P14D", "P1M", "P1Y2M3D", "P999999D", "P999999Y"],
}


@pytest.mark.parametrize("datatype", sorted(STRICT_SAMPLES), ids=lambda d: d.rsplit("#")[1])
def test_what_sparql_lets_through_as_well_typed_rdflib_reads_as_well_typed(datatype):
    strict = re.compile(_STRICT[datatype])
    test = _Datatype(datatype)
    for lexical in STRICT_SAMPLES[datatype]:
        assert strict.match(lexical), lexical
        assert test.holds(Literal(lexical, datatype=datatype), None), lexical
    for lexical in ("2021-02-29", "P", "x", "TRUE"):
        assert not strict.match(lexical) or test.holds(Literal(lexical, datatype=datatype), None)


UNSUPPORTED = [
    ("sh:minLength 3", "sh:minLength (sh:MinLengthConstraintComponent)"),
    ("sh:property [ sh:path ex:p ]", "sh:property (sh:PropertyConstraintComponent)"),
    ("sh:closed true", "sh:closed (sh:ClosedConstraintComponent)"),
    ("sh:path [ sh:zeroOrMorePath ex:p ]", "a sh:path other than a property or its inverse"),
    ("sh:path ex:p ; sh:node [ sh:path ex:q ]", "a property shape inside sh:node or sh:or"),
    ("sh:sparql [ sh:select 'SELECT $this WHERE { MINUS { $this a ex:B } }' ]", "MINUS"),
    (
        "sh:sparql [ sh:select 'SELECT $this WHERE { { SELECT ?x (COUNT(*) AS ?n) "
        "WHERE { $this ex:p ?x } GROUP BY ?x } }' ]",
        "a subquery that uses $this but does not select it",
    ),
    ("sh:sparql [ sh:select 'SELECT $this WHERE { $this ex:p ?x } LIMIT 1' ]", "LIMIT"),
    ("sh:frobnicate 1", "sh:frobnicate (a parameter it does not know)"),
]


@pytest.mark.parametrize(("turtle", "message"), UNSUPPORTED, ids=[m for _, m in UNSUPPORTED])
def test_what_is_not_implemented_is_refused_by_name(turtle, message):
    g = rdflib.Graph().parse(
        data=f"@prefix sh: <{SH}> . @prefix ex: <{EX}> . "
        f"ex:Shape a sh:NodeShape ; sh:targetClass ex:A ; {turtle} .",
        format="turtle",
    )
    with pytest.raises(InputError) as raised:
        compile_shapes(g)
    assert str(raised.value).startswith("shape <https://example.org/Shape>: ")
    assert message in str(raised.value)
    assert "not implemented by the SPARQL validator" in str(raised.value)


# --- the real records --------------------------------------------------------------------------


@cache
def real() -> kg.OxigraphStore:
    store = kg.OxigraphStore.memory()
    store.build([CTGOV, SEED])
    return store


def test_the_real_records_give_what_pyshacl_and_kg_validate_give():
    found = _same(real())
    assert len(found) > 10
    report = validate_store(real(), jobs=2)
    reference = kg.validate(as_graph(real()))
    assert report.results == reference.results
    assert report.studies == reference.studies == 15
    assert isomorphic(report.graph, reference.graph)
    assert report.text() == reference.text()


def test_counts_grouped_graph_by_graph_find_what_one_grouping_finds():
    whole = validate_store(real())
    with _graph_by_graph() as used:
        batched = validate_store(real(), jobs=2)
    assert batched.results == whole.results and len(whole.results) > 10
    studies = sorted(GRAPH + nct for nct in real().studies())
    assert len(used) > 100 and len(studies) == 15
    for batches in used:  # the study graphs in order, in batches, then the shared graph
        assert [g for batch in batches[:-1] for g in batch] == studies and batches[-1] == [SHARED]
    assert sum(all(len(b) == 1 for b in batches) for batches in used) > 50


def test_a_count_grouped_in_some_graphs_finds_the_nodes_of_those_graphs_only():
    """Two studies, each with an arm of two labels in its own graph: the scan of rdfs:label
    counts, grouped in one study's graph, finds that study's arm; graph by graph, both."""
    store = kg.OxigraphStore.memory()
    store.build([CTGOV / "NCT03418623.json", CTGOV / "NCT00763412.json"])
    arms = {}
    for nct in ("NCT03418623", "NCT00763412"):
        arms[nct] = STUDY + nct + "/arm/1"
        label = ox.Literal("a second label")
        graph = ox.NamedNode(GRAPH + nct)
        store.store.add(
            ox.Quad(ox.NamedNode(arms[nct]), ox.NamedNode(str(RDFS.label)), label, graph)
        )
    (scan,) = [
        s
        for s in compile_shapes(shapes(), hierarchy=False)
        if s.grouped and str(RDFS.label) in s.query
    ]
    data = _Data(store.store)
    for nct, arm in arms.items():
        rows = data.select(scan.in_graphs([GRAPH + nct]))
        assert {str(row["this"]) for row in rows} == {arm}
        assert int(data.select(scan.rows_in([GRAPH + nct]))[0]["n"]) > 2
    with _graph_by_graph() as used:
        report = validate_store(store)
    assert len(used) > 10
    assert sorted((r.focus, r.constraint) for r in report.results if r.path == str(RDFS.label)) == [
        (arms["NCT00763412"], "MaxCountConstraintComponent"),
        (arms["NCT03418623"], "MaxCountConstraintComponent"),
    ]


def test_a_store_with_graphs_kg_did_not_write_is_grouped_whole():
    """A second label of an arm in a graph kg does not write (one of the user's, the default
    graph) makes every count group the whole store, so the arm's sh:maxCount 1 is broken."""
    arm = STUDY + "NCT03418623/arm/1"
    for graph in (ox.NamedNode(EX + "notes"), ox.DefaultGraph()):
        store = kg.OxigraphStore.memory()
        store.build([CTGOV / "NCT03418623.json"])
        assert _Data(store.store).graphs == [GRAPH + "NCT03418623"]
        label = ox.Literal("a second label")
        store.store.add(ox.Quad(ox.NamedNode(arm), ox.NamedNode(str(RDFS.label)), label, graph))
        assert _Data(store.store).graphs is None
        with _graph_by_graph() as used:
            report = validate_store(store)
        assert used == [] and report.studies == 1
        assert [(r.focus, r.path, r.constraint) for r in report.results] == [
            (arm, str(RDFS.label), "MaxCountConstraintComponent")
        ]


# --- every shape, broken as tests/test_shapes.py breaks it -------------------------------------


@pytest.mark.parametrize("shape", BREAKABLE, ids=lambda s: str(s).removeprefix(SHAPES))
def test_each_broken_shape_gives_what_pyshacl_gives(shape):
    only = _only(shape)
    focus = _focus(shape)
    small = _around(base(), focus)
    if shapes().value(shape, SH.path) is None:
        _break_node(shape, small, focus)
    else:
        _break_property(shape, small, focus)
    found = _same(_store(small), only)
    assert str(shape) in {key[3] for key in found}


# --- hand-broken records -----------------------------------------------------------------------

NCT = "NCT03418623"
STUDY_IRI = URIRef(STUDY + NCT)
XSD_NS = str(XSD)


def _record_graph(change=None, record: str = NCT) -> rdflib.Graph:
    """The triples of a real record, changed first by ``change(protocolSection)``."""
    record = copy.deepcopy(load_record(record))
    if change is not None:
        change(record["protocolSection"])
    graph = rdflib.Graph()
    for s, p, o, _ in kg.map_record(record).quads:
        if isinstance(o, str):
            graph.add((URIRef(s), URIRef(p), URIRef(o)))
        else:
            graph.add((URIRef(s), URIRef(p), Literal(o.lex, lang=o.lang, datatype=o.datatype)))
    return graph


def _changed(change=None, *triples: tuple) -> kg.OxigraphStore:
    """A store of the record, changed, with these triples added."""
    graph = _record_graph(change)
    for triple in triples:
        graph.add(triple)
    return _store(graph)


def _replaced(field: str, text: str, record: str = NCT) -> kg.OxigraphStore:
    """A store of the record whose study states ``field`` as the N-Triples object ``text``
    alone, written as it is (rdflib would normalize a literal such as "TRUE"^^xsd:boolean)."""
    graph = _record_graph(record=record)
    study = URIRef(STUDY + record)
    graph.remove((study, URIRef(CTG + field), None))
    store = _store(graph)
    line = f"<{study}> <{CTG}{field}> {text} <{GRAPH}{record}> .\n"
    store.store.load(line.encode(), format=ox.RdfFormat.N_QUADS)
    return store


def _status(**changes) -> kg.OxigraphStore:
    return _changed(lambda p: p["statusModule"].update(changes))


BROKEN = {
    "wrong-datatype": lambda: _replaced("enrollmentCount", '"x"'),
    "ill-typed-integer": lambda: _replaced("enrollmentCount", f'"many"^^<{XSD_NS}integer>'),
    "ill-typed-date": lambda: _replaced("startDate", f'"2021-02-29"^^<{XSD_NS}date>'),
    "leap-day": lambda: _replaced("startDate", f'"2020-02-29"^^<{XSD_NS}date>'),
    "boolean-in-capitals": lambda: _replaced("hasResults", f'"TRUE"^^<{XSD_NS}boolean>'),
    "bad-enum": lambda: _status(overallStatus="DONE"),
    "enum-with-language": lambda: _replaced("overallStatus", '"COMPLETED"@en'),
    "missing-required": lambda: _changed(lambda p: p["conditionsModule"].pop("conditions")),
    "bad-pattern": lambda: _changed(lambda p: p["identificationModule"].update(nctId="NCT1")),
    "pattern-on-a-literal-link": lambda: _replaced("nctId", "<https://example.org/NCT12345678>"),
    "or-fails": lambda: _replaced("conditionMesh", "<http://id.nlm.nih.gov/mesh/D000001>"),
    "node-fails": lambda: _replaced("startDate", f'"2020"^^<{XSD_NS}integer>'),
    "sparql-fails": lambda: _status(
        startDateStruct={"date": "2020-05-14", "type": "ACTUAL"},
        completionDateStruct={"date": "2019", "type": "ACTUAL"},
        overallStatus="COMPLETED",
    ),
    "sparql-without-value": lambda: _changed(lambda p: p["designModule"].pop("phases")),
    "too-low": lambda: _changed(lambda p: p["designModule"]["enrollmentInfo"].update(count=-3)),
    "too-low-as-text": lambda: _replaced("enrollmentCount", '"-3"'),
    "too-many": lambda: _changed(None, (STUDY_IRI, RDFS.label, Literal("Another title"))),
    "wrong-class": lambda: _changed(
        None,
        (URIRef(STUDY + NCT + "/arm/1"), URIRef(CTG + "usesIntervention"), STUDY_IRI),
    ),
    "blank-node-focus": lambda: _changed(
        None,
        (BNode("b"), RDF.type, URIRef(CTG + "Location")),
        (STUDY_IRI, URIRef(CTG + "location"), BNode("b")),
    ),
    "completed-without-date": lambda: _changed(
        lambda p: (p["statusModule"].pop("completionDateStruct"), _completed(p))
    ),
    "completed-with-no-one": lambda: _changed(
        lambda p: (
            p["designModule"].update(enrollmentInfo={"count": 0, "type": "ACTUAL"}),
            _completed(p),
        )
    ),
    "results-announced-not-posted": lambda: _replaced(
        "hasResults", f'"true"^^<{XSD_NS}boolean>', record="NCT00973089"
    ),
    "ages-reversed": lambda: _changed(
        lambda p: p["eligibilityModule"].update(minimumAge="2 Years", maximumAge="18 Months")
    ),
    "intervention-in-no-arm": lambda: _changed(_no_arm_uses_an_intervention),
}
QUIET = {  # a valid date; warnings and hints
    "leap-day",
    "sparql-without-value",
    "completed-with-no-one",
    "results-announced-not-posted",
    "ages-reversed",
    "intervention-in-no-arm",
}


def _completed(protocol: dict) -> None:
    protocol["statusModule"]["overallStatus"] = "COMPLETED"


def _no_arm_uses_an_intervention(protocol: dict) -> None:
    arms = protocol["armsInterventionsModule"]
    for arm in arms["armGroups"]:
        arm.pop("interventionNames", None)
    for intervention in arms["interventions"]:
        intervention.pop("armGroupLabels", None)


RDFLIB_ONLY = {"boolean-in-capitals": "PostedResultsPresent"}
"""sh:sparql constraints run on Oxigraph, which follows SPARQL 1.1 where rdflib, pyshacl's
engine, does not: rdflib reads "TRUE"^^xsd:boolean as true (`?value = true`); Oxigraph, as the
standard says, as an ill-typed literal that equals nothing."""


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_each_hand_broken_record_gives_what_pyshacl_gives(name):
    store = BROKEN[name]()
    found = _keys(validate_store(store).graph)
    expected = _pyshacl(store, shapes())
    assert {key[3].removeprefix(SHAPES) for key in expected - found} <= {RDFLIB_ONLY.get(name)}
    assert found <= expected
    assert any(key[5] == str(SH.Violation) for key in found) == (name not in QUIET)
    unbroken = _keys(validate_store(_store(_record_graph())).graph)
    assert (found == unbroken) == (name == "leap-day")  # 2020-02-29 is a date


def test_a_hand_broken_record_reads_as_kg_validate_reads_it():
    store = BROKEN["sparql-fails"]()
    report = validate_store(store)
    reference = kg.validate(as_graph(store))
    assert report.results == reference.results
    assert isomorphic(report.graph, reference.graph)
    assert "is before the actual start date" in report.text()


def test_a_finding_on_a_shared_node_belongs_to_the_studies_that_link_to_it(tmp_path):
    one = load_record(NCT)
    two = copy.deepcopy(one)
    two["protocolSection"]["identificationModule"]["nctId"] = "NCT90000002"
    two["protocolSection"]["sponsorCollaboratorsModule"]["leadSponsor"]["class"] = "BOGUS"
    for record in (one, two):
        nct = record["protocolSection"]["identificationModule"]["nctId"]
        (tmp_path / f"{nct}.json").write_text(json.dumps(record), encoding="utf-8")
    store = kg.OxigraphStore.memory()
    store.build([tmp_path])
    report = validate_store(store)
    assert report.results == kg.validate(as_graph(store)).results
    rows = [r for r in report.results if r.shape == SHAPES + "Organization-agencyClass"]
    # the store keeps one organization node, stating both classes, for both studies
    assert [(r.nct_id, r.value) for r in rows] == [(NCT, "BOGUS"), ("NCT90000002", "BOGUS")]


# --- running the scans -------------------------------------------------------------------------


def test_two_count_scans_never_run_at_once_and_the_other_thread_goes_on():
    scans = [
        SimpleNamespace(kind=k, name=n) for k, n in (("count", "a"), ("count", "b"), ("value", "c"))
    ]
    other_started = threading.Event()
    active, most, during_a = [], [0], []

    def work(scan):
        active.append(scan.name)
        most[0] = max(most[0], sum(s.startswith(("a", "b")) for s in active))
        if scan.name == "a":
            during_a.append(other_started.wait(timeout=10))
        if scan.name == "c":
            other_started.set()
        active.remove(scan.name)
        return [scan.name]

    assert _Queue(scans).run(work, jobs=2) == [["a"], ["b"], ["c"]]
    assert most == [1]
    assert during_a == [True]  # c ran while a did: b was skipped, not waited for


def test_a_failing_scan_stops_the_run_and_is_raised():
    scans = [SimpleNamespace(kind="value", name=n) for n in "abc"]

    def work(scan):
        if scan.name == "b":
            raise InputError("shape b: its query failed")
        return []

    with pytest.raises(InputError, match="shape b"):
        _Queue(scans).run(work, jobs=2)


# --- the rest of what the compiler implements, on shapes of its own ----------------------------

OWN_SHAPES = f"""
@prefix sh: <{SH}> . @prefix ex: <{EX}> . @prefix xsd: <{XSD}> . @prefix rdfs: <{RDFS}> .
@prefix rdf: <{RDF}> .
ex:Range a sh:PropertyShape ; sh:targetClass ex:A ; sh:path ex:n ;
    sh:minExclusive 0 ; sh:maxExclusive 10 ; sh:maxInclusive 9.5 .
ex:Subjects a sh:PropertyShape ; sh:targetSubjectsOf ex:link ; sh:path ex:link ;
    sh:class ex:B ; sh:nodeKind sh:BlankNodeOrIRI .
ex:Objects a sh:NodeShape ; sh:targetObjectsOf ex:link ; sh:pattern "^HTTPS://EXAMPLE" ;
    sh:flags "i" .
ex:Nodes a sh:NodeShape ; sh:targetNode ex:a1, ex:nowhere ; sh:class ex:A .
ex:Inverse a sh:PropertyShape ; sh:targetClass ex:B ; sh:path [ sh:inversePath ex:link ] ;
    sh:minCount 3 ; sh:maxCount 1 .
ex:Nested a sh:PropertyShape ; sh:targetClass ex:A ; sh:path ex:part ;
    sh:node ex:Part ; sh:message "A part is a small typed thing."@en .
ex:Part a sh:NodeShape ; sh:class ex:B ; sh:node ex:Typed ; sh:severity sh:Warning .
ex:Typed a sh:NodeShape ; sh:or ( [ sh:datatype xsd:date ] [ sh:nodeKind sh:IRI ] ) .
ex:Off a sh:NodeShape ; sh:targetClass ex:A ; sh:deactivated true ; sh:nodeKind sh:Literal .
ex:Implicit a sh:NodeShape, rdfs:Class ; sh:nodeKind sh:Literal .
ex:Languages a sh:PropertyShape ; sh:targetClass ex:A ; sh:path ex:text ;
    sh:datatype rdf:langString ; sh:in ( "a"@en "b" ) .
ex:Rule a sh:PropertyShape ; sh:targetClass ex:A ; sh:sparql [
    sh:select '''SELECT $this ?value WHERE {{ $this $PATH ?value .
        FILTER (isNumeric(?value) && ?value > 5) }}''' ] ;
    sh:path ex:n .
ex:Many a sh:NodeShape ; sh:targetClass ex:A ; sh:sparql [
    sh:select '''SELECT $this ?value WHERE {{
        {{ SELECT $this (COUNT(?n) AS ?value) WHERE {{ $this <{EX}n> ?n }} GROUP BY $this }}
        FILTER (?value > 3) }}''' ] .
"""

OWN_DATA = f"""
@prefix ex: <{EX}> . @prefix xsd: <{XSD}> . @prefix rdfs: <{RDFS}> .
ex:Sub rdfs:subClassOf ex:A . ex:SubB rdfs:subClassOf ex:B .
ex:a1 a ex:A ; ex:n 0, 5, 9.7, 12, "7", ex:x ; ex:link ex:b1, ex:b2, "lit" ;
    ex:part ex:b1, "2020-01-01"^^xsd:date, "2021-02-29"^^xsd:date ;
    ex:text "a"@en, "a"@fr, "b" .
ex:a2 a ex:Sub ; ex:n 3 ; ex:link ex:b1 ; ex:part _:p .
ex:b1 a ex:SubB . ex:b2 a ex:C . ex:i1 a ex:Implicit .
"""


def test_shapes_of_its_own_give_what_pyshacl_gives():
    own = rdflib.Graph().parse(data=OWN_SHAPES, format="turtle")
    store = kg.OxigraphStore.memory()
    store.store.load(OWN_DATA.encode(), format=ox.RdfFormat.TURTLE)
    found = _same(store, own)
    components = {key[4].rsplit("#", 1)[1].removesuffix("ConstraintComponent") for key in found}
    assert components >= {
        "MinExclusive",
        "MaxExclusive",
        "MaxInclusive",
        "Class",
        "NodeKind",
        "Pattern",
        "MinCount",
        "MaxCount",
        "Node",
        "Datatype",
        "In",
        "SPARQL",
    }
    assert EX + "Off" not in {key[3] for key in found}
    assert (f"<{EX}a1>", EX + "Many") in {(key[0], key[3]) for key in found}
    report = validate_store(store, shapes=own)
    reference = kg.validate(as_graph(store), shapes=own)
    assert _rows(report) == _rows(reference)
    assert len(report.graph) == len(reference.graph)


ACROSS_GRAPHS = f"""
@prefix sh: <{SH}> . @prefix ctg: <{CTG}> . @prefix rdfs: <{RDFS}> .
@prefix ex: <{EX}> . @prefix meshv: <http://id.nlm.nih.gov/mesh/vocab#> .
ex:SponsorNamed a sh:PropertyShape ; sh:targetObjectsOf ctg:leadSponsor ;
    sh:path rdfs:label ; sh:minCount 1 ; sh:maxCount 1 .
ex:AncestorOfOne a sh:PropertyShape ; sh:targetClass meshv:Descriptor ;
    sh:path [ sh:inversePath ctg:conditionMeshAncestor ] ; sh:maxCount 1 .
ex:Seed a sh:PropertyShape ; sh:targetNode <{STUDY}NCT07366658> ;
    sh:path ctg:nctId ; sh:minCount 1 .
"""


def test_counts_whose_rows_span_graphs_are_grouped_whole():
    """Focus nodes found by another node's triples (sh:targetObjectsOf, sh:targetNode) and
    an inverse path are never grouped by graph: an inverse path's triples are in its values'
    graphs, so a MeSH ancestor of studies in two graphs has one in each."""
    own = rdflib.Graph().parse(data=ACROSS_GRAPHS, format="turtle")
    assert not any(scan.grouped for scan in compile_shapes(own, hierarchy=False))
    found = _same(real(), own)
    assert {key[3] for key in found} == {EX + "AncestorOfOne"}
    assert (f"<{MESH}D009369>", EX + "AncestorOfOne") in {(key[0], key[3]) for key in found}


COUNT_SHAPES = f"""
@prefix sh: <{SH}> . @prefix ex: <{EX}> .
ex:Named a sh:PropertyShape ; sh:targetClass ex:A ; sh:path ex:name ; sh:minCount 1 .
ex:FewNames a sh:PropertyShape ; sh:targetClass ex:C ; sh:path ex:name ; sh:maxCount 1 .
ex:NoNames a sh:PropertyShape ; sh:targetClass ex:D ; sh:path ex:name ; sh:maxCount 0 .
"""

COUNT_DATA = f"""
@prefix ex: <{EX}> .
ex:a0 a ex:A .
ex:a1 a ex:A ; ex:name "x" .
ex:c0 a ex:C .
ex:c2 a ex:C ; ex:name "p", "q" .
ex:d1 a ex:D, ex:A ; ex:name "z" .
ex:e2 a ex:E ; ex:name "p", "q" .
"""


def test_the_counts_of_one_path_share_one_scan_and_each_shape_judges_its_own_nodes():
    own = rdflib.Graph().parse(data=COUNT_SHAPES, format="turtle")
    assert [scan.kind for scan in compile_shapes(own, hierarchy=False)] == ["count"]
    store = kg.OxigraphStore.memory()
    store.store.load(COUNT_DATA.encode(), format=ox.RdfFormat.TURTLE)
    found = {(focus, shape.rsplit("/", 1)[1]) for focus, _, _, shape, _, _ in _same(store, own)}
    # a0 has no name (A needs one), c2 two (C allows one), d1 one (D allows none, A needs one)
    assert found == {(f"<{EX}a0>", "Named"), (f"<{EX}c2>", "FewNames"), (f"<{EX}d1>", "NoNames")}


NARROW_SHAPES = f"""
@prefix sh: <{SH}> . @prefix ex: <{EX}> . @prefix xsd: <{XSD}> .
ex:Listed a sh:PropertyShape ; sh:targetClass ex:A ; sh:path ex:kind ; sh:in ( "x" "y" ) .
ex:Text a sh:PropertyShape ; sh:targetClass ex:C ; sh:path ex:kind ; sh:datatype xsd:string .
"""

NARROW_DATA = f"""
@prefix ex: <{EX}> .
ex:a1 a ex:A ; ex:kind "x" .
ex:a2 a ex:A ; ex:kind "z" .
ex:c1 a ex:C ; ex:kind "z" .
ex:c2 a ex:C ; ex:kind 3 .
"""


def test_a_value_test_of_some_classes_finds_its_candidates_among_those_classes_only():
    own = rdflib.Graph().parse(data=NARROW_SHAPES, format="turtle")
    (scan,) = compile_shapes(own, hierarchy=False)
    members = f"{{ SELECT DISTINCT ?this WHERE {{ ?this <{RDF.type}> <{EX}A> . }} }}"
    assert scan.query.count(members) == 1  # the sh:in test, joined with A's instances alone
    store = kg.OxigraphStore.memory()
    store.store.load(NARROW_DATA.encode(), format=ox.RdfFormat.TURTLE)
    found = {(focus, shape.rsplit("/", 1)[1]) for focus, _, _, shape, _, _ in _same(store, own)}
    # c1's "z" is no candidate of the list, which is A's; a2's is
    assert found == {(f"<{EX}a2>", "Listed"), (f"<{EX}c2>", "Text")}


SHARED_SHAPES = f"""
@prefix sh: <{SH}> . @prefix ex: <{EX}> .
ex:ToA a sh:PropertyShape ; sh:targetClass ex:A ; sh:path ex:parent ; sh:class ex:A .
ex:ToB a sh:PropertyShape ; sh:targetClass ex:B ; sh:path ex:parent ; sh:class ex:B .
"""

SHARED_DATA = f"""
@prefix ex: <{EX}> .
ex:a1 a ex:A ; ex:parent ex:a0 . ex:a0 a ex:A .
ex:b1 a ex:B ; ex:parent ex:b0 . ex:b0 a ex:B .
ex:a2 a ex:A ; ex:parent ex:b0 .
"""


def test_class_tests_that_share_a_path_join_their_candidates_with_their_own_classes():
    own = rdflib.Graph().parse(data=SHARED_SHAPES, format="turtle")
    scans = compile_shapes(own, hierarchy=False)
    for scan, cls in zip(scans, ("A", "B"), strict=True):
        members = f"{{ SELECT DISTINCT ?this WHERE {{ ?this <{RDF.type}> <{EX}{cls}> . }} }}"
        assert members in scan.query and "FILTER EXISTS" not in scan.query
    store = kg.OxigraphStore.memory()
    store.store.load(SHARED_DATA.encode(), format=ox.RdfFormat.TURTLE)
    found = {
        (focus, value, shape.rsplit("/", 1)[1])
        for focus, _, value, shape, _, _ in _same(store, own)
    }
    assert found == {(f"<{EX}a2>", f"<{EX}b0>", "ToA")}  # b1's b0 is no candidate of A's


IRI_SHAPES = f"""
@prefix sh: <{SH}> . @prefix ex: <{EX}> .
ex:Named a sh:NodeShape ; sh:targetClass ex:A ; sh:nodeKind sh:IRI ;
    sh:pattern "^https://example.org/a" .
ex:Linked a sh:NodeShape ; sh:targetObjectsOf ex:link ; sh:nodeKind sh:IRI ;
    sh:pattern "^https://example.org/" .
"""

IRI_DATA = f"""
@prefix ex: <{EX}> .
ex:a1 a ex:A ; ex:link ex:a1, "https://example.org/text" . ex:x1 a ex:A . _:b a ex:A .
"""


def test_a_pattern_on_subjects_stands_for_their_node_kind_and_not_on_objects():
    own = rdflib.Graph().parse(data=IRI_SHAPES, format="turtle")
    linked, named = sorted(compile_shapes(own, hierarchy=False), key=lambda s: s.checks[0].shape)
    assert str(linked.checks[0].shape) == EX + "Linked"
    assert "isIRI(?this)" not in named.query and "isIRI(?this)" in linked.query
    store = kg.OxigraphStore.memory()
    store.store.load(IRI_DATA.encode(), format=ox.RdfFormat.TURTLE)
    found = {
        (focus, shape.rsplit("/", 1)[1], component.rsplit("#", 1)[1])
        for focus, _, _, shape, component, _ in _same(store, own)
    }
    assert ('"https://example.org/text"', "Linked", "NodeKindConstraintComponent") in found
    assert (f"<{EX}x1>", "Named", "PatternConstraintComponent") in found
    assert ("_:", "Named", "NodeKindConstraintComponent") in found


DERIVED_SHAPES = f"""
@prefix sh: <{SH}> . @prefix ex: <{EX}> .
ex:Link a sh:PropertyShape ; sh:targetClass ex:A ; sh:path ex:link ; sh:nodeKind sh:IRI ;
    sh:class ex:B .
ex:Either a sh:PropertyShape ; sh:targetClass ex:A ; sh:path ex:either ; sh:nodeKind sh:IRI ;
    sh:or ( [ sh:class ex:B ] [ sh:class ex:C ] ) .
ex:Loose a sh:PropertyShape ; sh:targetClass ex:A ; sh:path ex:loose ; sh:nodeKind sh:IRI .
ex:Named a sh:NodeShape ; sh:targetClass ex:B, ex:C ; sh:nodeKind sh:IRI .
"""

DERIVED_DATA = f"""
@prefix ex: <{EX}> .
ex:a1 a ex:A ; ex:link ex:b1, "text", ex:x1 ; ex:either ex:c1, ex:b1, "other" ; ex:loose "l" .
ex:b1 a ex:B . ex:c1 a ex:C .
"""


def test_a_node_kind_on_values_of_classes_known_to_be_iris_is_found_without_its_own_query(
    monkeypatch,
):
    own = rdflib.Graph().parse(data=DERIVED_SHAPES, format="turtle")
    scans = compile_shapes(own, hierarchy=False)
    derived = {s.checks[0].shape.rsplit("/", 1)[1]: s for s in scans if s.derivation}
    assert sorted(derived) == ["Either", "Link"]  # Loose has no class test to stand on
    named = next(s for s in scans if s.kind == "node")
    assert all(s.derivation.proofs == (named,) for s in derived.values())
    ran = []
    select = _Data.select
    monkeypatch.setattr(_Data, "select", lambda self, q: ran.append(q) or select(self, q))

    def found(data: str) -> set[tuple]:
        store = kg.OxigraphStore.memory()
        store.store.load(data.encode(), format=ox.RdfFormat.TURTLE)
        return {
            (focus, value, shape.rsplit("/", 1)[1], component.rsplit("#", 1)[1])
            for focus, _, value, shape, component, _ in _same(store, own)
        }

    a1, kind = f"<{EX}a1>", "NodeKindConstraintComponent"
    results = found(DERIVED_DATA)
    assert {r for r in results if r[3] == kind} == {
        (a1, '"text"', "Link", kind),
        (a1, '"other"', "Either", kind),
        (a1, '"l"', "Loose", kind),
    }
    assert (a1, f"<{EX}x1>", "Link", "ClassConstraintComponent") in results
    assert not {s.query for s in derived.values()} & set(ran)
    # a blank node of class B: the instances are not all IRIs, so the scans run their queries
    ran.clear()
    results = found(DERIVED_DATA + "ex:a1 ex:link _:b . _:b a ex:B .")
    assert (a1, "_:", "Link", kind) in results and ("_:", "_:", "Named", kind) in results
    assert {s.query for s in derived.values()} <= set(ran)


def _rows(report: kg.ValidationReport) -> list[tuple]:
    """The rows, but blank nodes (Oxigraph and rdflib name them apart) and the generic
    message of a value not in sh:in (pyshacl lists the values in no fixed order)."""
    return sorted(
        (
            r.focus if r.focus.startswith("http") else "_:",
            r.path or "",
            r.value if r.value is None or not r.value.isalnum() or len(r.value) < 30 else "_:",
            "" if " not in list " in r.message else r.message,
            r.severity,
            r.shape,
            r.constraint,
        )
        for r in report.results
    )


# --- the command line --------------------------------------------------------------------------


def test_kg_validate_store(tmp_path, capsys):
    path = tmp_path / "store"
    assert main(["build", str(CTGOV / f"{NCT}.json"), "--store", str(path), "-q"]) == 0
    capsys.readouterr()
    assert main(["validate", "--store", str(path), "-j", "2"]) == 0
    out = capsys.readouterr().out
    assert out.rstrip().endswith(
        "1 study validated, 0 with violations; 0 violations, 0 warnings, 0 infos: conforms"
    )
    assert main(["validate", "--store", str(path), "-f", "json"]) == 0
    assert '"sh:conforms": true' in capsys.readouterr().out
    assert main(["validate", "--store", str(tmp_path / "none")]) == 2
    assert main(["validate", "--store", str(path), str(SEED)]) == 2
    assert "no Oxigraph store" in capsys.readouterr().err


def test_the_rows_of_an_ill_typed_literal_leave_no_query_results_in_the_log(monkeypatch):
    """rdflib logs an ill-typed literal with its traceback; a handler that keeps the record
    must not keep a thread's query results with it (pyoxigraph cannot free them elsewhere)."""
    store = ox.Store()
    many = ox.Literal("many", datatype=ox.NamedNode(str(XSD.integer)))
    store.add(ox.Quad(ox.NamedNode(EX + "s"), ox.NamedNode(EX + "p"), many))
    rows: list[dict] = []
    query = "SELECT ?o WHERE { ?s ?p ?o }"
    with rdflib_log_kept(monkeypatch) as kept:
        worker = threading.Thread(target=lambda: rows.extend(kg.validate_store._rows(store, query)))
        worker.start()
        worker.join()
    assert [str(row["o"]) for row in rows] == ["many"]
    assert kept and kept[0].exc_info
    assert_dropped_cleanly(kept)


def test_a_triple_term_in_a_validated_row_is_an_input_error():
    store = ox.Store()
    triple = ox.Triple(ox.NamedNode(EX + "a"), ox.NamedNode(EX + "b"), ox.NamedNode(EX + "c"))
    store.add(ox.Quad(ox.NamedNode(EX + "s"), ox.NamedNode(EX + "p"), triple))
    with pytest.raises(InputError, match="an RDF-star triple term where a node was expected"):
        kg.validate_store._rows(store, "SELECT ?o WHERE { ?s ?p ?o }")
