"""The mapping on real records: concrete triples a curator can check against the registry page."""

from __future__ import annotations

import copy

import pytest
from conftest import load_record
from conftest import mapped_triples as triples

from kg import RecordError, map_record
from kg.namespaces import CTG, DCT, GEO, LABEL, MESH, MESHV, PROV, SCHEMA, TYPE
from kg.terms import (
    XSD_BOOLEAN,
    XSD_DATE,
    XSD_DECIMAL,
    XSD_DURATION,
    XSD_GYEARMONTH,
    XSD_INTEGER,
    Lit,
)

S = "https://w3id.org/ctgov-kg/study/"
ORG = "https://w3id.org/ctgov-kg/organization/"


@pytest.fixture(scope="module")
def seed() -> set[tuple]:
    return triples("NCT07366658")


def objects(graph: set[tuple], s: str, p: str) -> set:
    return {o for s2, p2, o in graph if s2 == s and p2 == p}


def test_seed_study_identity(seed):
    study = S + "NCT07366658"
    assert (study, TYPE, CTG + "Study") in seed
    assert (study, TYPE, SCHEMA + "MedicalTrial") in seed
    assert (study, CTG + "nctId", Lit("NCT07366658")) in seed
    assert (study, CTG + "acronym", Lit("NEUK203-13")) in seed
    assert (study, CTG + "orgStudyId", Lit("NEUK203-13-IIT-01")) in seed
    assert (study, SCHEMA + "url", "https://clinicaltrials.gov/study/NCT07366658") in seed
    assert objects(seed, study, CTG + "briefTitle") == {
        Lit(
            "Safety, Tolerability and Preliminary Efficacy of NEUK203-13 in Refractory "
            "Neuroendocrine Tumor Patients"
        )
    }


def test_seed_sponsor_and_collaborator_are_shared_organizations(seed):
    study = S + "NCT07366658"
    lead = ORG + "cancer-institute-and-hospital-chinese-academy-of-medical-sciences"
    collaborator = ORG + "neukio-biotherapeutics-shanghai-co-ltd"
    assert objects(seed, study, CTG + "leadSponsor") == {lead}
    assert objects(seed, study, CTG + "collaborator") == {collaborator}
    assert (lead, CTG + "agencyClass", Lit("OTHER")) in seed
    assert (collaborator, CTG + "agencyClass", Lit("INDUSTRY")) in seed
    assert (collaborator, LABEL, Lit("Neukio Biotherapeutics (Shanghai) Co., Ltd.")) in seed
    # the identification organization has the same name as the lead sponsor: one node
    assert objects(seed, study, CTG + "organization") == {lead}


def test_seed_dates_are_typed_with_their_type(seed):
    study = S + "NCT07366658"
    assert (study, CTG + "startDate", Lit("2026-02-20", XSD_DATE)) in seed
    assert (study, CTG + "startDateType", Lit("ESTIMATED")) in seed
    assert (study, CTG + "statusVerifiedDate", Lit("2026-01", XSD_GYEARMONTH)) in seed
    assert (study, CTG + "lastUpdatePostDate", Lit("2026-01-26", XSD_DATE)) in seed
    assert (study, CTG + "lastUpdatePostDateType", Lit("ACTUAL")) in seed


def test_seed_design(seed):
    study = S + "NCT07366658"
    assert objects(seed, study, CTG + "phase") == {Lit("PHASE1")}
    assert (study, CTG + "enrollmentCount", Lit("9", XSD_INTEGER)) in seed
    assert (study, CTG + "enrollmentType", Lit("ESTIMATED")) in seed
    assert (study, CTG + "interventionModel", Lit("SEQUENTIAL")) in seed
    assert (study, CTG + "masking", Lit("NONE")) in seed
    assert (study, CTG + "hasExpandedAccess", Lit("false", XSD_BOOLEAN)) in seed
    assert (study, CTG + "hasResults", Lit("false", XSD_BOOLEAN)) in seed


