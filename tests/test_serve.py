"""``kg serve``: the SPARQL protocol over a store, the library by name, the editor in Chromium.

One store is built from the shared records for the module; servers run on free loopback ports.
"""

from __future__ import annotations

import csv
import gc
import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import rdflib
from conftest import CTGOV, SEED
from rdflib.compare import isomorphic
from SPARQLWrapper import JSON, POST, POSTDIRECTLY, TURTLE, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

import kg
from kg.cli import main
from kg.results import nt
from kg.text_index import FILE as TEXT_INDEX

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CTG = "PREFIX ctg: <https://w3id.org/ctgov-kg/vocab#>\n"
SELECT = CTG + (
    "SELECT ?nct ?title ?enrollment WHERE { ?study ctg:nctId ?nct ; ctg:briefTitle ?title . "
    "OPTIONAL { ?study ctg:enrollmentCount ?enrollment } } ORDER BY ?nct"
)
CONSTRUCT = CTG + (
    "CONSTRUCT { ?study ctg:nctId ?nct ; ctg:phase ?phase } "
    "WHERE { ?study ctg:nctId ?nct . OPTIONAL { ?study ctg:phase ?phase } }"
)
EDITOR_QUERY = CTG + (
    "SELECT ?nct ?status WHERE { ?s ctg:nctId ?nct ; ctg:overallStatus ?status } ORDER BY ?nct"
)
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
ROW_TYPES = {
    "application/sparql-results+json": "json",
    "application/sparql-results+xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
}
GRAPH_TYPES = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/ld+json": "json-ld",
}


def _build(path: Path) -> None:
    store = kg.OxigraphStore.open(path, create=True)
    store.build([CTGOV, SEED])
    store.store.flush()


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("serve") / "store"
    _build(path)  # the store is closed when _build returns, so oxigraph can open it
    return path


@pytest.fixture(scope="module")
def local(store_dir) -> kg.OxigraphStore:
    """The same store, opened here read-only: what ``kg query --store`` answers from."""
    return kg.OxigraphStore.open(store_dir, read_only=True)


@pytest.fixture(scope="module")
def server(store_dir):
    with kg.serve(store_dir, port=0, timeout=30) as running:
        yield running


def request(
    server,
    path: str,
    *,
    accept: str | None = None,
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
    method: str | None = None,
) -> tuple[int, str, bytes]:
    """Status, Content-Type and body of a request to the server (errors too)."""
    req = urllib.request.Request(
        server.url.rstrip("/") + path, data=data, method=method, headers=headers or {}
    )
    if accept:
        req.add_header("Accept", accept)
    try:
        with urllib.request.urlopen(req, timeout=60) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type", ""), exc.read()


def query_path(text: str) -> str:
    return "/query?" + urllib.parse.urlencode({"query": text})


def term(binding: dict[str, str]) -> rdflib.term.Node:
    """A SPARQL JSON results binding as an rdflib term."""
    if binding["type"] == "uri":
        return rdflib.URIRef(binding["value"])
    if binding["type"] == "bnode":
        return rdflib.BNode(binding["value"])
    datatype = binding.get("datatype")
    return rdflib.Literal(
        binding["value"],
        lang=binding.get("xml:lang"),
        datatype=rdflib.URIRef(datatype) if datatype else None,
    )


def json_rows(data: dict, variables: list[str]) -> list[tuple[str, ...]]:
    """Rows of SPARQL JSON results as N-Triples text ('' where unbound), sorted."""
    return sorted(
        tuple(nt(term(b[v])) if v in b else "" for v in variables)
        for b in data["results"]["bindings"]
    )


def kg_rows(result: kg.QueryResult) -> list[tuple[str, ...]]:
    return sorted(tuple("" if t is None else nt(t) for t in row) for row in result.rows)


# --- the SPARQL protocol ------------------------------------------------------------------------


