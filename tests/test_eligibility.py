"""Eligibility criteria text split into sectioned, nested items."""

from __future__ import annotations

import ast
import dataclasses
import json
import random
import re
import time

import pytest
from conftest import CTGOV, SEED

from kg.eligibility import Criterion, criteria


def _texts() -> dict[str, str]:
    records = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in CTGOV.glob("NCT*.json")}
    records["NCT07366658"] = ast.literal_eval(SEED.read_text(encoding="utf-8").split("\n", 1)[1])
    out = {}
    for nct, record in sorted(records.items()):
        module = record.get("protocolSection", {}).get("eligibilityModule", {})
        if "eligibilityCriteria" in module:
            out[nct] = module["eligibilityCriteria"]
    return out


TEXTS = _texts()

# (inclusion, exclusion) items per record, nested items included.
COUNTS = {
    "NCT00763412": (5, 6),
    "NCT00973089": (5, 3),
    "NCT02210780": (5, 8),
    "NCT02299791": (1, 1),
    "NCT02552212": (8, 11),
    "NCT03281889": (5, 5),
    "NCT03418623": (1, 0),
    "NCT03475563": (5, 7),
    "NCT04207047": (12, 22),
    "NCT04267848": (29, 0),
    "NCT05147467": (8, 11),
    "NCT05594173": (1, 7),
    "NCT07366658": (13, 19),
}


def _view(text: str) -> list[tuple[str | None, int, str]]:
    return [(c.section, c.level, c.text) for c in criteria(text)]


def test_all_real_texts_are_covered():
    assert set(TEXTS) == set(COUNTS)
    assert "NCT00465816" not in TEXTS and "NCT03453554" not in TEXTS


@pytest.mark.parametrize("nct", sorted(COUNTS))
def test_real_counts(nct):
    items = criteria(TEXTS[nct])
    sections = [c.section for c in items]
    assert (sections.count("inclusion"), sections.count("exclusion")) == COUNTS[nct]
    assert None not in sections
    assert all(c.text and c.text == " ".join(c.text.split()) for c in items)
    assert not any("\\" in c.text for c in items)


def test_nct02552212():
    items = criteria(TEXTS["NCT02552212"])
    inc = [c for c in items if c.section == "inclusion"]
    exc = [c for c in items if c.section == "exclusion"]
    assert inc[0] == Criterion(
        "inclusion",
        "At least 18 years old at the start of Screening Visit",
        0,
        "Inclusion Criteria",
    )
    assert inc[4].text == "Active disease at Screening as defined by"
    assert inc[5] == Criterion(
        "inclusion",
        "Bath Ankylosing Spondylitis Disease Activity Index (BASDAI) score >= 4",
        1,
        "Inclusion Criteria",
    )
    assert inc[6].text == "Spinal pain >= 4 on a 0 to 10 Numerical Rating Scale (NRS)"
    assert [c.level for c in inc] == [0, 0, 0, 0, 0, 1, 1, 0]
    assert exc[0] == Criterion(
        "exclusion", "Diagnosis of AS or any other Inflammatory Arthritis", 0, "Exclusion Criteria"
    )
    assert all(c.level == 0 for c in exc)


def test_nct02210780_key_headings_numbering_and_closing_note():
    items = criteria(TEXTS["NCT02210780"])
    assert {c.heading for c in items if c.section == "inclusion"} == {"Key Inclusion Criteria"}
    assert {c.heading for c in items if c.section == "exclusion"} == {"Key Exclusion Criteria"}
    assert items[0].text.startswith("Male or female adults ages 18 to 64 years with Chronic AD")
    assert "[Eichenfeld 2004]" in items[0].text
    assert items[4].text.startswith("≥10% body surface area")
    assert items[5].text == "Prior treatment with dupilumab (REGN668/ SAR231893)"
    assert items[6].text.startswith("Patients needing >10 mg of daily prednisone")
    assert items[-1].text.startswith("The information listed above is not intended")
    assert items[-1].level == 0