def test_seed_conditions_keywords_and_mesh(seed):
    study = S + "NCT07366658"
    conditions = objects(seed, study, CTG + "condition")
    assert {o for c in conditions for o in objects(seed, c, LABEL)} == {
        Lit("SCLC, Extensive Stage"),
        Lit("Neuroendocrine Tumors"),
    }
    assert objects(seed, study, CTG + "keyword") == {Lit("Car-NK cells"), Lit("iPSC")}
    d018358 = MESH + "D018358"
    assert objects(seed, study, CTG + "conditionMesh") == {d018358}
    assert (d018358, LABEL, Lit("Neuroendocrine Tumors")) in seed
    assert (d018358, TYPE, MESHV + "Descriptor") in seed
    ancestors = {"D017599", "D009373", "D009370", "D009369", "D009380"}
    assert objects(seed, study, CTG + "conditionMeshAncestor") == {MESH + a for a in ancestors}
    # one condition descriptor: its ancestors are certainly its own
    assert objects(seed, d018358, CTG + "meshAncestor") == {MESH + a for a in ancestors}
    # two intervention descriptors: ancestors stay on the study only
    assert objects(seed, study, CTG + "interventionMesh") == {MESH + "D001688", MESH + "D004738"}
    assert not objects(seed, MESH + "D001688", CTG + "meshAncestor")


def test_seed_arm_uses_its_intervention(seed):
    study = S + "NCT07366658"
    arm, intervention = study + "/arm/1", study + "/intervention/1"
    assert objects(seed, study, CTG + "armGroup") == {arm}
    assert objects(seed, study, CTG + "intervention") == {intervention}
    assert (arm, CTG + "armGroupType", Lit("EXPERIMENTAL")) in seed
    assert (intervention, CTG + "interventionType", Lit("BIOLOGICAL")) in seed
    assert (arm, CTG + "usesIntervention", intervention) in seed


def test_seed_outcomes(seed):
    study = S + "NCT07366658"
    primary = objects(seed, study, CTG + "primaryOutcome")
    other = objects(seed, study, CTG + "otherOutcome")
    assert primary and other
    assert all((o, CTG + "outcomeType", Lit("PRIMARY")) in seed for o in primary)
    (other_outcome,) = other
    assert (other_outcome, CTG + "timeFrame", Lit("12 months")) in seed
    assert any("IFN-γ" in o.lex for o in objects(seed, other_outcome, LABEL))


def test_seed_eligibility(seed):
    eligibility = S + "NCT07366658/eligibility"
    assert (S + "NCT07366658", CTG + "eligibility", eligibility) in seed
    assert (eligibility, CTG + "sex", Lit("ALL")) in seed
    assert (eligibility, CTG + "minimumAge", Lit("P18Y", XSD_DURATION)) in seed
    assert (eligibility, CTG + "maximumAge", Lit("P75Y", XSD_DURATION)) in seed
    assert objects(seed, eligibility, CTG + "stdAge") == {Lit("ADULT"), Lit("OLDER_ADULT")}
    assert (eligibility, CTG + "healthyVolunteers", Lit("false", XSD_BOOLEAN)) in seed
    first = eligibility + "/criterion/1"
    assert (first, TYPE, CTG + "InclusionCriterion") in seed
    assert (first, CTG + "position", Lit("1", XSD_INTEGER)) in seed
    assert (
        first,
        LABEL,
        Lit("Understand and voluntarily sign the Informed Consent Form (ICF);"),
    ) in seed
    kinds = {o for s, p, o in seed if p == TYPE and s.startswith(eligibility + "/criterion/")}
    assert kinds == {CTG + "InclusionCriterion", CTG + "ExclusionCriterion"}


def test_seed_location_contacts_and_officials(seed):
    location = S + "NCT07366658/location/1"
    assert (location, CTG + "facility", Lit("Cancer Hospital of CICAMS")) in seed
    assert (location, CTG + "city", Lit("Beijing")) in seed
    assert (location, CTG + "country", Lit("China")) in seed
    assert (location, GEO + "lat", Lit("39.9075", XSD_DECIMAL)) in seed
    assert (location, GEO + "long", Lit("116.39723", XSD_DECIMAL)) in seed
    contact = location + "/contact/1"
    assert (contact, SCHEMA + "email", Lit("zhoujw@cicams.ac.cn")) in seed
    assert (contact, CTG + "contactRole", Lit("CONTACT")) in seed
    official = S + "NCT07366658/official/1"
    assert (official, CTG + "officialRole", Lit("STUDY_DIRECTOR")) in seed
    assert (official, LABEL, Lit("Shuhang Wang, PhD")) in seed


