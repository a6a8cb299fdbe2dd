"""``kg query`` / ``kg.query``: parameters as typed terms, safety, limits, formats, the stores."""

from __future__ import annotations

import csv
import io
import json
import pickle
import sys
import threading
import time
import xml.etree.ElementTree as ET

import pyoxigraph as ox
import pytest
import rdflib
import yaml
from conftest import CTGOV, SEED, assert_dropped_cleanly, rdflib_log_kept
from query_stores import Server, cells, endpoint, oxigraph_store, rdflib_graph

import kg
import kg.oxigraph_terms
from kg import sparql
from kg.cli import main
from kg.errors import ParameterError, QueryError, QueryTimeout, UnsafeQueryError
from kg.library import decorators, parse
from kg.namespaces import CTG
from kg.params import parameter
from kg.query import prepared

XSD = "http://www.w3.org/2001/XMLSchema#"
ECHO = "SELECT ?v WHERE { BIND(?_text AS ?v) }"
INJECTIONS = [
    'x" } ; DROP ALL ; #',
    "'} UNION { ?s ?p ?o } #",
    '") || true || ("',
    "} ; DROP GRAPH <https://w3id.org/ctgov-kg/graph/NCT07366658> ; {",
    'a\\" } # \\u0022 } ; DROP ALL',
    "line\nbreak } \r\n } #",
]


@pytest.fixture(scope="module")
def graph() -> kg.KnowledgeGraph:
    return rdflib_graph()


@pytest.fixture(scope="module")
def store() -> kg.OxigraphStore:
    return oxigraph_store()


@pytest.fixture(scope="module")
def served(store):
    with endpoint(store) as (ep, server):
        yield ep, server


@pytest.fixture(params=["rdflib", "oxigraph", "endpoint"])
def any_store(request, graph, store, served):
    return {"rdflib": graph, "oxigraph": store, "endpoint": served[0]}[request.param]


# --- parameters: typed terms, never text ----------------------------------------------------


def _param(variable: str, **kw):
    p = parameter(variable, prefixes={"xsd": XSD, "mesh": "http://id.nlm.nih.gov/mesh/"}, **kw)
    assert p is not None
    return p


def test_parameter_names_and_types_follow_grlc():
    cases = {
        "_text": ("text", True, "string"),
        "__text": ("text", False, "string"),
        "_text_literal": ("text", True, "literal"),
        "_condition_iri": ("condition", True, "IRI"),
        "_n_number": ("n", True, "number"),
        "_age_integer": ("age", True, "xsd:integer"),
        "__asOf_xsd_date": ("asOf", False, "xsd:date"),
        "_title_en": ("title", True, "@en"),
    }
    for variable, (name, required, kind) in cases.items():
        p = _param(variable)
        assert (p.name, p.required, p.type) == (name, required, kind)
    assert parameter("study", prefixes={}) is None
    with pytest.raises(ParameterError, match="letters and digits"):
        _param("_min-age")
    with pytest.raises(ParameterError, match="PREFIX foaf"):
        _param("_who_foaf_Person")


def test_values_become_terms_of_the_declared_type():
    assert _param("_age_integer").term("007") == rdflib.Literal("7", datatype=rdflib.XSD.integer)
    assert _param("_age_integer").term(30) == rdflib.Literal(30)
    assert str(_param("_x_xsd_decimal").term("1.50")) == "1.5"
    assert _param("_x_xsd_boolean").term(True) == rdflib.Literal(True)
    assert _param("_x_xsd_boolean").term("1") == rdflib.Literal(True)
    assert _param("_n_number").term("2.5").datatype == rdflib.XSD.decimal
    assert _param("_n_number").term("1e3").datatype == rdflib.XSD.double
    assert _param("_d_xsd_date").term("2025-06-17").datatype == rdflib.XSD.date
    assert _param("_t_en").term("fever") == rdflib.Literal("fever", lang="en")
    mesh = _param("_c_iri")
    assert mesh.term("mesh:D009369") == rdflib.URIRef("http://id.nlm.nih.gov/mesh/D009369")
    assert mesh.term("https://example.org/x") == rdflib.URIRef("https://example.org/x")
    assert mesh.term(rdflib.URIRef("urn:x:1")) == rdflib.URIRef("urn:x:1")


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("_age_integer", "thirty"),
        ("_age_integer", "30 } ; DROP ALL"),
        ("_age_integer", 3.5),
        ("_d_xsd_date", "2025-02-30"),
        ("_d_xsd_date", '2025-06-17"^^xsd:string } #'),
        ("_x_xsd_decimal", "1,5"),
        ("_x_xsd_boolean", "maybe"),
        ("_n_number", "NaN } #"),
        ("_c_iri", "D009369"),
        ("_c_iri", "http://x> } ; DROP ALL ; <y"),
        ("_c_iri", "http://example.org/a b"),
        ("_c_iri", rdflib.Literal("http://example.org/")),
        ("_text", 42),
    ],
)
def test_a_value_not_of_the_declared_type_is_an_error(variable, value):
    with pytest.raises(ParameterError):
        _param(variable).term(value)


