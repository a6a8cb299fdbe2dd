"""Every query of the library: its grlc header, its answer on the real records, on every store.

Each query runs on rdflib, on Oxigraph and through a SPARQL endpoint, and must give the same
bytes; its concrete answers on the real records are checked on rdflib and Oxigraph.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pyoxigraph as ox
import pytest
import yaml
from conftest import CTGOV, SEED, load_record
from query_stores import cells, endpoint, oxigraph_store, rdflib_graph, triples

import kg
from kg import sparql
from kg.cli import main
from kg.library import decorators, library
from kg.params import GRLC_VARIABLE
from kg.resources import queries_dir

NAMES = sorted(p.stem for p in queries_dir().glob("*.rq"))
MESH = "http://id.nlm.nih.gov/mesh/"
STUDY = "https://w3id.org/ctgov-kg/study/"


@pytest.fixture(scope="module")
def stores() -> dict[str, object]:
    return {"rdflib": rdflib_graph(), "oxigraph": oxigraph_store()}


@pytest.fixture(params=["rdflib", "oxigraph"])
def store(request, stores):
    return stores[request.param]


def test_the_library_has_at_least_twenty_queries():
    assert len(NAMES) >= 20
    assert [q.name for q in kg.queries()] == NAMES


# --- headers --------------------------------------------------------------------------------


def _plain(value):
    """YAML's typed scalars (dates, numbers, booleans) as the text our reader keeps."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return str(value)


@pytest.mark.parametrize("name", NAMES)
def test_header_reads_the_same_as_grlc_reads_it(name):
    text = (queries_dir() / f"{name}.rq").read_text(encoding="utf-8")
    block = "\n".join(row.lstrip("#+") for row in text.split("\n") if row.startswith("#+"))
    assert _plain(yaml.safe_load(block)) == decorators(text)


@pytest.mark.parametrize("name", NAMES)
def test_header_documents_the_query(name):
    q = library()[name]
    assert q.summary and q.description and q.tags
    assert q.example.startswith(f"kg query {name}")
    for p in q.parameters:
        assert p.description, f"{name}: parameter {p.name} has no description"
        if p.required:
            assert p.default is not None, f"{name}: required {p.name} has no default"


@pytest.mark.parametrize("name", NAMES)
def test_parameters_are_the_ones_grlc_finds(name):
    q = library()[name]
    found = {m.group("name"): m.group(0)[1:] for m in GRLC_VARIABLE.finditer(q.text)}
    assert found == {p.name: p.variable for p in q.parameters}


@pytest.mark.parametrize("name", NAMES)
def test_parameters_stay_out_of_the_projection_and_minus(name):
    """Never projected, never under MINUS: so bindings, VALUES and grlc's text agree."""
    q = library()[name]
    toks = list(sparql.tokens(q.text))
    params = {"?" + p.variable for p in q.parameters}
    words = [t.text.upper() if t.kind == "word" else t.text for t in toks]
    end = words.index("WHERE") if "WHERE" in words else words.index("{")
    head = words[words.index(q.form) : end]
    assert not params & set(head)
    depth, sub_depth = 0, None
    for tok in toks:
        if tok.text == "{":
            depth += 1
        elif tok.text == "}":
            depth -= 1
            if sub_depth is not None and depth < sub_depth:
                sub_depth = None
        elif tok.kind == "word" and tok.text.upper() == "MINUS" and depth > 0:
            sub_depth = sub_depth or depth
        elif tok.text in params:
            assert sub_depth is None, f"{name}: {tok.text} under MINUS"


@pytest.mark.parametrize("name", NAMES)
def test_runs_unchanged_with_only_its_own_prefixes(name):
    """As a SPARQL editor would run it: no default prefixes, parameters left unbound."""
    text = library()[name].text
    ox.Store().query(text)


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("store") / "kg"
    assert main(["build", str(CTGOV), str(SEED), "--store", str(path), "-q"]) == 0
    return path


@pytest.mark.parametrize("name", NAMES)
def test_example_runs_from_the_shell(name, store_dir, capsys):
    argv = shlex.split(library()[name].example)
    assert argv[:3] == ["kg", "query", name]
    assert main([*argv[1:], "--store", str(store_dir)]) == 0
    out = capsys.readouterr().out
    q = library()[name]
    if q.form == "ASK":
        assert out in ("true\n", "false\n")
    elif q.form == "SELECT":
        assert "(0 rows)" not in out
    else:
        assert out.strip()


