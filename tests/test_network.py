"""networkx views of the real records, and the files Gephi, Cytoscape and networkx read back."""

from __future__ import annotations

import json

import networkx as nx
import pytest
from conftest import CTGOV, SEED

import kg
from kg.cli import main
from kg.graph import KnowledgeGraph
from kg.namespaces import STUDY
from kg.network import NETWORK_FORMATS, VIEWS, read_network, to_networkx, write_network

ORG = "https://w3id.org/ctgov-kg/organization/"
SEED_STUDY = STUDY + "NCT07366658"
LEAD = ORG + "cancer-institute-and-hospital-chinese-academy-of-medical-sciences"
NEUKIO = ORG + "neukio-biotherapeutics-shanghai-co-ltd"
NCI = ORG + "national-cancer-institute-nci"
MESH = "http://id.nlm.nih.gov/mesh/"


@pytest.fixture(scope="module")
def graph() -> KnowledgeGraph:
    return kg.build([CTGOV, SEED])


@pytest.fixture(scope="module")
def views(graph) -> dict[str, nx.Graph]:
    return {name: to_networkx(graph, name) for name in VIEWS}


def _edges(g: nx.Graph) -> list:
    if g.is_multigraph():
        return sorted((u, v, k, sorted(d.items())) for u, v, k, d in g.edges(keys=True, data=True))
    if g.is_directed():
        return sorted((u, v, sorted(d.items())) for u, v, d in g.edges(data=True))
    return sorted((*sorted((u, v)), sorted(d.items())) for u, v, d in g.edges(data=True))


@pytest.mark.parametrize("to", NETWORK_FORMATS)
@pytest.mark.parametrize("view", VIEWS)
def test_each_view_round_trips_through_each_file_format(views, tmp_path, view, to):
    g = views[view]
    path = write_network(g, tmp_path / f"{view}{NETWORK_FORMATS[to]}", to)
    back = read_network(path, to)
    assert type(back) is type(g)
    assert dict(back.nodes(data=True)) == dict(g.nodes(data=True))
    assert _edges(back) == _edges(g)


def test_graphml_and_gexf_keep_attribute_types(views, tmp_path):
    g = views["full"]
    for to in ("graphml", "gexf"):
        back = read_network(write_network(g, tmp_path / f"full.{to}", to), to)
        seed = back.nodes[SEED_STUDY]
        assert seed["ctg:enrollmentCount"] == 9 and type(seed["ctg:enrollmentCount"]) is int
        assert seed["ctg:hasResults"] is False
        assert seed["type"] == "Study"


def test_gexf_date_is_the_build_date_not_today(views, tmp_path):
    path = write_network(views["mesh"], tmp_path / "mesh.gexf", "gexf", date="2026-01-01")
    assert 'lastmodifieddate="2026-01-01"' in path.read_text("utf-8")


def test_full_view_has_every_resource_and_literals_as_attributes(views):
    g = views["full"]
    seed = g.nodes[SEED_STUDY]
    assert seed["type"] == "Study"
    assert seed["rdf:type"] == "ctg:Study | schema:MedicalTrial"
    assert seed["label"].startswith("Safety, Tolerability and Preliminary Efficacy of NEUK203-13")
    assert seed["ctg:acronym"] == "NEUK203-13"
    assert g.has_edge(SEED_STUDY, LEAD, key="ctg:leadSponsor")
    assert g.has_edge(SEED_STUDY, LEAD, key="ctg:organization")
    assert g.edges[SEED_STUDY, NEUKIO, "ctg:collaborator"]["predicate"] == "ctg:collaborator"
    eligibility = g.nodes[SEED_STUDY + "/eligibility"]
    assert eligibility["ctg:stdAge"] == "ADULT | OLDER_ADULT"
    assert eligibility["ctg:minimumAge"] == "P18Y"
    assert g.has_edge(MESH + "D018358", MESH + "D009369", key="ctg:meshAncestor")
    # one type per attribute name, as GraphML and GEXF declare one
    kinds: dict[str, set[type]] = {}
    for _, data in g.nodes(data=True):
        for key, value in data.items():
            kinds.setdefault(key, set()).add(type(value))
    assert all(len(k) == 1 for k in kinds.values())


