"""Pictures of a networkx view: the most connected nodes, coloured by type and labelled.

PNG and SVG are drawn with matplotlib (its object API, so no global backend is set); HTML is
one self-contained page (inline SVG and script, nothing fetched) where nodes can be hovered,
searched, dragged and zoomed. The layout is networkx's spring layout with a fixed seed, so the
same graph gives the same picture.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import networkx as nx

from kg.atomic import atomic_write
from kg.namespaces import STUDY
from kg.network import to_networkx

if TYPE_CHECKING:
    from kg.graph import KnowledgeGraph

__all__ = ["PLOT_FORMATS", "layout", "plot"]

PLOT_FORMATS = (".png", ".svg", ".html")
COLOURS = {
    "Study": "#1f77b4",
    "Organization": "#ff7f0e",
    "Condition": "#d62728",
    "Intervention": "#2ca02c",
    "Descriptor": "#9467bd",
    "SupplementaryConceptRecord": "#c5b0d5",
    "BrowseBranch": "#8c564b",
}
_MORE = ["#e377c2", "#17becf", "#bcbd22", "#7f7f7f", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896"]
_SEED = 7


def top_nodes(g: nx.Graph, top: int) -> nx.Graph:
    """The subgraph of the ``top`` nodes of highest degree (ties by id), as a simple graph
    whose edge ``weight`` adds up the edges (and weights) it merges."""
    ranked = sorted(g.degree(), key=lambda nd: (-nd[1], nd[0]))[: max(top, 0)]
    keep = {n for n, _ in ranked}
    out = nx.Graph(**g.graph)
    for node in sorted(keep):
        out.add_node(node, **g.nodes[node], degree=g.degree(node))
    for u, v, data in g.edges(data=True):
        if u in keep and v in keep and u != v:
            w = data.get("weight", 1)
            if out.has_edge(u, v):
                out[u][v]["weight"] += w
            else:
                out.add_edge(u, v, weight=w, predicate=data.get("predicate", ""))
    return out


def layout(g: nx.Graph) -> dict[str, tuple[float, float]]:
    """Node positions in [0, 1] x [0, 1], the same for the same graph."""
    if g.number_of_nodes() == 0:
        return {}
    raw = nx.spring_layout(g, seed=_SEED, k=1.6 / max(g.number_of_nodes(), 1) ** 0.5)
    xs = [float(p[0]) for p in raw.values()]
    ys = [float(p[1]) for p in raw.values()]
    dx, dy = (max(xs) - min(xs)) or 1.0, (max(ys) - min(ys)) or 1.0
    return {n: ((float(p[0]) - min(xs)) / dx, (float(p[1]) - min(ys)) / dy) for n, p in raw.items()}


def colours(g: nx.Graph) -> dict[str, str]:
    """A colour per node type: fixed ones for the usual types, then a palette in name order."""
    found = sorted({str(d.get("type", "")) for _, d in g.nodes(data=True)})
    spare = iter(_MORE * (len(found) // len(_MORE) + 1))
    return {t: COLOURS.get(t) or next(spare) for t in found}


def plot(
    graph: KnowledgeGraph,
    destination: str | os.PathLike,
    *,
    view: str = "overview",
    top: int = 60,
    title: str | None = None,
) -> Path:
    """Draw a view's ``top`` most connected nodes to a PNG, SVG or HTML file; atomic.

    :raises ValueError: for an unknown view or an extension other than .png, .svg, .html.
    """
    target = Path(destination)
    suffix = target.suffix.lower()
    if suffix not in PLOT_FORMATS:
        raise ValueError(f"{target}: draw to one of {', '.join(PLOT_FORMATS)}")
    whole = to_networkx(graph, view)
    g = top_nodes(whole, top)
    heading = title or (
        f"ctgov-kg, {view} view: the {g.number_of_nodes()} most connected of "
        f"{whole.number_of_nodes()} nodes"
    )
    with atomic_write(target) as out:
        if suffix == ".html":
            out.write(html(g, heading).encode("utf-8"))
        else:
            _draw(g, heading, out, suffix[1:])
    return target


def _short(text: str, size: int = 32) -> str:
    return text if len(text) <= size else text[: size - 1].rstrip() + "…"


def caption(node: str, data: dict[str, Any]) -> str:
    """What a node is called in a picture: a study by its NCT ID, others by their label."""
    if data.get("type") == "Study" and node.startswith(STUDY):
        return node.removeprefix(STUDY)
    return _short(str(data.get("label", node)))


def _draw(g: nx.Graph, heading: str, out: Any, fmt: str) -> None:
    from matplotlib import rc_context
    from matplotlib.collections import LineCollection
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    pos = layout(g)
    palette = colours(g)
    fig = Figure(figsize=(14, 10), dpi=110)
    ax = fig.add_axes((0.01, 0.01, 0.98, 0.93))
    ax.set_axis_off()
    top = max((d["degree"] for _, d in g.nodes(data=True)), default=1) or 1
    widths = [0.4 + 1.6 * min(d["weight"], 5) / 5 for *_, d in g.edges(data=True)]
    segments = [(pos[u], pos[v]) for u, v in g.edges()]
    ax.add_collection(LineCollection(segments, colors="#9a9a9a", linewidths=widths, alpha=0.6))
    nodes = list(g.nodes(data=True))
    ax.scatter(
        [pos[n][0] for n, _ in nodes],
        [pos[n][1] for n, _ in nodes],
        s=[40 + 560 * (d["degree"] / top) ** 0.5 for _, d in nodes],
        c=[palette[str(d.get("type", ""))] for _, d in nodes],
        edgecolors="white",
        linewidths=0.8,
        zorder=2,
    )
    for n, d in nodes:
        x, y = pos[n]
        ax.text(x, y - 0.018, caption(n, d), fontsize=6.5, ha="center", va="top")
    ax.set_xlim(-0.06, 1.06)
    ax.set_ylim(-0.06, 1.04)
    fig.suptitle(heading, fontsize=12)
    handles = [
        Line2D([], [], marker="o", linestyle="", markersize=8, color=c, label=t)
        for t, c in palette.items()
    ]
    ax.legend(handles=handles, loc="lower left", fontsize=8, frameon=False)
    metadata = {"Date": None} if fmt == "svg" else {"Software": None}
    with rc_context({"svg.hashsalt": "ctgov-kg"}):
        fig.savefig(out, format=fmt, metadata=metadata)


def html(g: nx.Graph, heading: str) -> str:
    """A self-contained page showing the graph: hover for details, search, drag, zoom."""
    pos = layout(g)
    palette = colours(g)
    data = {
        "title": heading,
        "colours": palette,
        "nodes": [
            {
                "id": n,
                "label": str(d.get("label", n)),
                "caption": caption(n, d),
                "type": str(d.get("type", "")),
                "degree": d["degree"],
                "x": round(pos[n][0], 4),
                "y": round(pos[n][1], 4),
            }
            for n, d in g.nodes(data=True)
        ],
        "edges": [
            {"s": u, "t": v, "w": d["weight"], "p": d.get("predicate", "")}
            for u, v, d in g.edges(data=True)
        ],
    }
    payload = (
        json.dumps(data, ensure_ascii=False)
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
    )
    return _PAGE.replace("__DATA__", payload)


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>ctgov-kg graph</title>
<style>
body { margin: 0; font: 13px system-ui, sans-serif; color: #222; }
header { padding: 8px 12px; border-bottom: 1px solid #ddd; display: flex; gap: 16px;
  align-items: center; flex-wrap: wrap; }
h1 { font-size: 15px; margin: 0; }
#legend span { margin-right: 10px; cursor: pointer; user-select: none; }
#legend span.off { opacity: 0.3; }
#legend i { display: inline-block; width: 10px; height: 10px; border-radius: 5px;
  margin-right: 4px; }
svg { width: 100vw; height: calc(100vh - 48px); display: block; cursor: grab; }
line { stroke: #999; stroke-opacity: 0.5; }
circle { stroke: #fff; stroke-width: 1; }
text { font-size: 9px; pointer-events: none; fill: #333; }
.dim { opacity: 0.12; }
.hit circle { stroke: #000; stroke-width: 2; }
#info { position: fixed; right: 10px; bottom: 10px; max-width: 420px; background: #fff;
  border: 1px solid #ccc; padding: 8px; display: none; word-break: break-all; }
</style>
</head>
<body>
<header><h1 id="title"></h1>
<input id="search" type="search" placeholder="find a node">
<div id="legend"></div></header>
<svg id="view"><g id="stage"></g></svg>
<div id="info"></div>
<script type="application/json" id="data">__DATA__</script>
<script>
"use strict";
const data = JSON.parse(document.getElementById("data").textContent);
const NS = "http://www.w3.org/2000/svg";
const svg = document.getElementById("view"), stage = document.getElementById("stage");
const W = svg.clientWidth || 1400, H = svg.clientHeight || 900;
const info = document.getElementById("info");
document.getElementById("title").textContent = data.title;
const byId = new Map(), nbrs = new Map(), hidden = new Set();
const maxDeg = Math.max(1, ...data.nodes.map(n => n.degree));
function el(name, attrs, parent) {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  parent.appendChild(e);
  return e;
}
const edgeLayer = el("g", {}, stage), nodeLayer = el("g", {}, stage);
for (const n of data.nodes) {
  n.px = 40 + n.x * (W - 80); n.py = 30 + (1 - n.y) * (H - 60);
  nbrs.set(n.id, new Set()); byId.set(n.id, n);
}
for (const e of data.edges) {
  nbrs.get(e.s).add(e.t); nbrs.get(e.t).add(e.s);
  e.el = el("line", {"stroke-width": 0.6 + Math.min(e.w, 5) * 0.5}, edgeLayer);
}
for (const n of data.nodes) {
  n.g = el("g", {}, nodeLayer);
  n.c = el("circle", {r: 3 + 11 * Math.sqrt(n.degree / maxDeg),
                      fill: data.colours[n.type] || "#888"}, n.g);
  n.t = el("text", {"text-anchor": "middle"}, n.g);
  n.t.textContent = n.caption;
  n.g.addEventListener("mouseenter", () => focus(n));
  n.g.addEventListener("mouseleave", () => focus(null));
  n.g.addEventListener("mousedown", ev => { ev.stopPropagation(); dragging = n; });
}
function place() {
  for (const n of data.nodes) {
    n.c.setAttribute("cx", n.px); n.c.setAttribute("cy", n.py);
    n.t.setAttribute("x", n.px); n.t.setAttribute("y", n.py + 14);
  }
  for (const e of data.edges) {
    const a = byId.get(e.s), b = byId.get(e.t);
    e.el.setAttribute("x1", a.px); e.el.setAttribute("y1", a.py);
    e.el.setAttribute("x2", b.px); e.el.setAttribute("y2", b.py);
  }
}
function focus(n) {
  for (const m of data.nodes) {
    m.g.classList.toggle("dim", !!n && m !== n && !nbrs.get(n.id).has(m.id));
    m.g.style.display = hidden.has(m.type) ? "none" : "";
  }
  for (const e of data.edges) {
    e.el.classList.toggle("dim", !!n && e.s !== n.id && e.t !== n.id);
    const off = hidden.has(byId.get(e.s).type) || hidden.has(byId.get(e.t).type);
    e.el.style.display = off ? "none" : "";
  }
  info.style.display = n ? "block" : "none";
  if (n) info.textContent = n.label + "\\n" + n.type + ", degree " + n.degree + "\\n" + n.id;
}
info.style.whiteSpace = "pre-wrap";
const legend = document.getElementById("legend");
for (const [type, colour] of Object.entries(data.colours)) {
  const s = document.createElement("span"), dot = document.createElement("i");
  dot.style.background = colour; s.appendChild(dot); s.appendChild(document.createTextNode(type));
  s.addEventListener("click", () => {
    hidden.has(type) ? hidden.delete(type) : hidden.add(type);
    s.classList.toggle("off"); focus(null);
  });
  legend.appendChild(s);
}
document.getElementById("search").addEventListener("input", ev => {
  const q = ev.target.value.trim().toLowerCase();
  for (const n of data.nodes) {
    const hit = q && (n.label.toLowerCase().includes(q) || n.id.toLowerCase().includes(q));
    n.g.classList.toggle("hit", !!hit);
  }
});
let view = {x: 0, y: 0, k: 1}, panning = null, dragging = null;
function apply() {
  stage.setAttribute("transform", `translate(${view.x},${view.y}) scale(${view.k})`);
}
function point(ev) {
  const r = svg.getBoundingClientRect();
  return {x: (ev.clientX - r.left - view.x) / view.k, y: (ev.clientY - r.top - view.y) / view.k};
}
svg.addEventListener("wheel", ev => {
  ev.preventDefault();
  const p = point(ev), f = ev.deltaY < 0 ? 1.15 : 1 / 1.15;
  view.x -= p.x * view.k * (f - 1); view.y -= p.y * view.k * (f - 1); view.k *= f; apply();
}, {passive: false});
svg.addEventListener("mousedown", ev => {
  panning = {x: ev.clientX - view.x, y: ev.clientY - view.y};
});
window.addEventListener("mousemove", ev => {
  if (dragging) { const p = point(ev); dragging.px = p.x; dragging.py = p.y; place(); }
  else if (panning) { view.x = ev.clientX - panning.x; view.y = ev.clientY - panning.y; apply(); }
});
window.addEventListener("mouseup", () => { panning = null; dragging = null; });
place();
</script>
</body>
</html>
"""