# --- the same answer everywhere -------------------------------------------------------------


@pytest.fixture(scope="module")
def served(stores):
    with endpoint(stores["oxigraph"]) as (ep, server):
        yield ep, server


@pytest.mark.parametrize("name", NAMES)
def test_same_answer_on_rdflib_oxigraph_and_an_endpoint(name, stores, served):
    results = [
        kg.query(stores["rdflib"], name),
        kg.query(stores["oxigraph"], name),
        kg.query(served[0], name),
    ]
    fmt = "nt" if results[0].is_graph else "json"
    first = results[0].serialize(fmt)
    assert all(r.serialize(fmt) == first for r in results[1:])
    assert results[0].form == "ASK" or len(results[0]) > 0


# --- concrete answers on the real records ---------------------------------------------------


def test_studies_by_condition_includes_mesh_descendants(store, all_records):
    neoplasms = kg.query(store, "studies-by-condition")
    assert cells(neoplasms, "nctId", "match") == [
        ("NCT03281889", "descendant"),
        ("NCT04267848", "descendant"),
        ("NCT05147467", "descendant"),
        ("NCT07366658", "descendant"),
    ]
    nets = kg.query(store, "studies-by-condition", condition="mesh:D018358")
    seed = all_records["NCT07366658"]["protocolSection"]["identificationModule"]
    assert cells(nets, "nctId", "title", "status", "match") == [
        ("NCT07366658", seed["briefTitle"], "NOT_YET_RECRUITING", "descriptor")
    ]


def test_studies_by_condition_agrees_with_the_records(store, all_records):
    """Independently of the mapping: the records' own MeSH IDs and ancestors."""
    for mesh_id in ("D009369", "D002318", "D003920"):
        expected = sorted(
            nct
            for nct, record in all_records.items()
            if any(
                int(m["id"][1:]) == int(mesh_id[1:])  # the registry zero-pads some UIs
                for key in ("meshes", "ancestors")
                for m in record.get("derivedSection", {})
                .get("conditionBrowseModule", {})
                .get(key, [])
            )
        )
        result = kg.query(store, "studies-by-condition", condition=MESH + mesh_id)
        assert sorted({row.nctId.toPython() for row in result}) == expected


def test_studies_by_condition_text(store):
    assert cells(kg.query(store, "studies-by-condition-text", text="leukemia")) == [
        ("NCT05147467", "Chronic Lymphocytic Leukemia", "condition"),
        ("NCT05147467", "Leukemia", "mesh"),
        ("NCT05147467", "Leukemia, Lymphocytic, Chronic, B-Cell", "mesh"),
        ("NCT05147467", "Leukemia, Lymphoid", "mesh"),
    ]
    lung = cells(kg.query(store, "studies-by-condition-text", text="LUNG"))
    assert len(lung) == 8 and {r[0] for r in lung} == {"NCT04267848"}


def test_condition_terms(store):
    rows = cells(kg.query(store, "condition-terms", text="neoplasms"))
    assert rows[0] == (MESH + "D009369", "Neoplasms", "4")
    assert len(rows) == 12 and all("neoplasms" in label.lower() for _, label, _ in rows)


def test_studies_by_intervention(store):
    assert cells(kg.query(store, "studies-by-intervention")) == [
        ("NCT04267848", "Pembrolizumab", "BIOLOGICAL")
    ]
    keytruda = kg.query(store, "studies-by-intervention", text="keytruda", type="BIOLOGICAL")
    assert cells(keytruda) == [("NCT04267848", "Pembrolizumab", "BIOLOGICAL")]
    assert cells(kg.query(store, "studies-by-intervention", text="placebo", type="DRUG")) == [
        ("NCT00763412", "placebo", "DRUG"),
        ("NCT02210780", "Placebo", "DRUG"),
    ]
    assert len(kg.query(store, "studies-by-intervention", text="placebo")) == 4