def test_enumerated_values_only():
    status = _param("_status", enum=("RECRUITING", "COMPLETED"))
    assert status.term("RECRUITING") == rdflib.Literal("RECRUITING")
    with pytest.raises(ParameterError, match="one of RECRUITING, COMPLETED"):
        status.term('RECRUITING" } #')


def test_bindings_fill_defaults_and_refuse_unknown_or_missing(graph):
    q = parse(
        "#+ defaults:\n#+   - age: 30\nSELECT ?s WHERE { ?s ?p ?_age_integer . ?s ?q ?_name }"
    )
    with pytest.raises(ParameterError, match=r"'name'.*required"):
        q.bindings({})
    assert q.bindings({"name": "x"})["_age_integer"] == rdflib.Literal(30)
    with pytest.raises(ParameterError, match="no parameter 'nmae'"):
        q.bindings({"name": "x", "nmae": "y"})
    with pytest.raises(ParameterError, match="'sponsor'"):
        kg.query(graph, "studies-by-sponsor", sponsor=7)


def test_a_bad_default_is_caught_when_the_query_is_read():
    with pytest.raises(ParameterError):
        parse("#+ defaults:\n#+   - age: old\nSELECT ?s WHERE { ?s ?p ?_age_integer }")
    with pytest.raises(QueryError, match="no parameter"):
        parse("#+ defaults:\n#+   - agee: 3\nSELECT ?s WHERE { ?s ?p ?_age_integer }")


# --- injection: through any parameter the query never changes -------------------------------


@pytest.mark.parametrize("value", INJECTIONS)
def test_injection_through_a_string_parameter_finds_nothing(any_store, value):
    before = len(kg.query(any_store, "studies-by-sponsor", sponsor="a"))
    assert len(kg.query(any_store, "studies-by-sponsor", sponsor=value)) == 0
    assert len(kg.query(any_store, "studies-by-sponsor", sponsor="a")) == before


@pytest.mark.parametrize("value", INJECTIONS)
def test_a_string_parameter_arrives_as_exactly_one_literal(any_store, value):
    result = kg.query(any_store, ECHO, text=value)
    assert [row.v for row in result] == [rdflib.Literal(value)]


SUBQUERY = """
PREFIX ctg: <https://w3id.org/ctgov-kg/vocab#>
SELECT ?nctId WHERE {
  { SELECT ?study WHERE { ?study ctg:overallStatus ?status FILTER(?status = ?_status) } }
  ?study ctg:nctId ?nctId .
} ORDER BY ?nctId
"""


def test_a_parameter_in_a_subquery_is_bound_there_on_every_store(any_store, graph):
    """rdflib's initial bindings reach a subquery; VALUES must be repeated there to agree."""
    expected = sorted(
        str(o)
        for s in graph.union().subjects(
            rdflib.URIRef(CTG + "overallStatus"), rdflib.Literal("COMPLETED")
        )
        for o in graph.union().objects(s, rdflib.URIRef(CTG + "nctId"))
    )
    every = {str(o) for o in graph.union().objects(None, rdflib.URIRef(CTG + "nctId"))}
    assert expected and set(expected) < every  # the filter keeps some studies, not all
    result = kg.query(any_store, SUBQUERY, status="COMPLETED")
    assert [str(row.nctId) for row in result] == expected