def test_no_contact_details_leaves_out_phones_and_emails():
    graph = triples("NCT07366658", contact_details=False)
    predicates = {p for _, p, _ in graph}
    assert SCHEMA + "email" not in predicates
    assert SCHEMA + "telephone" not in predicates
    assert (S + "NCT07366658/location/1/contact/1", LABEL, Lit("Jiawei Zhou")) in graph


def test_mesh_ids_of_both_widths_are_one_node():
    graph = triples("NCT02210780")
    study = S + "NCT02210780"
    # the record writes D000003876; NLM's ID is D003876
    assert (study, CTG + "conditionMesh", MESH + "D003876") in graph
    assert (MESH + "D003876", LABEL, Lit("Dermatitis, Atopic")) in graph
    assert not any("D000003876" in str(t) for triple in graph for t in triple)


def test_browse_leaves_and_branches_are_registry_terms():
    graph = triples("NCT02210780")
    study = S + "NCT02210780"
    leaf = study + "/condition-browse-leaf/1"
    assert (study, CTG + "conditionBrowseLeaf", leaf) in graph
    term = "https://w3id.org/ctgov-kg/browse/leaf/M6761"
    assert (leaf, CTG + "browseTerm", term) in graph
    assert (leaf, CTG + "relevance", Lit("HIGH")) in graph
    assert (leaf, CTG + "asFound", Lit("Atopic Dermatitis")) in graph
    assert (term, LABEL, Lit("Dermatitis, Atopic")) in graph
    branch = "https://w3id.org/ctgov-kg/browse/branch/BC16"
    assert (study, CTG + "conditionBrowseBranch", branch) in graph


def test_regeneron_sanofi_and_a_location_without_facility():
    graph = triples("NCT02210780")
    study = S + "NCT02210780"
    assert (study, CTG + "leadSponsor", ORG + "regeneron-pharmaceuticals") in graph
    assert (study, CTG + "collaborator", ORG + "sanofi") in graph
    location = study + "/location/1"
    assert (location, CTG + "state", Lit("Alabama")) in graph
    assert (location, GEO + "long", Lit("-86.80249", XSD_DECIMAL)) in graph


def test_withdrawn_study_and_why_stopped():
    graph = triples("NCT00973089")
    study = S + "NCT00973089"
    assert (study, CTG + "overallStatus", Lit("WITHDRAWN")) in graph
    assert objects(graph, study, CTG + "whyStopped")


def test_large_documents_link_to_the_registry_files():
    graph = triples("NCT02552212")
    doc = S + "NCT02552212/document/1"
    urls = objects(graph, doc, SCHEMA + "url")
    assert len(urls) == 1
    assert next(iter(urls)).startswith("https://cdn.clinicaltrials.gov/large-docs/12/NCT02552212/")
    assert (doc, CTG + "hasProtocol", Lit("true", XSD_BOOLEAN)) in graph


def test_partial_record_maps_as_far_as_it_goes():
    graph = triples("NCT03453554")
    study = S + "NCT03453554"
    assert (study, CTG + "nctId", Lit("NCT03453554")) in graph
    assert not objects(graph, study, CTG + "leadSponsor")
    assert objects(graph, study, CTG + "unpostedEvent")


def test_every_quad_is_in_the_study_graph_with_provenance():
    mapped = map_record(
        load_record("NCT03475563"), source="x.json", built_at="2026-01-02T03:04:05Z"
    )
    graph = "https://w3id.org/ctgov-kg/graph/NCT03475563"
    assert {g for *_, g in mapped.quads} == {graph}
    got = {(s, p, o) for s, p, o, _ in mapped.quads if s == graph}
    assert (graph, DCT + "source", Lit("x.json")) in got
    assert (
        graph,
        PROV + "wasDerivedFrom",
        "https://clinicaltrials.gov/api/v2/studies/NCT03475563",
    ) in got
    assert any(p == PROV + "generatedAtTime" for _, p, _ in got)
    assert any(p == CTG + "recordVersion" for _, p, _ in got)


def test_mapping_is_deterministic(all_records):
    for record in all_records.values():
        assert map_record(record).quads == map_record(copy.deepcopy(record)).quads


def test_no_warnings_on_real_records(all_records):
    for nct_id, record in all_records.items():
        assert map_record(record).warnings == [], nct_id


