"""A remote SPARQL endpoint, spoken to with the plain SPARQL 1.1 protocol over HTTP(S).

Queries are POSTed form-encoded; rows come back as SPARQL JSON results, triples as N-Triples.
Only http and https URLs are accepted, and redirects stay on them.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import rdflib

from kg.errors import QueryError
from kg.version import __version__

_SCHEMES = ("http", "https")
_MAX_BYTES = 1 << 30


class _HttpOnly(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if urllib.parse.urlsplit(newurl).scheme not in _SCHEMES:
            raise QueryError(f"the endpoint redirected to {newurl!r}, which is not http(s)")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_OPENER = urllib.request.build_opener(_HttpOnly)


class Endpoint:
    """A SPARQL endpoint by URL, queried with :func:`kg.query` or :meth:`query`.

    :raises QueryError: for a URL that is not http(s).
    """

    def __init__(self, url: str, *, timeout: float | None = 60.0) -> None:
        if (
            urllib.parse.urlsplit(url).scheme not in _SCHEMES
            or not urllib.parse.urlsplit(url).netloc
        ):
            raise QueryError(f"not an http(s) endpoint URL: {url!r}")
        self.url = url
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"Endpoint({self.url!r})"

    def query(self, query: str, /, params: dict[str, Any] | None = None, **options: Any) -> Any:
        """Run a library query, a ``.rq`` file or SPARQL text here: see :func:`kg.query.query`."""
        from kg.query import query as run

        return run(self, query, params, **options)

    def select(self, text: str) -> tuple[list[str], list[tuple[rdflib.term.Node | None, ...]]]:
        """Variables and rows of a SELECT query."""
        data = self._json(text)
        try:
            variables = list(data["head"]["vars"])
            rows = [
                tuple(_term(b[v]) if v in b else None for v in variables)
                for b in data["results"]["bindings"]
            ]
        except (KeyError, TypeError) as exc:
            raise QueryError(f"{self.url}: not SPARQL JSON results ({exc})") from None
        return variables, rows

    def ask(self, text: str) -> bool:
        """The answer of an ASK query."""
        data = self._json(text)
        if not isinstance(data.get("boolean"), bool):
            raise QueryError(f"{self.url}: not a SPARQL JSON boolean result")
        return data["boolean"]

    def triples(self, text: str) -> list[tuple[rdflib.term.Node, ...]]:
        """The triples of a CONSTRUCT or DESCRIBE query."""
        body = self._post(text, "application/n-triples")
        graph = rdflib.Graph()
        try:
            graph.parse(data=body.decode("utf-8"), format="nt")
        except Exception as exc:
            raise QueryError(f"{self.url}: not N-Triples ({exc})") from None
        return list(graph)

    def _json(self, text: str) -> dict[str, Any]:
        body = self._post(text, "application/sparql-results+json")
        try:
            data = json.loads(body)
        except ValueError as exc:
            raise QueryError(f"{self.url}: not JSON ({exc})") from None
        if not isinstance(data, dict):
            raise QueryError(f"{self.url}: not SPARQL JSON results")
        return data

    def _post(self, text: str, accept: str) -> bytes:
        request = urllib.request.Request(
            self.url,
            data=urllib.parse.urlencode({"query": text}).encode("utf-8"),
            headers={
                "Accept": accept,
                "Content-Type": "application/x-www-form-urlencoded",
                "User-Agent": f"ctgov-kg/{__version__}",
            },
            method="POST",
        )
        try:
            with _OPENER.open(request, timeout=self.timeout) as response:
                return response.read(_MAX_BYTES)
        except urllib.error.HTTPError as exc:
            detail = exc.read(500).decode("utf-8", "replace").strip()
            raise QueryError(f"{self.url}: HTTP {exc.code} {exc.reason}: {detail}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise QueryError(f"{self.url}: {exc}") from None


def _term(binding: dict[str, str]) -> rdflib.term.Node:
    kind, value = binding.get("type"), binding.get("value", "")
    if kind == "uri":
        return rdflib.URIRef(value)
    if kind == "bnode":
        return rdflib.BNode(value)
    if kind in ("literal", "typed-literal"):
        if "xml:lang" in binding:
            return rdflib.Literal(value, lang=binding["xml:lang"])
        datatype = binding.get("datatype")
        if datatype and datatype != "http://www.w3.org/2001/XMLSchema#string":
            return rdflib.Literal(value, datatype=rdflib.URIRef(datatype))
        return rdflib.Literal(value)
    raise QueryError(f"unknown term type in SPARQL JSON results: {kind!r}")
