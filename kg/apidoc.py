"""The pages ``kg serve`` writes itself: the query editor, the library index and its OpenAPI.

All three come from what the library's grlc headers say (:mod:`kg.library`), so a new
``queries/*.rq`` file is documented and served without more work. The editor is YASGUI from
oxigraph's own files, set up so that the page fetches nothing from anywhere else: prefixes come
from this server, and YASGUI's class and property hints (which ask lov.linkeddata.es) are off.
"""

from __future__ import annotations

import html
import itertools
import json
import shlex
import urllib.parse
from collections.abc import Iterable
from typing import Any

from kg import sparql
from kg.errors import QueryError
from kg.library import Query
from kg.namespaces import PREFIXES, XSD
from kg.params import Parameter

ROW_TYPES = (
    "application/sparql-results+json",
    "application/sparql-results+xml",
    "text/csv",
    "text/tab-separated-values",
)
GRAPH_TYPES = ("text/turtle", "application/n-triples", "application/ld+json", "application/rdf+xml")
DEFAULT_QUERY = """PREFIX ctg: <https://w3id.org/ctgov-kg/vocab#>
SELECT ?nctId ?title ?status WHERE {
  ?study ctg:nctId ?nctId ;
         ctg:briefTitle ?title ;
         ctg:overallStatus ?status .
}
ORDER BY ?nctId
LIMIT 100
"""
_JSON_TYPES = {
    "integer": "integer",
    "decimal": "number",
    "double": "number",
    "float": "number",
    "boolean": "boolean",
}
_FORMATS = {"date": "date", "dateTime": "date-time"}
_STYLE = """body{font-family:system-ui,sans-serif;margin:0;color:#222}
header{padding:.5em 1em;background:#f3f5f7;border-bottom:1px solid #d8dde3}
header a{margin-left:1em}main{padding:0 1em 2em;max-width:70em}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #d8dde3;padding:.2em .5em;
text-align:left;vertical-align:top}code,pre{background:#f3f5f7}pre{padding:.5em;overflow:auto}
section{border-top:1px solid #d8dde3;margin-top:1.5em}"""


def prefixes_json() -> bytes:
    """The project's prefixes as prefix.cc writes them (``{"ctg": "https://..."}``), for YASGUI."""
    return json.dumps(PREFIXES, indent=1).encode("utf-8")


def editor_page(*, writable: bool, timeout: float | None) -> str:
    """The query editor: YASGUI from this server's files, querying this server only."""
    mode = "read-write" if writable else "read-only"
    limit = "no time limit" if timeout is None else f"queries stop after {timeout:g} s"
    script = _script_text(DEFAULT_QUERY)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>ctgov-kg SPARQL</title>
<link rel="icon" type="image/svg+xml" href="/logo.svg">
<link rel="stylesheet" href="/yasgui.min.css">
<script src="/yasgui.min.js"></script>
<style>{_STYLE}</style>
</head>
<body>
<header><strong>ctgov-kg</strong> SPARQL endpoint <code id="endpoint"></code> ({mode}, {limit})
<a href="/queries">query library</a><a href="/queries/openapi.json">OpenAPI</a></header>
<div id="yasgui"></div>
<script>
const endpoint = new URL("/query", document.baseURI).href;
document.getElementById("endpoint").textContent = endpoint;
const Yasqe = Yasgui.Yasqe;
// nothing leaves this server: prefixes come from it; no class or property hints from LOV
Yasqe.defaults.prefixCcApi = new URL("/prefixes.json", document.baseURI).href;
Yasqe.defaults.autocompleters = ["prefixes", "variables"];
Yasqe.defaults.value = {script};
Yasqe.defaults.requestConfig.endpoint = endpoint;
window.yasgui = new Yasgui(document.getElementById("yasgui"), {{
  requestConfig: {{ endpoint: endpoint }},
  copyEndpointOnNewTab: true,
  endpointCatalogueOptions: {{ getData: () => [{{ endpoint: endpoint }}], keys: [] }},
}});
</script>
</body>
</html>
"""


def library_page(queries: Iterable[Query], *, base: str) -> str:
    """The query library as an HTML page: each query, its parameters, URLs to try."""
    queries = list(queries)
    toc = "".join(
        f'<li><a href="#{_e(q.name)}">{_e(q.name)}</a> {_e(q.summary)}</li>' for q in queries
    )
    sections = "".join(_section(q, base) for q in queries)
    return f"""<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>ctgov-kg query library</title><style>{_STYLE}</style></head>
