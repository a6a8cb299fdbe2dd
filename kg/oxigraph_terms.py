"""pyoxigraph terms as rdflib terms: the one conversion of query results and validation rows."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pyoxigraph as ox
import rdflib

from kg.terms import XSD_STRING


def to_rdflib(term: Any) -> rdflib.term.Node:
    """A pyoxigraph IRI, blank node or literal as rdflib's.

    :raises ValueError: for an RDF-star triple term, which rdflib has no node for."""
    kind = type(term)
    if kind is ox.Literal:
        if language := term.language:
            return rdflib.Literal(term.value, lang=language)
        datatype = term.datatype.value
        if datatype == XSD_STRING:
            return _string(term.value)
        return rdflib.Literal(term.value, datatype=rdflib.URIRef(datatype))
    if kind is ox.NamedNode:
        return rdflib.URIRef(term.value)
    if kind is ox.BlankNode:
        return rdflib.BNode(term.value)
    raise ValueError(f"an RDF-star triple term where a node was expected: {term}")


def rows_to_rdflib(rows: Iterable[Sequence[Any]]) -> list[tuple[rdflib.term.Node | None, ...]]:
    """Rows of pyoxigraph terms (``None`` where unbound) as rdflib's, each distinct term made
    once: a long result repeats its statuses, labels, dates and counts, and rdflib parses a
    typed literal's value, 5-15 us each (100,000 studies' participant-dropouts, 79,320 rows:
    0.18-0.41 s against 0.39-0.65 s with a cache of literals by their text)."""
    made: dict[Any, rdflib.term.Node] = {}

    def one(term: Any) -> rdflib.term.Node | None:
        if term is None:
            return None
        found = made.get(term)
        if found is None:
            found = made[term] = to_rdflib(term)
        return found

    return [tuple(map(one, row)) for row in rows]


def _string(lex: str) -> rdflib.Literal:
    """``rdflib.Literal(lex)``, a plain string, with the attributes rdflib's constructor sets,
    made without it: 0.3 us against 2.2 us, most of the time of a long result's titles and NCT
    IDs (``tests/test_query.py`` checks it against the constructor)."""
    literal = str.__new__(rdflib.Literal, lex)
    literal._language = literal._datatype = literal._ill_typed = None
    literal._value = lex
    return literal
