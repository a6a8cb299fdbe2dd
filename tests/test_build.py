"""``kg build`` and ``kg.build``: inputs, failures beside good records, duplicates, formats."""

from __future__ import annotations

import errno
import io
import json
import os
import shutil
import tempfile
import zipfile
from pathlib import Path

import pytest
import rdflib
from conftest import CTGOV, PARTIAL, RECORD_FILES, SEED
from rdflib.compare import isomorphic

import kg
from kg.build import run
from kg.cli import main
from kg.sinks import DatasetSink, NQuadsSink

ALL_STUDIES = sorted({p.stem for p in RECORD_FILES} | {"NCT07366658"})


def _dataset(path: Path) -> rdflib.Dataset:
    ds = rdflib.Dataset(default_union=True)
    ds.parse(path, format="nquads")
    return ds


def test_every_shared_record_and_the_seed_build_without_failure(tmp_path, capsys):
    out = tmp_path / "all.nq"
    assert main(["build", str(CTGOV), str(SEED), "-o", str(out)]) == 0
    err = capsys.readouterr().err
    # 14 files + the page (whose study is also a file) + the seed
    assert "read 16, converted 15, failed 0, duplicates 1" in err
    ds = _dataset(out)
    graphs = {str(g.identifier).rsplit("/", 1)[1] for g in ds.graphs() if len(g)}
    assert graphs == set(ALL_STUDIES)


def test_python_api_builds_the_same_graph_as_the_cli(tmp_path):
    out = tmp_path / "all.nq"
    assert main(["build", str(CTGOV), str(SEED), "-o", str(out), "-q"]) == 0
    graph = kg.build([CTGOV, SEED])
    assert graph.studies() == ALL_STUDIES
    assert graph.report.ok
    # build times differ between the two runs; everything else is the same
    stamp = rdflib.URIRef("http://www.w3.org/ns/prov#generatedAtTime")
    from_cli = rdflib.Graph()
    for s, p, o, _ in _dataset(out).quads((None, None, None, None)):
        if p != stamp:
            from_cli.add((s, p, o))
    assert isomorphic(from_cli, graph.union())


def test_sample_build_needs_nothing_beside_the_package(tmp_path, capsys):
    out = tmp_path / "sample.nq"
    assert main(["build", "--sample", "-o", str(out)]) == 0
    assert "failed 0" in capsys.readouterr().err
    studies = {
        str(s).rsplit("/", 1)[1]
        for s in _dataset(out).subjects(rdflib.RDF.type, rdflib.URIRef(kg.mapping.CTG + "Study"))
    }
    assert "NCT07366658" in studies
    assert len(studies) == len(kg.sample_paths())