def test_overview_keeps_studies_and_shared_nodes_only(views):
    g = views["overview"]
    assert not [n for n in g if n.startswith(SEED_STUDY + "/")]
    assert g.has_edge(SEED_STUDY, "https://w3id.org/ctgov-kg/condition/neuroendocrine-tumors")
    assert g.has_edge(SEED_STUDY, LEAD, key="ctg:leadSponsor")
    assert {g.nodes[n]["type"] for n in g} >= {"Study", "Organization", "Condition", "Descriptor"}


def test_study_sponsor_links_the_seed_to_its_sponsor_and_collaborator(views):
    g = views["study-sponsor"]
    assert nx.is_bipartite(g)
    assert g.nodes[SEED_STUDY]["bipartite"] == 0 and g.nodes[LEAD]["bipartite"] == 1
    assert g.edges[SEED_STUDY, LEAD]["predicate"] == "ctg:leadSponsor"
    assert g.edges[SEED_STUDY, NEUKIO]["predicate"] == "ctg:collaborator"
    assert g.nodes[NEUKIO]["agencyClass"] == "INDUSTRY"
    assert set(g[NCI]) == {STUDY + "NCT04267848", STUDY + "NCT03281889"}
    # the cut-down fixtures have no sponsors module: their studies stand alone
    assert g.degree(STUDY + "NCT00465816") == 0


def test_sponsor_collaboration_links_organizations_that_share_studies(views):
    g = views["sponsor-collaboration"]
    edge = g.edges[LEAD, NEUKIO]
    assert edge["weight"] == 1 and edge["studies"] == "NCT07366658"
    assert g.nodes[NCI]["studies"] == 2 and g.nodes[NCI]["leadSponsor"] == 1
    kaiser = ORG + "kaiser-permanente"
    # NCT02299791: Kaiser Permanente and its five collaborators, all linked to each other
    team = {kaiser, *g[kaiser]}
    assert len(team) == 6
    assert g.subgraph(team).number_of_edges() == 15


def test_condition_intervention_weights_by_shared_studies(views):
    g = views["condition-intervention"]
    placebo = "https://w3id.org/ctgov-kg/intervention/placebo"
    assert g.nodes[placebo]["studies"] == 4
    assert g.nodes[placebo]["label"] == "Placebo"
    tumours = "https://w3id.org/ctgov-kg/condition/neuroendocrine-tumors"
    (seed_product,) = g[tumours]
    assert g.nodes[seed_product]["interventionType"] == "BIOLOGICAL"
    edge = g.edges[tumours, seed_product]
    assert edge["weight"] == 1 and edge["studies"] == "NCT07366658"
    assert edge["predicate"] == "^ctg:condition/ctg:intervention"
    assert nx.is_bipartite(g)


def test_mesh_view_links_terms_to_their_ancestors(views):
    g = views["mesh"]
    assert g.is_directed()
    node = g.nodes[MESH + "D018358"]
    assert (node["label"], node["type"], node["meshId"]) == (
        "Neuroendocrine Tumors",
        "Descriptor",
        "D018358",
    )
    assert node["role"] == "condition" and node["studies"] == 1
    assert set(g.successors(MESH + "D018358")) == {
        MESH + d for d in ("D009369", "D009370", "D009373", "D009380", "D017599")
    }
    assert g.nodes[MESH + "D009369"]["label"] == "Neoplasms"


def test_views_come_from_the_graph_method_and_unknown_views_are_refused(graph):
    assert graph.to_networkx("mesh").graph["view"] == "mesh"
    with pytest.raises(ValueError, match="unknown view"):
        graph.to_networkx("nope")


def test_kg_export_writes_a_view_networkx_loads(tmp_path):
    out = tmp_path / "sponsors.graphml"
    argv = ["export", str(CTGOV), str(SEED), "--view", "sponsor-collaboration", "-o", str(out)]
    assert main(argv) == 0
    g = nx.read_graphml(out)
    assert g.edges[LEAD, NEUKIO]["weight"] == 1
    cy = tmp_path / "sponsors.cyjs"
    assert main([*argv[:-1], str(cy)]) == 0
    data = json.loads(cy.read_text("utf-8"))
    names = {n["data"]["name"] for n in data["elements"]["nodes"]}
    assert "Neukio Biotherapeutics (Shanghai) Co., Ltd." in names