<body>
<header><strong>ctgov-kg</strong> query library
<a href="/">query editor</a><a href="/queries/openapi.json">OpenAPI</a></header>
<main>
<p>Each query runs at <code>GET /queries/NAME?parameter=value</code>. A value is checked
against its parameter's type and bound as one RDF term; a wrong one gets 400 with the reason.
Results are chosen by the <code>Accept</code> header: rows as SPARQL JSON, XML, CSV or TSV,
triples as Turtle, N-Triples, JSON-LD or RDF/XML.</p>
<ul>{toc}</ul>
{sections}
</main>
</body>
</html>
"""


def openapi(queries: Iterable[Query], *, base: str, version: str) -> dict[str, Any]:
    """An OpenAPI 3 description of ``/queries/NAME`` for every query, and of ``/query``."""
    paths: dict[str, Any] = {}
    for q in queries:
        examples = example_values(q)
        paths[f"/queries/{q.name}"] = {
            "get": {
                "operationId": q.name,
                "summary": q.summary,
                "description": (q.description + "\n\n" if q.description else "")
                + f"The SPARQL text: [/queries/{q.name}.rq](/queries/{q.name}.rq).",
                "tags": list(q.tags),
                "parameters": [_parameter(p, examples.get(p.name)) for p in q.parameters],
                "responses": _responses(q.form),
            }
        }
    paths["/query"] = {
        "get": {
            "operationId": "sparqlQuery",
            "summary": "Any SPARQL query (the SPARQL 1.1 protocol); POST works too",
            "parameters": [
                {"name": "query", "in": "query", "required": True, "schema": {"type": "string"}}
            ],
            "responses": _responses("SELECT", graphs=True),
        }
    }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "ctgov-kg query library",
            "version": version,
            "description": "ClinicalTrials.gov studies as an RDF knowledge graph: the SPARQL "
            "query library as named queries. Parameters are typed; values are bound as RDF "
            "terms, never pasted into the query text.",
        },
        "servers": [{"url": base}],
        "paths": paths,
    }


def example_values(q: Query) -> dict[str, str]:
    """Parameter values of the query's ``example`` command line, else its defaults."""
    found = {p.name: p.default for p in q.parameters if p.default is not None}
    try:
        words = shlex.split(q.example)
    except ValueError:
        words = []
    for flag, value in itertools.pairwise(words):
        if flag in ("--param", "-p") and "=" in value:
            name, _, given = value.partition("=")
            found[name] = given
    return found


def example_url(q: Query) -> str:
    """``/queries/NAME?...`` with the example's values."""
    query = urllib.parse.urlencode(example_values(q))
    return f"/queries/{urllib.parse.quote(q.name)}" + (f"?{query}" if query else "")


def _section(q: Query, base: str) -> str:
    rows = "".join(
        "<tr>"
        f"<td><code>{_e(p.name)}</code></td><td>{_e(p.type)}</td>"
        f"<td>{'required' if p.required and p.default is None else 'optional'}</td>"
        f"<td>{_e(p.default or '')}</td><td>{_e(', '.join(p.enum))}</td>"
        f"<td>{_e(p.description)}</td></tr>"
        for p in q.parameters
    )
    table = (
        "<table><tr><th>parameter</th><th>type</th><th></th><th>default</th>"
        f"<th>allowed values</th><th>description</th></tr>{rows}</table>"
        if rows
        else "<p>No parameters.</p>"
    )
    url = example_url(q)
    media = "text/csv" if q.form in ("SELECT", "ASK") else "text/turtle"
    curl = f"curl -H 'Accept: {media}' '{base}{url}'"
    return f"""<section id="{_e(q.name)}">
<h2>{_e(q.name)}</h2>
<p><strong>{_e(q.summary)}</strong></p>
<p>{_e(q.description)}</p>
<p>{_e(q.form)}; tags: {_e(", ".join(q.tags) or "-")};
<a href="/queries/{_e(q.name)}.rq">SPARQL text</a>;
<a href="{_e(_editor_link(q))}">open in the query editor</a></p>
{table}
<p>Try it: <a href="{_e(url)}"><code>GET {_e(url)}</code></a></p>
<pre>{_e(curl)}</pre>
</section>
"""


def _editor_link(q: Query) -> str:
    """The editor with the query's text, the example's values bound in a VALUES block."""
    try:
        text = sparql.with_values(q.text, q.bindings(example_values(q)))
    except QueryError:
        text = q.text
    return "/#" + urllib.parse.urlencode({"query": text})


def _parameter(p: Parameter, example: str | None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    if p.kind == "number":
        schema = {"type": "number"}
    elif p.kind == "typed" and (p.datatype or "").startswith(XSD):
        local = (p.datatype or "").removeprefix(XSD)
        schema = {"type": _JSON_TYPES.get(local, "string")}
        if local in _FORMATS:
            schema["format"] = _FORMATS[local]
    if p.enum:
        schema["enum"] = list(p.enum)
    if p.default is not None:
        schema["default"] = _json_value(schema["type"], p.default)
    about = [p.description] if p.description else []
    about.append(f"type: {p.type}")
    if p.kind == "iri":
        about.append("an absolute IRI, or a prefixed name the query declares (mesh:D018358)")
    found: dict[str, Any] = {
        "name": p.name,
        "in": "query",
        "required": p.required and p.default is None,
        "description": "; ".join(about),
        "schema": schema,
    }
    if example is not None:
        found["example"] = _json_value(schema["type"], example)
    return found


def _json_value(kind: str, text: str) -> Any:
    try:
        if kind == "integer":
            return int(text)
        if kind == "number":
            return float(text)
    except ValueError:
        return text
    if kind == "boolean":
        return text in ("true", "1")
    return text


def _responses(form: str, *, graphs: bool = False) -> dict[str, Any]:
    is_graph = form in ("CONSTRUCT", "DESCRIBE")
    types = GRAPH_TYPES if is_graph else ROW_TYPES
    if graphs:
        types = ROW_TYPES + GRAPH_TYPES
    text = {"text/plain": {"schema": {"type": "string"}}}
    return {
        "200": {
            "description": ("the triples" if is_graph else "the result (SPARQL 1.1 results)")
            + "; the format follows the Accept header",
            "content": {
                t: {"schema": {"type": "object" if t.endswith("json") else "string"}} for t in types
            },
        },
        "400": {"description": "a parameter missing or not of its type", "content": text},
        "503": {"description": "the query ran longer than the server's timeout", "content": text},
    }


def _script_text(text: str) -> str:
    """A string as a JavaScript literal that is safe inside a ``<script>`` element."""
    return json.dumps(text).replace("</", "<\\/")


def _e(text: str) -> str:
    return html.escape(text, quote=True)