def test_studies_by_intervention_mesh(store):
    carboplatin = kg.query(store, "studies-by-intervention-mesh")
    assert cells(carboplatin, "nctId", "match") == [("NCT04267848", "term")]
    immunologic = kg.query(store, "studies-by-intervention-mesh", term="mesh:D007155")
    assert cells(immunologic, "nctId", "match") == [("NCT02552212", "narrower term")]


def test_studies_by_sponsor(store):
    assert cells(kg.query(store, "studies-by-sponsor")) == [
        ("NCT02210780", "Sanofi", "collaborator", "INDUSTRY")
    ]
    assert cells(kg.query(store, "studies-by-sponsor", sponsor="REGENERON")) == [
        ("NCT02210780", "Regeneron Pharmaceuticals", "lead", "INDUSTRY")
    ]
    assert cells(kg.query(store, "studies-by-sponsor", sponsor="chinese academy")) == [
        (
            "NCT07366658",
            "Cancer Institute and Hospital, Chinese Academy of Medical Sciences",
            "lead",
            "OTHER",
        )
    ]
    assert cells(kg.query(store, "studies-by-sponsor", sponsor="neukio"), "role") == [
        ("collaborator",)
    ]


def test_studies_by_sponsor_class(store, all_records):
    industry = kg.query(store, "studies-by-sponsor-class")
    expected = sorted(
        nct
        for nct, r in all_records.items()
        if r["protocolSection"]
        .get("sponsorCollaboratorsModule", {})
        .get("leadSponsor", {})
        .get("class")
        == "INDUSTRY"
    )
    assert [row.nctId.toPython() for row in industry] == expected
    assert len(expected) == 5
    assert cells(kg.query(store, "studies-by-sponsor-class", agencyClass="NIH")) == [
        ("NCT04267848", "National Cancer Institute (NCI)", "RECRUITING")
    ]


def test_sponsor_class_counts(store):
    assert cells(kg.query(store, "sponsor-class-counts")) == [
        ("INDIV", "lead", "1"),
        ("INDUSTRY", "collaborator", "4"),
        ("INDUSTRY", "lead", "5"),
        ("NIH", "collaborator", "4"),
        ("NIH", "lead", "1"),
        ("OTHER", "collaborator", "2"),
        ("OTHER", "lead", "6"),
        ("OTHER_GOV", "collaborator", "1"),
        ("UNKNOWN", "collaborator", "1"),
    ]


def test_collaborator_network(store):
    assert cells(kg.query(store, "collaborator-network", organization="regeneron")) == [
        ("Regeneron Pharmaceuticals", "Sanofi", "1")
    ]
    assert cells(kg.query(store, "collaborator-network", organization="neukio")) == [
        (
            "Cancer Institute and Hospital, Chinese Academy of Medical Sciences",
            "Neukio Biotherapeutics (Shanghai) Co., Ltd.",
            "1",
        )
    ]
    everyone = kg.query(store, "collaborator-network")
    assert len(everyone) == 30  # 4 collaborators -> 10 pairs, 5 -> 15, and five 1-1 pairs


def test_phase_status_counts(store):
    assert cells(kg.query(store, "phase-status-counts")) == [
        ("(none)", "(none)", "2"),
        ("(none)", "COMPLETED", "1"),
        ("(none)", "UNKNOWN", "1"),
        ("NA", "COMPLETED", "2"),
        ("NA", "RECRUITING", "1"),
        ("NA", "UNKNOWN", "1"),
        ("NA", "WITHDRAWN", "1"),
        ("PHASE1", "NOT_YET_RECRUITING", "1"),
        ("PHASE2", "COMPLETED", "2"),
        ("PHASE2", "RECRUITING", "1"),
        ("PHASE3", "COMPLETED", "1"),
        ("PHASE3", "RECRUITING", "1"),
    ]


def test_recruiting_by_country(store):
    us = kg.query(store, "recruiting-by-country")
    assert cells(us, "nctId", "sites", "recruitingSites") == [
        ("NCT04267848", "1147", "659"),
        ("NCT03281889", "2", "2"),
    ]
    china = kg.query(store, "recruiting-by-country", country="China")
    assert cells(china, "nctId", "sites", "recruitingSites") == [("NCT05147467", "11", "1")]
    seed = kg.query(store, "recruiting-by-country", country="China", status="NOT_YET_RECRUITING")
    assert cells(seed, "nctId", "sites", "recruitingSites") == [("NCT07366658", "1", "0")]


