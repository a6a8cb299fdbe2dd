"""kg.validate and kg validate: the real records conform, the cut-down fixtures and hand-broken
records fail as a curator expects, and the findings do not depend on how studies are batched."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path

import pytest
import rdflib
from conftest import CTGOV, PARTIAL, SEED, load_record
from rdflib.namespace import RDF, SH

import kg
from kg.cli import main
from kg.errors import InputError
from kg.export import as_graph
from kg.namespaces import CTG, ORG, STUDY
from kg.sinks import DatasetSink

SHAPES = "https://w3id.org/ctgov-kg/shapes#"


@cache
def everything() -> kg.KnowledgeGraph:
    """Every real record beside the repository and the seed, cut-down fixtures included."""
    return kg.build([CTGOV, SEED])


@cache
def report() -> kg.ValidationReport:
    return everything().validate(jobs=2)


def _graph(*records: dict) -> kg.KnowledgeGraph:
    sink = DatasetSink()
    for record in records:
        sink.add(kg.map_record(record))
    return kg.KnowledgeGraph(sink.dataset)


def _violations(found: kg.ValidationReport) -> list[tuple]:
    return sorted(
        (r.nct_id, r.shape.removeprefix(SHAPES), r.focus.removeprefix(STUDY), r.path)
        for r in found.results
        if r.severity == "Violation"
    )


# --- the real records ----------------------------------------------------------------------


def test_every_complete_real_record_and_the_seed_conforms():
    studies = set(everything().studies())
    assert len(studies) == 15 and "NCT07366658" in studies
    assert report().studies == 15
    assert set(report().invalid_studies()) == PARTIAL


def test_the_cut_down_fixtures_fail_with_exactly_what_they_lack():
    expected = [
        (nct, f"Study-{field}", nct, CTG + field)
        for nct in sorted(PARTIAL)
        for field in ("condition", "leadSponsor", "overallStatus", "studyType")
    ]
    assert _violations(report()) == expected
    messages = {r.shape.removeprefix(SHAPES): r.message for r in report().results}
    assert messages["Study-leadSponsor"].startswith("A study has exactly one lead sponsor")
    assert "one of the API v2 Status values" in messages["Study-overallStatus"]


def test_the_real_records_have_only_the_expected_warnings_and_hints():
    others = {(r.nct_id, r.shape.removeprefix(SHAPES), r.severity) for r in report().results}
    others -= {(n, s, "Violation") for n, s, *_ in _violations(report())}
    assert others == {
        ("NCT00465816", "PostedResultsPresent", "Warning"),  # cut down: hasResults, no results
        ("NCT00465816", "ConditionMeshHint", "Info"),
        ("NCT03453554", "ConditionMeshHint", "Info"),
        ("NCT04207047", "ConditionMeshHint", "Info"),  # it has no conditionBrowseModule
        ("NCT04267848", "LocationCoordinatesHint", "Info"),
    }
    assert not report().conforms


# --- hand-broken records -------------------------------------------------------------------


def _broken(change) -> kg.ValidationReport:
    record = copy.deepcopy(load_record("NCT03418623"))
    change(record["protocolSection"])
    return _graph(record).validate()


@pytest.mark.parametrize(
    ("change", "shape", "path", "value", "message"),
    [
        (
            lambda p: p["sponsorCollaboratorsModule"].pop("leadSponsor"),
            "Study-leadSponsor",
            "leadSponsor",
            None,
            "A study has exactly one lead sponsor",
        ),
        (
            lambda p: p["statusModule"]["startDateStruct"].update(date="2018-02-30"),
            "Study-startDate",
            "startDate",
            "2018-02-30",
            "a date such as 2024-01-31, a year and month such as 2024-01, or a year",
        ),
        (
            lambda p: p["identificationModule"].update(nctId="NCT123"),
            "Study-nctId",
            "nctId",
            "NCT123",
            "'NCT' followed by eight digits",
        ),
        (
            lambda p: p["designModule"].update(phases=["PHASE2", "PHASE9"]),
            "Study-phase",
            "phase",
            "PHASE9",
            "one of the API v2 Phase values: EARLY_PHASE1, NA, PHASE1",
        ),
        (
            lambda p: p["designModule"]["enrollmentInfo"].update(count=-3),
            "Study-enrollmentCount",
            "enrollmentCount",
            "-3",
            "a whole number, not negative",
        ),
    ],
    ids=["no-lead-sponsor", "bad-date", "NCT123", "unknown-phase", "negative-enrollment"],
)
def test_a_hand_broken_record_fails_with_the_right_message(change, shape, path, value, message):
    found = _broken(change)
    violations = [r for r in found.results if r.severity == "Violation"]
    assert len(violations) == 1, violations
    row = violations[0]
    nct = "NCT123" if shape == "Study-nctId" else "NCT03418623"
    assert (row.nct_id, row.focus, row.shape, row.path, row.value) == (
        nct,
        STUDY + nct,
        SHAPES + shape,
        CTG + path,
        value,
    )
    assert message in row.message
    assert not found.conforms and found.invalid_studies() == [nct]


# --- batches, parallel workers, graphs without names ---------------------------------------


@cache
def small() -> kg.KnowledgeGraph:
    """Four studies, one broken, two naming the same sponsor."""
    records = [copy.deepcopy(load_record(n)) for n in ("NCT03418623", "NCT00973089", "NCT07366658")]
    records.append(copy.deepcopy(records[0]))
    records[3]["protocolSection"]["identificationModule"]["nctId"] = "NCT90000001"
    records[3]["protocolSection"]["statusModule"]["overallStatus"] = "DONE"
    return _graph(*records)


def test_findings_do_not_depend_on_batches_or_workers():
    one = small().validate()
    assert len(one.results) > 0 and one.studies == 4
    for options in ({"batch_size": 1}, {"batch_size": 3, "jobs": 2}, {"batch_size": 1, "jobs": 3}):
        again = small().validate(**options)
        assert again.results == one.results, options
        assert len(again.graph) == len(one.graph)


def test_a_graph_without_graph_names_is_split_into_the_same_studies():
    from_dataset = small().validate()
    from_union = kg.validate(small().union(), batch_size=2)
    assert from_union.results == from_dataset.results
    assert from_union.studies == 4


def test_records_validated_as_they_are_read_give_the_same_findings(all_records):
    streamed = kg.validate(
        (r for r in kg.records([CTGOV, SEED]) if isinstance(r, kg.Record)), jobs=2, batch_size=4
    )
    # the API page repeats NCT05147467: validated once
    assert streamed.studies == 15 and streamed.errors == []
    assert streamed.results == report().results
    broken = kg.validate([{"protocolSection": {}}, all_records["NCT03418623"]])
    assert broken.studies == 1 and [e.path for e in broken.errors] == [
        "$.protocolSection.identificationModule.nctId"
    ]


def test_shared_nodes_kept_apart_as_in_an_oxigraph_store_are_joined_to_their_studies(tmp_path):
    store = kg.OxigraphStore.open(tmp_path / "store", create=True)
    store.build([CTGOV / "NCT03418623.json", CTGOV / "NCT03453554.json"])
    copied = as_graph(store)
    assert len(list(copied.dataset.graphs())) > 3  # the studies, the shared nodes, default
    found = copied.validate(batch_size=1)
    built = kg.build([CTGOV / "NCT03418623.json", CTGOV / "NCT03453554.json"]).validate()
    assert found.results == built.results and found.studies == 2


def test_each_studys_named_graph_holds_the_types_of_the_nodes_it_links_to():
    dataset = everything().dataset
    for graph in dataset.graphs():
        if graph.identifier == rdflib.graph.DATASET_DEFAULT_GRAPH_ID:
            continue
        for _, p, o in graph:
            if isinstance(o, rdflib.URIRef) and p != RDF.type:
                typed_here = graph.value(o, RDF.type) is not None
                assert typed_here or dataset.value(o, RDF.type) is None, (graph.identifier, o)


def test_a_finding_on_a_shared_node_belongs_to_the_studies_that_state_it():
    one, two = copy.deepcopy(load_record("NCT03418623")), copy.deepcopy(load_record("NCT03418623"))
    two["protocolSection"]["identificationModule"]["nctId"] = "NCT90000002"
    two["protocolSection"]["sponsorCollaboratorsModule"]["leadSponsor"]["class"] = "BOGUS"
    found = _graph(one, two).validate(batch_size=2)
    rows = [r for r in found.results if r.shape == SHAPES + "Organization-agencyClass"]
    assert [(r.nct_id, r.value) for r in rows] == [("NCT90000002", "BOGUS")]
    assert rows[0].focus.startswith(ORG)
    assert len(list(found.graph.objects(None, SH.result))) == 1


# --- the report ----------------------------------------------------------------------------


def test_the_report_reads_as_text_json_and_rdf():
    found = small().validate()
    text = found.text()
    assert "NCT90000001: 1 violation" in text
    assert "Violation ctgsh:Study-overallStatus: A study has exactly one overall status" in text
    assert "study:NCT90000001  path ctg:overallStatus  value 'DONE'" in text
    assert text.rstrip().endswith(
        "4 studies validated, 1 with violations; 1 violation, 0 warnings, 0 infos: does not conform"
    )
    data = json.loads(found.to_json())
    assert data["conforms"] is False and data["counts"]["Violation"] == 1
    assert data["results"][0]["nct_id"] == "NCT90000001"
    graph = rdflib.Graph().parse(data=found.serialize("turtle"), format="turtle")
    report_node = graph.value(None, RDF.type, SH.ValidationReport, any=False)
    assert graph.value(report_node, SH.conforms) == rdflib.Literal(False)
    results = list(graph.objects(report_node, SH.result))
    assert len(results) == 1
    assert graph.value(results[0], SH.sourceShape) == rdflib.URIRef(SHAPES + "Study-overallStatus")
    assert graph.value(results[0], SH.resultSeverity) == SH.Violation
    jsonld = rdflib.Graph().parse(data=found.serialize("json"), format="json-ld")
    assert len(jsonld) == len(graph)


def test_the_report_is_the_same_bytes_every_time():
    assert small().validate().serialize("turtle") == small().validate(jobs=2).serialize("turtle")


def test_options_are_checked():
    with pytest.raises(ValueError, match="inference"):
        small().validate(inference="magic")
    with pytest.raises(ValueError, match="batch_size"):
        small().validate(batch_size=0)
    with pytest.raises(InputError, match="no shapes"):
        small().validate(shapes=Path(__file__).parent)


def test_rdfs_inference_on_request_finds_the_same():
    graph = _graph(copy.deepcopy(load_record("NCT03418623")))
    assert graph.validate(inference="rdfs").results == graph.validate().results


# --- the command line ----------------------------------------------------------------------


def test_kg_validate_exit_codes(tmp_path, capsys):
    assert main(["validate", str(CTGOV / "NCT03418623.json")]) == 0
    assert "1 study validated, 0 with violations" in capsys.readouterr().out
    assert main(["validate", str(CTGOV / "NCT03453554.json"), "-j", "1"]) == 1
    assert "NCT03453554: 4 violations" in capsys.readouterr().out
    assert main(["validate", str(tmp_path / "missing.ttl")]) == 2
    (tmp_path / "bad.ttl").write_text("this is not turtle <", encoding="utf-8")
    assert main(["validate", str(tmp_path / "bad.ttl")]) == 2
    assert "not turtle" in capsys.readouterr().err
    assert main(["validate"]) == 2
    (tmp_path / "no-id.json").write_text('{"protocolSection": {}}', encoding="utf-8")
    assert main(["validate", str(tmp_path / "no-id.json"), str(CTGOV / "NCT03418623.json")]) == 1
    assert "no-id.json: (no NCT ID)" in capsys.readouterr().out


def test_kg_validate_reads_rdf_and_writes_the_report_graph(tmp_path, capsys):
    small().serialize(tmp_path / "small.nq")
    small().serialize(tmp_path / "small.ttl")
    for name in ("small.nq", "small.ttl"):
        assert main(["validate", str(tmp_path / name), "--format", "turtle"]) == 1
        graph = rdflib.Graph().parse(data=capsys.readouterr().out, format="turtle")
        assert len(list(graph.subjects(RDF.type, SH.ValidationResult))) == 1


def test_kg_validate_with_other_shapes(tmp_path, capsys):
    (tmp_path / "only.ttl").write_text(
        """@prefix sh: <http://www.w3.org/ns/shacl#> .
        @prefix ctg: <https://w3id.org/ctgov-kg/vocab#> .
        <urn:x:acronym> a sh:PropertyShape ; sh:targetClass ctg:Study ; sh:path ctg:acronym ;
            sh:minCount 1 ; sh:message "Every study needs an acronym here."@en .
        """,
        encoding="utf-8",
    )
    args = ["validate", str(CTGOV / "NCT03418623.json"), "--shapes", str(tmp_path)]
    assert main(args) == 1
    assert "Every study needs an acronym here." in capsys.readouterr().out


def test_kg_build_validate_keeps_invalid_studies(tmp_path, capsys):
    out = tmp_path / "out.nq"
    args = ["build", str(CTGOV / "NCT03453554.json"), str(CTGOV / "NCT03418623.json")]
    assert main([*args, "-o", str(out), "--validate", "-q"]) == 1
    assert "NCT03453554: 4 violations" in capsys.readouterr().out
    written = rdflib.Dataset(default_union=True)
    written.parse(out, format="nquads")
    assert (rdflib.URIRef(STUDY + "NCT03453554"), RDF.type, rdflib.URIRef(CTG + "Study")) in written
    assert main([*args, "-o", "-", "--validate"]) == 2
