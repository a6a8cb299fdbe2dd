"""pyoxigraph terms as rdflib terms: the one conversion of query results and validation rows."""

from __future__ import annotations

import functools
from typing import Any

import pyoxigraph as ox
import rdflib

from kg.terms import XSD_STRING


def to_rdflib(term: Any) -> rdflib.term.Node:
    """A pyoxigraph IRI, blank node or literal as rdflib's.

    :raises ValueError: for an RDF-star triple term, which rdflib has no node for."""
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.Literal):
        return _literal(term.value, term.datatype.value, term.language)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    raise ValueError(f"an RDF-star triple term where a node was expected: {term}")


@functools.lru_cache(maxsize=1 << 16)
def _literal(lex: str, datatype: str, language: str | None) -> rdflib.Literal:
    """An rdflib literal, made once for values that repeat (statuses, dates, counts): rdflib
    parses a typed literal's value, 10-15 us each, most of the time of a long result."""
    if language:
        return rdflib.Literal(lex, lang=language)
    if datatype == XSD_STRING:
        return rdflib.Literal(lex)
    return rdflib.Literal(lex, datatype=rdflib.URIRef(datatype))