def test_sites_near_a_point(store):
    beijing = kg.query(store, "sites-near", lat="39.9", long="116.4", status="NOT_YET_RECRUITING")
    assert cells(beijing) == [
        (
            "NCT07366658",
            "Cancer Hospital of CICAMS",
            "Beijing",
            "China",
            "39.9075",
            "116.39723",
            None,
        )
    ]
    tianjin = kg.query(store, "sites-near")
    assert cells(tianjin, "nctId", "city", "siteStatus") == [
        ("NCT05147467", "Tianjin", "NOT_YET_RECRUITING")
    ]
    assert len(kg.query(store, "sites-near", delta=0.5)) == 0
    houston = kg.query(store, "sites-near", lat=29.76, long=-95.36, delta=0.1)
    assert cells(houston, "nctId", "facility")[0] == ("NCT03281889", "MD Anderson Cancer Center")


def test_enrollment_by_phase(store):
    assert cells(kg.query(store, "enrollment-by-phase")) == [
        ("(none)", "2", "120", "20", "100", "60"),
        ("NA", "5", "4910", "0", "4856", "982"),
        ("PHASE1", "1", "9", "9", "9", "9"),
        ("PHASE2", "3", "293", "24", "194", "98"),
        ("PHASE3", "2", "1527", "317", "1210", "764"),
    ]
    actual = kg.query(store, "enrollment-by-phase", enrollmentType="ACTUAL")
    assert cells(actual, "phase", "studies", "total") == [
        ("(none)", "1", "20"),
        ("NA", "4", "4890"),
        ("PHASE2", "2", "218"),
        ("PHASE3", "1", "317"),
    ]


def test_studies_by_target_or_keyword(store):
    dll3 = kg.query(store, "studies-by-keyword")
    assert cells(dll3, "nctId", "field") == [
        ("NCT07366658", "briefSummary"),
        ("NCT07366658", "detailedDescription"),
        ("NCT07366658", "intervention"),
    ]
    assert all(len(row.text) <= 200 for row in dll3)
    assert cells(kg.query(store, "studies-by-keyword", text="tnf")) == [
        ("NCT02552212", "keyword", "Anti TNF-alpha")
    ]


def test_eligible_studies(store):
    assert cells(kg.query(store, "eligible-studies", age=6)) == [
        ("NCT00973089", "P5Y", "P8Y", "ALL", "true"),
        ("NCT03281889", "P3Y", "P18Y", "ALL", "false"),
    ]
    healthy = kg.query(store, "eligible-studies", age=6, healthyVolunteers=True)
    assert cells(healthy, "nctId") == [("NCT00973089",)]
    older = kg.query(store, "eligible-studies", age=70, sex="FEMALE")
    assert [r[0] for r in cells(older, "nctId")] == [
        "NCT02299791",
        "NCT02552212",
        "NCT03475563",
        "NCT04207047",
        "NCT04267848",
        "NCT05147467",
        "NCT07366658",
    ]
    assert len(kg.query(store, "eligible-studies")) == 10


def test_studies_with_results(store, all_records):
    expected = sorted(nct for nct, r in all_records.items() if r.get("hasResults") is True)
    result = kg.query(store, "studies-with-results")
    assert [row.nctId.toPython() for row in result] == expected
    assert cells(result)[1] == ("NCT00763412", "COMPLETED", "2013-01", "2017-06-05")


def test_outcome_measures(store):
    seed = cells(kg.query(store, "outcome-measures"), "type", "position", "timeFrame")
    assert seed == [
        ("PRIMARY", "1", "12 months"),
        *((("SECONDARY", str(i), "12 months")) for i in range(1, 6)),
        ("OTHER_PRE_SPECIFIED", "1", "12 months"),
    ]
    dupilumab = kg.query(store, "outcome-measures", nctId="NCT02210780")
    registered = load_record("NCT02210780")["protocolSection"]["outcomesModule"]
    assert [row.measure.toPython() for row in dupilumab] == [
        o["measure"] for o in registered["primaryOutcomes"] + registered["secondaryOutcomes"]
    ]


