"""The results section on real records: flow, baseline, outcome values, analyses, adverse events."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import CTGOV, SEED, load_record
from conftest import mapped_triples as triples

import kg
from kg import map_record
from kg.namespaces import CTG, DCT, LABEL, SCHEMA, TYPE
from kg.terms import XSD_DECIMAL, XSD_INTEGER, Lit

S = "https://w3id.org/ctgov-kg/study/"


@pytest.fixture(scope="module")
def repaglinide() -> set[tuple]:
    return triples("NCT00763412")


@pytest.fixture(scope="module")
def certolizumab() -> set[tuple]:
    return triples("NCT02552212")


def test_participant_flow_counts_per_group(repaglinide):
    flow = S + "NCT00763412/participant-flow"
    assert (S + "NCT00763412", CTG + "participantFlow", flow) in repaglinide
    placebo = flow + "/group/FG000"
    assert (flow, CTG + "resultGroup", placebo) in repaglinide
    assert (placebo, LABEL, Lit("Placebo")) in repaglinide
    assert (placebo, TYPE, CTG + "FlowGroup") in repaglinide
    started = flow + "/period/1/milestone/1"
    assert (started, CTG + "milestoneType", Lit("STARTED")) in repaglinide
    count = started + "/FG000"
    assert (started, CTG + "milestoneCount", count) in repaglinide
    assert (count, CTG + "group", placebo) in repaglinide
    assert (count, CTG + "numSubjects", Lit("8", XSD_INTEGER)) in repaglinide


def test_drop_withdraw_reasons():
    graph = triples("NCT02210780")
    dropped = S + "NCT02210780/participant-flow/period/1/drop-withdraw/1"
    assert (dropped, CTG + "dropWithdrawType", Lit("Adverse Event")) in graph
    reason = dropped + "/FG001"
    assert (reason, CTG + "numSubjects", Lit("5", XSD_INTEGER)) in graph
    assert (reason, CTG + "group", S + "NCT02210780/participant-flow/group/FG001") in graph


def test_outcome_values_study_measure_category_measurement_group(repaglinide):
    measure = S + "NCT00763412/outcome-measure/1"
    assert (S + "NCT00763412", CTG + "outcomeMeasure", measure) in repaglinide
    assert (measure, LABEL, Lit("BMI")) in repaglinide
    assert (measure, CTG + "outcomeType", Lit("PRIMARY")) in repaglinide
    assert (measure, CTG + "paramType", Lit("MEAN")) in repaglinide
    assert (measure, CTG + "unitOfMeasure", Lit("Kg/m^2")) in repaglinide
    value = measure + "/class/1/category/1/OG000"
    assert (measure + "/class/1/category/1", CTG + "measurement", value) in repaglinide
    assert (value, CTG + "group", measure + "/group/OG000") in repaglinide
    assert (measure + "/group/OG000", LABEL, Lit("1 Placebo")) in repaglinide
    assert (value, CTG + "value", Lit("19.63", XSD_DECIMAL)) in repaglinide
    assert (value, CTG + "lowerLimit", Lit("15.56", XSD_DECIMAL)) in repaglinide
    assert (value, CTG + "upperLimit", Lit("22.64", XSD_DECIMAL)) in repaglinide
    denom = measure + "/denom/1/OG001"
    assert (denom, CTG + "value", Lit("4", XSD_INTEGER)) in repaglinide


def test_measure_is_linked_to_its_registered_outcome(repaglinide):
    measure = S + "NCT00763412/outcome-measure/2"
    assert (measure, LABEL, Lit("Body Composition")) in repaglinide
    registered = S + "NCT00763412/primary-outcome/2"
    assert (measure, CTG + "registeredOutcome", registered) in repaglinide
    assert (
        S + "NCT00763412/outcome-measure/4",
        CTG + "registeredOutcome",
        S + "NCT00763412/secondary-outcome/1",
    ) in repaglinide
    # a measure reported under a title no registered outcome has stays unlinked
    record = load_record("NCT00763412")
    record["resultsSection"]["outcomeMeasuresModule"]["outcomeMeasures"][3]["title"] = "Post hoc"
    links = {(s, o) for s, p, o, _ in map_record(record) if p == CTG + "registeredOutcome"}
    assert len(links) == 8
    assert not any(s.endswith("/outcome-measure/4") for s, _ in links)


def test_not_available_is_kept_as_text_and_flagged(certolizumab):
    value = S + "NCT02552212/outcome-measure/11/class/1/category/1/OG001"
    assert (value, CTG + "value", Lit("NA")) in certolizumab
    assert (value, CTG + "nonNumericProperty", CTG + "value") in certolizumab
    assert (value, CTG + "lowerLimit", Lit("NA")) in certolizumab
    assert not any(s == value and o == Lit("0", XSD_INTEGER) for s, _, o in certolizumab)


def test_analysis_p_value_estimate_and_interval(certolizumab):
    analyses = {o for s, p, o in certolizumab if p == CTG + "analysis"}
    first = next(
        a
        for a in sorted(analyses)
        if (a, CTG + "paramValue", Lit("15.231", XSD_DECIMAL)) in certolizumab
    )
    assert (first, CTG + "pValue", Lit("<0.001")) in certolizumab
    assert (first, CTG + "pValueNumber", Lit("0.001", XSD_DECIMAL)) in certolizumab
    assert (first, CTG + "pValueComparator", Lit("<")) in certolizumab
    assert (first, CTG + "analysisParamType", Lit("Odds Ratio (OR)")) in certolizumab
    assert (first, CTG + "ciLowerLimit", Lit("7.336", XSD_DECIMAL)) in certolizumab
    assert (first, CTG + "ciNumSides", Lit("TWO_SIDED")) in certolizumab
    measure = first.rsplit("/analysis/", 1)[0]
    assert {o for s, p, o in certolizumab if s == first and p == CTG + "group"} == {
        measure + "/group/OG000",
        measure + "/group/OG001",
    }


def test_serious_adverse_event_per_group(certolizumab):
    report = S + "NCT02552212/adverse-events"
    event = report + "/serious-event/1"
    assert (report, CTG + "seriousEvent", event) in certolizumab
    assert (event, TYPE, CTG + "SeriousAdverseEvent") in certolizumab
    assert (event, TYPE, CTG + "AdverseEvent") in certolizumab
    assert (event, LABEL, Lit("Glaucoma")) in certolizumab
    assert (event, CTG + "organSystem", Lit("Eye disorders")) in certolizumab
    assert (event, CTG + "sourceVocabulary", Lit("MedDRA19.0")) in certolizumab
    stats = event + "/EG001"
    assert (stats, CTG + "group", report + "/group/EG001") in certolizumab
    assert (stats, CTG + "numAffected", Lit("1", XSD_INTEGER)) in certolizumab
    assert (stats, CTG + "numAtRisk", Lit("159", XSD_INTEGER)) in certolizumab


def test_event_groups_carry_deaths_serious_and_other_counts(repaglinide):
    group = S + "NCT00763412/adverse-events/group/EG000"
    assert (group, TYPE, CTG + "EventGroup") in repaglinide
    assert (group, CTG + "deathsNumAtRisk", Lit("8", XSD_INTEGER)) in repaglinide
    assert (group, CTG + "seriousNumAffected", Lit("0", XSD_INTEGER)) in repaglinide


def test_more_info_agreement_and_point_of_contact(certolizumab):
    study = S + "NCT02552212"
    assert (study, CTG + "restrictionType", Lit("GT60")) in certolizumab
    contact = study + "/results-contact"
    assert (study, CTG + "resultsPointOfContact", contact) in certolizumab
    assert (contact, LABEL, Lit("UCB")) in certolizumab
    assert (contact, SCHEMA + "email", Lit("UCBCares@ucb.com")) in certolizumab
    hidden = triples("NCT02552212", contact_details=False)
    assert not any(s == contact and p == SCHEMA + "email" for s, p, _ in hidden)


def test_baseline_measure_categories(certolizumab):
    baseline = S + "NCT02552212/baseline"
    measure = baseline + "/measure/1"
    assert (measure, LABEL, Lit("Age, Categorical")) in certolizumab
    category = measure + "/class/1/category/1"
    assert (category, LABEL, Lit("<=18 years")) in certolizumab
    assert (category + "/BG002", CTG + "value", Lit("4", XSD_INTEGER)) in certolizumab
    assert (baseline + "/group/BG002", LABEL, Lit("Total Title")) in certolizumab
    assert (
        baseline + "/group/BG000",
        DCT + "description",
        Lit(
            "Matching placebo to certolizumab pegol (CZP) injections were administered every "
            "2 weeks from Week 0 onwards."
        ),
    ) in certolizumab


README = Path(__file__).resolve().parents[1] / "README.md"


def _readme_queries() -> list[str]:
    return re.findall(r"```sparql\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def test_readme_results_queries_give_the_rows_shown():

    graph = kg.build([CTGOV, SEED]).dataset
    adverse, outcomes = _readme_queries()[:2]
    rows = [tuple(str(x) for x in row) for row in graph.query(adverse)]
    assert rows == [
        ("NCT02552212", "Glaucoma", "CZP 200 mg Q2W (SS)", "1", "159"),
        ("NCT02552212", "Iridocyclitis", "SFE OL CZP 200 mg Q2W (SS)", "1", "243"),
        ("NCT02552212", "Uveitis", "SFE OL CZP 200 mg Q2W (SS)", "1", "243"),
    ]
    rows = [tuple(str(x) for x in row) for row in graph.query(outcomes)]
    assert len(rows) == 8
    assert rows[0] == ("BMI", "1 Placebo", "19.63", "15.56", "22.64", "Kg/m^2")
    assert ("CRP", "2. Repaglinide", "2", "0.6", "3.7", "mg/L") in rows
