"""MeSH UIs: the registry's zero-padded old UIs fold into NLM's form; new 10-character ones stay."""

from __future__ import annotations

import json
from collections import defaultdict

import pytest
from conftest import CTGOV

from kg.mesh import LAST_OLD, MESH, mesh_iri, normalize_mesh_id

BROWSE_MODULES = ("conditionBrowseModule", "interventionBrowseModule")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("D000003876", "D003876"),  # Dermatitis, Atopic, padded by the registry
        ("D018358", "D018358"),
        ("D000086382", "D000086382"),  # COVID-19, a genuinely new UI
        ("C000072379", "C072379"),  # Repaglinide, padded by the registry
        ("C044245", "C044245"),
        ("C582435", "C582435"),  # pembrolizumab
        ("C000588423", "C000588423"),  # ACACA protein, human: new
        ("Q000000981", "Q000000981"),  # diagnostic imaging: new
        ("Q000941", "Q000941"),
        ("Q000000941", "Q000941"),
        (" d000003876\n", "D003876"),
    ],
)
def test_normalize(raw, expected):
    assert normalize_mesh_id(raw) == expected


@pytest.mark.parametrize("letter", sorted(LAST_OLD))
def test_boundary(letter):
    last = LAST_OLD[letter]
    assert normalize_mesh_id(f"{letter}{last:09d}") == f"{letter}{last:06d}"
    assert normalize_mesh_id(f"{letter}{last:06d}") == f"{letter}{last:06d}"
    assert normalize_mesh_id(f"{letter}{last + 1:09d}") == f"{letter}{last + 1:09d}"


def test_descriptor_boundary_values():
    assert normalize_mesh_id("D000066331") == "D066331"  # Laser-Evoked Potentials (2015 MeSH)
    assert normalize_mesh_id("D000066388") == "D000066388"  # Oil and Gas Industry (2016 MeSH)


def test_mesh_iri():
    assert mesh_iri("D000003876") == MESH + "D003876"
    assert mesh_iri("D000086382") == "http://id.nlm.nih.gov/mesh/D000086382"


@pytest.mark.parametrize(
    "raw",
    [
        "D12",
        "X123456",
        "D0000038761",
        "",
        "   ",
        "D0000386",
        "D00386A",
        "DD003876",
        "D\u0660\u0661\u0662\u0663\u0664\u0665",
    ],
)
def test_bad_input(raw):
    with pytest.raises(ValueError, match="6 or 9 digits"):
        normalize_mesh_id(raw)


def _browse_entries() -> list[tuple[str, str]]:
    entries = []
    for path in sorted(CTGOV.glob("NCT*.json")):
        derived = json.loads(path.read_text(encoding="utf-8")).get("derivedSection", {})
        for module in BROWSE_MODULES:
            for key in ("meshes", "ancestors"):
                entries.extend((e["id"], e["term"]) for e in derived.get(module, {}).get(key, []))
    return entries


def test_real_records_merge_exactly_the_duplicates():
    entries = _browse_entries()
    assert len(entries) > 100
    terms_by_id: dict[str, set[str]] = defaultdict(set)
    ids_by_term: dict[str, set[str]] = defaultdict(set)
    for raw, term in entries:
        ui = normalize_mesh_id(raw)
        terms_by_id[ui].add(term)
        ids_by_term[term].add(ui)
    assert {ui: t for ui, t in terms_by_id.items() if len(t) > 1} == {}
    assert {t: ids for t, ids in ids_by_term.items() if len(ids) > 1} == {}
    # The data does carry both widths of one descriptor, and normalisation folds them.
    raw_ids = {raw for raw, _ in entries}
    assert len(terms_by_id) < len(raw_ids)