def test_values_are_repeated_in_each_subquery_that_uses_them():
    bound = {"_a": rdflib.Literal("x"), "_b": rdflib.Literal("y")}
    text = (
        "SELECT ?s WHERE { ?s ?p ?_b { SELECT ?s WHERE { ?s ?q ?o FILTER(?o = ?_a) } }"
        " { SELECT ?t { ?t ?r '{' } } }"
    )
    assert sparql.with_values(text, bound) == (
        'SELECT ?s WHERE { VALUES (?_a ?_b) { ("x" "y") }'
        ' ?s ?p ?_b { SELECT ?s WHERE { VALUES (?_a) { ("x") } ?s ?q ?o FILTER(?o = ?_a) } }'
        " { SELECT ?t { ?t ?r '{' } } }"
    )


def test_values_block_is_the_only_change_to_the_query_text():
    text = kg.queries()[0].text
    q = next(q for q in kg.queries() if q.name == "sites-near")
    bound = sparql.with_values(q.text, q.bindings({"status": "RECRUITING"}))
    before = [t.text for t in sparql.tokens(q.text)]
    after = [t.text for t in sparql.tokens(bound)]
    start = after.index("VALUES")
    end = start + after[start:].index("}") + 1
    assert after[:start] + after[end:] == before
    assert text  # the library is not empty


def test_values_open_the_where_group_or_the_query_is_refused():
    value = {"_o": rdflib.Literal("x")}
    construct = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?_o }"
    assert sparql.with_values(construct, value) == (
        'CONSTRUCT { ?s ?p ?o } WHERE { VALUES (?_o) { ("x") } ?s ?p ?_o }'
    )
    with pytest.raises(QueryError, match="CONSTRUCT WHERE"):
        sparql.with_values("CONSTRUCT WHERE { ?s ?p ?_o }", value)
    with pytest.raises(QueryError, match="subquery"):
        sparql.with_values("SELECT * WHERE { SELECT ?s WHERE { ?s ?p ?_o } }", value)
    assert sparql.with_values("ASK { ?s ?p ?_o }", {}) == "ASK { ?s ?p ?_o }"


def test_injection_from_the_command_line(tmp_path, capsys):
    data = ["--data", str(CTGOV), str(SEED)]
    assert main(["query", "eligible-studies", *data, "-p", "age=30 } ; DROP ALL"]) == 2
    assert "xsd:integer" in capsys.readouterr().err
    assert main(["query", "studies-by-sponsor", *data, "-p", 'sponsor=x" } ; DROP ALL #']) == 0
    assert "(0 rows)" in capsys.readouterr().out
    bad_iri = "condition=http://x> } ; DROP ALL ; <y"
    assert main(["query", "studies-by-condition", *data, "-p", bad_iri]) == 2
    assert "not an absolute IRI" in capsys.readouterr().err


# --- safety: no network, no files, unless allowed --------------------------------------------


def test_service_is_refused_and_the_network_not_touched(graph, store, served):
    with Server(None) as remote:
        text = f"SELECT * WHERE {{ SERVICE <{remote.url}> {{ ?s ?p ?o }} }}"
        for source in (graph, store, served[0]):
            with pytest.raises(UnsafeQueryError, match="SERVICE"):
                kg.query(source, text)
        assert remote.requests == []
        with pytest.raises(QueryError):
            kg.query(store, text, allow_network=True)
        assert remote.requests == ["/sparql"]


def test_from_a_local_file_is_refused(graph, store, tmp_path):
    secret = tmp_path / "secret.nt"
    secret.write_text('<http://example.org/s> <http://example.org/p> "secret" .\n')
    text = f"SELECT ?o FROM <{secret.as_uri()}> WHERE {{ ?s ?p ?o }}"
    for source in (graph, store):
        with pytest.raises(UnsafeQueryError, match="FROM"):
            kg.query(source, text)
        with pytest.raises(UnsafeQueryError, match="FROM"):
            kg.query(source, text.replace("FROM", "FROM NAMED"))
    opened = kg.query(rdflib.Dataset(), text, allow_network=True)
    assert [row.o.toPython() for row in opened] == ["secret"]  # what rdflib would do