def test_nct04207047_nested_numbered_lists_and_lone_dash():
    items = criteria(TEXTS["NCT04207047"])
    assert items[6].text.endswith("documented on the medical history:")
    assert [(c.level, c.text) for c in items[7:10]] == [
        (1, "Postmenopausal for at least 12 months prior to study;"),
        (1, "Without a uterus and/or both ovaries; or"),
        (1, "Bilateral tubal ligation at least six months prior to study enrollment."),
    ]
    assert items[10] == Criterion(
        "inclusion",
        "Absence of physical or psychological conditions unacceptable to the investigator.",
        0,
        "Inclusion Criteria",
    )
    assert items[21].text == (
        "Subjects with implanted medical devices: pacemaker, cardioverts, superficial metal "
        "within the exposure area, and other implantable devices or synthetic fillers within "
        "the exposure area."
    )
    assert [c.level for c in items[-4:]] == [0, 1, 1, 1]
    assert items[-1].text.startswith("Psychiatric drugs")


def test_nct05147467_lead_in_paragraphs_are_items():
    items = criteria(TEXTS["NCT05147467"])
    assert items[0].text == (
        "Subjects who meet each of the following inclusion criteria are eligible to participate "
        "in this study:"
    )
    assert items[1].text == "Age ≥18 years old." and items[1].level == 0
    exc = [c for c in items if c.section == "exclusion"]
    assert exc[0].text.startswith("Subjects who meet any of the following exclusion criteria")
    assert [c.level for c in exc] == [0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0]
    assert exc[8].text == (
        "Completely resected basal cell carcinoma of the skin or localized squamous cell "
        "carcinoma of the skin;"
    )


def test_seed_bullet_then_escaped_number():
    items = criteria(TEXTS["NCT07366658"])
    assert items[0].text == "Understand and voluntarily sign the Informed Consent Form (ICF);"
    assert items[1].text.startswith("Aged ≥ 18 years and < 75 years")
    assert items[12].text.startswith("Female patients of childbearing potential")
    assert items[13] == Criterion(
        "exclusion",
        "Mixed carcinoma with non-neuroendocrine tumor components;",
        0,
        "Exclusion Criteria",
    )
    assert all(c.level == 0 for c in items)


_TEST_HEADING = re.compile(r"(key )?(inclusion|exclusion) criteria:?", re.IGNORECASE)
_TEST_MARKER = re.compile(r"^(?:[*+•-](?:\s+|$))?(?:\(?\d+\\?[.)](?:\s+|$))?")


def _words(text: str) -> list[str]:
    words = []
    for line in text.splitlines():
        line = line.strip()
        if _TEST_HEADING.fullmatch(line):
            continue
        line = re.sub(r"\\(.)", r"\1", _TEST_MARKER.sub("", line))
        words.extend(line.split())
    return words


@pytest.mark.parametrize("nct", sorted(COUNTS))
def test_no_text_lost_on_real_records(nct):
    items = criteria(TEXTS[nct])
    assert [w for c in items for w in c.text.split()] == _words(TEXTS[nct])


def test_marker_styles():
    text = (
        "* star\n- dash\n+ plus\n• bullet\n•tight\n1. dot\n2\\. escaped\n3) paren\n(4) both\n"
        "10. ten\na. letter\nb) letter paren\n(c) letter both\ni. roman\nii) roman paren\n"
        "IV. upper roman\n1.1. dotted\n\u2013 en dash"
    )
    assert [c.text for c in criteria(text)] == [
        "star",
        "dash",
        "plus",
        "bullet",
        "tight",
        "dot",
        "escaped",
        "paren",
        "both",
        "ten",
        "letter",
        "letter paren",
        "letter both",
        "roman",
        "roman paren",
        "upper roman",
        "dotted",
        "en dash",
    ]
    assert all(c.level == 0 and c.section is None and c.heading is None for c in criteria(text))


def test_numbers_in_text_are_not_markers():
    text = (
        "* 18 years or older\n* 1.5 mg/kg dose\n1.5 mg/kg dose given\n\n"
        "18 years or older\n\nE. coli infection\n\n* S. aureus carriage\n* 2017 diagnosis"
    )
    assert [c.text for c in criteria(text)] == [
        "18 years or older",
        "1.5 mg/kg dose 1.5 mg/kg dose given",
        "18 years or older",
        "E. coli infection",
        "S. aureus carriage",
        "2017 diagnosis",
    ]


