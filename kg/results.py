"""Query results, the same whichever store answered, and their serialisations.

Rows (SELECT) are written as a table, SPARQL 1.1 CSV / TSV, SPARQL JSON or SPARQL XML; a yes/no
(ASK) the same way; triples (CONSTRUCT, DESCRIBE) as RDF: Turtle, N-Triples, JSON-LD or RDF/XML.
Terms are rdflib terms; the writers here are small and deterministic, so the same answer is the
same bytes on every store.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import namedtuple
from collections.abc import Iterator, Sequence
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import rdflib

from kg import sparql
from kg.errors import QueryError
from kg.namespaces import PREFIXES

Term = rdflib.term.Node
ROW_FORMATS = ("table", "csv", "tsv", "json", "xml")
GRAPH_FORMATS = {
    "table": "turtle",
    "turtle": "turtle",
    "ttl": "turtle",
    "nt": "nt",
    "json": "json-ld",
    "jsonld": "json-ld",
    "xml": "xml",
}
FORMATS = tuple(dict.fromkeys((*ROW_FORMATS, *GRAPH_FORMATS)))
_SIMPLE_LOCAL = re.compile(r"^[A-Za-z_][\w-]*$")
_CELL = 80
XSD_STRING = str(rdflib.XSD.string)


class QueryResult:
    """What a query returned: rows (SELECT), a yes/no (ASK) or triples (CONSTRUCT, DESCRIBE).

    Iterating gives rows as named tuples of rdflib terms (``None`` where unbound), triples, or
    the single boolean. ``truncated`` is True when a row limit cut the answer short.
    """

    def __init__(
        self,
        form: str,
        *,
        variables: Sequence[str] = (),
        rows: Sequence[tuple[Term | None, ...]] = (),
        boolean: bool | None = None,
        triples: Sequence[tuple[Term, Term, Term]] = (),
        truncated: bool = False,
        prefixes: dict[str, str] | None = None,
    ) -> None:
        self.form = form
        self.variables = tuple(variables)
        self.boolean = boolean
        self.triples = list(triples)
        self.truncated = truncated
        self.prefixes = {**PREFIXES, **(prefixes or {})}
        self.Row = namedtuple("Row", self.variables, rename=True)  # type: ignore[misc]
        self.rows = [self.Row(*row) for row in rows]

    @property
    def is_graph(self) -> bool:
        """True for CONSTRUCT and DESCRIBE results."""
        return self.form in ("CONSTRUCT", "DESCRIBE")

    def __iter__(self) -> Iterator[Any]:
        if self.form == "ASK":
            return iter([self.boolean])
        return iter(self.triples if self.is_graph else self.rows)

    def __len__(self) -> int:
        if self.form == "ASK":
            return 1
        return len(self.triples if self.is_graph else self.rows)

    def __bool__(self) -> bool:
        return bool(self.boolean) if self.form == "ASK" else len(self) > 0

    def __repr__(self) -> str:
        if self.form == "ASK":
            return f"<QueryResult ASK {self.boolean}>"
        what = "triples" if self.is_graph else "rows"
        return f"<QueryResult {self.form} {len(self)} {what}{' (truncated)' * self.truncated}>"

    def dicts(self) -> list[dict[str, Term]]:
        """The rows as dicts, variable name -> term, unbound variables left out."""
        return [
            {v: t for v, t in zip(self.variables, row, strict=True) if t is not None}
            for row in self.rows
        ]

    def graph(self) -> rdflib.Graph:
        """The triples of a CONSTRUCT or DESCRIBE as an rdflib Graph, prefixes bound."""
        graph = rdflib.Graph()
        for prefix, namespace in self.prefixes.items():
            graph.bind(prefix, namespace, replace=True)
        for triple in sorted(self.triples, key=_triple_key):
            graph.add(triple)
        return graph

    def serialize(self, format: str = "table") -> str:
        """The result as text in one of :data:`FORMATS`.

        :raises QueryError: for a format that does not fit the result (CSV of triples).
        """
        if self.is_graph:
            if format not in GRAPH_FORMATS:
                raise QueryError(
                    f"{self.form} gives triples; write them as {', '.join(GRAPH_FORMATS)}"
                )
            return self._rdf(GRAPH_FORMATS[format])
        if format not in ROW_FORMATS:
            raise QueryError(f"{self.form} gives rows; write them as {', '.join(ROW_FORMATS)}")
        return getattr(self, f"_{format}")()

    # --- rows -----------------------------------------------------------------------------

    def _table(self) -> str:
        if self.form == "ASK":
            return ("true" if self.boolean else "false") + "\n"
        cells = [[self.short(t) for t in row] for row in self.rows]
        widths = [
            max([len(v), *(len(row[i]) for row in cells)]) for i, v in enumerate(self.variables)
        ]
        lines = [
            " | ".join(v.ljust(w) for v, w in zip(self.variables, widths, strict=True)),
            "-+-".join("-" * w for w in widths),
            *(
                " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
                for row in cells
            ),
        ]
        count = len(self.rows)
        lines.append(f"({count} row{'s' * (count != 1)}{', truncated' * self.truncated})")
        return "\n".join(line.rstrip() for line in lines) + "\n"

    def short(self, term: Term | None) -> str:
        """A term as a table cell: a prefixed name or the literal's text, cut at 80 characters."""
        if term is None:
            return ""
        if isinstance(term, rdflib.URIRef):
            text = self._prefixed(str(term))
        elif isinstance(term, rdflib.BNode):
            text = f"_:{term}"
        else:
            text = str(term)
        text = " ".join(text.split())
        return text if len(text) <= _CELL else text[: _CELL - 1] + "…"

    def _prefixed(self, iri: str) -> str:
        best: str | None = None
        for prefix, namespace in self.prefixes.items():
            longer = best is None or len(namespace) > len(self.prefixes[best])
            if longer and iri.startswith(namespace) and _SIMPLE_LOCAL.match(iri[len(namespace) :]):
                best = prefix
        if best is None:
            return f"<{iri}>"
        return f"{best}:{iri[len(self.prefixes[best]) :]}"

    def _csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        if self.form == "ASK":
            writer.writerow(["boolean"])
            writer.writerow(["true" if self.boolean else "false"])
            return out.getvalue()
        writer.writerow(self.variables)
        for row in self.rows:
            writer.writerow(["" if t is None else _plain(t) for t in row])
        return out.getvalue()

    def _tsv(self) -> str:
        if self.form == "ASK":
            return "?boolean\n" + ("true" if self.boolean else "false") + "\n"
        lines = ["\t".join(f"?{v}" for v in self.variables)]
        lines += ["\t".join("" if t is None else nt(t) for t in row) for row in self.rows]
        return "\n".join(lines) + "\n"

    def _json(self) -> str:
        if self.form == "ASK":
            data: dict[str, Any] = {"head": {}, "boolean": bool(self.boolean)}
        else:
            data = {
                "head": {"vars": list(self.variables)},
                "results": {
                    "bindings": [
                        {
                            v: _json_term(t)
                            for v, t in zip(self.variables, row, strict=True)
                            if t is not None
                        }
                        for row in self.rows
                    ]
                },
            }
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"

    def _xml(self) -> str:
        out = [
            '<?xml version="1.0" encoding="utf-8"?>',
            '<sparql xmlns="http://www.w3.org/2005/sparql-results#">',
            "  <head>",
        ]
        if self.form == "ASK":
            out += ["  </head>", f"  <boolean>{'true' if self.boolean else 'false'}</boolean>"]
        else:
            out += [f"    <variable name={quoteattr(v)}/>" for v in self.variables]
            out += ["  </head>", "  <results>"]
            for row in self.rows:
                out.append("    <result>")
                for v, t in zip(self.variables, row, strict=True):
                    if t is not None:
                        out.append(f"      <binding name={quoteattr(v)}>{_xml_term(t)}</binding>")
                out.append("    </result>")
            out.append("  </results>")
        out.append("</sparql>")
        return "\n".join(out) + "\n"

    # --- triples --------------------------------------------------------------------------

    def _rdf(self, fmt: str) -> str:
        if fmt == "nt":
            lines = sorted({f"{nt(s)} {nt(p)} {nt(o)} .\n" for s, p, o in self.triples})
            return "".join(lines)
        return self.graph().serialize(format=fmt)


