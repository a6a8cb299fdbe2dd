"""The RDF graph as networkx property graphs ("views"), and the files Gephi and Cytoscape read.

Node ids are IRI strings (blank nodes ``_:id``). Every node has ``type`` (its class's local
name: ``Study``, ``Organization``, ``Descriptor``...) and ``label``; every edge has
``predicate`` (prefixed, ``ctg:leadSponsor``; a SPARQL property path for the projections, such
as ``^ctg:condition/ctg:intervention``) and, in the weighted views, ``weight`` (shared studies).

Views:

- ``full``: every resource and every link between resources (a MultiDiGraph keyed by
  predicate); ``rdf:type`` becomes ``type`` (plus ``rdf:type``, every class), and literals
  become attributes named by their prefixed predicate. File formats hold no lists, so a property
  with several values is one string, the values sorted and joined with `` | ``; integers,
  decimals and booleans stay numbers and booleans unless a property mixes kinds, then strings.
- ``overview``: studies and the nodes they share (organizations, conditions, MeSH terms,
  browse branches), with the links among them; each study's own parts are left out.
- ``study-sponsor``: studies and organizations (``bipartite`` 0 and 1), linked by
  ``ctg:leadSponsor`` or ``ctg:collaborator``.
- ``condition-intervention``: conditions and interventions, weighted by the studies naming both.
  Interventions are study-local in RDF; the view merges those with the same name (the slug rule
  of conditions) into one node ``https://w3id.org/ctgov-kg/intervention/<slug>``, an id of the
  view only.
- ``sponsor-collaboration``: organizations (lead sponsors and collaborators), linked when they
  share studies, weighted by how many.
- ``mesh``: the MeSH terms in the data, each linked to the ancestors the registry lists
  (``ctg:meshAncestor``, directed to the broader term).
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import networkx as nx
import rdflib

from kg.atomic import atomic_write
from kg.iris import slug
from kg.namespaces import BASE, CTG, GRAPH, LABEL, MESHV, PREFIXES, STUDY, TYPE, XSD

__all__ = [
    "NETWORK_FORMATS",
    "VIEWS",
    "prefixed",
    "read_network",
    "to_networkx",
    "write_network",
]

Triples = Callable[[tuple[Any, Any, Any]], Iterator[tuple[Any, Any, Any]]]

INTERVENTION = BASE + "intervention/"
_SPONSOR_PATH = "^(ctg:leadSponsor|ctg:collaborator)/(ctg:leadSponsor|ctg:collaborator)"
_JOIN = " | "
_NUMBERS = {
    XSD + "integer": int,
    XSD + "int": int,
    XSD + "long": int,
    XSD + "decimal": float,
    XSD + "double": float,
    XSD + "float": float,
}


def prefixed(iri: str) -> str:
    """An IRI in its prefixed form where a project prefix covers it.

    >>> prefixed("https://w3id.org/ctgov-kg/vocab#leadSponsor")
    'ctg:leadSponsor'
    """
    best = max((ns for ns in PREFIXES.values() if iri.startswith(ns)), key=len, default="")
    if not best:
        return iri
    prefix = next(p for p, ns in PREFIXES.items() if ns == best)
    return f"{prefix}:{iri[len(best) :]}"


def _local(iri: str) -> str:
    return re.split(r"[#/]", iri)[-1] or iri


def _source(graph: Any) -> rdflib.Graph:
    """Anything with ``triples()``: a KnowledgeGraph's dataset, a Dataset, a Graph."""
    return graph.dataset if hasattr(graph, "dataset") else graph


def _node(term: rdflib.term.Node) -> str:
    return f"_:{term}" if isinstance(term, rdflib.BNode) else str(term)


def _labels(g: rdflib.Graph) -> dict[str, str]:
    labels: dict[str, str] = {}
    for s, o in g.subject_objects(rdflib.URIRef(LABEL)):
        key = _node(s)
        if key not in labels or str(o) < labels[key]:
            labels[key] = str(o)
    return labels


def _types(g: rdflib.Graph) -> dict[str, list[str]]:
    types: dict[str, set[str]] = defaultdict(set)
    for s, o in g.subject_objects(rdflib.URIRef(TYPE)):
        types[_node(s)].add(str(o))
    return {k: sorted(v) for k, v in types.items()}


def _main_type(classes: Iterable[str]) -> str:
    """The class to show: the project's own first, then MeSH's, then any."""
    ranked = sorted(classes, key=lambda c: (not c.startswith(CTG), not c.startswith(MESHV), c))
    return _local(ranked[0]) if ranked else "Resource"


def _label(node: str, labels: dict[str, str]) -> str:
    return labels.get(node) or prefixed(node)