def test_dose_schedule_search(store):
    assert cells(kg.query(store, "dose-schedule-search"), "nctId", "where", "label") == [
        ("NCT03281889", "arm group", "Proton Radiotherapy"),
        ("NCT05147467", "arm group", "APG-2575 single agent in Relapse/Refractory CLL/SLL"),
        ("NCT05147467", "intervention", "APG2575"),
    ]
    assert cells(kg.query(store, "dose-schedule-search", text="300 MG"), "nctId", "label") == [
        ("NCT02210780", "Dupilumab 300 mg qw"),
        ("NCT03418623", "GET73"),
        ("NCT03418623", "GET73"),
    ]
    design = kg.query(store, "dose-schedule-search", text="two dose groups")
    assert cells(design, "nctId", "where", "label") == [("NCT07366658", "design", "")]


def test_first_in_human_cell_therapy(store):
    result = kg.query(store, "first-in-human-cell-therapy")
    assert cells(result, "nctId", "phase", "status", "firstInHuman") == [
        ("NCT07366658", "PHASE1", "NOT_YET_RECRUITING", "true")
    ]


def test_study_timeline(store):
    seed = kg.query(store, "study-timeline", nctId="NCT07366658")
    assert cells(seed) == [
        (
            "NCT07366658",
            "2026-02-20",
            "ESTIMATED",
            "2026-10-20",
            "ESTIMATED",
            "2027-01-20",
            "ESTIMATED",
            "2026-01-26",
            "2026-01-26",
        )
    ]
    everyone = cells(kg.query(store, "study-timeline"), "nctId", "start")
    assert len(everyone) == 15
    assert everyone[2] == ("NCT00763412", "2006-11") and everyone[-1][0] == "NCT07366658"


def test_late_studies(store):
    assert cells(kg.query(store, "late-studies"), "nctId", "primaryCompletion") == [
        ("NCT03281889", "2022-03-31"),
        ("NCT05147467", "2024-09"),
    ]
    later = kg.query(store, "late-studies", asOf="2026-01-01")
    assert [r[0] for r in cells(later, "nctId")] == ["NCT03281889", "NCT05147467", "NCT04267848"]
    assert len(kg.query(store, "late-studies", asOf="2024-09-30")) == 1


def test_stopped_studies(store):
    assert cells(kg.query(store, "stopped-studies"), "nctId", "status", "whyStopped") == [
        (
            "NCT00973089",
            "WITHDRAWN",
            "recruiting or enrolling participants has halted prematurely and will not resume",
        )
    ]


def test_data_quality_checks(store):
    rows = cells(kg.query(store, "data-quality-checks"))
    partial = [
        ("no-enrollment", ""),
        ("no-lead-sponsor", ""),
        ("no-overall-status", ""),
        ("no-start-date", ""),
    ]
    assert rows == [
        *(("NCT00465816", *p) for p in partial),
        *(("NCT03453554", *p) for p in partial),
        ("NCT04267848", "sites-without-coordinates", "4 sites"),
    ]
    no_sponsor = kg.query(store, "data-quality-checks", check="no-lead-sponsor")
    assert cells(no_sponsor, "nctId") == [("NCT00465816",), ("NCT03453554",)]


def test_study_overview(store):
    assert cells(kg.query(store, "study-overview", nctId="NCT02210780")) == [
        (
            "NCT02210780",
            "Study of Dupilumab and Immune Responses in Adults With Atopic Dermatitis (AD)",
            "INTERVENTIONAL",
            "COMPLETED",
            "PHASE2",
            "194",
            "Regeneron Pharmaceuticals",
            "2014-08-05",
            "2015-09-15",
            "true",
        )
    ]
    seed = kg.query(store, "study-overview")
    assert cells(seed, "phase", "leadSponsor") == [
        ("PHASE1", "Cancer Institute and Hospital, Chinese Academy of Medical Sciences")
    ]


def test_describe_study(store):
    result = kg.query(store, "describe-study", nctId="NCT00973089")
    found = triples(result)
    study = STUDY + "NCT00973089"
    ctg = "https://w3id.org/ctgov-kg/vocab#"
    assert (study, ctg + "overallStatus", "WITHDRAWN") in found
    assert (
        study,
        ctg + "whyStopped",
        "recruiting or enrolling participants has halted prematurely and will not resume",
    ) in found
    assert {s for s, _, _ in found} == {study}