def _record(**protocol) -> dict:
    return {"protocolSection": {"identificationModule": {"nctId": "NCT00000001"}, **protocol}}


def test_wrong_json_type_names_the_path():
    record = _record(conditionsModule={"conditions": "Asthma"})
    with pytest.raises(RecordError) as info:
        map_record(record, source="made.json")
    error = info.value
    assert error.path == "$.protocolSection.conditionsModule.conditions"
    assert error.nct_id == "NCT00000001"
    assert error.source == "made.json"
    assert "expected a list" in error.problem
    assert str(error).startswith("made.json: NCT00000001: $.protocolSection.conditionsModule")


def test_wrong_type_deep_in_a_list_names_the_index():
    record = _record(
        contactsLocationsModule={"locations": [{"city": "A"}, {"geoPoint": {"lat": "north"}}]}
    )
    with pytest.raises(RecordError) as info:
        map_record(record)
    assert info.value.path == "$.protocolSection.contactsLocationsModule.locations[1].geoPoint.lat"


@pytest.mark.parametrize("number", [float("inf"), float("-inf"), float("nan")])
def test_a_number_that_is_not_finite_names_the_path(number):
    """Python's JSON reader takes ``Infinity`` and ``NaN``; no xsd:decimal can hold them."""
    record = _record(
        contactsLocationsModule={"locations": [{"geoPoint": {"lat": 1.5, "lon": number}}]}
    )
    with pytest.raises(RecordError, match="not a finite number") as info:
        map_record(record)
    assert info.value.path == "$.protocolSection.contactsLocationsModule.locations[0].geoPoint.lon"


@pytest.mark.parametrize(
    "record",
    [
        {},
        {"protocolSection": {"identificationModule": {}}},
        {"protocolSection": {"identificationModule": {"nctId": 7}}},
        {"protocolSection": {"identificationModule": {"nctId": "NCT 1<2>"}}},
    ],
)
def test_missing_or_unusable_nct_id_is_an_error(record):
    with pytest.raises(RecordError) as info:
        map_record(record)
    assert info.value.path == "$.protocolSection.identificationModule.nctId"


def test_unknown_enumeration_value_is_kept_with_a_warning():
    record = _record(designModule={"phases": ["PHASE5"]}, statusModule={"overallStatus": "PAUSED"})
    mapped = map_record(record)
    got = {(p, o) for _, p, o, _ in mapped.quads}
    assert (CTG + "phase", Lit("PHASE5")) in got
    assert (CTG + "overallStatus", Lit("PAUSED")) in got
    assert any("'PHASE5' is not a known Phase value" in w for w in mapped.warnings)
    assert any("$.protocolSection.designModule.phases[0]" in w for w in mapped.warnings)


def test_malformed_date_is_kept_as_text_with_a_warning():
    record = _record(statusModule={"startDateStruct": {"date": "2026-13-40", "type": "ACTUAL"}})
    mapped = map_record(record)
    assert (S + "NCT00000001", CTG + "startDate", Lit("2026-13-40")) in {
        (s, p, o) for s, p, o, _ in mapped.quads
    }
    assert any("startDateStruct.date" in w and "not a date" in w for w in mapped.warnings)


def test_unknown_field_is_reported():
    record = _record(statusModule={"overallStatus": "RECRUITING", "newField": 1})
    assert any("newField" in w for w in map_record(record).warnings)


def test_a_record_given_as_a_dict_is_mended_as_the_reader_mends_it():
    record = _record(conditionsModule={"conditions": ["a\ud800b", "c\x0bd"], "keywords": ["ok"]})
    mapped = map_record(record)
    labels = {o.lex for s, p, o, _ in mapped.quads if p.endswith("#label") and "/condition/" in s}
    assert {"a\ufffdb", "c\ufffdd"} <= labels
    assert mapped.warnings == [
        "NCT00000001: $.protocolSection.conditionsModule.conditions[0]: U+D800 cannot stand in "
        "XML or UTF-8 text; replaced by U+FFFD",
        "NCT00000001: $.protocolSection.conditionsModule.conditions[1]: U+000B cannot stand in "
        "XML or UTF-8 text; replaced by U+FFFD",
    ]
    assert record["protocolSection"]["conditionsModule"]["conditions"][0] == "a\ud800b"