def test_load_and_other_updates_are_refused(graph, store):
    with Server(None) as remote:
        for source in (graph, store):
            with pytest.raises(QueryError, match="LOAD"):
                kg.query(source, f"LOAD <{remote.url}>")
            with pytest.raises(QueryError, match="DROP"):
                kg.query(source, "DROP ALL")
        assert remote.requests == []
    assert "NCT07366658" in graph.studies()


@pytest.mark.parametrize(
    "text",
    [
        "SELECT * WHERE { service <http://x> { ?s ?p ?o } }",
        "SELECT * WHERE { ?s <p:a\\#b> ?o . SERVICE<http://x>{?s ?p ?o} }",
        "SELECT * WHERE { ?s ex:a\\#b ?o SERVICE <http://x> { } }",
        "SELECT * WHERE { ?s ?p 'it''s' . SERVICE SILENT ?x { } }",
        "SELECT * FROM<http://x>WHERE{}",
        'SELECT * WHERE { ?s ?p """a"b""" SERVICE <x> {} }',
    ],
)
def test_reaching_keywords_are_found_wherever_they_hide(text):
    with pytest.raises(UnsafeQueryError):
        sparql.check_safe(text)


@pytest.mark.parametrize(
    "text",
    [
        'SELECT * WHERE { ?s ?p "SERVICE <http://x> { }" }',
        "SELECT * WHERE { ?s <http://x/SERVICE> ?o } # FROM <http://x>",
        "SELECT ?from WHERE { ?s ex:from ?from ; ex:SERVICE 'LOAD' }",
        "SELECT * WHERE { ?s ?p '''FROM <x>''' }",
    ],
)
def test_the_words_as_data_are_no_keywords(text):
    sparql.check_safe(text)


def test_rdflib_agrees_there_is_no_service():
    from kg.query import _check_algebra

    with pytest.raises(UnsafeQueryError, match="SERVICE"):
        _check_algebra(prepared("SELECT * WHERE { OPTIONAL { SERVICE <http://x> { ?s ?p ?o } } }"))
    _check_algebra(prepared("SELECT * WHERE { ?s ?p 'SERVICE' }"))


# --- timeout and row limit ------------------------------------------------------------------


def _workers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "kg-query"]


@pytest.mark.parametrize("which", ["rdflib", "oxigraph"])
def test_a_query_that_runs_too_long_is_stopped(which, graph, store):
    source = {"rdflib": graph, "oxigraph": store}[which]
    heavy = "SELECT * WHERE { ?a ?p ?b . ?c ?q ?d }"  # 1.5e9 rows, streamed
    if which == "rdflib":
        heavy = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?p ?b . ?c ?q ?d }"
    with pytest.raises(QueryTimeout):
        kg.query(source, heavy, timeout=0.3)
    for worker in _workers():
        worker.join(30)
    assert _workers() == []
    assert len(kg.query(source, "is-recruiting", timeout=30)) == 1


def test_a_query_is_stopped_even_when_the_first_stop_is_lost():
    """A stop that lands where Python drops exceptions (a weakref callback, ``__del__``) is
    sent again: here the work swallows the first two itself."""
    from kg.query import _Cancelled, _with_deadline

    swallowed = []

    def work() -> None:
        while True:
            try:
                time.sleep(0.01)
            except _Cancelled:
                swallowed.append(1)
                if len(swallowed) == 3:
                    raise

    with pytest.raises(QueryTimeout):
        _with_deadline(work, 0.2)
    for worker in _workers():
        worker.join(10)
    assert _workers() == []
    assert len(swallowed) == 3