def test_condition_hierarchy(store):
    result = kg.query(store, "condition-hierarchy", descriptor="mesh:D018358")
    broader = "http://www.w3.org/2004/02/skos/core#broaderTransitive"
    assert {o for s, p, o in triples(result) if p == broader} == {
        MESH + d for d in ("D009369", "D009370", "D009373", "D009380", "D017599")
    }
    assert len(result) == 17


def test_is_recruiting(store):
    assert kg.query(store, "is-recruiting").boolean is True
    assert kg.query(store, "is-recruiting", nctId="NCT07366658").boolean is False
    assert kg.query(store, "is-recruiting", nctId="NCT99999999").boolean is False


def test_country_counts(store):
    rows = cells(kg.query(store, "country-counts"))
    assert rows[:2] == [("United States", "7", "1230", "661"), ("China", "2", "12", "1")]
    assert len(rows) == 13


def test_json_output_of_a_library_query(store):
    data = json.loads(kg.query(store, "stopped-studies").serialize("json"))
    assert data["head"]["vars"] == ["nctId", "status", "whyStopped", "enrollment", "lastUpdated"]
    assert data["results"]["bindings"][0]["enrollment"] == {
        "type": "literal",
        "value": "0",
        "datatype": "http://www.w3.org/2001/XMLSchema#integer",
    }


def test_the_readme_names_every_decorator_used():
    readme = (queries_dir() / "README.md").read_text(encoding="utf-8")
    used = {key for name in NAMES for key in decorators(library()[name].text)}
    assert all(f"`{key}`" in readme for key in used)
    assert Path(queries_dir() / "README.md").is_file()


# --- results -----------------------------------------------------------------------------------


def test_adverse_events_by_term(store):
    rows = cells(kg.query(store, "adverse-events-by-term", term="eye"), "term", "group", "affected")
    assert len(rows) == 15
    affected = [r for r in rows if r[2] != "0"]
    assert affected == [
        ("Glaucoma", "CZP 200 mg Q2W (SS)", "1"),
        ("Iridocyclitis", "SFE OL CZP 200 mg Q2W (SS)", "1"),
        ("Uveitis", "SFE OL CZP 200 mg Q2W (SS)", "1"),
    ]
    assert cells(kg.query(store, "adverse-events-by-term", term="no such event")) == []


def test_serious_adverse_event_rate_per_arm(store):
    rows = cells(kg.query(store, "serious-adverse-event-rate", nctId="NCT02552212"))
    assert rows[:2] == [
        ("EG000", "Placebo (SS)", "4", "158", "2.5", "0"),
        ("EG001", "CZP 200 mg Q2W (SS)", "8", "159", "5", "0"),
    ]
    assert len(rows) == 5


def test_outcome_values_by_measure_and_group(store):
    rows = cells(
        kg.query(store, "outcome-values", nctId="NCT00763412"), "measure", "group", "value"
    )
    assert rows[:2] == [("BMI", "1 Placebo", "19.63"), ("BMI", "2. Repaglinide", "21.19")]
    record = load_record("NCT00763412")["resultsSection"]["outcomeMeasuresModule"]
    expected = sum(
        len(category["measurements"])
        for measure in record["outcomeMeasures"]
        for cls in measure.get("classes", [])
        for category in cls.get("categories", [])
    )
    assert len(rows) == expected
    na = cells(kg.query(store, "outcome-values", nctId="NCT02552212"), "value")
    assert ("NA",) in na


def test_participant_dropouts(store):
    rows = cells(
        kg.query(store, "participant-dropouts"), "nctId", "reason", "group", "participants"
    )
    assert ("NCT02210780", "Adverse Event", "Dupilumab 300 mg qw", "5") in rows
    assert all(r[3] != "0" for r in rows)
    assert {r[0] for r in rows} <= {
        "NCT00763412",
        "NCT02210780",
        "NCT02299791",
        "NCT02552212",
        "NCT05594173",
    }


def test_significant_primary_analyses(store):
    rows = cells(kg.query(store, "significant-primary-analyses"), "nctId", "estimate", "pValue")
    assert rows == [("NCT02552212", "15.231", "<0.001"), ("NCT02552212", "7.436", "<0.001")]
    assert cells(kg.query(store, "significant-primary-analyses", alpha=0.0001)) == []
