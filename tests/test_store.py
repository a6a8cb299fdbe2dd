"""The Oxigraph store: a new store made whole or not at all, updates that touch only the changed
studies, each study replaced in one piece, and the same triples as every other sink."""

from __future__ import annotations

import copy
import gc
import json
import threading
from decimal import Decimal

import pyoxigraph as ox
import pytest
import rdflib
from conftest import CTGOV, RECORD_FILES, SEED, load_record
from rdflib.compare import isomorphic

import kg
from kg.build import run
from kg.cli import main
from kg.errors import OutputError
from kg.iris import graph_iri
from kg.namespaces import CTG, GRAPH, LABEL
from kg.namespaces import STUDY as STUDY_NS
from kg.sinks import DatasetSink
from kg.store import SHARED, BulkSink, OxigraphStore, UpdateSink

INPUTS = [CTGOV, SEED]
STUDY = "NCT07366658"
DECIMAL = rdflib.XSD.decimal


def dataset(store: OxigraphStore | ox.Store) -> rdflib.Dataset:
    """The store's quads as an rdflib Dataset."""
    store = getattr(store, "store", store)
    parsed = rdflib.Dataset()
    parsed.parse(data=store.dump(format=ox.RdfFormat.N_QUADS), format="nquads")
    return parsed


def union(store: OxigraphStore | ox.Store | rdflib.Dataset) -> rdflib.Graph:
    """Every triple, whatever graph holds it; decimals in canonical form, as Oxigraph keeps
    them (it stores ``1.0`` as ``1``)."""
    quads = store if isinstance(store, rdflib.Dataset) else dataset(store)
    merged = rdflib.Graph()
    for s, p, o, _ in quads.quads():
        if isinstance(o, rdflib.Literal) and o.datatype == DECIMAL:
            o = rdflib.Literal(format(Decimal(str(o)).normalize(), "f"), datatype=DECIMAL)
        merged.add((s, p, o))
    return merged


def title(store: OxigraphStore, nct_id: str) -> str:
    rows = store.store.query(
        f"SELECT ?t WHERE {{ GRAPH <{graph_iri(nct_id)}> {{ ?s <{CTG}briefTitle> ?t }} }}"
    )
    return next(iter(rows))["t"].value


def newer(record: dict, date: str, brief_title: str) -> dict:
    """A copy of ``record`` updated on ``date`` with a new brief title."""
    copied = copy.deepcopy(record)
    protocol = copied["protocolSection"]
    protocol["statusModule"]["lastUpdatePostDateStruct"]["date"] = date
    protocol["identificationModule"]["briefTitle"] = brief_title
    return copied