def _good_and_bad(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(CTGOV / "NCT03475563.json", folder / "a_good.json")
    (folder / "b_truncated.json").write_text('{"protocolSection": {"identificationModule": {')
    (folder / "c_empty.json").write_text("")
    (folder / "d_latin1.json").write_bytes('{"x": "caf\xe9"}'.encode("latin-1"))
    (folder / "e_no_nct.json").write_text(json.dumps({"protocolSection": {"statusModule": {}}}))
    wrong = json.loads((CTGOV / "NCT03418623.json").read_text())
    wrong["protocolSection"]["designModule"]["enrollmentInfo"]["count"] = "many"
    (folder / "f_wrong_type.json").write_text(json.dumps(wrong))
    shutil.copy(CTGOV / "NCT04207047.json", folder / "g_good.json")
    return folder


def test_malformed_inputs_fail_clearly_and_the_good_records_are_all_in(tmp_path, capsys):
    folder = _good_and_bad(tmp_path)
    out = tmp_path / "out.nq"
    assert main(["build", str(folder), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert "read 7, converted 2, failed 5" in err
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 5
    joined = "\n".join(lines)
    assert "b_truncated.json" in joined
    assert "c_empty.json" in joined and "empty" in joined
    assert "d_latin1.json" in joined and "UTF-8" in joined
    assert "e_no_nct.json" in joined and "$.protocolSection.identificationModule.nctId" in joined
    assert (
        "f_wrong_type.json: NCT03418623: $.protocolSection.designModule.enrollmentInfo.count: "
        "expected an integer" in joined
    )
    graphs = {str(g.identifier) for g in _dataset(out).graphs() if len(g)}
    assert graphs == {
        "https://w3id.org/ctgov-kg/graph/NCT03475563",
        "https://w3id.org/ctgov-kg/graph/NCT04207047",
    }


def test_strict_stops_at_the_first_failure_and_writes_nothing(tmp_path, capsys):
    folder = _good_and_bad(tmp_path)
    out = tmp_path / "out.nq"
    assert main(["build", str(folder), "-o", str(out), "--strict"]) == 1
    assert "b_truncated.json" in capsys.readouterr().err
    assert not out.exists()
    assert not list(tmp_path.glob(".kg-build-*"))


def test_failed_record_is_not_half_added():
    sink = DatasetSink()
    bad = {
        "protocolSection": {
            "identificationModule": {"nctId": "NCT00000002", "briefTitle": "x"},
            "conditionsModule": {"conditions": [1]},
        }
    }
    stream = io.BytesIO(json.dumps(bad).encode())
    report = run(["-"], sink, stdin=stream)
    assert report.failed == 1 and report.converted == 0
    assert len(sink.dataset) == 0


def _with_version(nct_record: dict, date: str, title: str) -> dict:
    record = json.loads(json.dumps(nct_record))
    record["protocolSection"]["statusModule"]["lastUpdatePostDateStruct"]["date"] = date
    record["protocolSection"]["identificationModule"]["briefTitle"] = title
    return record


@pytest.mark.parametrize("newer_first", [True, False])
def test_the_later_version_of_a_study_wins(tmp_path, capsys, newer_first):
    base = json.loads((CTGOV / "NCT03475563.json").read_text())
    old = _with_version(base, "2020-01-01", "Old title")
    new = _with_version(base, "2024-06-30", "New title")
    lines = [new, old] if newer_first else [old, new]
    src = tmp_path / "two.jsonl"
    src.write_text("\n".join(json.dumps(r) for r in lines) + "\n")
    out = tmp_path / "out.nq"
    assert main(["build", str(src), "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert "read 2, converted 1, failed 0, duplicates 1" in err
    assert "NCT03475563 seen before" in err
    titles = {
        str(o) for o in _dataset(out).objects(None, rdflib.URIRef(kg.mapping.CTG + "briefTitle"))
    }
    assert titles == {"New title"}


def test_bulk_zip_and_stdin(tmp_path, monkeypatch, capsys):
    archive = tmp_path / "ctg-studies.json.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in RECORD_FILES:
            zf.write(path, path.name)
    out = tmp_path / "zip.nq"
    assert main(["build", str(archive), "-o", str(out), "-q"]) == 0
    assert (
        f"read {len(RECORD_FILES)}, converted {len(RECORD_FILES)}, failed 0"
        in capsys.readouterr().err
    )

    stdin = io.TextIOWrapper(io.BytesIO((CTGOV / "NCT03418623.json").read_bytes()))
    monkeypatch.setattr("sys.stdin", stdin)
    stdout = io.TextIOWrapper(io.BytesIO())
    monkeypatch.setattr("sys.stdout", stdout)
    assert main(["build", "-", "-o", "-", "-q"]) == 0
    stdout.flush()
    text = stdout.buffer.getvalue().decode()
    assert "<https://w3id.org/ctgov-kg/graph/NCT03418623> ." in text


@pytest.mark.parametrize("suffix", [".ttl", ".nt", ".trig", ".jsonld", ".rdf"])
def test_every_output_format_holds_the_same_triples(tmp_path, suffix):
    reference = kg.build(CTGOV / "NCT00763412.json", built_at="2026-01-01T00:00:00Z").union()
    out = tmp_path / f"out{suffix}"
    assert main(["build", str(CTGOV / "NCT00763412.json"), "-o", str(out), "-q"]) == 0
    parsed = rdflib.Dataset() if suffix in (".trig", ".jsonld") else rdflib.Graph()
    parsed.parse(out, format=kg.graph.format_for(out))
    triples = rdflib.Graph()
    for s, p, o, *_ in (
        parsed.quads((None, None, None, None)) if isinstance(parsed, rdflib.Dataset) else parsed
    ):
        if p != rdflib.URIRef("http://www.w3.org/ns/prov#generatedAtTime"):
            triples.add((s, p, o))
    reference.remove((None, rdflib.URIRef("http://www.w3.org/ns/prov#generatedAtTime"), None))
    assert isomorphic(triples, reference)


def test_unknown_output_extension_is_a_usage_error(tmp_path, capsys):
    assert main(["build", str(SEED), "-o", str(tmp_path / "out.csv")]) == 2
    assert "unknown output format '.csv'" in capsys.readouterr().err


def test_missing_input_path_is_a_usage_error(tmp_path, capsys):
    assert main(["build", str(tmp_path / "nope.json"), "-o", str(tmp_path / "o.nq")]) == 2
    assert "nope.json" in capsys.readouterr().err


def test_n_quads_and_dataset_sinks_give_isomorphic_graphs(tmp_path):
    for path in [*RECORD_FILES, SEED]:
        out = tmp_path / f"{path.stem}.nq"
        nq = NQuadsSink(out)
        run([path], nq, built_at="2026-01-01T00:00:00Z")
        nq.close()
        ds = DatasetSink()
        run([path], ds, built_at="2026-01-01T00:00:00Z")
        for graph in ds.dataset.graphs():
            if len(graph):
                parsed = _dataset(out).graph(graph.identifier)
                assert isomorphic(parsed, graph), path.name


def test_same_input_gives_byte_identical_output(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    first, second = tmp_path / "1.nq", tmp_path / "2.nq"
    assert main(["build", str(CTGOV), "-o", str(first), "-q"]) == 0
    assert main(["build", str(CTGOV), "-o", str(second), "-q"]) == 0
    assert first.read_bytes() == second.read_bytes()
    assert b'"2026-01-01T00:00:00Z"' in first.read_bytes()


def test_partial_fixtures_are_in_the_graph():
    graph = kg.build([CTGOV / f"{n}.json" for n in sorted(PARTIAL)])
    assert graph.studies() == sorted(PARTIAL)


def test_output_appears_only_when_complete(tmp_path):
    target = tmp_path / "out.nq"
    mapped = kg.map_record(json.loads((CTGOV / "NCT03418623.json").read_text()))
    sink = NQuadsSink(target)
    sink.add(mapped)
    assert not target.exists()
    sink.abort()
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []
    sink = NQuadsSink(target)
    sink.add(mapped)
    sink.close()
    assert target.read_text().count("\n") == len(mapped.quads)
    assert target.stat().st_mode & 0o777 == 0o666 & ~_umask()
    assert [p.name for p in tmp_path.iterdir()] == ["out.nq"]


def test_interrupted_build_leaves_no_output(tmp_path, monkeypatch, capsys):
    def interrupted(report):
        if report.read == 3:
            raise KeyboardInterrupt

    monkeypatch.setattr("kg.cli._Progress.__call__", lambda self, report: interrupted(report))
    monkeypatch.setattr("sys.stderr.isatty", lambda: True)
    out = tmp_path / "out.nq"
    assert main(["build", str(CTGOV), "-o", str(out)]) == 130
    assert "interrupted" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@pytest.mark.parametrize("suffix", [".nq", ".nt"])
@pytest.mark.parametrize("rotate", [None, 1])
def test_parallel_build_gives_the_same_output_and_report(
    tmp_path, monkeypatch, capsys, suffix, rotate
):
    """Also with a worker's spool file renewed after every record; no spool file is left."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    spools = tmp_path / "temp"
    spools.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(spools))
    if rotate:
        monkeypatch.setattr("kg.spool.ROTATE_BYTES", rotate)
    archive = tmp_path / "ctg-studies.json.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in RECORD_FILES:
            zf.write(path, path.name)
        zf.writestr("NCT99999999.json", "{ truncated")
    inputs = [str(archive), str(_good_and_bad(tmp_path)), str(CTGOV), str(SEED)]
    outputs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"out-{jobs}{suffix}"
        assert main(["build", *inputs, "-o", str(out), "--jobs", jobs]) == 1
        outputs.append((out.read_bytes(), capsys.readouterr().err))
    (serial, serial_err), (parallel, parallel_err) = outputs
    assert serial == parallel
    assert serial_err == parallel_err
    assert "failed 6" in serial_err and "NCT99999999.json" in serial_err
    assert list(spools.iterdir()) == []


def test_a_spool_reads_back_what_each_writer_wrote_and_removes_what_it_read_past(tmp_path):
    from kg.spool import SpoolReader, SpoolWriter

    writer = SpoolWriter(str(tmp_path), rotate_bytes=10)
    spans = [writer.write(data) for data in (b"first line\n", b"second\n", b"\xc3\xa9\n")]
    assert [s.number for s in spans] == [0, 1, 1]
    reader = SpoolReader(str(tmp_path))
    assert reader.read(spans[0]) == b"first line\n"
    assert reader.read(spans[1]) == b"second\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{spans[1].writer}-1.nq"]
    assert reader.read(spans[2]) == b"\xc3\xa9\n"
    reader.close()
    assert list(tmp_path.iterdir()) == []


def test_parallel_builds_in_one_process_read_a_bulk_zip_whole_each_time(tmp_path):
    """A second build of the same archive in one process forks its workers while the process
    knows the archive from the first: each worker must read it through a file of its own (a
    shared file offset made workers read each other's members: studies lost, or a hang)."""
    archive = tmp_path / "ctg-studies.json.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for i in range(200):
            record = json.loads(RECORD_FILES[i % len(RECORD_FILES)].read_text())
            record["protocolSection"]["identificationModule"]["nctId"] = f"NCT9{i:07d}"
            zf.writestr(f"NCT9{i:07d}.json", json.dumps(record))
    outputs = []
    for n in range(2):
        out = tmp_path / f"out-{n}.nq"
        sink = NQuadsSink(out)
        report = run([archive], sink, jobs=2, built_at="2026-01-01T00:00:00Z")
        sink.close()
        assert (report.converted, report.failed) == (200, 0)
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    from kg.read import _open_archive

    assert _open_archive.cache_info().currsize == 0  # the build leaves no archive open


def test_encoded_lines_read_back_as_the_same_terms():
    from kg.sinks import encode, encode_apart
    from kg.terms import XSD_INTEGER, Lit

    g, shared = "https://w3id.org/ctgov-kg/graph/NCT00000001", "https://example.org/shared"
    study = "https://w3id.org/ctgov-kg/study/NCT00000001"
    awkward = 'a "quoted" back\\slash\nnew line\r\nand a tab\t and é ≥ 5'
    quads = [
        (study, "https://example.org/p", Lit(awkward), g),
        (study, "https://example.org/n", Lit("12", XSD_INTEGER), g),
        (study, "https://example.org/l", Lit("Grüße", lang="de"), g),
        ("https://w3id.org/ctgov-kg/organization/x", "https://example.org/o", study, g),
    ]
    parsed = rdflib.Dataset()
    parsed.parse(data=encode(quads).decode("utf-8"), format="nquads")
    objects = {str(p): o for _, p, o, _ in parsed.quads()}
    assert objects["https://example.org/p"] == rdflib.Literal(awkward)
    assert objects["https://example.org/n"] == rdflib.Literal("12", datatype=rdflib.XSD.integer)
    assert objects["https://example.org/l"] == rdflib.Literal("Grüße", lang="de")
    assert objects["https://example.org/o"] == rdflib.URIRef(study)
    as_triples = encode(quads, triples=True).decode("utf-8")
    assert as_triples.count(" .\n") == 4 and g not in as_triples
    own, common = encode_apart(quads, shared)
    assert own == encode(quads[:3])
    assert common == f"<{quads[3][0]}> <https://example.org/o> <{study}> <{shared}> .\n".encode()


def test_a_build_collects_garbage_rarely_and_restores_the_thresholds_after():
    import gc

    from kg.build import GC_THRESHOLD

    before = gc.get_threshold()
    seen: list[int] = []
    run([SEED], DatasetSink(), progress=lambda report: seen.append(gc.get_threshold()[0]))
    assert seen and all(t >= GC_THRESHOLD > before[0] for t in seen)
    assert gc.get_threshold() == before


def test_a_worker_that_dies_stops_the_build_with_an_error_naming_what_it_converted(
    tmp_path, monkeypatch, capsys
):
    """A worker killed (out of memory, say) used to leave the build waiting for it forever."""
    import importlib
    import signal
    import threading

    from kg.errors import BuildError

    build = importlib.import_module("kg.build")  # kg.build is also the function

    archive = tmp_path / "ctg-studies.json.zip"
    record = json.loads(RECORD_FILES[0].read_text())
    with zipfile.ZipFile(archive, "w") as zf:
        for i in range(60):
            record["protocolSection"]["identificationModule"]["nctId"] = f"NCT9{i:07d}"
            zf.writestr(f"NCT9{i:07d}.json", json.dumps(record))
    parent, convert = os.getpid(), build._convert

    def dies_on_one(record, options, *, encode):
        if os.getpid() != parent and record.nct_id == "NCT90000037":
            os.kill(os.getpid(), signal.SIGKILL)
        return convert(record, options, encode=encode)

    monkeypatch.setattr(build, "_convert", dies_on_one)
    ended: list[BaseException | None] = []

    def go() -> None:
        sink = NQuadsSink(tmp_path / "out.nq")
        try:
            run([archive], sink, jobs=2)
        except BaseException as exc:
            sink.abort()
            ended.append(exc)
        else:
            ended.append(None)

    thread = threading.Thread(target=go, daemon=True)
    thread.start()
    thread.join(60)
    assert ended, "the build still waits for the worker that died"
    assert isinstance(ended[0], BuildError)
    assert f"{archive}!NCT90000037.json" in str(ended[0])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ctg-studies.json.zip"]
    assert main(["build", str(archive), "-o", str(tmp_path / "cli.nq"), "-j", "2"]) == 1
    err = capsys.readouterr().err
    assert "kg build: error: a worker process ended abruptly" in err and "nothing written" in err
    assert not (tmp_path / "cli.nq").exists()
    store = tmp_path / "store"
    assert main(["build", str(archive), "--store", str(store), "-j", "2"]) == 1
    assert "ended abruptly" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ctg-studies.json.zip", "store"]
    assert len(kg.OxigraphStore.open(store, read_only=True)) == 0


class _FillingUp:
    """A file on a disk that is full once ``room`` bytes are written to it."""

    def __init__(self, inner, room: int) -> None:
        self.inner = inner
        self.room = room

    def write(self, data) -> int:
        if len(data) > self.room:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self.room -= len(data)
        return self.inner.write(data)

    def __getattr__(self, name: str):
        return getattr(self.inner, name)


@pytest.mark.parametrize("room", [0, 40_000])
@pytest.mark.parametrize("name", ["out.nq", "out.ttl"])
def test_a_full_disk_ends_the_build_with_an_error_naming_the_output_and_leaves_no_file(
    tmp_path, monkeypatch, capsys, name, room
):
    made = tempfile.NamedTemporaryFile
    monkeypatch.setattr(
        "kg.atomic.tempfile.NamedTemporaryFile", lambda *a, **k: _FillingUp(made(*a, **k), room)
    )
    out = tmp_path / name
    assert main(["build", str(CTGOV), "-o", str(out), "-j", "1"]) == 1
    assert f"{out}: cannot write: No space left on device" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_a_full_standard_output_ends_the_build_with_an_error(monkeypatch, capsys):
    monkeypatch.setattr("kg.cli.stdout_binary", lambda: _FillingUp(io.BytesIO(), 10_000))
    assert main(["build", str(CTGOV), "-o", "-"]) == 1
    assert "cannot write: No space left on device" in capsys.readouterr().err


def test_a_full_temporary_directory_ends_a_parallel_build_with_an_error_naming_it(
    tmp_path, monkeypatch, capsys
):
    """The workers' spool files are in TMPDIR; the forked workers inherit the full disk."""

    def full(*args, **kwargs):
        return _FillingUp(open(*args, **kwargs), 0)

    monkeypatch.setattr("kg.spool.open", full, raising=False)
    out = tmp_path / "out.nq"
    assert main(["build", str(CTGOV), "-o", str(out), "-j", "2"]) == 1
    err = capsys.readouterr().err
    assert "(the workers' spool, in TMPDIR): cannot write: No space left on device" in err
    assert "nothing written" in err
    assert list(tmp_path.iterdir()) == []