def test_listens_on_loopback_by_default(server):
    assert server.host == "127.0.0.1"
    assert server.url.startswith("http://127.0.0.1:")
    assert server.backend.current()[0] == "127.0.0.1"
    args = kg.cli._parser().parse_args(["serve", "--store", "DIR"])
    assert (args.host, args.port, args.writable, args.allow_network) == (
        "127.0.0.1",
        7878,
        False,
        False,
    )
    for address in _outside_addresses():
        with pytest.raises(OSError), socket.create_connection((address, server.port), timeout=2):
            pass


def _outside_addresses() -> list[str]:
    """This machine's addresses other than loopback (none in some containers)."""
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
    except OSError:
        return []
    return sorted({i[4][0] for i in infos if not i[4][0].startswith("127.")})


@pytest.mark.parametrize("method", ["GET", POST, POSTDIRECTLY])
def test_sparqlwrapper_select_ask_construct_as_kg_query(server, local, method):
    client = SPARQLWrapper(server.url + "query")
    if method == POSTDIRECTLY:
        client.setMethod(POST)
        client.setRequestMethod(POSTDIRECTLY)
    else:
        client.setMethod(method)

    client.setQuery(SELECT)
    client.setReturnFormat(JSON)
    answer = client.query().convert()
    expected = kg.query(local, SELECT)
    assert answer["head"]["vars"] == list(expected.variables)
    assert json_rows(answer, ["nct", "title", "enrollment"]) == kg_rows(expected)
    assert len(expected.rows) >= 15

    for nct_id, found in [("NCT07366658", True), ("NCT99999999", False)]:
        ask = CTG + f'ASK {{ ?study ctg:nctId "{nct_id}" }}'
        client.setQuery(ask)
        assert client.query().convert()["boolean"] is found
        assert kg.query(local, ask).boolean is found

    client.setQuery(CONSTRUCT)
    client.setReturnFormat(TURTLE)
    graph = rdflib.Graph().parse(data=client.query().convert(), format="turtle")
    expected_graph = kg.query(local, CONSTRUCT).graph()
    assert len(graph) == len(expected_graph) > 15
    assert isomorphic(graph, expected_graph)


@pytest.mark.parametrize("accept", list(ROW_TYPES))
def test_rows_by_content_negotiation(server, local, accept):
    status, kind, body = request(server, query_path(SELECT), accept=accept)
    assert status == 200
    assert kind.startswith(accept)
    expected = kg.query(local, SELECT)
    text = body.decode("utf-8")
    fmt = ROW_TYPES[accept]
    if fmt == "json":
        assert json_rows(json.loads(text), list(expected.variables)) == kg_rows(expected)
    elif fmt == "xml":
        ns = {"r": "http://www.w3.org/2005/sparql-results#"}
        root = ET.fromstring(body)
        names = [v.get("name") for v in root.find("r:head", ns)]
        assert names == list(expected.variables)
        assert len(root.findall("r:results/r:result", ns)) == len(expected.rows)
    elif fmt == "csv":
        rows = list(csv.reader(io.StringIO(text, newline="")))
        assert rows[0] == list(expected.variables)
        plain = sorted(tuple("" if t is None else str(t) for t in row) for row in expected.rows)
        assert sorted(map(tuple, rows[1:])) == plain
    else:
        lines = text.rstrip("\n").split("\n")
        assert lines[0].split("\t") == [f"?{v}" for v in expected.variables]
        assert len(lines) - 1 == len(expected.rows)
        assert '"NCT07366658"' in text


@pytest.mark.parametrize("accept", list(GRAPH_TYPES))
def test_graphs_by_content_negotiation(server, local, accept):
    status, kind, body = request(server, query_path(CONSTRUCT), accept=accept)
    assert status == 200
    assert kind.startswith(accept)
    graph = rdflib.Graph().parse(data=body.decode("utf-8"), format=GRAPH_TYPES[accept])
    assert isomorphic(graph, kg.query(local, CONSTRUCT).graph())


