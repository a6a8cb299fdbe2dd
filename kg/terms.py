"""RDF terms and quads as plain Python values, and their N-Quads form.

An IRI is a ``str``; a literal is a :class:`Lit`. A quad is ``(subject, predicate, object,
graph)``. Keeping terms this small lets one mapping feed every sink (N-Quads text, rdflib,
Oxigraph) at the speed of string handling.
"""

from __future__ import annotations

import re
from typing import NamedTuple

import pyoxigraph

from kg.namespaces import XSD


class Lit(NamedTuple):
    """A literal: lexical form, datatype IRI (``None`` for xsd:string) and language tag."""

    lex: str
    datatype: str | None = None
    lang: str | None = None


Term = str | Lit
Quad = tuple[str, str, Term, str]

XSD_STRING = XSD + "string"
XSD_BOOLEAN = XSD + "boolean"
XSD_INTEGER = XSD + "integer"
XSD_DECIMAL = XSD + "decimal"
XSD_DOUBLE = XSD + "double"
XSD_DATE = XSD + "date"
XSD_DATETIME = XSD + "dateTime"
XSD_GYEARMONTH = XSD + "gYearMonth"
XSD_GYEAR = XSD + "gYear"
XSD_DURATION = XSD + "duration"
XSD_ANYURI = XSD + "anyURI"

_IRI_UNSAFE = re.compile(r'[\x00-\x20<>"{}|^`\\\x7f]|\s')
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_UCSCHAR = "\xa0-\ud7ff\uf900-\ufdcf\ufdf0-\uffef" + "".join(
    f"{chr(plane << 16 | (0x1000 if plane == 14 else 0))}-{chr(plane << 16 | 0xFFFD)}"
    for plane in range(1, 15)
)
_IPCHAR = f"A-Za-z0-9\\-._~!$&'()*+,;=:@{_UCSCHAR}"
"""What RFC 3987 lets an IRI path segment hold as it is (``ipchar`` less percent escapes).
Unicode spaces (U+00A0, U+2028...) are encoded all the same: rdflib's N-Quads parser reads an
IRI as ending at the first of them."""
_SEGMENT_UNSAFE = re.compile(f"[^{_IPCHAR}]|\\s")
_TAIL_UNSAFE = re.compile(f"%(?![0-9A-Fa-f]{{2}})|[^{_IPCHAR}/?%]|\\s")
_HEAD = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:(?://[^/?#]*)?")


def nt_term(term: Term) -> str:
    """The N-Triples / N-Quads form of a term."""
    if type(term) is str:
        return f"<{term}>"
    lex = escape(term.lex)
    if term.lang:
        return f'"{lex}"@{term.lang}'
    if term.datatype is None:
        return f'"{lex}"'
    return f'"{lex}"^^<{term.datatype}>'


def escape(lex: str) -> str:
    """A literal's lexical form escaped for N-Triples, N-Quads and SPARQL strings."""
    # str.replace runs in C; str.translate with a dict looks up every character (4x slower on
    # the eligibility texts, which are full of newlines)
    if "\\" in lex or '"' in lex or "\n" in lex or "\r" in lex:
        return (
            lex.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
        )
    return lex


def nquad(quad: Quad) -> str:
    """One N-Quads line, newline included."""
    s, p, o, g = quad
    return f"<{s}> <{p}> {nt_term(o)} <{g}> .\n"


def iri_safe(text: str) -> str:
    """``text`` with every character that may not stand in an IRI percent-encoded."""
    if _IRI_UNSAFE.search(text) is None:
        return text
    return _IRI_UNSAFE.sub(_percent, text)


def iri_segment(text: str) -> str:
    """``text`` (an ID or name from a record) as one IRI path segment: what a segment may not
    hold (``/``, ``#``, ``?``, ``%``, spaces, controls) percent-encoded, so the IRI stays valid."""
    if _SEGMENT_UNSAFE.search(text) is None:
        return text
    return _SEGMENT_UNSAFE.sub(_percent, text)


def _percent(match: re.Match[str]) -> str:
    return "".join(f"%{byte:02X}" for byte in match[0].encode("utf-8", "surrogatepass"))


def web_link(url: str) -> str | None:
    """A URL from a record as an IRI; one without a scheme (``www.x.org``) is read as http.

    What an IRI may not hold after the host (a second ``#``, a ``%`` that starts no escape) is
    percent-encoded; None when no IRI can be made of it (a host or port that is not one).
    >>> web_link("example.org/a b#c#d")
    'http://example.org/a%20b#c%23d'
    """
    url = url.strip()
    link = iri_safe(url if _SCHEME.match(url) else "http://" + url)
    if _valid(link):
        return link
    head = _HEAD.match(link)
    assert head is not None  # the link has a scheme by now
    end = head.end()
    path, hash_, fragment = link[end:].partition("#")
    mended = link[:end] + _TAIL_UNSAFE.sub(_percent, path) + hash_
    mended += _TAIL_UNSAFE.sub(_percent, fragment)
    return mended if _valid(mended) else None


def _valid(iri: str) -> bool:
    """True when ``iri`` is an absolute IRI by RFC 3987, as stores and N-Quads parsers read it."""
    try:
        pyoxigraph.NamedNode(iri)
    except ValueError:
        return False
    return True


def has_scheme(url: str) -> bool:
    """True when the URL names its scheme (``https:``, ``mailto:``...)."""
    return _SCHEME.match(url.strip()) is not None