def _value(literal: rdflib.Literal) -> Any:
    datatype = str(literal.datatype) if literal.datatype else None
    if datatype == XSD + "boolean" and str(literal) in ("true", "false"):
        return str(literal) == "true"
    if datatype in _NUMBERS:
        try:
            return _NUMBERS[datatype](str(literal))
        except ValueError:
            return str(literal)
    return str(literal)


def full(graph: Any) -> nx.MultiDiGraph:
    """Every resource node and object-property edge; literals as node attributes."""
    g = _source(graph)
    literals: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    classes: dict[str, set[str]] = defaultdict(set)
    edges: set[tuple[str, str, str]] = set()
    nodes: set[str] = set()
    for s, p, o in g.triples((None, None, None)):
        subject, predicate = _node(s), str(p)
        nodes.add(subject)
        if predicate == TYPE:
            classes[subject].add(str(o))
        elif isinstance(o, rdflib.Literal):
            literals[subject][predicate].append(o)
        else:
            nodes.add(_node(o))
            edges.add((subject, _node(o), prefixed(predicate)))
    out = nx.MultiDiGraph(view="full")
    for node in sorted(nodes):
        attrs: dict[str, Any] = {"type": _main_type(classes.get(node, ()))}
        props = literals.get(node, {})
        labels = sorted(str(v) for v in props.get(LABEL, ()))
        attrs["label"] = labels[0] if labels else prefixed(node)
        if classes.get(node):
            attrs["rdf:type"] = _JOIN.join(sorted(prefixed(c) for c in classes[node]))
        for predicate in sorted(props):
            if predicate == LABEL and len(labels) == 1:
                continue
            values = sorted({_value(v) for v in props[predicate]}, key=lambda v: (str(type(v)), v))
            attrs[prefixed(predicate)] = (
                values[0] if len(values) == 1 else _JOIN.join(str(v) for v in values)
            )
        out.add_node(node, **attrs)
    for s, o, p in sorted(edges):
        out.add_edge(s, o, key=p, predicate=p)
    _unify_attribute_types(out)
    return out


def _unify_attribute_types(g: nx.Graph) -> None:
    """One type per attribute name (GraphML and GEXF declare one): ints with floats become
    floats; any other mix becomes strings."""
    kinds: dict[str, set[type]] = defaultdict(set)
    for _, data in g.nodes(data=True):
        for key, value in data.items():
            kinds[key].add(type(value))
    for key, found in kinds.items():
        if len(found) < 2:
            continue
        cast: Callable[[Any], Any] = float if found == {int, float} else str
        for _, data in g.nodes(data=True):
            if key in data:
                data[key] = cast(data[key])


def overview(graph: Any) -> nx.MultiDiGraph:
    """Studies and the shared nodes they link to, without each study's own parts."""
    whole = full(graph)
    keep = [n for n in whole if _shared(n, whole.nodes[n]["type"])]
    out = nx.MultiDiGraph(view="overview")
    for node in keep:
        data = whole.nodes[node]
        out.add_node(node, type=data["type"], label=data["label"])
    for s, o, key, data in whole.subgraph(keep).edges(keys=True, data=True):
        out.add_edge(s, o, key=key, **data)
    out.remove_nodes_from([n for n in keep if out.degree(n) == 0 and not n.startswith(STUDY)])
    return out


def _shared(node: str, kind: str) -> bool:
    """A study, or a typed node of no one study (not a study's part, provenance or web page)."""
    if node.startswith(STUDY):
        return "/" not in node[len(STUDY) :]
    return kind != "Resource" and not node.startswith(GRAPH)


def _study_nodes(g: rdflib.Graph) -> list[str]:
    return sorted({str(s) for s in g.subjects(rdflib.URIRef(TYPE), rdflib.URIRef(CTG + "Study"))})


def _nct(study: str) -> str:
    return study.removeprefix(STUDY)


def study_sponsor(graph: Any) -> nx.Graph:
    """Studies and organizations, linked by lead sponsorship or collaboration."""
    g = _source(graph)
    labels = _labels(g)
    out = nx.Graph(view="study-sponsor")
    links: dict[tuple[str, str], str] = {}
    for role in ("collaborator", "leadSponsor"):
        for s, o in g.subject_objects(rdflib.URIRef(CTG + role)):
            links[(str(s), str(o))] = "ctg:" + role
    studies = set(_study_nodes(g)) | {s for s, _ in links}
    for study in sorted(studies):
        out.add_node(study, type="Study", label=_label(study, labels), bipartite=0)
    for org in sorted({o for _, o in links}):
        out.add_node(org, type="Organization", label=_label(org, labels), bipartite=1)
        agency = g.value(rdflib.URIRef(org), rdflib.URIRef(CTG + "agencyClass"))
        if agency is not None:
            out.nodes[org]["agencyClass"] = str(agency)
    for (study, org), predicate in sorted(links.items()):
        out.add_edge(study, org, predicate=predicate)
    return out