def test_a_stop_dropped_in_a_finaliser_is_not_printed(monkeypatch):
    """Python hands a stop that lands in a ``__del__`` to ``sys.unraisablehook`` (which prints
    it); the query's own stops are kept from it, every other exception is not."""
    from kg.query import _with_deadline

    seen = []
    monkeypatch.setattr(sys, "unraisablehook", seen.append)
    finalised = []

    class Finalised:
        def __del__(self):
            if not finalised:
                finalised.append(1)
                time.sleep(0.6)  # the first stop lands here

    def work() -> None:
        Finalised()
        while True:
            time.sleep(0.01)

    with pytest.raises(QueryTimeout):
        _with_deadline(work, 0.2)
    for worker in _workers():
        worker.join(10)
    assert _workers() == [] and finalised == [1]

    class Broken:
        def __del__(self):
            raise ValueError("not a stop")

    Broken()
    assert [type(info.exc_value) for info in seen] == [ValueError]


def test_row_limit(any_store):
    cut = kg.query(any_store, "country-counts", limit=3)
    assert len(cut) == 3 and cut.truncated
    assert cells(cut, "country")[0] == ("United States",)
    whole = kg.query(any_store, "country-counts", limit=13)
    assert len(whole) == 13 and not whole.truncated
    triples = kg.query(any_store, "describe-study", limit=5)
    assert len(triples) == 5 and triples.truncated


# --- results, formats, Python API -----------------------------------------------------------


def test_rows_are_named_tuples_and_dicts(graph):
    result = graph.query("studies-by-sponsor", sponsor="neukio")
    (row,) = result
    assert row.nctId == rdflib.Literal("NCT07366658") and row.role.toPython() == "collaborator"
    assert result.dicts()[0]["agencyClass"] == rdflib.Literal("INDUSTRY")
    assert isinstance(graph.store, rdflib.Dataset)
    assert isinstance(kg.OxigraphStore.memory().store, ox.Store)


def test_one_query_three_ways(graph, store, served):
    text = "SELECT ?id WHERE { ?s ctg:nctId ?id ; ctg:phase ?_phase } ORDER BY ?id"
    expected = [("NCT02210780",), ("NCT03418623",), ("NCT05147467",)]
    for source in (graph, store, served[0]):
        assert cells(source.query(text, phase="PHASE2")) == expected
    assert cells(kg.query(graph, text, {"phase": "PHASE2"})) == expected


def test_formats(graph):
    result = kg.query(graph, "stopped-studies")
    table = result.serialize("table").splitlines()
    assert table[0].split(" | ")[0] == "nctId      " and table[-1] == "(1 row)"
    rows = list(csv.reader(io.StringIO(result.serialize("csv"))))
    assert rows[0] == ["nctId", "status", "whyStopped", "enrollment", "lastUpdated"]
    assert rows[1][:2] == ["NCT00973089", "WITHDRAWN"] and rows[1][3] == "0"
    tsv = result.serialize("tsv").splitlines()
    assert tsv[0].startswith("?nctId\t?status")
    assert f'\t"0"^^<{XSD}integer>\t' in tsv[1]
    assert json.loads(result.serialize("json"))["head"]["vars"][0] == "nctId"
    root = ET.fromstring(result.serialize("xml"))
    ns = "{http://www.w3.org/2005/sparql-results#}"
    assert root.find(f"{ns}results/{ns}result/{ns}binding/{ns}literal").text == "NCT00973089"
    ask = kg.query(graph, "is-recruiting")
    assert ask.serialize("json") == '{\n  "head": {},\n  "boolean": true\n}\n'
    assert ET.fromstring(ask.serialize("xml")).find(f"{ns}boolean").text == "true"
    with pytest.raises(QueryError, match="rows"):
        result.serialize("turtle")


def test_graph_results_are_rdf(graph, store):
    described = kg.query(graph, "describe-study")
    turtle = rdflib.Graph().parse(data=described.serialize("table"), format="turtle")
    jsonld = rdflib.Graph().parse(data=described.serialize("json"), format="json-ld")
    rdfxml = rdflib.Graph().parse(data=described.serialize("xml"), format="xml")
    assert len(turtle) == len(jsonld) == len(rdfxml) == len(described) > 20
    assert described.serialize("nt") == kg.query(store, "describe-study").serialize("nt")
    with pytest.raises(QueryError, match="triples"):
        described.serialize("csv")


def test_a_query_that_does_not_parse(graph, store):
    for source in (graph, store):
        with pytest.raises(QueryError, match="parse"):
            kg.query(source, "SELECT ?s WHERE { ?s ?p }")
    with pytest.raises(QueryError, match="no query named"):
        kg.query(graph, "no-such-query")


