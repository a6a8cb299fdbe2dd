"""What SHACL validation found: one row per finding, and the report as text, JSON or RDF.

The rows say which study a finding belongs to; the standard SHACL report graph (``graph``)
says the same in RDF, for tools that read SHACL reports.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from itertools import groupby

import rdflib

from kg.errors import RecordError
from kg.namespaces import PREFIXES

SEVERITIES = ("Violation", "Warning", "Info")
SHAPES = "https://w3id.org/ctgov-kg/shapes#"
_PREFIXES = {"ctgsh": SHAPES, "sh": "http://www.w3.org/ns/shacl#", **PREFIXES}


@dataclass(frozen=True, order=True)
class ValidationResult:
    """One finding: the study it belongs to (None for a node outside every study), the node at
    fault, the property path (``^`` before an inverse path), the offending value, the shape's
    message, the severity (Violation, Warning, Info), the shape and the SHACL constraint
    component that failed."""

    nct_id: str | None
    focus: str
    path: str | None
    value: str | None
    message: str
    severity: str
    shape: str
    constraint: str


@dataclass
class ValidationReport:
    """The outcome of validating a graph against the shapes.

    ``conforms`` is True when there is no sh:Violation; warnings and infos are reported but do
    not fail. ``studies`` counts the studies validated; ``errors`` lists the records that could
    not be mapped, and so were not validated (when records were given).
    """

    conforms: bool
    results: list[ValidationResult] = field(default_factory=list)
    graph: rdflib.Graph = field(default_factory=rdflib.Graph)
    studies: int = 0
    errors: list[RecordError] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """The number of findings of each severity."""
        found = dict.fromkeys(SEVERITIES, 0)
        for row in self.results:
            found[row.severity] = found.get(row.severity, 0) + 1
        return found

    def invalid_studies(self) -> list[str]:
        """The NCT IDs of the studies with at least one violation, sorted."""
        return sorted(
            {r.nct_id for r in self.results if r.severity == "Violation" and r.nct_id is not None}
        )

    def summary(self) -> str:
        """One line: studies validated, how many have violations, findings by severity."""
        counts = self.counts()
        found = ", ".join(f"{n} {_plural(s.lower(), n)}" for s, n in counts.items())
        invalid = len(self.invalid_studies())
        verdict = "conforms" if self.conforms else "does not conform"
        failed = f", {len(self.errors)} not mapped" if self.errors else ""
        return (
            f"{self.studies} {_plural('study', self.studies)} validated{failed}, {invalid} with "
            f"violations; {found}: {verdict}"
        )

    def text(self) -> str:
        """The findings for people: grouped by study, then by shape, violations first."""
        lines: list[str] = []
        rows = sorted(self.results, key=_reading_order)
        for nct, study_rows in groupby(rows, key=lambda r: r.nct_id):
            found = list(study_rows)
            counts = _count(found)
            title = nct or "not in any study (shared nodes)"
            lines.append(f"{title}: {counts}")
            for (severity, shape, message), group in groupby(
                found, key=lambda r: (r.severity, r.shape, r.message)
            ):
                lines.append(f"  {severity} {compact(shape)}: {message}")
                for row in group:
                    lines.append("    " + _where(row))
            lines.append("")
        lines += [f"error: {error}" for error in self.errors]
        lines.append(self.summary())
        return "\n".join(lines) + "\n"

    def to_json(self) -> str:
        """The findings as JSON: ``conforms``, ``studies``, ``counts`` and one object per row."""
        return json.dumps(
            {
                "conforms": self.conforms,
                "studies": self.studies,
                "counts": self.counts(),
                "errors": [str(e) for e in self.errors],
                "results": [asdict(r) for r in sorted(self.results, key=_reading_order)],
            },
            indent=2,
            ensure_ascii=False,
        )

    def serialize(self, format: str = "turtle") -> str:
        """The standard SHACL report graph as Turtle (``turtle``) or JSON-LD (``json``)."""
        if format in ("json", "json-ld"):
            return self.graph.serialize(format="json-ld", context=_PREFIXES, indent=2)
        return self.graph.serialize(format=format)


def compact(iri: str) -> str:
    """An IRI with a known prefix as ``prefix:local``; ``^`` (inverse path) kept in front."""
    inverse = iri.startswith("^")
    bare = iri[1:] if inverse else iri
    for prefix, namespace in _PREFIXES.items():
        if bare.startswith(namespace) and len(bare) > len(namespace):
            bare = f"{prefix}:{bare[len(namespace) :]}"
            break
    return ("^" if inverse else "") + bare


def _where(row: ValidationResult) -> str:
    parts = [compact(row.focus)]
    if row.path:
        parts.append(f"path {compact(row.path)}")
    if row.value is not None and row.value != row.focus:
        parts.append(f"value {row.value!r}" if len(row.value) <= 80 else "value (long text)")
    return "  ".join(parts)


def _reading_order(row: ValidationResult) -> tuple:
    return (
        row.nct_id is None,
        row.nct_id or "",
        SEVERITIES.index(row.severity) if row.severity in SEVERITIES else len(SEVERITIES),
        row.shape,
        row.message,
        row.focus,
        row.path or "",
        row.value or "",
    )


def _count(rows: Iterable[ValidationResult]) -> str:
    counts = dict.fromkeys(SEVERITIES, 0)
    for row in rows:
        counts[row.severity] = counts.get(row.severity, 0) + 1
    return ", ".join(f"{n} {_plural(s.lower(), n)}" for s, n in counts.items() if n)


def _plural(word: str, n: int) -> str:
    if n == 1:
        return word
    return word[:-1] + "ies" if word.endswith("y") else word + "s"