def test_escaped_numbering_and_escapes():
    text = "Inclusion Criteria:\n\n1\\. Age \\>= 18\n2\\. Score \\<= 3 \\[ref\\] \\*\n10\\. x\\^2"
    assert _view(text) == [
        ("inclusion", 0, "Age >= 18"),
        ("inclusion", 0, "Score <= 3 [ref] *"),
        ("inclusion", 0, "x^2"),
    ]


def test_headings_in_caps_and_without_blank_lines():
    text = "INCLUSION CRITERIA\n1. a one\n2. a two\nEXCLUSION CRITERIA\n1. b one"
    assert [(c.section, c.heading, c.text) for c in criteria(text)] == [
        ("inclusion", "INCLUSION CRITERIA", "a one"),
        ("inclusion", "INCLUSION CRITERIA", "a two"),
        ("exclusion", "EXCLUSION CRITERIA", "b one"),
    ]
    text = "* a one\nExclusion Criteria:\n* b one"
    assert _view(text) == [(None, 0, "a one"), ("exclusion", 0, "b one")]


@pytest.mark.parametrize(
    ("line", "section", "heading"),
    [
        ("Inclusion Criteria:", "inclusion", "Inclusion Criteria"),
        ("Key Exclusion Criteria", "exclusion", "Key Exclusion Criteria"),
        ("Inclusion criteria for patients:", "inclusion", "Inclusion criteria for patients"),
        ("Inclusion Criteria for Part A:", "inclusion", "Inclusion Criteria for Part A"),
        ("Part B Exclusion Criteria:", "exclusion", "Part B Exclusion Criteria"),
        ("**Inclusion Criteria:**", "inclusion", "Inclusion Criteria"),
        ("## Exclusion criteria", "exclusion", "Exclusion criteria"),
        ("Non-inclusion criteria:", "exclusion", "Non-inclusion criteria"),
        ("Inclusion/Exclusion Criteria:", None, "Inclusion/Exclusion Criteria"),
        ("Inclusion and exclusion criteria:", None, "Inclusion and exclusion criteria"),
        ("- Exclusion Criteria:", "exclusion", "Exclusion Criteria"),
        ("Exclusion:", "exclusion", "Exclusion"),
    ],
)
def test_heading_forms(line, section, heading):
    assert criteria(f"{line}\n\n* item") == [Criterion(section, "item", 0, heading)]


def test_other_headings_keep_the_section():
    text = (
        "Inclusion Criteria:\n\nHealthy volunteers:\n\n* hv one\n\nPatients:\n* pt one\n\n"
        "Exclusion Criteria:\n\n* ex one\n\nPart B:\n\n* pb one"
    )
    assert [(c.section, c.heading, c.text) for c in criteria(text)] == [
        ("inclusion", "Healthy volunteers", "hv one"),
        ("inclusion", "Patients", "pt one"),
        ("exclusion", "Exclusion Criteria", "ex one"),
        ("exclusion", "Part B", "pb one"),
    ]
    assert criteria("Part A:\n* a one") == [Criterion(None, "a one", 0, "Part A")]
    assert [c.heading for c in criteria("* a one\nPart B:\n* b one")] == [None, "Part B"]


def test_lead_in_sentences_and_notes_are_items():
    text = "Exclusion Criteria:\n\nPatients with:\n\n* x\n\nNote:\n\nSee protocol."
    assert _view(text) == [
        ("exclusion", 0, "Patients with:"),
        ("exclusion", 0, "x"),
        ("exclusion", 0, "Note:"),
        ("exclusion", 0, "See protocol."),
    ]


def test_heading_lookalikes():
    text = (
        "Exclusion of patients with asthma: see below\n"
        "* x\ninclusion criteria:\n\ninclusion criteria:\n* y"
    )
    assert [(c.section, c.heading, c.text) for c in criteria(text)] == [
        (None, None, "Exclusion of patients with asthma: see below"),
        (None, None, "x inclusion criteria:"),
        ("inclusion", "inclusion criteria", "y"),
    ]
    text = "* last\n\n  Exclusion Criteria:\n\n  * x\n\n    Label:\n* y"
    assert _view(text) == [(None, 0, "last"), ("exclusion", 0, "x Label:"), ("exclusion", 0, "y")]
    assert _view("Inclusion criteria include age over 18") == [
        (None, 0, "Inclusion criteria include age over 18")
    ]