def nt(term: Term) -> str:
    """A term in N-Triples (and SPARQL, TSV) syntax."""
    if isinstance(term, rdflib.BNode):
        return f"_:{term}"
    return sparql.term(term)


def _plain(term: Term) -> str:
    return f"_:{term}" if isinstance(term, rdflib.BNode) else str(term)


def _json_term(term: Term) -> dict[str, str]:
    if isinstance(term, rdflib.URIRef):
        return {"type": "uri", "value": str(term)}
    if isinstance(term, rdflib.BNode):
        return {"type": "bnode", "value": str(term)}
    assert isinstance(term, rdflib.Literal)
    found = {"type": "literal", "value": str(term)}
    if term.language:
        found["xml:lang"] = term.language
    elif term.datatype is not None and str(term.datatype) != XSD_STRING:
        found["datatype"] = str(term.datatype)
    return found


def _xml_term(term: Term) -> str:
    if isinstance(term, rdflib.URIRef):
        return f"<uri>{escape(str(term))}</uri>"
    if isinstance(term, rdflib.BNode):
        return f"<bnode>{escape(str(term))}</bnode>"
    assert isinstance(term, rdflib.Literal)
    if term.language:
        return f"<literal xml:lang={quoteattr(term.language)}>{escape(str(term))}</literal>"
    if term.datatype is not None and str(term.datatype) != XSD_STRING:
        return f"<literal datatype={quoteattr(str(term.datatype))}>{escape(str(term))}</literal>"
    return f"<literal>{escape(str(term))}</literal>"


def _triple_key(triple: tuple[Term, Term, Term]) -> tuple[str, ...]:
    return tuple(nt(t) for t in triple)