def test_prepared_once():
    text = kg.queries()[0].text
    assert prepared(text) is prepared(text)


# --- header reader --------------------------------------------------------------------------


def test_header_reader_matches_yaml():
    text = """#+ summary: A title, with a comma
#+ description: First line
#+   and a second one.
#+ tags:
#+   - one
#+   - two
#+ defaults:
#+   - n: 3
#+   - label: 'quoted: text'
#+ enumerate:
#+   - name:
#+     - a
#+     - b
#+ example: kg query x --param n=4
SELECT ?s WHERE { ?s ?p ?_n_integer ; ?q ?_name ; ?r ?__label }
"""
    block = "\n".join(r.lstrip("#+") for r in text.split("\n") if r.startswith("#+"))
    expected = yaml.safe_load(block)
    expected["defaults"][0]["n"] = "3"
    assert decorators(text) == expected
    q = parse(text, name="x")
    assert [(p.name, p.default, p.enum) for p in q.parameters] == [
        ("n", "3", ()),
        ("name", None, ("a", "b")),
        ("label", "quoted: text", ()),
    ]


# --- the store: build, replace, interrupt ---------------------------------------------------


def test_build_store_and_query_it_from_the_shell(tmp_path, capsys):
    target = tmp_path / "store"
    assert main(["build", str(CTGOV), str(SEED), "--store", str(target), "-q"]) == 0
    quads = capsys.readouterr().err.splitlines()[-1]
    assert main(["build", str(CTGOV), "--store", str(target), "-q"]) == 0
    assert capsys.readouterr().err.splitlines()[-1] == quads  # replaced, not doubled
    args = ["query", "studies-by-sponsor", "-p", "sponsor=neukio", "--format", "csv"]
    assert main([*args, "--store", str(target)]) == 0
    from_store = capsys.readouterr().out
    assert main([*args, "--data", str(CTGOV), str(SEED)]) == 0
    assert capsys.readouterr().out == from_store
    assert from_store.splitlines()[1].startswith('NCT07366658,"Neukio Biotherapeutics')
    assert main(["build", str(SEED), "--store", str(target), "-o", "x.nq"]) == 2
    assert main(["query", "is-recruiting", "--store", str(tmp_path / "none")]) == 2
    assert "no Oxigraph store" in capsys.readouterr().err


# --- the command line -----------------------------------------------------------------------


def test_queries_lists_the_library(capsys):
    assert main(["queries"]) == 0
    out = capsys.readouterr().out
    assert all(q.name in out for q in kg.queries())
    assert (
        "--param condition=...  (IRI; required; default http://id.nlm.nih.gov/mesh/D009369)" in out
    )
    assert main(["queries", "sites-near"]) == 0
    detail = capsys.readouterr().out
    assert "latitude of the point" in detail and "example: kg query sites-near" in detail
    assert main(["queries", "nope"]) == 2


def test_query_command_usage_errors(capsys):
    assert main(["query", "--sample"]) == 2
    assert main(["query", "country-counts"]) == 2
    assert main(["query", "country-counts", "--sample", "-p", "x"]) == 2
    assert main(["query", "studies-by-sponsor", "--sample", "-p", "nope=1"]) == 2
    assert "parameters: sponsor" in capsys.readouterr().err
    assert main(["query", "-e", "SELECT * WHERE { SERVICE <http://x> {} }", "--sample"]) == 2
    assert "--allow-network" in capsys.readouterr().err
    assert main(["query", "country-counts", "--endpoint", "file:///etc/passwd"]) == 2


def test_query_command_writes_files_and_graphs(tmp_path, capsys):
    out = tmp_path / "hierarchy.ttl"
    args = ["query", "condition-hierarchy", "--sample", "-o", str(out)]
    assert main(args) == 0
    assert len(rdflib.Graph().parse(out, format="turtle")) > 10
    expr = "CONSTRUCT { ?s a ctg:Study } WHERE { ?s ctg:nctId ?_id }"
    assert main(["query", "-e", expr, "--sample", "-p", "id=NCT07366658", "-f", "nt"]) == 0
    assert capsys.readouterr().out == (
        "<https://w3id.org/ctgov-kg/study/NCT07366658> "
        "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
        "<https://w3id.org/ctgov-kg/vocab#Study> .\n"
    )
    assert main(["query", "country-counts", "--sample", "--limit", "1"]) == 0
    captured = capsys.readouterr()
    assert "stopped at 1 rows" in captured.err and "(1 row, truncated)" in captured.out