def test_project_prefixes_work_undeclared_as_in_kg_query(server, local):
    text = "SELECT ?nct WHERE { ?s ctg:nctId ?nct ; ctg:conditionMesh mesh:D018358 }"
    status, _, body = request(server, query_path(text), accept="application/sparql-results+json")
    assert status == 200
    assert json_rows(json.loads(body), ["nct"]) == kg_rows(kg.query(local, text))
    assert json_rows(json.loads(body), ["nct"]) == [('"NCT07366658"',)]


# --- the query library as named queries ---------------------------------------------------------


def test_named_query_answers_as_kg_query_on_the_command_line(server, store_dir, capsys):
    args = ["--param", "sponsor=regeneron", "--format", "csv"]
    assert main(["query", "studies-by-sponsor", "--store", str(store_dir), *args]) == 0
    printed = list(csv.reader(io.StringIO(capsys.readouterr().out, newline="")))
    status, kind, body = request(
        server, "/queries/studies-by-sponsor?sponsor=regeneron", accept="text/csv"
    )
    assert (status, kind.split(";")[0]) == (200, "text/csv")
    served = list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))
    assert served[0] == printed[0]
    assert sorted(served[1:]) == sorted(printed[1:])
    assert any("NCT02210780" in row for row in served)


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("sites-near", {"lat": "39.9", "long": "116.4", "status": "NOT_YET_RECRUITING"}),
        ("eligible-studies", {"age": "30"}),
        ("studies-by-condition", {"condition": "mesh:D009369"}),
        ("late-studies", {"asOf": "2026-01-01"}),
        ("country-counts", {}),
        ("is-recruiting", {"nctId": "NCT07366658"}),
        ("describe-study", {"nctId": "NCT00973089"}),
    ],
)
def test_named_queries_bind_typed_parameters(server, local, name, params):
    path = f"/queries/{name}?" + urllib.parse.urlencode(params)
    expected = kg.query(local, name, params)
    if expected.is_graph:
        status, _, body = request(server, path, accept="application/n-triples")
        assert status == 200
        served = rdflib.Graph().parse(data=body.decode("utf-8"), format="nt")
        assert isomorphic(served, expected.graph())
        assert len(served) > 10
        return
    status, _, body = request(server, path, accept="application/sparql-results+json")
    assert status == 200
    data = json.loads(body)
    if expected.form == "ASK":
        assert data["boolean"] is expected.boolean
    else:
        assert json_rows(data, list(expected.variables)) == kg_rows(expected)
        assert expected.rows


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("/queries/eligible-studies?age=thirty", ["age", "xsd:integer", "thirty"]),
        ("/queries/studies-by-condition?condition=not%20an%20iri", ["condition", "IRI"]),
        ("/queries/studies-by-sponsor?spnsor=regeneron", ["no parameter", "spnsor"]),
        ("/queries/studies-by-sponsor?sponsor=a&sponsor=b", ["given twice"]),
        ("/queries/recruiting-by-country?country=China&status=OPEN", ["status", "RECRUITING"]),
    ],
)
def test_bad_parameters_get_400_with_the_reason(server, path, words):
    status, kind, body = request(server, path)
    assert status == 400
    assert kind.startswith("text/plain")
    for word in words:
        assert word in body.decode("utf-8")


def test_parameter_values_never_become_query_text(server):
    sneaky = urllib.parse.quote('x" } UNION { ?study ?p ?o } #')
    status, _, body = request(
        server,
        f"/queries/studies-by-sponsor?sponsor={sneaky}",
        accept="application/sparql-results+json",
    )
    assert status == 200
    assert json.loads(body)["results"]["bindings"] == []


def test_unknown_query_gets_404(server):
    status, _, body = request(server, "/queries/no-such-query")
    assert status == 404
    assert b"no query named 'no-such-query'" in body
    assert request(server, "/nothing-here")[0] == 404


