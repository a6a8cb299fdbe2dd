"""SPARQL text seen as tokens: the query form, its prefixes, what it may reach, where values go.

A lexical scan, after the SPARQL 1.1 grammar's terminals (IRIs, strings, comments, prefixed names,
variables), is enough to know which words are keywords; it is engine-independent, so the same
safety check guards rdflib, Oxigraph and a remote endpoint. Where the grammar is unsure the
scan reads more text as keywords, never less.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import NamedTuple

import rdflib

from kg.errors import QueryError, UnsafeQueryError
from kg.terms import escape

_PN_CHARS = r"A-Za-z0-9_\-\u00B7\u00C0-\U000EFFFF"
_TOKEN = re.compile(
    rf"""
    (?P<space>\s+)
  | (?P<comment>\#[^\n\r]*)
  | (?P<string>'''(?:(?:'|'')?(?:[^'\\]|\\.))*'''
              | \"\"\"(?:(?:"|"")?(?:[^"\\]|\\.))*\"\"\"
              | '(?:[^'\\\n\r]|\\.)*'
              | "(?:[^"\\\n\r]|\\.)*")
  | (?P<iri><[^<>"{{}}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][{_PN_CHARS}]+)
  | (?P<lang>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
  | (?P<bnode>_:[{_PN_CHARS}.]*)
  | (?P<pname>(?:[A-Za-z\u00C0-\U000EFFFF][{_PN_CHARS}.]*)?:
              (?:[{_PN_CHARS}.:]|%[0-9A-Fa-f]{{2}}|\\[_~.\-!$&'()*+,;=/?\#@%])*)
  | (?P<number>[0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<punct>.)
    """,
    re.VERBOSE | re.DOTALL,
)

FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
UPDATES = frozenset(
    {"INSERT", "DELETE", "DROP", "CLEAR", "CREATE", "ADD", "MOVE", "COPY", "WITH", "LOAD"}
)
_REACHING = {
    "SERVICE": "SERVICE sends part of the query to another endpoint",
    "FROM": "FROM / FROM NAMED load graphs from URLs or local files",
    "LOAD": "LOAD reads a document from a URL or a local file",
}


class Token(NamedTuple):
    """A lexical token: its kind (a group name of the scanner), text and offset."""

    kind: str
    text: str
    start: int


def tokens(text: str) -> Iterator[Token]:
    """The significant tokens of a query: no spaces, no comments."""
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup or "punct"
        if kind not in ("space", "comment"):
            yield Token(kind, m.group(), m.start())


def keywords(text: str) -> list[str]:
    """The bare words of a query, upper-cased, in order (``SELECT``, ``WHERE``, ``a``...)."""
    return [t.text.upper() for t in tokens(text) if t.kind == "word"]


def form(text: str) -> str:
    """``SELECT``, ``ASK``, ``CONSTRUCT`` or ``DESCRIBE``.

    :raises QueryError: for an update or text that has none of the four forms.
    """
    for word in keywords(text):
        if word in FORMS:
            return word
        if word in UPDATES:
            raise QueryError(f"{word} is an update; kg query runs read-only queries only")
    raise QueryError("not a SPARQL query: no SELECT, ASK, CONSTRUCT or DESCRIBE")


def check_safe(text: str, *, allow_network: bool = False) -> None:
    """Refuse a query that would reach the network or the local files by itself.

    :raises UnsafeQueryError: naming the keyword (SERVICE, FROM, LOAD) unless ``allow_network``.
    """
    if allow_network:
        return
    for word in keywords(text):
        if word in _REACHING:
            raise UnsafeQueryError(
                f"{word} refused: {_REACHING[word]}; give --allow-network "
                "(allow_network=True) to run it anyway"
            )


def prefixes(text: str) -> dict[str, str]:
    """The ``PREFIX p: <iri>`` declarations of a query, in order."""
    found: dict[str, str] = {}
    toks = list(tokens(text))
    for i, tok in enumerate(toks[:-2]):
        if tok.kind == "word" and tok.text.upper() == "PREFIX" and toks[i + 2].kind == "iri":
            name = toks[i + 1].text
            if toks[i + 1].kind == "pname" and name.endswith(":"):
                found[name[:-1]] = toks[i + 2].text[1:-1]
    return found


def declare(text: str, known: Mapping[str, str]) -> str:
    """The query with ``PREFIX`` lines for the prefixed names it uses from ``known`` but does
    not declare, so text written for ``kg query`` (which knows the project's prefixes) runs on
    any endpoint."""
    declared = prefixes(text)
    used: dict[str, None] = {}
    for tok in tokens(text):
        if tok.kind == "pname":
            name = tok.text.split(":", 1)[0]
            if name in known and name not in declared:
                used.setdefault(name, None)
    return "".join(f"PREFIX {p}: <{known[p]}>\n" for p in used) + text


def variables(text: str) -> list[str]:
    """The distinct variable names of a query (without ``?``), in order of first use."""
    seen: dict[str, None] = {}
    for tok in tokens(text):
        if tok.kind == "var":
            seen.setdefault(tok.text[1:], None)
    return list(seen)


def where_start(text: str) -> int:
    """The offset just after the ``{`` that opens the query's WHERE group.

    :raises QueryError: when there is none, or for ``CONSTRUCT WHERE { }`` whose pattern is
        also its template and so cannot take a VALUES block.
    """
    toks = list(tokens(text))
    depth = 0
    i = 0
    while i < len(toks) and not (toks[i].kind == "word" and toks[i].text.upper() in FORMS):
        i += 1
    if i == len(toks):
        raise QueryError("not a SPARQL query: no SELECT, ASK, CONSTRUCT or DESCRIBE")
    construct = toks[i].text.upper() == "CONSTRUCT"
    i += 1
    if construct:
        if i < len(toks) and toks[i].kind == "word" and toks[i].text.upper() == "WHERE":
            raise QueryError(
                "CONSTRUCT WHERE { } cannot take parameters; write CONSTRUCT { ... } WHERE { ... }"
            )
        if i < len(toks) and toks[i].text == "{":
            depth = 1
            i += 1
            while i < len(toks) and depth:
                depth += {"{": 1, "}": -1}.get(toks[i].text, 0) if toks[i].kind == "punct" else 0
                i += 1
    for j in range(i, len(toks)):
        if toks[j].kind == "punct" and toks[j].text == "{":
            after = toks[j + 1] if j + 1 < len(toks) else None
            if after is not None and after.kind == "word" and after.text.upper() == "SELECT":
                raise QueryError(
                    "a WHERE group that is only a subquery cannot take parameters; "
                    "wrap the subquery in one more { }"
                )
            return toks[j].start + 1
    raise QueryError("the query has no WHERE group")


def with_values(text: str, bindings: Mapping[str, rdflib.term.Node]) -> str:
    """The query with a VALUES block, built from RDF terms, opening its WHERE group, and one
    opening the group of each subquery that uses a bound variable: a subquery sees only what
    it binds itself (rdflib's initial bindings and grlc's substitution do reach it).

    Every value is written by :func:`term`, so no text from a user reaches the query as syntax.
    """
    if not bindings:
        return text
    blocks = {where_start(text): list(bindings)}
    for start, used in _subquery_groups(list(tokens(text))):
        names = [name for name in bindings if name in used]
        if names:
            blocks[start] = names
    for at in sorted(blocks, reverse=True):
        names = " ".join(f"?{name}" for name in blocks[at])
        row = " ".join(term(bindings[name]) for name in blocks[at])
        text = f"{text[:at]} VALUES ({names}) {{ ({row}) }}{text[at:]}"
    return text


def object_groups(
    text: str, variable: str, known: Mapping[str, str] | None = None
) -> dict[int, set[str | None]]:
    """Where ``?variable`` is the object of a triple pattern: the offset just after the ``{``
    of the innermost group that holds the pattern -> the predicates' IRIs there (``None`` for
    a predicate variable); prefixed names are read with the query's prefixes, then ``known``.
    A path's last step counts as the predicate; after any other path sign the place is left
    out (a caller that restricts only the places found still gets every row)."""
    names = {**(known or {}), **prefixes(text)}
    found: dict[int, set[str | None]] = {}
    opened: list[int] = []
    projecting = False
    previous: Token | None = None
    for tok in tokens(text):
        if tok.kind == "punct" and tok.text == "{":
            opened.append(tok.start + 1)
            projecting = False
        elif tok.kind == "punct" and tok.text == "}":
            if opened:
                opened.pop()
        elif tok.kind == "word" and tok.text.upper() == "SELECT":
            projecting = True
        elif tok.kind == "var" and tok.text[1:] == variable and opened and previous:
            predicate = _predicate(previous, names, projecting)
            if predicate is not False:
                found.setdefault(opened[-1], set()).add(predicate)  # type: ignore[arg-type]
        previous = tok
    return found


def _predicate(tok: Token, names: Mapping[str, str], projecting: bool) -> str | bool | None:
    """The IRI of the predicate token before an object, ``None`` for a variable, ``False``
    when the token is no predicate."""
    if tok.kind == "iri":
        return tok.text[1:-1]
    if tok.kind == "pname":
        prefix, _, local = tok.text.partition(":")
        return names[prefix] + local if prefix in names else None
    if tok.kind == "word" and tok.text == "a":
        return "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
    if tok.kind == "var" and not projecting:
        return None
    return False


def with_group_values(text: str, variable: str, rows: Mapping[int, Iterable[str]]) -> str:
    """The query with ``VALUES ?variable { ... }`` opening each group at the offsets of
    ``rows`` (from :func:`object_groups`), its terms given in SPARQL syntax (:func:`term`,
    :func:`string`): Oxigraph orders a group's patterns with its own VALUES first, and not
    with those of an enclosing group. The text is put together once (a block can be tens of
    megabytes of text)."""
    pieces, start = [], 0
    for at in sorted(rows):
        pieces += [text[start:at], f" VALUES ?{variable} {{ ", " ".join(rows[at]), " }"]
        start = at
    pieces.append(text[start:])
    return "".join(pieces)


def _subquery_groups(toks: list[Token]) -> Iterator[tuple[int, set[str]]]:
    """For each subquery: the offset just after the ``{`` opening its WHERE group, and the
    variable names (without ``?``) used in that group."""
    depth = 0
    for i, tok in enumerate(toks):
        if tok.kind == "punct" and tok.text in "{}":
            depth += 1 if tok.text == "{" else -1
        elif depth > 0 and tok.kind == "word" and tok.text.upper() == "SELECT":
            j = next((k for k in range(i, len(toks)) if toks[k].text == "{"), None)
            if j is None:
                return
            inner, used = 0, set()
            for k in range(j, len(toks)):
                if toks[k].kind == "punct" and toks[k].text in "{}":
                    inner += 1 if toks[k].text == "{" else -1
                    if inner == 0:
                        break
                elif toks[k].kind == "var":
                    used.add(toks[k].text[1:])
            yield toks[j].start + 1, used


_IRI_BAD = re.compile(r'[\x00-\x20<>"{}|^`\\]')
_LANG = re.compile(r"^[A-Za-z]+(?:-[A-Za-z0-9]+)*$")


def string(lex: str, lang: str = "") -> str:
    """A string literal in SPARQL syntax, with its language tag if ``lang``.

    :raises QueryError: for a language tag that the syntax cannot carry.
    """
    if not lang:
        return f'"{escape(lex)}"'
    if not _LANG.match(lang):
        raise QueryError(f"not a language tag: {lang!r:.40}")
    return f'"{escape(lex)}"@{lang}'


def term(node: rdflib.term.Node) -> str:
    """A term in SPARQL syntax: ``<iri>``, ``"text"@en`` or ``"lex"^^<datatype>``.

    :raises QueryError: for an IRI or language tag that the syntax cannot carry.
    """
    if isinstance(node, rdflib.URIRef):
        if _IRI_BAD.search(node):
            raise QueryError(f"not an IRI: {str(node)!r:.80}")
        return f"<{node}>"
    if isinstance(node, rdflib.Literal):
        if node.datatype is not None and str(node.datatype) != str(rdflib.XSD.string):
            return f'"{escape(str(node))}"^^{term(node.datatype)}'
        return string(str(node), node.language or "")
    raise QueryError(f"cannot bind {type(node).__name__} {node!r:.60}")