def test_query_reads_rdf_files(tmp_path, capsys):
    dump = tmp_path / "all.nq"
    assert main(["build", str(SEED), "-o", str(dump), "-q"]) == 0
    assert main(["query", "is-recruiting", "--data", str(dump), "-p", "nctId=NCT07366658"]) == 0
    assert capsys.readouterr().out == "false\n"
    args = ["query", "study-overview", "--data", str(dump), "-f", "csv"]
    assert main(args) == 0
    assert "NOT_YET_RECRUITING" in capsys.readouterr().out


def test_endpoint_errors_are_query_errors():
    with endpoint(None) as (ep, server):
        with pytest.raises(QueryError, match="503"):
            kg.query(ep, "country-counts")
        assert server.requests == ["/sparql"]
    with pytest.raises(QueryError, match="http"):
        kg.Endpoint("ftp://example.org/sparql")


@pytest.mark.parametrize("form", ["SELECT ?o WHERE { ?s ?p ?o }", "CONSTRUCT WHERE { ?s ?p ?o }"])
def test_an_ill_typed_literal_in_a_result_leaves_no_query_results_in_the_log(monkeypatch, form):
    """rdflib logs an ill-typed literal with its traceback; a handler that keeps the record must
    not keep the query thread's pyoxigraph results with it (they cannot be freed elsewhere)."""
    store = ox.Store()
    odd = ox.Literal("a few", datatype=ox.NamedNode(XSD + "integer"))
    store.add(ox.Quad(ox.NamedNode(CTG + "s"), ox.NamedNode(CTG + "p"), odd))
    with rdflib_log_kept(monkeypatch) as kept:
        result = kg.query(store, form, timeout=30)
    terms = [row[-1] for row in (result.rows if result.form == "SELECT" else result.triples)]
    assert terms == [rdflib.Literal("a few", datatype=rdflib.URIRef(XSD + "integer"))]
    assert kept and kept[0].exc_info
    assert_dropped_cleanly(kept)


OXIGRAPH_TERMS = [
    ox.Literal(""),
    ox.Literal("NCT07366658"),
    ox.Literal('a "quoted"\nline, \\ and é ∑ 🧬'),
    ox.Literal("x", datatype=ox.NamedNode(XSD + "string")),
    ox.Literal("Studie", language="de"),
    ox.Literal("42", datatype=ox.NamedNode(XSD + "integer")),
    ox.Literal("2026-01", datatype=ox.NamedNode(XSD + "gYearMonth")),
    ox.Literal("many", datatype=ox.NamedNode(XSD + "integer")),
    ox.NamedNode("https://w3id.org/ctgov-kg/study/NCT07366658"),
    ox.BlankNode("b0"),
]


@pytest.mark.parametrize("term", OXIGRAPH_TERMS, ids=str)
def test_result_terms_are_the_terms_rdflib_makes(term):
    made = kg.oxigraph_terms.to_rdflib(term)
    if isinstance(term, ox.Literal):
        datatype = None if term.language else term.datatype.value
        if datatype == XSD + "string":
            datatype = None
        expected = rdflib.Literal(term.value, lang=term.language, datatype=datatype)
    else:
        expected = (rdflib.URIRef if isinstance(term, ox.NamedNode) else rdflib.BNode)(term.value)
    assert type(made) is type(expected) and made == expected and made.eq(expected)
    assert hash(made) == hash(expected) and made.n3() == expected.n3()
    assert repr(made) == repr(expected) and str(made) == str(expected)
    assert made.toPython() == expected.toPython()
    for attribute in ("value", "datatype", "language", "ill_typed"):
        assert getattr(made, attribute, None) == getattr(expected, attribute, None), attribute
    assert pickle.loads(pickle.dumps(made)) == expected