def test_openapi_and_index_list_every_library_query(server):
    status, kind, body = request(server, "/queries/openapi.json")
    assert (status, kind) == (200, "application/json")
    doc = json.loads(body)
    assert doc["openapi"].startswith("3.")
    assert doc["servers"] == [{"url": server.url.rstrip("/")}]
    for q in kg.queries():
        operation = doc["paths"][f"/queries/{q.name}"]["get"]
        assert operation["summary"] == q.summary
        assert [p["name"] for p in operation["parameters"]] == [p.name for p in q.parameters]
    eligible = doc["paths"]["/queries/eligible-studies"]["get"]["parameters"]
    assert eligible[0]["schema"] == {"type": "integer", "default": 30}
    status, kind, page = request(server, "/queries")
    assert (status, kind) == (200, "text/html; charset=utf-8")
    for q in kg.queries():
        assert f'id="{q.name}"' in page.decode("utf-8")
    status, _, text = request(server, "/queries/sites-near.rq")
    assert status == 200
    assert (
        text.decode("utf-8")
        == kg.queries()[[q.name for q in kg.queries()].index("sites-near")].text
    )


# --- read-only, no network, the timeout -----------------------------------------------------------


def test_updates_and_graph_store_writes_refused_when_read_only(server, store_dir):
    before = len(kg.OxigraphStore.open(store_dir, read_only=True))
    insert = "INSERT DATA { <urn:x> <urn:y> <urn:z> }"
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    attempts = [
        ("/update", urllib.parse.urlencode({"update": insert}).encode(), form, "POST"),
        ("/update", b"DROP ALL", {"Content-Type": "application/sparql-update"}, "POST"),
        ("/sparql", urllib.parse.urlencode({"update": "DROP ALL"}).encode(), form, "POST"),
        ("/store?default", b"<urn:x> <urn:y> <urn:z> .", {"Content-Type": "text/turtle"}, "PUT"),
        ("/store?default", b"<urn:x> <urn:y> <urn:z> .", {"Content-Type": "text/turtle"}, "POST"),
        ("/store?graph=urn:g", None, {}, "DELETE"),
    ]
    for path, data, headers, method in attempts:
        status, _, body = request(server, path, data=data, headers=headers, method=method)
        assert status == 403, (path, method)
        assert b"read-only" in body
    status, _, body = request(
        server, "/query", data=urllib.parse.urlencode({"update": insert}).encode(), headers=form
    )
    assert status == 400
    assert len(kg.OxigraphStore.open(store_dir, read_only=True)) == before
    status, _, body = request(
        server,
        "/store?graph=https://w3id.org/ctgov-kg/graph/NCT07366658",
        accept="application/n-triples",
    )
    assert status == 200
    assert b"NCT07366658" in body


def test_service_and_from_refused_without_touching_the_network(server, store_dir):
    with socket.create_server(("127.0.0.1", 0)) as trap:
        port = trap.getsockname()[1]
        reaching = [
            f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}",
            f"SELECT * FROM <http://127.0.0.1:{port}/data.ttl> WHERE {{ ?s ?p ?o }}",
            f"select * where {{ service silent <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }}",
        ]
        for text in reaching:
            status, kind, body = request(server, query_path(text))
            assert status == 400
            assert kind.startswith("text/plain")
            assert b"refused" in body and b"--allow-network" in body
        client = SPARQLWrapper(server.url + "query")
        client.setQuery(reaching[0])
        with pytest.raises(QueryBadFormed):
            client.query()
        trap.settimeout(0.5)
        with pytest.raises(TimeoutError):
            trap.accept()
        # the check is what keeps the network out: oxigraph itself would connect
        with kg.serve(store_dir, port=0, timeout=3, allow_network=True) as open_server:
            worker = threading.Thread(target=request, args=(open_server, query_path(reaching[0])))
            worker.start()
            trap.settimeout(10)
            connection, _ = trap.accept()
            connection.close()
            worker.join(10)


