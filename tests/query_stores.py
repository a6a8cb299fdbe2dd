"""The real records in each store the queries run on, and a SPARQL endpoint on 127.0.0.1.

The endpoint is a small ``http.server`` answering the SPARQL 1.1 protocol from an Oxigraph
store in memory; it counts the requests it gets, so a test can say the network was not used.
"""

from __future__ import annotations

import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pyoxigraph as ox
from conftest import CTGOV, SEED

import kg

INPUTS = [CTGOV, SEED]


def rdflib_graph() -> kg.KnowledgeGraph:
    """The real records in an rdflib Dataset (the default store)."""
    return kg.build(INPUTS)


def oxigraph_store() -> kg.OxigraphStore:
    """The real records in an Oxigraph store in memory, loaded as ``kg build --store`` does."""
    store = kg.OxigraphStore.memory()
    store.build(INPUTS)
    return store


class Server:
    """A SPARQL endpoint over an Oxigraph store; ``requests`` counts what reached it."""

    def __init__(self, store: ox.Store | None) -> None:
        self.store = store
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                form = urllib.parse.parse_qs(self.rfile.read(length).decode("utf-8"))
                server.requests.append(self.path)
                if server.store is None:
                    self._send(503, b"no store", "text/plain")
                    return
                try:
                    result = server.store.query(form["query"][0], use_default_graph_as_union=True)
                except (SyntaxError, OSError) as exc:
                    self._send(400, str(exc).encode("utf-8"), "text/plain")
                    return
                if isinstance(result, ox.QueryTriples):
                    body = result.serialize(format=ox.RdfFormat.N_TRIPLES)
                    self._send(200, body, "application/n-triples")
                else:
                    body = result.serialize(format=ox.QueryResultsFormat.JSON)
                    self._send(200, body, "application/sparql-results+json")

            do_GET = do_POST

            def _send(self, code: int, body: bytes, kind: str) -> None:
                self.send_response(code)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/sparql"

    def __enter__(self) -> Server:
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@contextmanager
def endpoint(store: kg.OxigraphStore | None = None) -> Iterator[tuple[kg.Endpoint, Server]]:
    """An :class:`kg.Endpoint` for a local server over ``store`` (None: a server that refuses)."""
    with Server(store.store if store is not None else None) as server:
        yield kg.Endpoint(server.url, timeout=30), server


def cells(result: kg.QueryResult, *columns: str) -> list[tuple[str | None, ...]]:
    """Rows as tuples of plain text (None where unbound), only the columns named."""
    index = [result.variables.index(c) for c in columns or result.variables]
    return [tuple(None if row[i] is None else str(row[i]) for i in index) for row in result.rows]


def triples(result: kg.QueryResult) -> set[tuple[str, str, str]]:
    """The triples of a CONSTRUCT or DESCRIBE as plain text."""
    return {(str(s), str(p), str(o)) for s, p, o in result.triples}