def test_inline_heading_content():
    text = "Inclusion Criteria: Adults aged 18+\nExclusion Criteria: None"
    assert [(c.section, c.heading, c.text) for c in criteria(text)] == [
        ("inclusion", "Inclusion Criteria", "Adults aged 18+"),
        ("exclusion", "Exclusion Criteria", "None"),
    ]


def test_no_headings():
    text = "* one\n* two\n  * two a\n\nplain paragraph"
    assert _view(text) == [
        (None, 0, "one"),
        (None, 0, "two"),
        (None, 1, "two a"),
        (None, 0, "plain paragraph"),
    ]
    assert _view("Adults with asthma") == [(None, 0, "Adults with asthma")]


def test_continuation_lines():
    text = (
        "Inclusion Criteria:\n\n"
        "* Adequate organ function\n  defined as ANC >= 1500\n"
        "* Lazy continuation\nwithout indent\n"
        "* Item with a second paragraph:\n\n  which still belongs to it\n"
        "* Last item\n\n"
        "A separate closing paragraph\nwrapped over two lines\n\n"
        "Another paragraph"
    )
    assert [c.text for c in criteria(text)] == [
        "Adequate organ function defined as ANC >= 1500",
        "Lazy continuation without indent",
        "Item with a second paragraph: which still belongs to it",
        "Last item",
        "A separate closing paragraph wrapped over two lines",
        "Another paragraph",
    ]


def test_nesting_levels():
    text = "1. a\n   a. b\n      i. c\n   b. d\n2. e\n\tx. tabbed\n\n  paragraph under"
    assert [(c.level, c.text) for c in criteria(text)] == [
        (0, "a"),
        (1, "b"),
        (2, "c"),
        (1, "d"),
        (0, "e"),
        (1, "tabbed"),
        (1, "paragraph under"),
    ]


def test_empty_items_dropped_and_hard_breaks():
    assert criteria("*\n-\n* \n1.\n  -\n* ...") == []
    assert [c.text for c in criteria("* first line\\\n  second line")] == ["first line second line"]
    assert criteria("") == [] and criteria("\n \n\t") == []
    assert criteria("Inclusion Criteria:\n\nExclusion Criteria:") == []


def test_criterion_is_frozen():
    item = criteria("* x")[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        item.text = "y"  # type: ignore[misc]
    assert not hasattr(item, "__dict__")


def test_fuzz_never_raises():
    rng = random.Random(20240611)
    atoms = [
        "\n", "\n\n", " ", "  ", "\t", "*", "-", "+", "•", "1.", "2\\.", "10)", "(3)", "a.", "iv)",
        "\\", "\\>", ":", "Inclusion Criteria:", "EXCLUSION CRITERIA", "Part A:", "**", "#",
        "word", "E. coli", "1.5", "é", "\u2028", "\r\n", "\x00", "\ud800", "(", ")", "[", "]",
    ]  # fmt: skip
    for _ in range(3000):
        if rng.random() < 0.5:
            text = "".join(rng.choice(atoms) for _ in range(rng.randrange(40)))
        else:
            text = "".join(chr(rng.randrange(0x2FF)) for _ in range(rng.randrange(80)))
        items = criteria(text)
        assert items == criteria(text)
        for c in items:
            assert c.section in {"inclusion", "exclusion", None}
            assert c.level >= 0
            assert c.text and c.text == c.text.strip() and "\n" not in c.text


def test_linear_and_fast():
    big = "\n\n".join(TEXTS.values())
    big = (big * (50_000 // len(big) + 1))[:50_000]
    best = min(_timed(big) for _ in range(3))
    assert best < 0.05
    one_line = "x" * 50_000 + ": " + "Inclusion " * 5_000
    assert min(_timed(one_line) for _ in range(3)) < 0.05


def _timed(text: str) -> float:
    start = time.perf_counter()
    criteria(text)
    return time.perf_counter() - start