def _interventions(g: rdflib.Graph, labels: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Each study's interventions, merged by name across studies: view id -> facts."""
    merged: dict[str, dict[str, Any]] = {}
    for study, node in g.subject_objects(rdflib.URIRef(CTG + "intervention")):
        name = labels.get(_node(node))
        if not name:
            continue
        key = INTERVENTION + slug(name)
        entry = merged.setdefault(key, {"names": Counter(), "kinds": Counter(), "studies": set()})
        entry["names"][name] += 1
        entry["studies"].add(str(study))
        kind = g.value(node, rdflib.URIRef(CTG + "interventionType"))
        if kind is not None:
            entry["kinds"][str(kind)] += 1
    return merged


def _most_common(counter: Counter) -> str:
    return min(counter.items(), key=lambda kv: (-kv[1], kv[0]))[0]


def condition_intervention(graph: Any) -> nx.Graph:
    """Conditions and interventions, linked when studies name both, weighted by those studies."""
    g = _source(graph)
    labels = _labels(g)
    conditions: dict[str, set[str]] = defaultdict(set)
    for study, condition in g.subject_objects(rdflib.URIRef(CTG + "condition")):
        conditions[str(study)].add(str(condition))
    merged = _interventions(g, labels)
    by_study: dict[str, set[str]] = defaultdict(set)
    for key, entry in merged.items():
        for study in entry["studies"]:
            by_study[study].add(key)
    out = nx.Graph(view="condition-intervention")
    counts = Counter(c for cs in conditions.values() for c in cs)
    for condition in sorted(counts):
        out.add_node(
            condition,
            type="Condition",
            label=_label(condition, labels),
            bipartite=0,
            studies=counts[condition],
        )
    for key in sorted(merged):
        entry = merged[key]
        out.add_node(
            key,
            type="Intervention",
            label=_most_common(entry["names"]),
            bipartite=1,
            studies=len(entry["studies"]),
        )
        if entry["kinds"]:
            out.nodes[key]["interventionType"] = _most_common(entry["kinds"])
    pairs: dict[tuple[str, str], set[str]] = defaultdict(set)
    for study in sorted(conditions.keys() & by_study.keys()):
        for condition in conditions[study]:
            for intervention in by_study[study]:
                pairs[(condition, intervention)].add(study)
    for (condition, intervention), studies in sorted(pairs.items()):
        out.add_edge(
            condition,
            intervention,
            predicate="^ctg:condition/ctg:intervention",
            weight=len(studies),
            studies=" ".join(sorted(_nct(s) for s in studies)),
        )
    return out


def sponsor_collaboration(graph: Any) -> nx.Graph:
    """Organizations linked by the studies they sponsor or collaborate on together."""
    g = _source(graph)
    labels = _labels(g)
    members: dict[str, set[str]] = defaultdict(set)
    lead: Counter = Counter()
    for role in ("leadSponsor", "collaborator"):
        for study, org in g.subject_objects(rdflib.URIRef(CTG + role)):
            members[str(study)].add(str(org))
            if role == "leadSponsor":
                lead[str(org)] += 1
    studies_of: dict[str, set[str]] = defaultdict(set)
    for study, orgs in members.items():
        for org in orgs:
            studies_of[org].add(study)
    out = nx.Graph(view="sponsor-collaboration")
    for org in sorted(studies_of):
        out.add_node(
            org,
            type="Organization",
            label=_label(org, labels),
            studies=len(studies_of[org]),
            leadSponsor=lead[org],
        )
        agency = g.value(rdflib.URIRef(org), rdflib.URIRef(CTG + "agencyClass"))
        if agency is not None:
            out.nodes[org]["agencyClass"] = str(agency)
    shared: dict[tuple[str, str], set[str]] = defaultdict(set)
    for study, orgs in sorted(members.items()):
        ordered = sorted(orgs)
        for i, a in enumerate(ordered):
            for b in ordered[i + 1 :]:
                shared[(a, b)].add(study)
    for (a, b), studies in sorted(shared.items()):
        out.add_edge(
            a,
            b,
            predicate=_SPONSOR_PATH,
            weight=len(studies),
            studies=" ".join(sorted(_nct(s) for s in studies)),
        )
    return out


_MESH_LINKS = {
    "conditionMesh": "condition",
    "conditionMeshAncestor": "condition",
    "interventionMesh": "intervention",
    "interventionMeshAncestor": "intervention",
}


def mesh(graph: Any) -> nx.DiGraph:
    """MeSH terms seen in the data, linked to the broader terms the registry lists for them."""
    g = _source(graph)
    labels = _labels(g)
    types = _types(g)
    studies: dict[str, set[str]] = defaultdict(set)
    roles: dict[str, set[str]] = defaultdict(set)
    for predicate, role in _MESH_LINKS.items():
        for study, term in g.subject_objects(rdflib.URIRef(CTG + predicate)):
            studies[str(term)].add(str(study))
            roles[str(term)].add(role)
    links = {(str(s), str(o)) for s, o in g.subject_objects(rdflib.URIRef(CTG + "meshAncestor"))}
    terms = set(studies) | {n for link in links for n in link}
    out = nx.DiGraph(view="mesh")
    for term in sorted(terms):
        out.add_node(
            term,
            type=_main_type(types.get(term, [MESHV + "Descriptor"])),
            label=_label(term, labels),
            meshId=_local(term),
            studies=len(studies.get(term, ())),
            role=" ".join(sorted(roles.get(term, ()))),
        )
    for s, o in sorted(links):
        out.add_edge(s, o, predicate="ctg:meshAncestor")
    return out


VIEWS: dict[str, Callable[[Any], nx.Graph]] = {
    "full": full,
    "overview": overview,
    "study-sponsor": study_sponsor,
    "condition-intervention": condition_intervention,
    "sponsor-collaboration": sponsor_collaboration,
    "mesh": mesh,
}


def to_networkx(graph: Any, view: str = "full") -> nx.Graph:
    """A networkx view of the graph (see the module's docstring for the views).

    :param graph: a :class:`~kg.graph.KnowledgeGraph`, or an rdflib Graph or Dataset.
    :param view: one of :data:`VIEWS`.
    :raises ValueError: for an unknown view.
    """
    if view not in VIEWS:
        raise ValueError(f"unknown view {view!r}; use one of {', '.join(VIEWS)}")
    return VIEWS[view](graph)


# --- files ----------------------------------------------------------------------------------

NETWORK_FORMATS: dict[str, str] = {
    "graphml": ".graphml",
    "gexf": ".gexf",
    "nodelink": ".json",
    "cytoscape": ".cyjs",
}


def write_network(
    g: nx.Graph, destination: str | os.PathLike, to: str, *, date: str | None = None
) -> Path:
    """Write a view as GraphML, GEXF, node-link JSON or Cytoscape JSON; atomic.

    :param date: the GEXF ``lastmodifieddate`` (``YYYY-MM-DD``); networkx writes today's.
    :raises ValueError: for an unknown format.
    """
    target = Path(destination)
    if to == "graphml":
        chunks: Iterable[str] = (line + "\n" for line in nx.generate_graphml(g))
    elif to == "gexf":
        chunks = (_dated(line, date) + "\n" for line in nx.generate_gexf(g))
    elif to == "nodelink":
        chunks = [_json(nx.node_link_data(g, edges="edges"))]
    elif to == "cytoscape":
        chunks = [_json(nx.cytoscape_data(g, name="label"))]
    else:
        raise ValueError(f"unknown network format {to!r}; use one of {', '.join(NETWORK_FORMATS)}")
    with atomic_write(target) as out:
        for chunk in chunks:
            out.write(chunk.encode("utf-8"))
    return target


def _dated(line: str, date: str | None) -> str:
    if date is None or "lastmodifieddate" not in line:
        return line
    return re.sub(r'lastmodifieddate="[^"]*"', f'lastmodifieddate="{date}"', line)


def _json(data: Any) -> str:
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


def read_network(source: str | os.PathLike, to: str) -> nx.Graph:
    """Read a file :func:`write_network` wrote, with the nodes, edges and attributes it had.

    What the formats add on reading is taken off again: GEXF's edge ``id`` and Cytoscape's
    ``id``/``value``/``name`` copies of the node id and label.
    """
    path = Path(source)
    if to == "graphml":
        return nx.read_graphml(path)
    if to == "gexf":
        g = nx.read_gexf(path)
        for *_, data in g.edges(data=True):
            data.pop("id", None)
        return g
    if to == "nodelink":
        return nx.node_link_graph(json.loads(path.read_text("utf-8")), edges="edges")
    if to == "cytoscape":
        g = nx.cytoscape_graph(json.loads(path.read_text("utf-8")), name="label")
        for _, data in g.nodes(data=True):
            data.pop("id", None)
            data.pop("value", None)
            data.pop("name", None)
        for *_, data in g.edges(data=True):
            data.pop("source", None)
            data.pop("target", None)
            data.pop("key", None)
        return g
    raise ValueError(f"unknown network format {to!r}; use one of {', '.join(NETWORK_FORMATS)}")
