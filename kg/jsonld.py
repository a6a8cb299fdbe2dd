"""JSON-LD for people who read it as plain JSON: the shipped ``@context`` and per-study documents.

``kg/data/context.jsonld`` maps the project's prefixes, ``id``/``type`` for ``@id``/``@type``,
and a short term for every ctg: class and property of the ontology (``"leadSponsor"``, with
``"@type": "@id"`` for links), so a study reads ``{"id": ..., "type": "Study", ...}``.
Only the vocabulary prefixes are in it (ctg, meshv, rdfs...): without the prefixes of instances
(study, organization, condition, mesh) every node's ``id`` stays a full IRI, the same in every
document, and ``organization``/``condition`` are free to be terms. It is made from
``kg/data/ontology.ttl`` by :func:`make_context`; after the ontology changes, rewrite it with
``python -c "import kg.jsonld as j; j.write_context()"``.

:func:`frame_study` is a small framing of our own (rdflib has none): the study node with every
node under its IRI embedded where its IRI parent links to it, and shared nodes (organizations,
conditions, MeSH terms) as references carrying their type, label and other facts of that study's
graph. The study's provenance (its named graph's own triples) is left out.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from functools import cache
from typing import Any

import rdflib
from rdflib.namespace import OWL, RDF, RDFS

from kg.namespaces import (
    CONDITION,
    CTG,
    DCT,
    FOAF,
    GEO,
    LABEL,
    MESH,
    MESHV,
    ORG,
    PREFIXES,
    PROV,
    SCHEMA,
    STUDY,
    TYPE,
    XSD,
)
from kg.resources import DATA, ONTOLOGY

CONTEXT_FILE = DATA / "context.jsonld"

# Terms for the standard vocabularies the mapping reuses (see the ontology's header).
_STANDARD: dict[str, tuple[str, str | None]] = {
    "label": (LABEL, None),
    "seeAlso": (RDFS + "seeAlso", "@id"),
    "description": (DCT + "description", None),
    "identifier": (DCT + "identifier", None),
    "bibliographicCitation": (DCT + "bibliographicCitation", None),
    "source": (DCT + "source", None),
    "url": (SCHEMA + "url", "@id"),
    "telephone": (SCHEMA + "telephone", None),
    "email": (SCHEMA + "email", None),
    "lat": (GEO + "lat", XSD + "decimal"),
    "long": (GEO + "long", XSD + "decimal"),
    "primaryTopic": (FOAF + "primaryTopic", "@id"),
    "wasDerivedFrom": (PROV + "wasDerivedFrom", "@id"),
    "generatedAtTime": (PROV + "generatedAtTime", XSD + "dateTime"),
    "Descriptor": (MESHV + "Descriptor", None),
    "SupplementaryConceptRecord": (MESHV + "SupplementaryConceptRecord", None),
    "MedicalStudy": (SCHEMA + "MedicalStudy", None),
    "MedicalTrial": (SCHEMA + "MedicalTrial", None),
    "MedicalObservationalStudy": (SCHEMA + "MedicalObservationalStudy", None),
    "SpatialThing": (GEO + "SpatialThing", None),
    "Entity": (PROV + "Entity", None),
}
_INSTANCES = {STUDY, ORG, CONDITION, MESH}
# Literals JSON holds natively (rdflib writes them so with ``use_native_types``), and strings,
# need no coercion; these datatypes get one so that the value reads as a plain string.
_COERCED = {XSD + "duration", XSD + "dateTime", XSD + "decimal", XSD + "anyURI"}


def make_context(ontology: rdflib.Graph | None = None) -> dict[str, Any]:
    """The ``@context`` object, made from the ontology (the shipped one when None)."""
    if ontology is None:
        ontology = rdflib.Graph().parse(ONTOLOGY)
    terms: dict[str, Any] = {}
    for name, (iri, coerce) in _STANDARD.items():
        terms[name] = _term(iri, coerce)
    declared = []
    for kind in (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty):
        for s in ontology.subjects(RDF.type, kind):
            if isinstance(s, rdflib.URIRef) and str(s).startswith(CTG):
                declared.append((str(s), kind))
    for iri, kind in sorted(declared):
        name = iri.removeprefix(CTG)
        if name in terms and terms[name] != _term(iri, None):
            continue
        coerce = None
        if kind == OWL.ObjectProperty:
            coerce = "@id"
        elif kind == OWL.DatatypeProperty:
            ranges = list(ontology.objects(rdflib.URIRef(iri), RDFS.range))
            if len(ranges) == 1 and str(ranges[0]) in _COERCED:
                coerce = str(ranges[0])
        terms[name] = _term(iri, coerce)
    context: dict[str, Any] = {k: v for k, v in PREFIXES.items() if v not in _INSTANCES}
    context["id"] = "@id"
    context["type"] = "@type"
    context.update(sorted(terms.items(), key=lambda kv: (kv[0].casefold(), kv[0])))
    return {"@context": context}


def _term(iri: str, coerce: str | None) -> str | dict[str, str]:
    compact = _prefixed(iri, PREFIXES)
    if coerce is None:
        return compact
    return {"@id": compact, "@type": coerce if coerce == "@id" else _prefixed(coerce, PREFIXES)}


def write_context() -> None:
    """Rewrite ``kg/data/context.jsonld`` from the ontology (a maintainer's step)."""
    text = json.dumps(make_context(), indent=2, ensure_ascii=False) + "\n"
    CONTEXT_FILE.write_text(text, encoding="utf-8")


@cache
def _context_text() -> str:
    return CONTEXT_FILE.read_text(encoding="utf-8")


def context() -> dict[str, Any]:
    """The shipped ``@context`` object's content (a fresh copy).

    >>> context()["leadSponsor"]
    {'@id': 'ctg:leadSponsor', '@type': '@id'}
    """
    return json.loads(_context_text())["@context"]


class Compactor:
    """Turns IRIs and literals into the terms and values of a context, as compaction would."""

    def __init__(self, ctx: dict[str, Any] | None = None) -> None:
        ctx = context() if ctx is None else ctx
        self.prefixes = {k: v for k, v in ctx.items() if isinstance(v, str) and v[-1:] in "#/"}
        self.terms: dict[str, tuple[str, str | None]] = {}
        for name, value in ctx.items():
            if name.startswith("@") or name in self.prefixes or value in ("@id", "@type"):
                continue
            iri, coerce = (
                (value, None) if isinstance(value, str) else (value["@id"], value.get("@type"))
            )
            iri = self.expand(iri)
            if coerce not in (None, "@id"):
                coerce = self.expand(coerce)
            self.terms.setdefault(iri, (name, coerce))

    def expand(self, name: str) -> str:
        """A compact IRI (``ctg:Study``) in full."""
        prefix, _, local = name.partition(":")
        return self.prefixes[prefix] + local if prefix in self.prefixes else name

    def iri(self, iri: str) -> str:
        """A term when there is one, else a compact IRI, else the IRI itself."""
        found = self.terms.get(iri)
        return found[0] if found else _prefixed(iri, self.prefixes)

    def key(self, predicate: str, value: rdflib.term.Node) -> tuple[str, str | None]:
        """The key to use for ``predicate`` with this value, and the coercion that key implies."""
        found = self.terms.get(predicate)
        if found is not None:
            name, coerce = found
            if coerce is None or _matches(coerce, value):
                return name, coerce
        return _prefixed(predicate, self.prefixes), None

    def literal(self, value: rdflib.Literal, coerce: str | None) -> Any:
        """A literal as JSON: string, number or boolean where exact, else a value object."""
        lex, datatype = str(value), value.datatype
        if value.language:
            return {"@value": lex, "@language": value.language}
        if datatype is None or str(datatype) == XSD + "string":
            return lex
        if coerce is not None and str(datatype) == coerce:
            return lex
        if str(datatype) == XSD + "boolean" and lex in ("true", "false"):
            return lex == "true"
        if str(datatype) == XSD + "integer" and _CANONICAL_INT.fullmatch(lex):
            return int(lex)
        return {"@value": lex, "type": self.iri(str(datatype))}


_CANONICAL_INT = re.compile(r"-?(0|[1-9][0-9]*)")


def _matches(coerce: str, value: rdflib.term.Node) -> bool:
    if coerce == "@id":
        return isinstance(value, rdflib.URIRef)
    return isinstance(value, rdflib.Literal) and str(value.datatype) == coerce


def _prefixed(iri: str, prefixes: dict[str, str]) -> str:
    best = ""
    for prefix, namespace in prefixes.items():
        if iri.startswith(namespace) and len(namespace) > len(prefixes.get(best, "")):
            local = iri[len(namespace) :]
            if local and "/" not in local and "#" not in local:
                best = prefix
    return f"{best}:{iri[len(prefixes[best]) :]}" if best else iri


def frame_study(
    triples: rdflib.Graph,
    study: str,
    compactor: Compactor | None = None,
    *,
    shared_facts: rdflib.Graph | None = None,
) -> list[dict[str, Any]]:
    """One study's triples as a nested document (plus, rarely, nodes no link reaches).

    :param triples: the study's named graph.
    :param study: the study's IRI; nodes whose IRIs start with it followed by ``/`` are its own.
    :param shared_facts: where to look up a shared node the study's graph says nothing about
        (a store keeps shared facts in a graph of their own).
    :returns: the study's node object first, then any of its own nodes that nothing links to.
    """
    c = compactor or Compactor()
    own = study + "/"
    out: dict[str, list[tuple[str, rdflib.term.Node]]] = defaultdict(list)
    incoming: dict[str, list[str]] = defaultdict(list)
    for s, p, o in triples:
        if not _belongs(s, study, own):
            continue
        out[str(s)].append((str(p), o))
        if isinstance(o, rdflib.URIRef) and str(o).startswith(own) and str(p) != TYPE:
            incoming[str(o)].append(str(s))
    shared = {
        str(o)
        for node in out.values()
        for _, o in node
        if isinstance(o, rdflib.URIRef | rdflib.BNode) and not _belongs(o, study, own)
    }
    home = {node: _home(node, parents) for node, parents in incoming.items()}
    facts = _facts(triples, shared, c, shared_facts)
    done: set[str] = set()

    def render(node: str) -> dict[str, Any]:
        done.add(node)
        doc: dict[str, Any] = {"id": node}
        grouped: dict[str, list[Any]] = defaultdict(list)
        types = []
        for p, o in out.get(node, ()):
            if p == TYPE:
                types.append(c.iri(str(o)))
                continue
            key, coerce = c.key(p, o)
            grouped[key].append(value(node, o, coerce))
        if types:
            doc["type"] = types[0] if len(types) == 1 else sorted(types)
        for key in sorted(grouped, key=lambda k: (k != "label", k.casefold(), k)):
            values = sorted(grouped[key], key=_order)
            doc[key] = values[0] if len(values) == 1 else values
        return doc

    def value(node: str, o: rdflib.term.Node, coerce: str | None) -> Any:
        if isinstance(o, rdflib.Literal):
            return c.literal(o, coerce)
        target = str(o)
        if target in out and target not in done and home.get(target) == node:
            return render(target)
        if target in facts:
            return facts[target]
        return target if coerce == "@id" else {"id": target}

    documents = [render(study)]
    documents.extend(render(node) for node in sorted(out, key=_natural) if node not in done)
    return documents


def _belongs(node: rdflib.term.Node, study: str, own: str) -> bool:
    return isinstance(node, rdflib.URIRef) and (str(node) == study or node.startswith(own))


def _home(node: str, parents: list[str]) -> str:
    """Where a node is embedded: its nearest IRI ancestor among the nodes linking to it."""
    above = [p for p in parents if node.startswith(p + "/")]
    return max(above, key=len) if above else min(parents, key=_natural)


def _facts(
    triples: rdflib.Graph, shared: set[str], c: Compactor, fallback: rdflib.Graph | None
) -> dict[str, dict[str, Any]]:
    """Shared nodes as references: id, type, label and what else this study's graph states."""
    found: dict[str, dict[str, Any]] = {}
    for node in sorted(shared):
        doc: dict[str, Any] = {"id": node}
        grouped: dict[str, list[Any]] = defaultdict(list)
        types = []
        stated = list(triples.predicate_objects(rdflib.URIRef(node)))
        if not stated and fallback is not None:
            stated = sorted(set(fallback.predicate_objects(rdflib.URIRef(node))))
        for p, o in stated:
            if p == RDF.type:
                types.append(c.iri(str(o)))
            else:
                key, coerce = c.key(str(p), o)
                if isinstance(o, rdflib.Literal):
                    grouped[key].append(c.literal(o, coerce))
                else:
                    grouped[key].append(str(o) if coerce == "@id" else {"id": str(o)})
        if not types and not grouped:
            continue
        if types:
            doc["type"] = types[0] if len(types) == 1 else sorted(types)
        for key in sorted(grouped, key=lambda k: (k != "label", k.casefold(), k)):
            values = sorted(grouped[key], key=_order)
            doc[key] = values[0] if len(values) == 1 else values
        found[node] = doc
    return found


_DIGITS = re.compile(r"(\d+)")


def _natural(text: str) -> list[Any]:
    """``.../arm/2`` before ``.../arm/10``."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in _DIGITS.split(text)]


def _order(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [0, *_natural(str(value.get("id", value.get("@value", ""))))]
    return [1, *_natural(json.dumps(value, ensure_ascii=False))]