def test_runaway_query_is_stopped_and_the_server_keeps_answering(store_dir):
    with kg.serve(store_dir, port=0, timeout=1.5) as quick:
        first = quick.backend.pid
        answers: list[tuple[int, str, bytes]] = []
        started = time.monotonic()
        runaway = threading.Thread(
            target=lambda: answers.append(request(quick, query_path(RUNAWAY)))
        )
        runaway.start()
        time.sleep(0.3)
        status, _, body = request(quick, query_path("ASK {}"))  # answered meanwhile
        assert (status, json.loads(body)["boolean"]) == (200, True)
        runaway.join(20)
        elapsed = time.monotonic() - started
        assert answers and answers[0][0] == 503
        assert b"ran longer than 1.5 s" in answers[0][2]
        assert 1.4 < elapsed < 10
        with pytest.raises(ProcessLookupError):
            os.kill(first, 0)  # the oxigraph process that ran it is gone
        status, _, body = request(quick, query_path(SELECT), accept="text/csv")
        assert status == 200
        assert b"NCT07366658" in body


def test_writable_server_over_temporary_data(tmp_path):
    evil = "http://evil.example"
    with kg.serve(data=[SEED], port=0, timeout=20, writable=True) as rw:
        scratch = rw.location.parent
        assert rw.report is not None and rw.report.ok
        insert = CTG + 'INSERT DATA { GRAPH <urn:kg:test> { <urn:x> ctg:nctId "NCT00000001" } }'
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        data = urllib.parse.urlencode({"update": insert}).encode()
        status, _, _ = request(rw, "/update", data=data, headers={**form, "Origin": evil})
        assert status == 403
        status, _, _ = request(rw, "/update", data=data, headers=form)
        assert status in (200, 204)
        ask = CTG + 'ASK { ?s ctg:nctId "NCT00000001" }'
        assert json.loads(request(rw, query_path(ask))[2])["boolean"] is True
        load = urllib.parse.urlencode({"update": "LOAD <http://127.0.0.1:9/x.ttl>"}).encode()
        status, _, body = request(rw, "/update", data=load, headers=form)
        assert status == 400
        assert b"LOAD refused" in body
        status, _, _ = request(
            rw,
            "/store?graph=urn:kg:put",
            data=b"<urn:a> <urn:b> <urn:c> .",
            headers={"Content-Type": "application/n-triples"},
            method="PUT",
        )
        assert status in (201, 204)
        assert (
            b"<urn:a>" in request(rw, "/store?graph=urn:kg:put", accept="application/n-triples")[2]
        )
        status, _, _ = request(rw, "/", headers={"Host": f"evil.example:{rw.port}"})
        assert status == 403
    assert not scratch.exists()