def write(path, record: dict):
    path.write_text(json.dumps(record), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> OxigraphStore:
    target = tmp_path_factory.mktemp("store") / "store"
    store = OxigraphStore.open(target, create=True)
    store.build(INPUTS)
    return store


# --- every way in gives the same triples ----------------------------------------------------


@pytest.mark.parametrize("path", [*RECORD_FILES, SEED], ids=lambda p: p.stem)
def test_bulk_and_update_sinks_give_the_dataset_sinks_triples(path):
    reference = DatasetSink()
    run([path], reference, built_at="2026-01-01T00:00:00Z")
    expected = union(reference.dataset)
    for sink_type in (BulkSink, UpdateSink):
        store = ox.Store()
        sink = sink_type(store)
        run([path], sink, built_at="2026-01-01T00:00:00Z")
        sink.close()
        assert isomorphic(union(store), expected), sink_type.__name__


def test_one_bulk_load_or_many_small_ones_give_the_same_quads(tmp_path):
    record = load_record(STUDY)
    twice = [*INPUTS, write(tmp_path / "new.json", newer(record, "2099-01-01", "Newer title"))]
    loaded, loads = [], []
    for loaders, batch_bytes in ((1, 1 << 30), (3, 1), (2, 20_000)):
        store = _Recording()
        sink = BulkSink(store, loaders=loaders, batch_bytes=batch_bytes)  # type: ignore[arg-type]
        run(twice, sink, built_at="2026-01-01T00:00:00Z")
        sink.close()
        loaded.append(store.inner)
        loads.append(store.calls.count("bulk_load"))
    assert loads[0] == 1
    assert loads[1] > loads[2] > 1
    one, *others = ({str(q).replace(str(tmp_path), "") for q in s} for s in loaded)
    assert all(other == one for other in others)
    assert len(one) > 38_000
    assert title(OxigraphStore(loaded[1]), STUDY) == "Newer title"


def test_a_bulk_load_that_fails_ends_the_build_with_its_error_naming_the_store():
    sink = BulkSink(_NoRoom(ox.Store()), batch_bytes=1, where="registry")  # type: ignore[arg-type]
    with pytest.raises(OutputError, match=r"^registry: cannot write: IO error: No space left"):
        run(INPUTS, sink, built_at="2026-01-01T00:00:00Z")
        sink.close()
    assert not sink._threads


def test_an_update_on_a_full_disk_ends_with_an_error_naming_the_store():
    sink = UpdateSink(_NoRoom(ox.Store()), batch_bytes=1, where="registry")  # type: ignore[arg-type]
    with pytest.raises(OutputError, match=r"^registry: cannot write: IO error: No space left"):
        run(INPUTS, sink, built_at="2026-01-01T00:00:00Z")
        sink.close()


def test_a_first_store_build_on_a_full_disk_names_the_store_and_makes_none(
    tmp_path, monkeypatch, capsys
):
    opened = ox.Store
    monkeypatch.setattr("kg.store.ox.Store", lambda *path: _NoRoom(opened(*path)))
    target = tmp_path / "store"
    assert main(["build", str(CTGOV), "--store", str(target), "-q"]) == 1
    err = capsys.readouterr().err
    assert f"kg build: error: {target}: cannot write: IO error: No space left on device" in err
    assert err.rstrip().endswith("; no store was made")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["store"]
    monkeypatch.undo()
    gc.collect()  # the error's traceback, in a cycle, still holds the command's store open
    assert OxigraphStore.open(target).empty


class _NoRoom:
    """A pyoxigraph Store on a full disk: every write fails as RocksDB's do."""

    def __init__(self, inner: ox.Store) -> None:
        self.inner = inner

    def bulk_load(self, **_: object) -> None:
        raise OSError("IO error: No space left on device: While appending to file: 000012.sst")

    load = update = bulk_load

    def __getattr__(self, name: str):
        return getattr(self.inner, name)


class _Recording:
    """A pyoxigraph Store that notes the calls the sink makes of it, in order."""

    def __init__(self) -> None:
        self.inner = ox.Store()
        self.calls: list[str] = []

    def __getattr__(self, name: str):
        self.calls.append(name)
        return getattr(self.inner, name)


def test_a_bulk_built_store_is_compacted_once_after_every_load(tmp_path):
    record = load_record(STUDY)
    twice = [*INPUTS, write(tmp_path / "new.json", newer(record, "2099-01-01", "Newer title"))]
    store = _Recording()
    sink = BulkSink(store)  # type: ignore[arg-type]
    run(twice, sink, built_at="2026-01-01T00:00:00Z")
    sink.close()
    assert store.calls.count("optimize") == 1
    # after the bulk load and the late replacement of the study given twice; before the flush
    assert (
        store.calls.index("optimize") > store.calls.index("update") > store.calls.index("bulk_load")
    )
    assert store.calls[-1] == "flush"


class _Compacting(_Recording):
    """A store whose compaction waits (up to ``wait`` s) for a signal, or fails."""

    def __init__(self, fails: bool = False, wait: float = 10) -> None:
        super().__init__()
        self.signal = threading.Event()
        self.saw_signal: bool | None = None
        self.fails = fails
        self.wait = wait

    def optimize(self) -> None:
        self.saw_signal = self.signal.wait(self.wait)
        if self.fails:
            raise OSError(28, "No space left on device")


def test_what_goes_alongside_runs_while_the_store_compacts():
    store = _Compacting()
    sink = BulkSink(store, alongside=store.signal.set)  # type: ignore[arg-type]
    run(INPUTS, sink, built_at="2026-01-01T00:00:00Z")
    sink.close()
    assert store.saw_signal is True
    assert store.calls[-1] == "flush"


def test_a_failed_compaction_fails_the_build_after_what_goes_alongside_ends():
    store = _Compacting(fails=True)
    ended = []

    def alongside() -> None:
        store.signal.set()
        ended.append(True)

    sink = BulkSink(store, alongside=alongside, where="registry")  # type: ignore[arg-type]
    run(INPUTS, sink, built_at="2026-01-01T00:00:00Z")
    with pytest.raises(OutputError, match="registry: cannot write"):
        sink.close()
    assert ended == [True]
    assert "flush" not in store.calls


def test_a_failure_alongside_waits_for_the_compaction_to_end():
    store = _Compacting(wait=0.3)

    def alongside() -> None:
        raise OSError(28, "No space left on device")

    sink = BulkSink(store, alongside=alongside, where="registry")  # type: ignore[arg-type]
    run(INPUTS, sink, built_at="2026-01-01T00:00:00Z")
    with pytest.raises(OutputError, match="registry: cannot write"):
        sink.close()
    assert store.saw_signal is False  # the compaction ran to its end (its whole wait) first
    assert "flush" not in store.calls


def test_a_studys_graph_holds_its_own_nodes_and_shared_facts_are_stored_once(built):
    quads = dataset(built)
    own = quads.graph(rdflib.URIRef(graph_iri(STUDY)))
    subjects = {str(s) for s in own.subjects()}
    assert subjects and all(s.startswith((STUDY_NS, GRAPH)) for s in subjects)
    shared = quads.graph(rdflib.URIRef(SHARED))
    assert len(shared) > 0
    assert not {str(s) for s in shared.subjects()} & subjects
    assert sorted(built.studies()) == sorted(kg.build(INPUTS).studies())


def test_parallel_and_serial_store_builds_are_the_same(tmp_path, built):
    serial = OxigraphStore.open(tmp_path / "serial", create=True)
    serial.build(INPUTS, jobs=1, built_at="2026-01-01T00:00:00Z")
    parallel = OxigraphStore.open(tmp_path / "parallel", create=True)
    parallel.build(INPUTS, jobs=2, built_at="2026-01-01T00:00:00Z")
    assert sorted(serial.store.dump(format=ox.RdfFormat.N_QUADS).splitlines()) == sorted(
        parallel.store.dump(format=ox.RdfFormat.N_QUADS).splitlines()
    )


# --- a new store: whole or nothing ----------------------------------------------------------


def test_an_interrupted_first_build_makes_no_store(tmp_path):
    target = tmp_path / "store"
    store = OxigraphStore.open(target, create=True)

    def stop(report):
        if report.read == 8:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        store.build(INPUTS, progress=stop)
    assert store.empty
    assert sorted(p.name for p in tmp_path.iterdir()) == ["store"]
    store.build(INPUTS)
    assert len(store.studies()) == 15
    del store
    assert len(OxigraphStore.open(target, read_only=True).studies()) == 15


def test_a_strict_first_build_that_fails_makes_no_store(tmp_path, capsys):
    bad = write(tmp_path / "bad.json", {"protocolSection": {"identificationModule": []}})
    target = tmp_path / "store"
    assert main(["build", str(SEED), str(bad), "--store", str(target), "--strict", "-q"]) == 1
    assert "no store was made" in capsys.readouterr().err
    gc.collect()  # the error's traceback, in a cycle, still holds the command's store open
    assert OxigraphStore.open(target).empty


def test_a_record_given_twice_keeps_its_newer_copy_in_a_new_store(tmp_path):
    record = load_record(STUDY)
    old = write(tmp_path / "old.json", record)
    new = write(tmp_path / "new.json", newer(record, "2099-01-01", "Newer title"))
    store = OxigraphStore.memory()
    report = store.build([old, new])
    assert report.duplicates == 1 and report.converted == 1
    assert title(store, STUDY) == "Newer title"
    assert len(store) == len(_fresh([new]))


def _fresh(inputs) -> OxigraphStore:
    store = OxigraphStore.memory()
    store.build(inputs)
    return store


def test_record_values_no_iri_can_hold_as_given_leave_no_study_out(tmp_path):
    """URLs and IDs from a record go into IRIs: what would break one is percent-encoded, a URL
    no IRI can be made of is left out with a warning, and Oxigraph's strict parser takes it all."""
    text = json.dumps(load_record("NCT02552212")).replace('"FG000"', '"FG%0#0"')
    record = json.loads(text.replace("NCT02552212", "NCT09999999"))
    record["protocolSection"]["identificationModule"]["briefTitle"] = "lone \ud800 surrogate"
    record["protocolSection"]["referencesModule"]["seeAlsoLinks"] = [
        {"label": "two fragments", "url": "http://x.org/a#b#c"},
        {"label": "a % that starts no escape", "url": "x.org/100%"},
        {"label": "a port that is not a number", "url": "http://x.org:80a/"},
    ]
    record["derivedSection"]["conditionBrowseModule"]["browseLeaves"][0]["id"] = "M#1/2\u2028"
    record["documentSection"]["largeDocumentModule"]["largeDocs"][0]["filename"] = "P 0#0%.pdf"
    names = ["Lead\u2028Sponsor", "Other\x85Sponsor"]  # str.splitlines breaks lines at both
    record["protocolSection"]["sponsorCollaboratorsModule"]["leadSponsor"]["name"] = names[0]
    bad = write(tmp_path / "bad.json", record)
    other = json.loads(json.dumps(record).replace("NCT09999999", "NCT09999998"))
    other["protocolSection"]["sponsorCollaboratorsModule"]["leadSponsor"]["name"] = names[1]
    store = OxigraphStore.open(tmp_path / "store", create=True)
    report = store.build([*INPUTS, bad, write(tmp_path / "other.json", other)])
    assert (report.failed, len(store.studies())) == (0, 17)
    assert any("'http://x.org:80a/' is not a URL an IRI can hold" in w for w in report.warnings)
    quads = store.store.quads_for_pattern(None, None, None)
    iris = {t.value for q in quads for t in (q.subject, q.object) if isinstance(t, ox.NamedNode)}
    study = STUDY_NS + "NCT09999999"
    assert {"http://x.org/a#b%23c", "http://x.org/100%25"} <= iris
    assert f"{study}/participant-flow/group/FG%250%230" in iris
    assert "https://cdn.clinicaltrials.gov/large-docs/99/NCT09999999/P%200%230%25.pdf" in iris
    assert any(iri.endswith("/browse/leaf/M%231%2F2%E2%80%A8") for iri in iris)
    labels = {
        q.object.value for q in store.store.quads_for_pattern(None, ox.NamedNode(LABEL), None)
    }
    assert set(names) <= labels
    out = tmp_path / "bad.nq"
    assert main(["build", str(bad), "-o", str(out), "-q"]) == 0
    lines = out.read_text(encoding="utf-8").split("\n")[:-1]
    assert len(list(ox.parse(path=out, format=ox.RdfFormat.N_QUADS))) == len(lines) > 0
    parsed = rdflib.Dataset().parse(out, format="nquads")
    assert len(set(parsed.quads((None, None, None, None)))) == len(set(lines))
    triples = tmp_path / "both.nt"  # shared lines written once: the sink tells lines apart
    assert main(["build", str(bad), str(tmp_path / "other.json"), "-o", str(triples), "-q"]) == 0
    lines = triples.read_text(encoding="utf-8").split("\n")[:-1]
    assert len(list(ox.parse(path=triples, format=ox.RdfFormat.N_TRIPLES))) == len(lines)


# --- an existing store: only what changed ---------------------------------------------------


def test_an_update_maps_only_new_and_changed_studies(tmp_path):
    record = load_record(STUDY)
    first = write(tmp_path / "first.json", record)
    store = OxigraphStore.open(tmp_path / "store", create=True)
    store.build([first, CTGOV / "NCT03418623.json"])
    before = len(store)

    again = store.build([first, CTGOV / "NCT03418623.json"])
    assert (again.converted, again.unchanged) == (0, 2)
    assert len(store) == before

    changed = write(tmp_path / "changed.json", newer(record, "2099-01-01", "Newer title"))
    update = store.build([changed, CTGOV / "NCT03418623.json", CTGOV / "NCT03475563.json"])
    assert (update.converted, update.unchanged) == (2, 1)
    assert title(store, STUDY) == "Newer title"
    assert store.studies() == ["NCT03418623", "NCT03475563", STUDY]

    stale = store.build([first])
    assert (stale.converted, stale.unchanged) == (0, 1)
    assert "stored with a newer version" in stale.warnings[0]
    assert title(store, STUDY) == "Newer title"

    forced = store.build([first], force=True)
    assert forced.converted == 1
    assert title(store, STUDY) == record["protocolSection"]["identificationModule"]["briefTitle"]


def test_an_updated_study_has_exactly_its_new_triples(tmp_path):
    record = load_record(STUDY)
    store = OxigraphStore.open(tmp_path / "store", create=True)
    store.build([write(tmp_path / "old.json", record)], built_at="2026-01-01T00:00:00Z")
    new = write(tmp_path / "new.json", newer(record, "2099-01-01", "Newer\x85title\u2028"))
    store.build([new], built_at="2026-01-01T00:00:00Z")
    assert isomorphic(union(store), union(_fresh_at([new])))
    assert title(store, STUDY) == "Newer\x85title\u2028"  # not lines to str.splitlines


def _fresh_at(inputs) -> OxigraphStore:
    store = OxigraphStore.memory()
    store.build(inputs, built_at="2026-01-01T00:00:00Z")
    return store


def test_a_study_made_by_another_tool_version_is_mapped_again(tmp_path, monkeypatch):
    store = OxigraphStore.open(tmp_path / "store", create=True)
    store.build([CTGOV / "NCT03418623.json"])
    record = json.loads((CTGOV / "NCT03418623.json").read_text())
    posted = record["protocolSection"]["statusModule"]["lastUpdatePostDateStruct"]["date"]
    assert store.versions() == {"NCT03418623": posted}
    monkeypatch.setattr("kg.store.__version__", "0.0.0-other")
    assert store.versions() == {}
    assert store.build([CTGOV / "NCT03418623.json"]).converted == 1


def test_an_interrupted_update_leaves_every_study_old_or_new(tmp_path, monkeypatch):
    records = {p.stem: json.loads(p.read_text()) for p in RECORD_FILES[:6]}
    olds = [write(tmp_path / f"old-{n}.json", r) for n, r in records.items()]
    news = [
        write(tmp_path / f"new-{n}.json", newer(r, "2099-01-01", f"New {n}"))
        for n, r in records.items()
        if "lastUpdatePostDateStruct" in r["protocolSection"].get("statusModule", {})
    ]
    store = OxigraphStore.open(tmp_path / "store", create=True)
    store.build(olds, built_at="2026-01-01T00:00:00Z")
    old_graphs = {n: _graph(store, n) for n in records}

    def stop(report):
        if report.read == 3:
            raise KeyboardInterrupt

    monkeypatch.setattr("kg.store.BATCH_BYTES", 1)  # every study its own transaction
    with pytest.raises(KeyboardInterrupt):
        store.build(news, progress=stop, built_at="2026-01-01T00:00:00Z")
    new_store = _fresh_at(news)
    kinds = []
    for n in records:
        now = _graph(store, n)
        if isomorphic(now, old_graphs[n]):
            kinds.append("old")
        else:
            assert isomorphic(now, _graph(new_store, n)), n
            kinds.append("new")
    assert "old" in kinds and "new" in kinds
    store.build(news, built_at="2026-01-01T00:00:00Z")
    assert all(title(store, n) == f"New {n}" for n in records if n in {p.stem[4:] for p in news})


def _graph(store: OxigraphStore, nct_id: str) -> rdflib.Graph:
    return dataset(store).graph(rdflib.URIRef(graph_iri(nct_id)))


def test_the_command_line_reports_unchanged_studies(tmp_path, capsys):
    target = str(tmp_path / "store")
    assert main(["build", str(CTGOV / "NCT03418623.json"), "--store", target, "-q"]) == 0
    capsys.readouterr()
    assert main(["build", str(CTGOV / "NCT03418623.json"), "--store", target, "-q"]) == 0
    assert "converted 0, failed 0, unchanged 1" in capsys.readouterr().err
    assert main(["build", str(CTGOV / "NCT03418623.json"), "--store", target, "--force"]) == 0
    assert "converted 1, failed 0 " in capsys.readouterr().err


def test_opening_a_store_where_there_is_none(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(kg.InputError, match="a file"):
        OxigraphStore.open(tmp_path / "file")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "notes.txt").write_text("x")
    with pytest.raises(kg.InputError, match="not empty"):
        OxigraphStore.open(tmp_path / "full", create=True)
