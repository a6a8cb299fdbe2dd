"""What is in a graph: counts by class and property, the most frequent sponsors, conditions,
interventions and MeSH branches, and the shape of a networkx view (degrees, components)."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import networkx as nx
import rdflib

from kg.namespaces import CTG, TYPE
from kg.network import prefixed, to_networkx

if TYPE_CHECKING:
    from kg.graph import KnowledgeGraph

__all__ = ["Counts", "Ranked", "Stats", "ViewShape", "count", "format_stats", "stats"]


@dataclass
class Counts:
    """Distinct triples, subjects and objects; instances by class; triples by property (IRIs)."""

    triples: int
    subjects: int
    objects: int
    classes: dict[str, int]
    properties: dict[str, int]


@dataclass
class Ranked:
    """A node and the number of studies that name it."""

    id: str
    label: str
    studies: int


@dataclass
class ViewShape:
    """A view's size, degree distribution (degree -> nodes) and connected components."""

    view: str
    nodes: int
    edges: int
    degrees: dict[int, int]
    components: int
    largest_component: int


@dataclass
class Stats:
    """The figures ``kg stats`` shows; classes and properties by prefixed name."""

    triples: int
    studies: int
    classes: dict[str, int]
    properties: dict[str, int]
    sponsors: list[Ranked] = field(default_factory=list)
    conditions: list[Ranked] = field(default_factory=list)
    interventions: list[Ranked] = field(default_factory=list)
    mesh_branches: list[Ranked] = field(default_factory=list)
    shape: ViewShape | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain data, for JSON."""
        return asdict(self)


def count(graph: KnowledgeGraph) -> Counts:
    """Count the distinct triples of all studies (shared nodes once), by class and property."""
    triples: set[tuple[Any, Any, Any]] = set()
    for s, p, o, _ in graph.quads():
        triples.add((s, p, o))
    instances: dict[str, set[Any]] = defaultdict(set)
    for s, p, o in triples:
        if str(p) == TYPE:
            instances[str(o)].add(s)
    return Counts(
        triples=len(triples),
        subjects=len({s for s, _, _ in triples}),
        objects=len({o for _, _, o in triples}),
        classes={c: len(members) for c, members in sorted(instances.items())},
        properties=dict(sorted(Counter(str(p) for _, p, _ in triples).items())),
    )


def stats(graph: KnowledgeGraph, *, view: str = "full", top: int = 10) -> Stats:
    """Figures about the graph, and the shape of one of its networkx views.

    :param view: the view whose degrees and components are counted (see :mod:`kg.network`).
    :param top: how many sponsors, conditions, interventions and MeSH branches to rank.
    :raises ValueError: for an unknown view.
    """
    shape = _shape(to_networkx(graph, view), view)
    counts = count(graph)
    sponsors = to_networkx(graph, "sponsor-collaboration")
    pairs = to_networkx(graph, "condition-intervention")
    return Stats(
        triples=counts.triples,
        studies=counts.classes.get(CTG + "Study", 0),
        classes=_by_count({prefixed(k): v for k, v in counts.classes.items()}),
        properties=_by_count({prefixed(k): v for k, v in counts.properties.items()}),
        sponsors=_rank(sponsors, "Organization", top),
        conditions=_rank(pairs, "Condition", top),
        interventions=_rank(pairs, "Intervention", top),
        mesh_branches=_branches(graph, top),
        shape=shape,
    )


def _by_count(counts: dict[str, int]) -> dict[str, int]:
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _rank(g: nx.Graph, kind: str, top: int) -> list[Ranked]:
    found = [
        Ranked(node, data["label"], data["studies"])
        for node, data in g.nodes(data=True)
        if data["type"] == kind
    ]
    return sorted(found, key=lambda r: (-r.studies, r.label, r.id))[:top]


def _branches(graph: KnowledgeGraph, top: int) -> list[Ranked]:
    g = graph.dataset
    studies: dict[str, set[str]] = defaultdict(set)
    for which in ("conditionBrowseBranch", "interventionBrowseBranch"):
        for study, branch in g.subject_objects(rdflib.URIRef(CTG + which)):
            studies[str(branch)].add(str(study))
    ranked = []
    for branch, members in studies.items():
        label = g.value(rdflib.URIRef(branch), rdflib.RDFS.label)
        ranked.append(Ranked(branch, str(label) if label else prefixed(branch), len(members)))
    return sorted(ranked, key=lambda r: (-r.studies, r.label, r.id))[:top]


def _shape(g: nx.Graph, view: str) -> ViewShape:
    parts = list(
        nx.weakly_connected_components(g) if g.is_directed() else nx.connected_components(g)
    )
    return ViewShape(
        view=view,
        nodes=g.number_of_nodes(),
        edges=g.number_of_edges(),
        degrees=dict(sorted(Counter(d for _, d in g.degree()).items())),
        components=len(parts),
        largest_component=max((len(p) for p in parts), default=0),
    )


def format_stats(s: Stats, *, rows: int = 10) -> str:
    """The figures as a text table for the terminal; ``rows`` lines per class/property list."""
    lines = [f"triples {s.triples:>12,}", f"studies {s.studies:>12,}"]
    lines += _section("Classes", "instances", s.classes, rows)
    lines += _section("Properties", "triples", s.properties, rows)
    for title, ranked in (
        ("Top sponsors", s.sponsors),
        ("Top conditions", s.conditions),
        ("Top interventions", s.interventions),
        ("Top MeSH branches", s.mesh_branches),
    ):
        lines += ["", f"{title} (studies)"]
        lines += [f"  {r.studies:>6}  {r.label}" for r in ranked] or ["  (none)"]
    if s.shape is not None:
        lines += _shape_lines(s.shape)
    return "\n".join(lines) + "\n"


def _section(title: str, unit: str, counts: dict[str, int], rows: int) -> list[str]:
    lines = ["", f"{title} ({unit})"]
    items = list(counts.items())
    width = max((len(k) for k, _ in items[:rows]), default=0)
    lines += [f"  {k:<{width}}  {v:>8,}" for k, v in items[:rows]]
    if len(items) > rows:
        lines.append(f"  ... {len(items) - rows} more (--format json lists them all)")
    return lines


def _shape_lines(shape: ViewShape) -> list[str]:
    lines = [
        "",
        f"View {shape.view}: {shape.nodes:,} nodes, {shape.edges:,} edges, "
        f"{shape.components:,} connected components (largest {shape.largest_component:,} nodes)",
        "  degree    nodes",
    ]
    bins: Counter = Counter()
    for degree, n in shape.degrees.items():
        bins[_bin(degree)] += n
    for (low, high), n in sorted(bins.items()):
        span = str(low) if low == high else f"{low}-{high}"
        lines.append(f"  {span:<8}  {n:>6,}")
    return lines


def _bin(degree: int) -> tuple[int, int]:
    """Degrees 0, 1, 2, 3-4, 5-8, 9-16...: powers of two."""
    if degree <= 2:
        return degree, degree
    high = 1 << (degree - 1).bit_length()
    return high // 2 + 1, high