def test_command_line_serves_until_ctrl_c(store_dir):
    kg_command = Path(sys.executable).parent / "kg"
    command = [str(kg_command), "serve", "--store", str(store_dir), "--port", "0", "--timeout", "5"]
    process = subprocess.Popen(
        command,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        line = process.stderr.readline()
        found = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert found, line
        url = f"http://127.0.0.1:{found.group(1)}/queries/is-recruiting?nctId=NCT07366658"
        with urllib.request.urlopen(url, timeout=30) as response:
            assert json.loads(response.read()) == {"head": {}, "boolean": False}
        children = subprocess.run(
            ["pgrep", "-P", str(process.pid)], capture_output=True, text=True
        ).stdout.split()
        assert len(children) == 1
        process.send_signal(signal.SIGINT)
        assert process.wait(15) == 0
        assert "kg serve: stopped" in process.stderr.read()
        with pytest.raises(ProcessLookupError):
            os.kill(int(children[0]), 0)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_command_line_errors(server, store_dir, tmp_path, capsys):
    assert main(["serve", "--store", str(tmp_path / "missing")]) == 2
    assert "no Oxigraph store here" in capsys.readouterr().err
    assert main(["serve", "--store", str(store_dir), "--port", str(server.port)]) == 2
    assert "cannot listen on 127.0.0.1" in capsys.readouterr().err


def test_undeclared_project_prefixes_are_declared():
    text = 'SELECT * WHERE { ?s ctg:nctId "mesh:D1" ; rdfs:label ?l ; <ctg:x> ?y }'
    declared = kg.sparql.declare(text, kg.namespaces.PREFIXES)
    assert declared.split("\n")[:2] == [
        "PREFIX ctg: <https://w3id.org/ctgov-kg/vocab#>",
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>",
    ]
    assert declared.endswith(text)
    own = "PREFIX ctg: <urn:mine#> SELECT * WHERE { ?s ctg:x ?o }"
    assert kg.sparql.declare(own, kg.namespaces.PREFIXES) == own


# --- the query editor in Chromium ---------------------------------------------------------------


def test_query_editor_runs_a_query_offline_in_chromium(server, local):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run installs it)")
    from playwright.sync_api import sync_playwright

    requested: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.on("request", lambda r: requested.append(r.url))
            page.goto(server.url)
            page.wait_for_function("window.yasgui && window.yasgui.getTab().getYasqe()")
            page.evaluate("text => window.yasgui.getTab().getYasqe().setValue(text)", EDITOR_QUERY)
            page.click(".yasqe_queryButton")
            cell = page.locator(".yasr table tbody td", has_text="NCT07366658")
            cell.first.wait_for(timeout=20_000)
            rows = page.locator(".yasr table tbody tr").all_inner_texts()
        finally:
            browser.close()
    assert any("NCT07366658" in row and "NOT_YET_RECRUITING" in row for row in rows)
    assert len(rows) == len(kg.query(local, EDITOR_QUERY).rows) > 10
    origin = server.url.rstrip("/")
    assert requested and all(url.startswith(origin + "/") for url in requested), requested
    assert origin + "/query" in requested


def test_a_writable_server_removes_the_text_index_its_writes_would_outdate(tmp_path):
    location = tmp_path / "store"
    built = kg.OxigraphStore.open(location, create=True)
    built.build([SEED])
    del built
    gc.collect()
    with kg.serve(location, port=0, timeout=20):
        pass
    assert (location / TEXT_INDEX).is_file()
    with kg.serve(location, port=0, timeout=20, writable=True) as rw:
        study = "<https://w3id.org/ctgov-kg/study/NCT07366658>"
        insert = CTG + f'INSERT DATA {{ GRAPH <urn:kg:test> {{ {study} ctg:keyword "zzqq-new" }} }}'
        data = urllib.parse.urlencode({"update": insert}).encode()
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        status, _, _ = request(rw, "/update", data=data, headers=form)
        assert status in (200, 204)
    assert not (location / TEXT_INDEX).exists()
    store = kg.OxigraphStore.open(location, read_only=True)
    assert store.text is None
    found = kg.query(store, "studies-by-keyword", text="zzqq")
    assert [(str(r.nctId), str(r.text)) for r in found] == [("NCT07366658", "zzqq-new")]


def test_a_named_text_search_is_given_the_values_the_text_index_finds(server, store_dir, capsys):
    assert server.text is not None
    assert (
        main(
            [
                "query",
                "studies-by-keyword",
                "--store",
                str(store_dir),
                "--param",
                "text=dll3",
                "--format",
                "csv",
            ]
        )
        == 0
    )
    printed = list(csv.reader(io.StringIO(capsys.readouterr().out, newline="")))
    status, _, body = request(server, "/queries/studies-by-keyword?text=dll3", accept="text/csv")
    assert status == 200
    served = list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))
    assert sorted(served[1:]) == sorted(printed[1:]) and any("NCT07366658" in r for r in served)
    unknown = request(server, "/queries/studies-by-keyword?text=zzqq-none", accept="text/csv")
    assert unknown[0] == 200 and unknown[2].decode().strip().count("\n") == 0
