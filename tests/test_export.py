"""``kg export`` to RDF: every format parses back to the same graph; streamed, atomic, JSON-LD
with the shipped context and framed per study; the VoID/DCAT description."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import pytest
import rdflib
from conftest import CTGOV, SEED, load_record
from rdflib.compare import isomorphic
from rdflib.namespace import OWL, RDF

import kg
from kg.cli import main
from kg.export import as_graph, check_options, describe, format_for_path, write_lines
from kg.graph import KnowledgeGraph
from kg.jsonld import context
from kg.namespaces import CTG, GRAPH, MESHV, STUDY
from kg.resources import ONTOLOGY
from kg.store import OxigraphStore

SEED_STUDY = STUDY + "NCT07366658"
LEAD = (
    "https://w3id.org/ctgov-kg/organization/"
    "cancer-institute-and-hospital-chinese-academy-of-medical-sciences"
)
VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
DCT = rdflib.Namespace("http://purl.org/dc/terms/")
DATASET = rdflib.URIRef("https://w3id.org/ctgov-kg/dataset")


@pytest.fixture(scope="module")
def graph() -> KnowledgeGraph:
    return kg.build([CTGOV, SEED])


@pytest.fixture(scope="module")
def union(graph) -> rdflib.Graph:
    return graph.union()


def _named_graphs(ds: rdflib.Dataset) -> dict[str, rdflib.Graph]:
    return {str(g.identifier): g for g in ds.graphs() if len(g)}


def _same_dataset(a: rdflib.Dataset, b: rdflib.Dataset) -> bool:
    ga, gb = _named_graphs(a), _named_graphs(b)
    return ga.keys() == gb.keys() and all(isomorphic(ga[k], gb[k]) for k in ga)


@pytest.mark.parametrize(("to", "parser"), [("ttl", "turtle"), ("nt", "nt"), ("rdfxml", "xml")])
def test_triple_formats_parse_back_to_the_same_graph(graph, union, tmp_path, to, parser):
    out = graph.export(tmp_path / "all.out", to=to)
    back = rdflib.Graph().parse(out, format=parser)
    assert len(back) == len(union) > 38_000
    assert isomorphic(back, union)


@pytest.mark.parametrize(
    ("to", "parser"), [("nq", "nquads"), ("trig", "trig"), ("jsonld", "json-ld")]
)
def test_quad_formats_keep_every_study_graph(graph, tmp_path, to, parser):
    out = graph.export(tmp_path / f"all.{to}")
    back = rdflib.Dataset()
    back.parse(out, format=parser)
    assert GRAPH + "NCT07366658" in _named_graphs(back)
    assert _same_dataset(back, graph.dataset)


def test_n_triples_and_n_quads_stream_without_copying_the_graph(
    graph, union, tmp_path, monkeypatch
):
    def no_copy():
        raise AssertionError("the streamed formats must not build the union graph")

    monkeypatch.setattr(graph, "union", no_copy)
    nt = graph.export(tmp_path / "all.nt")
    nq = graph.export(tmp_path / "all.nq")
    # shared nodes' triples are repeated in every study graph, but written once as N-Triples
    assert len(nt.read_text("utf-8").splitlines()) == len(union)
    assert len(nq.read_text("utf-8").splitlines()) == sum(1 for _ in graph.quads())


class _Interrupted(KnowledgeGraph):
    """A graph whose quads and studies stop half way, as a Ctrl-C would stop them."""

    def quads(self):
        for i, quad in enumerate(super().quads()):
            if i == 1000:
                raise KeyboardInterrupt
            yield quad

    def studies(self):
        yield from super().studies()[:3]
        raise KeyboardInterrupt


@pytest.mark.parametrize("name", ["all.nq", "all.nt", "all.jsonld"])
def test_an_interrupted_export_leaves_the_old_file_and_no_part_file(graph, tmp_path, name):
    target = tmp_path / name
    target.write_text("before\n")
    broken = _Interrupted(graph.dataset, graph.report)
    with pytest.raises(KeyboardInterrupt):
        broken.export(target, frame=name.endswith(".jsonld"))
    assert target.read_text() == "before\n"
    assert [p.name for p in tmp_path.iterdir()] == [name]


def test_line_writer_escapes_literals_as_n_triples(tmp_path):
    s, p = rdflib.URIRef("https://example.org/s"), rdflib.URIRef("https://example.org/p")
    g = rdflib.URIRef("https://example.org/g")
    quads = [
        (s, p, rdflib.Literal('a "quoted"\nline\\'), g),
        (s, p, rdflib.Literal("P18Y", datatype=rdflib.XSD.duration), g),
        (s, p, rdflib.Literal("chat", lang="fr"), g),
    ]
    out = tmp_path / "x.nq"
    with out.open("wb") as f:
        assert write_lines(quads, f) == 3
    back = rdflib.Dataset()
    back.parse(out, format="nquads")
    assert set(back.quads()) == {(s, p, o, g) for s, p, o, g in quads}


def test_the_shipped_context_is_in_sync_with_the_ontology():
    onto = rdflib.Graph().parse(ONTOLOGY)
    terms = {k: v for k, v in context().items() if not k.startswith("@")}
    checked = 0
    for name, value in terms.items():
        iri = value if isinstance(value, str) else value["@id"]
        if not iri.startswith("ctg:"):
            continue
        subject = rdflib.URIRef(CTG + iri[4:])
        kinds = set(onto.objects(subject, RDF.type))
        assert kinds & {OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty}, iri
        links = isinstance(value, dict) and value.get("@type") == "@id"
        assert links == (OWL.ObjectProperty in kinds), f"{name}: @type @id only on links"
        checked += 1
    assert checked > 150
    for common in ("leadSponsor", "collaborator", "condition", "intervention", "conditionMesh"):
        assert terms[common] == {"@id": f"ctg:{common}", "@type": "@id"}
    assert terms["Study"] == "ctg:Study" and terms["label"] == "rdfs:label"
    assert terms["minimumAge"] == {"@id": "ctg:minimumAge", "@type": "xsd:duration"}
    # vocabulary prefixes only: node ids stay full IRIs
    assert context()["ctg"] == CTG and context()["meshv"] == MESHV
    assert "mesh" not in context() and "study" not in context()


def test_json_ld_reads_as_plain_json(graph, tmp_path):
    out = graph.export(tmp_path / "all.jsonld")
    doc = json.loads(out.read_text("utf-8"))
    assert doc["@context"]["leadSponsor"] == {"@id": "ctg:leadSponsor", "@type": "@id"}
    seed_graph = next(g for g in doc["@graph"] if g["id"] == GRAPH + "NCT07366658")
    study = next(n for n in seed_graph["@graph"] if n["id"] == SEED_STUDY)
    assert "Study" in study["type"]
    assert study["leadSponsor"] == LEAD
    assert study["enrollmentCount"] == 9
    assert study["hasResults"] is False


def test_framed_json_ld_nests_one_document_per_study(graph, tmp_path):
    out = graph.export(tmp_path / "studies.jsonld", frame=True)
    doc = json.loads(out.read_text("utf-8"))
    assert [d["id"] for d in doc["@graph"]] == [STUDY + nct for nct in graph.studies()]
    seed = next(d for d in doc["@graph"] if d["id"] == SEED_STUDY)
    assert seed["leadSponsor"]["label"] == (
        "Cancer Institute and Hospital, Chinese Academy of Medical Sciences"
    )
    assert seed["leadSponsor"]["agencyClass"] == "OTHER"
    assert seed["collaborator"]["label"] == "Neukio Biotherapeutics (Shanghai) Co., Ltd."
    criteria = seed["eligibility"]["criterion"]
    assert [c["position"] for c in criteria] == list(range(1, len(criteria) + 1))
    assert seed["conditionMesh"]["label"] == "Neuroendocrine Tumors"
    # the arm refers to the intervention, which is embedded under the study, not the arm
    assert seed["armGroup"]["usesIntervention"] == seed["intervention"]["id"]


def test_framed_json_ld_parses_back_to_each_study_graph_less_provenance(graph, tmp_path):
    out = graph.export(tmp_path / "studies.jsonld", frame=True)
    back = rdflib.Graph().parse(out, format="json-ld")
    expected = rdflib.Graph()
    for s, p, o, g in graph.quads():
        if s != g:
            expected.add((s, p, o))
    assert len(back) == len(expected) > 37_000
    assert isomorphic(back, expected)


def test_description_counts_the_dataset(graph, union, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    d = describe(graph)
    assert (DATASET, RDF.type, VOID.Dataset) in d
    assert (DATASET, RDF.type, rdflib.URIRef("http://www.w3.org/ns/dcat#Dataset")) in d
    assert d.value(DATASET, VOID.triples).toPython() == len(union)
    assert str(d.value(DATASET, DCT.created)) == "2026-01-01T00:00:00Z"
    assert d.value(DATASET, DCT.source) == rdflib.URIRef("https://clinicaltrials.gov/")
    assert d.value(DATASET, DCT.license) == rdflib.URIRef(
        "https://creativecommons.org/publicdomain/mark/1.0/"
    )
    partitions = {
        str(d.value(part, VOID["class"])): d.value(part, VOID.entities).toPython()
        for part in d.objects(DATASET, VOID.classPartition)
    }
    descriptors = set(union.subjects(RDF.type, rdflib.URIRef(MESHV + "Descriptor")))
    assert partitions[CTG + "Study"] == 15
    assert partitions[CTG + "Organization"] == 29
    assert partitions[MESHV + "Descriptor"] == len(descriptors) > 100


def test_kg_export_describe_writes_turtle(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    out = tmp_path / "void.ttl"
    assert main(["export", str(CTGOV), str(SEED), "--describe", "-o", str(out)]) == 0
    assert '"1970-01-01T00:00:00Z"^^xsd:dateTime' in out.read_text("utf-8")
    d = rdflib.Graph().parse(out)
    assert d.value(DATASET, VOID.classes).toPython() > 50


def test_kg_export_writes_each_rdf_format_from_the_command_line(tmp_path):
    out = tmp_path / "seed.ttl"
    assert main(["export", str(SEED), "--to", "ttl", "-o", str(out)]) == 0
    g = rdflib.Graph().parse(out)
    assert (rdflib.URIRef(SEED_STUDY), rdflib.URIRef(CTG + "leadSponsor"), rdflib.URIRef(LEAD)) in g


@pytest.mark.parametrize("verb", [["export", "-o", "OUT"], ["stats"]])
def test_commands_that_build_print_the_build_warnings_unless_quiet(verb, tmp_path, capsys):
    record = load_record("NCT03418623")
    record["protocolSection"]["statusModule"]["overallStatus"] = "PAUSED_FOR_REVIEW"
    path = tmp_path / "NCT03418623.json"
    path.write_text(json.dumps(record), encoding="utf-8")
    argv = [str(tmp_path / "x.ttl") if a == "OUT" else a for a in verb] + [str(path)]
    assert main(argv) == 0
    warnings = [line for line in capsys.readouterr().err.splitlines() if "warning:" in line]
    assert len(warnings) == 1 and "PAUSED_FOR_REVIEW" in warnings[0]
    assert "overallStatus" in warnings[0] and "NCT03418623" in warnings[0]
    assert main([*argv, "-q"]) == 0
    assert "warning:" not in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--to", "nq", "--frame"], "framing is for the JSON-LD"),
        (["--to", "nq", "--describe"], "the description is one graph"),
        (["--to", "ttl", "--view", "mesh"], "a view is for the networkx formats"),
    ],
)
def test_kg_export_refuses_options_that_do_not_go_together(tmp_path, capsys, argv, message):
    assert main(["export", str(SEED), "-o", str(tmp_path / "x.out"), *argv]) == 2
    assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_output_format_comes_from_the_extension():
    assert format_for_path("a.graphml") == "graphml"
    assert format_for_path(Path("x/b.RDF")) == "rdfxml"
    assert check_options("c.json") == "nodelink"
    with pytest.raises(ValueError, match="no export format"):
        format_for_path("d.csv")
    with pytest.raises(ValueError, match="unknown view"):
        check_options("e.graphml", view="nope")


def test_exports_from_an_oxigraph_store_stream_or_read_it_whole(graph, tmp_path):
    store = OxigraphStore.open(tmp_path / "store", create=True)
    store.build([CTGOV, SEED])
    nq = kg.export(store, tmp_path / "all.nq")
    back = rdflib.Dataset()
    back.parse(nq, format="nquads")
    # the same quads as the store holds (Oxigraph writes decimals in canonical form: 101.0 is 101)
    assert _same_dataset(back, as_graph(store).dataset)
    assert len(nq.read_text("utf-8").splitlines()) == len(store) > 38_000
    nt = kg.export(store, tmp_path / "all.nt")
    assert len(nt.read_text("utf-8").splitlines()) == len(graph.union())
    framed = json.loads(kg.export(store, tmp_path / "f.jsonld", frame=True).read_text("utf-8"))
    seed = next(d for d in framed["@graph"] if d["id"] == SEED_STUDY)
    assert seed["collaborator"]["label"] == "Neukio Biotherapeutics (Shanghai) Co., Ltd."
    path = kg.export(store, tmp_path / "sponsors.graphml", view="sponsor-collaboration")
    neukio = "https://w3id.org/ctgov-kg/organization/neukio-biotherapeutics-shanghai-co-ltd"
    assert nx.read_graphml(path).edges[LEAD, neukio]["studies"] == "NCT07366658"


def test_kg_stats_and_export_read_a_store_made_by_kg_build(tmp_path, capsys):
    store = tmp_path / "store"
    assert main(["build", str(SEED), "--store", str(store)]) == 0
    out = tmp_path / "seed.ttl"
    assert main(["export", "--store", str(store), "-o", str(out)]) == 0
    g = rdflib.Graph().parse(out)
    assert (rdflib.URIRef(SEED_STUDY), rdflib.URIRef(CTG + "leadSponsor"), rdflib.URIRef(LEAD)) in g
    capsys.readouterr()
    assert main(["stats", "--store", str(store), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["studies"] == 1
    assert main(["stats", "--store", str(store), str(SEED)]) == 2
    assert "not both" in capsys.readouterr().err


def test_control_characters_in_a_record_leave_the_xml_exports_well_formed(tmp_path):
    record = json.loads((CTGOV / "NCT02552212.json").read_text(encoding="utf-8"))
    record["protocolSection"]["identificationModule"]["briefTitle"] = "form\ffeed\x0b\x01"
    record["protocolSection"]["sponsorCollaboratorsModule"]["leadSponsor"]["name"] = "A\x02B"
    path = tmp_path / "record.json"
    path.write_text(json.dumps(record), encoding="utf-8")
    for name in ("x.rdf", "x.graphml", "x.gexf"):
        assert main(["export", str(path), "-o", str(tmp_path / name)]) == 0
    parsed = rdflib.Graph().parse(tmp_path / "x.rdf", format="xml")
    titles = set(parsed.objects(None, rdflib.URIRef(CTG + "briefTitle")))
    assert titles == {rdflib.Literal("form\ufffdfeed\ufffd\ufffd")}
    labels = {d.get("label") for _, d in nx.read_graphml(tmp_path / "x.graphml").nodes(data=True)}
    assert "A\ufffdB" in labels
    assert nx.read_gexf(tmp_path / "x.gexf").number_of_nodes() > 0
