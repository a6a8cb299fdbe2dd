"""The one place that finds the files shipped with the package: sample, ontology, shapes, queries.

In an installed package ``shapes/`` and ``queries/`` sit inside ``kg/``; in a source checkout
they sit beside it, at the repository root.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
DATA = PACKAGE / "data"
SAMPLE = DATA / "sample"
ONTOLOGY = DATA / "ontology.ttl"


def _shipped(name: str) -> Path:
    inside = PACKAGE / name
    return inside if inside.is_dir() else PACKAGE.parent / name


def sample_paths() -> list[Path]:
    """The real records shipped as a sample, sorted by name."""
    return sorted(p for p in SAMPLE.iterdir() if p.suffix in (".json", ".txt"))


def shapes_dir() -> Path:
    """The SHACL shapes directory."""
    return _shipped("shapes")


def queries_dir() -> Path:
    """The SPARQL query library directory."""
    return _shipped("queries")
