"""``kg stats`` figures from the real records, and ``kg plot`` pictures (PNG, SVG, HTML)."""

from __future__ import annotations

import json
import re
import struct
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import rdflib
from conftest import CTGOV, SEED

import kg
from kg.cli import main
from kg.graph import KnowledgeGraph
from kg.namespaces import CTG, LABEL, STUDY, TYPE
from kg.stats import format_stats

ROOT = Path(__file__).resolve().parents[1]
NCI = "https://w3id.org/ctgov-kg/organization/national-cancer-institute-nci"


@pytest.fixture(scope="module")
def graph() -> KnowledgeGraph:
    return kg.build([CTGOV, SEED])


@pytest.fixture(scope="module")
def figures(graph):
    return graph.stats(view="sponsor-collaboration", top=5)


def test_stats_count_classes_and_properties(graph, figures):
    union = graph.union()
    assert figures.triples == len(union)
    assert figures.studies == 15
    assert figures.classes["ctg:Study"] == 15
    assert figures.classes["ctg:Location"] == len(
        set(union.subjects(rdflib.RDF.type, rdflib.URIRef(CTG + "Location")))
    )
    assert figures.properties["ctg:leadSponsor"] == 13
    assert sum(figures.properties.values()) == figures.triples


def test_stats_rank_sponsors_conditions_interventions_and_mesh_branches(figures):
    assert (figures.sponsors[0].id, figures.sponsors[0].studies) == (NCI, 2)
    assert (figures.interventions[0].label, figures.interventions[0].studies) == ("Placebo", 4)
    assert figures.mesh_branches[0].label == "All Conditions"
    assert figures.mesh_branches[0].studies == 11
    assert len(figures.conditions) == 5


def test_stats_shape_of_a_view(figures):
    shape = figures.shape
    assert (shape.view, shape.nodes, shape.edges) == ("sponsor-collaboration", 26, 30)
    assert sum(shape.degrees.values()) == shape.nodes
    # NCT02299791's six organizations form the largest group
    assert shape.largest_component == 6
    assert shape.components == 12


def test_stats_table_and_json(figures):
    table = format_stats(figures, rows=3)
    assert "studies" in table and "National Cancer Institute (NCI)" in table
    assert re.search(r"View sponsor-collaboration: 26 nodes, 30 edges, 12 connected", table)
    assert "... " in table and "more (--format json lists them all)" in table
    data = json.loads(json.dumps(figures.to_dict()))
    assert data["interventions"][0] == {
        "id": "https://w3id.org/ctgov-kg/intervention/placebo",
        "label": "Placebo",
        "studies": 4,
    }


def test_kg_stats_prints_json_and_table(capsys):
    assert main(["stats", str(CTGOV), str(SEED), "--format", "json", "--view", "mesh"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["studies"] == 15 and data["shape"]["view"] == "mesh"
    assert main(["stats", str(SEED)]) == 0
    out = capsys.readouterr().out
    assert "Cancer Institute and Hospital, Chinese Academy of Medical Sciences" in out
    assert "Neuroendocrine Tumors" in out


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_kg_plot_writes_a_png(tmp_path):
    out = tmp_path / "g.png"
    assert main(["plot", str(CTGOV), str(SEED), "--view", "study-sponsor", "-o", str(out)]) == 0
    width, height = _png_size(out.read_bytes())
    assert width >= 1000 and height >= 700
    assert out.stat().st_size > 20_000


def test_plot_svg_is_xml_and_the_same_every_time(graph, tmp_path):
    a = graph.plot(tmp_path / "a.svg", view="sponsor-collaboration")
    b = graph.plot(tmp_path / "b.svg", view="sponsor-collaboration")
    root = ET.parse(a).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    text = a.read_text("utf-8")
    assert "Neukio Biotherapeutics" in text
    assert text == b.read_text("utf-8")


def test_plot_html_is_self_contained_and_shows_the_nodes(graph, tmp_path):
    out = graph.plot(tmp_path / "g.html", view="sponsor-collaboration", top=10)
    page = out.read_text("utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    payload = re.search(r'<script type="application/json" id="data">(.*?)</script>', page, re.S)
    data = json.loads(payload.group(1))
    # the ten best connected: NCT02299791's six organizations (degree 5), then four of five
    assert len(data["nodes"]) == 10
    kaiser = next(n for n in data["nodes"] if n["label"] == "Kaiser Permanente")
    assert kaiser["degree"] == 5 and kaiser["type"] == "Organization"
    assert NCI not in {n["id"] for n in data["nodes"]}
    assert all(0 <= n["x"] <= 1 and 0 <= n["y"] <= 1 for n in data["nodes"])


def test_plot_html_keeps_hostile_labels_inert(tmp_path):
    ds = rdflib.Dataset(default_union=True)
    g = ds.graph(rdflib.URIRef("https://w3id.org/ctgov-kg/graph/NCT00000001"))
    study = rdflib.URIRef(STUDY + "NCT00000001")
    g.add((study, rdflib.URIRef(TYPE), rdflib.URIRef(CTG + "Study")))
    g.add((study, rdflib.URIRef(LABEL), rdflib.Literal("</script><script>alert(1)</script>&")))
    out = KnowledgeGraph(ds).plot(tmp_path / "g.html", view="full")
    page = out.read_text("utf-8")
    assert page.count("</script>") == 2
    assert "alert(1)" in page and "<script>alert" not in page


def test_plot_refuses_other_picture_formats(graph, tmp_path):
    with pytest.raises(ValueError, match="draw to one of"):
        graph.plot(tmp_path / "g.jpg")
    assert main(["plot", str(SEED), "-o", str(tmp_path / "g.pdf")]) == 2
    assert list(tmp_path.iterdir()) == []


def test_readme_shows_the_picture_of_the_records():
    picture = ROOT / "docs" / "graph.png"
    width, _ = _png_size(picture.read_bytes())
    assert width >= 1000
    assert "docs/graph.png" in (ROOT / "README.md").read_text("utf-8")
