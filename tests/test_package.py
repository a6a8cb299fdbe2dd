"""What a plain ``pip install .`` puts in the wheel: the package, its data, shapes and queries."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import kg
from kg import resources

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
    )
    (path,) = out.glob("ctgov_kg-*.whl")
    return zipfile.ZipFile(path)


def test_wheel_ships_shapes_queries_ontology_and_sample(wheel):
    names = set(wheel.namelist())
    for folder in ("shapes", "queries"):
        for path in (ROOT / folder).iterdir():
            assert f"kg/{folder}/{path.name}" in names
    assert "kg/data/ontology.ttl" in names
    for path in (ROOT / "kg" / "data" / "sample").iterdir():
        assert f"kg/data/sample/{path.name}" in names
    assert "kg/py.typed" in names


def test_installed_package_finds_its_files():
    assert resources.ONTOLOGY.is_file()
    assert resources.shapes_dir().is_dir()
    assert resources.queries_dir().is_dir()
    assert {p.stem for p in kg.sample_paths()} >= {"NCT07366658"}


def test_all_names_every_public_name():
    public = sorted(
        (n for n in vars(kg) if not n.startswith("_") or n == "__version__"), key=str.casefold
    )
    modules = {n for n in public if type(getattr(kg, n)).__name__ == "module"}
    assert set(kg.__all__) == set(public) - modules - {"annotations"}
