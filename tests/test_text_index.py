"""The store's text index: it finds what SPARQL's CONTAINS(LCASE(...)) finds, stays a superset
of the store's values through updates, and leaves the library's rows as they are."""

from __future__ import annotations

import importlib
import sqlite3

import pyoxigraph as ox
import pytest
import rdflib
from conftest import CTGOV, SEED

import kg
from kg import sparql
from kg.cli import main
from kg.namespaces import PREFIXES
from kg.store import OxigraphStore
from kg.text_index import CANDIDATES, FILE, GIVEN, PER_VALUE, PREDICATES, TextIndex, bits

query_module = importlib.import_module("kg.query")
NEEDLES = ["DLL3", "dll3", "mg", "cancer", "mk-3475", "Placebo", "week", "ß", "xyzzy-none"]
SEARCHED = [q.name for q in kg.queries() if q.search]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> OxigraphStore:
    store = OxigraphStore.open(tmp_path_factory.mktemp("text") / "store", create=True)
    store.build([CTGOV, SEED])
    return store


def _indexed_values(store: ox.Store) -> set[tuple[str, str]]:
    """Every string value of the indexed predicates, read from the quads."""
    found = set()
    for predicate in PREDICATES:
        for quad in store.quads_for_pattern(None, ox.NamedNode(predicate), None):
            o = quad.object
            if isinstance(o, ox.Literal) and (o.language or o.datatype.value.endswith("#string")):
                found.add((o.value, o.language or ""))
    return found


def _oxigraph_contains(values: set[tuple[str, str]], needle: str) -> set[tuple[str, str]]:
    """The values SPARQL's CONTAINS(LCASE(?v), LCASE(needle)) keeps, as Oxigraph computes it."""
    store = ox.Store()
    rows = " ".join(sparql.term(rdflib.Literal(lex, lang=lang or None)) for lex, lang in values)
    kept = f"FILTER(CONTAINS(LCASE(?v), LCASE({sparql.term(rdflib.Literal(needle))})))"
    result = store.query(f"SELECT ?v WHERE {{ VALUES ?v {{ {rows} }} {kept} }}")
    return {(s[0].value, s[0].language or "") for s in result}


def test_a_new_store_has_its_index_beside_the_quads(built):
    assert (built.path / FILE).is_file()
    assert built.text is not None


@pytest.mark.parametrize("needle", NEEDLES)
def test_the_index_finds_what_sparql_finds_in_the_real_records(built, needle):
    values = _indexed_values(built.store)
    found = built.text.containing(needle)
    if len(needle) < 3:
        assert found is None
        return
    assert found is not None
    assert {(lex, lang) for lex, lang, _ in found} == _oxigraph_contains(values, needle)


def test_case_is_folded_as_sparql_lcase_folds_it():
    values = {
        ("STRASSE", ""),
        ("Straße", ""),
        ("İstanbul", ""),
        ("ΟΔΟΣ Σ", "el"),
        ("ǅemal", ""),
        ("Kelvin \u212a", ""),
        ("ﬁbrosis", ""),
    }
    index = TextIndex.open(None)
    index.add(PREDICATES[0], values)
    for needle in ["straße", "STRASSE", "i̇st", "οδος", "οδοσ σ", "ǆem", "vin k", "ﬁbro", "fibro"]:
        found = index.containing(needle)
        assert {(lex, lang) for lex, lang, _ in found} == _oxigraph_contains(values, needle), needle


def test_too_many_candidates_and_short_text_leave_the_query_as_it_is():
    index = TextIndex.open(None)
    index.add(PREDICATES[0], [(f"term {i}", "") for i in range(CANDIDATES + 1)])
    assert index.containing("term") is None
    assert index.containing("te") is None
    assert index.containing("term 7") is not None


def test_the_tally_counts_each_predicates_values_once():
    index = TextIndex.open(None)
    index.add(PREDICATES[0], [("abcd", ""), ("ef", "en")])
    index.add(PREDICATES[0], [("abcd", ""), ("ghijkl", "")])
    index.add(PREDICATES[1], [("abcd", "")])
    assert index.tally() == {1: (3, 12), 2: (1, 4)}


def _exact_tally(index: TextIndex) -> dict[int, tuple[int, int]]:
    found: dict[int, tuple[int, int]] = {}
    rows = index._db.execute("SELECT bits, COUNT(*), SUM(LENGTH(lex)) FROM value GROUP BY bits")
    for held, n, chars in rows:
        for bit in (1 << i for i in range(len(PREDICATES))):
            if held & bit:
                before = found.get(bit, (0, 0))
                found[bit] = (before[0] + n, before[1] + chars)
    return found


def test_a_built_and_updated_stores_tally_counts_its_values(tmp_path):
    store = OxigraphStore.open(tmp_path / "store", create=True)
    for records in ([CTGOV], [SEED]):
        store.build(records)
        tally, exact = store.text.tally(), _exact_tally(store.text)
        assert {bit: n for bit, (n, _) in tally.items()} == {b: n for b, (n, _) in exact.items()}
        for bit, (_, chars) in tally.items():
            assert abs(chars - exact[bit][1]) <= exact[bit][1] / 5, bit


def test_the_index_is_used_where_its_values_cost_less_than_a_scan():
    index = TextIndex.open(None)
    rare = [(f"rare {i} note", "") for i in range(3)]
    index.add(PREDICATES[0], [(f"common {i} note", "") for i in range(200)] + rare)
    index.add(PREDICATES[1], [(f"other {i}", "") for i in range(5)])
    (n, chars), other = index.tally()[1], index.tally()[2]
    assert index.pays(index.containing("rare"), 1)
    assert not index.pays(index.containing("common"), 1)
    assert not index.pays(index.containing("other"), 2)
    assert index.pays(index.containing("other"), 3)
    given = sum(len(lex) + PER_VALUE for lex, _, _ in index.containing("note"))
    assert given * GIVEN >= n * PER_VALUE + chars + other[0] * PER_VALUE + other[1]
    assert not index.pays(index.containing("note"), 3)


def test_a_query_is_left_as_it_is_where_the_index_would_not_pay(built):
    q = kg.library.find("studies-by-keyword")
    bindings = q.bindings({"text": "the"})
    text = sparql.with_values(q.text, bindings)
    assert built.text.containing("the")
    assert query_module.narrowed(text, q, bindings, built.text) == text


@pytest.mark.parametrize("name", SEARCHED)
@pytest.mark.parametrize("text", [None, "dll3", "mg", "placebo", "cancer", "xyzzy-none", "a"])
def test_a_searched_query_has_the_same_rows_with_the_index_and_without(built, name, text):
    params = {} if text is None else {"text": text}
    with_index = kg.query(built, name, params)
    index, built.text = built.text, None
    try:
        plain = kg.query(built, name, params)
    finally:
        built.text = index
    assert sorted(map(tuple, with_index.rows)) == sorted(map(tuple, plain.rows))


@pytest.mark.parametrize("name", SEARCHED)
def test_a_searched_query_is_given_the_values_in_each_group_that_reads_them(built, name):
    q = kg.library.find(name)
    bindings = q.bindings({"text": "dll3"})
    text = sparql.with_values(q.text, bindings)
    narrowed = query_module.narrowed(text, q, bindings, built.text)
    ((variable, _),) = q.search
    groups = sparql.object_groups(text, variable, PREFIXES)
    assert narrowed.count(f"VALUES ?{variable} {{") == len(groups) > 0


def test_object_groups_are_the_groups_of_the_patterns_that_bind_the_variable():
    text = """PREFIX ex: <http://example.org/>
    SELECT ?t WHERE {
      { ?s ex:a ?t } UNION { ?s ex:b/ex:c ?t . ?s ?p ?t }
      { SELECT ?s ?t WHERE { ?s a ?t } }
      FILTER(CONTAINS(?t, "x")) BIND(?t AS ?u)
    } ORDER BY ?t"""
    found = sparql.object_groups(text, "t")
    by_text = {text[at:].split("}")[0].strip(): preds for at, preds in found.items()}
    assert by_text == {
        "?s ex:a ?t": {"http://example.org/a"},
        "?s ex:b/ex:c ?t . ?s ?p ?t": {"http://example.org/c", None},
        "?s a ?t": {"http://www.w3.org/1999/02/22-rdf-syntax-ns#type"},
    }


def test_an_update_adds_the_new_studies_values_before_they_commit(tmp_path):
    store = OxigraphStore.open(tmp_path / "store", create=True)
    store.build([CTGOV / "NCT03418623.json"])
    assert store.text.containing("dll3") == []
    seen = []
    original = store.store.load

    def load(*args, **kwargs):
        seen.append(bool(store.text.containing("dll3")))
        return original(*args, **kwargs)

    store.store = _Spy(store.store, load)
    store.build([SEED])
    assert seen and all(seen)
    reopened = OxigraphStore.open(tmp_path / "store", read_only=True)
    values = _indexed_values(reopened.store)
    found = reopened.text.containing("the")
    assert found is None or {(lex, lang) for lex, lang, _ in found} >= {
        v for v in values if "the" in v[0].lower()
    }
    assert {(lex, lang) for lex, lang, _ in reopened.text.containing("dll3")} == {
        v for v in values if "dll3" in v[0].lower()
    }


class _Spy:
    """A pyoxigraph store whose load is watched (pyoxigraph's own class takes no attributes)."""

    def __init__(self, store: ox.Store, load) -> None:
        self._store, self.load = store, load

    def __getattr__(self, name):
        return getattr(self._store, name)


def test_a_store_without_an_index_gets_a_whole_one_at_its_next_update(tmp_path):
    store = OxigraphStore.open(tmp_path / "store", create=True)
    store.build([CTGOV / "NCT03418623.json"])
    store.text.close()
    del store
    (tmp_path / "store" / FILE).unlink()
    old = OxigraphStore.open(tmp_path / "store")
    assert old.text is None
    assert kg.query(old, "studies-by-keyword", text="dll3").rows == []
    old.build([SEED])
    assert (tmp_path / "store" / FILE).is_file()
    values = _indexed_values(old.store)
    assert {(lex, lang) for lex, lang, _ in old.text.containing("dll3")} == {
        v for v in values if "dll3" in v[0].lower()
    }
    assert "NCT07366658" in {str(r.nctId) for r in kg.query(old, "studies-by-keyword", text="dll3")}


def test_an_index_of_another_layout_is_not_read_and_the_next_update_makes_it_anew(tmp_path):
    store = OxigraphStore.open(tmp_path / "store", create=True)
    store.build([SEED])
    store.text.close()
    del store
    with sqlite3.connect(tmp_path / "store" / FILE) as db:
        db.execute("PRAGMA user_version = 99")
    again = OxigraphStore.open(tmp_path / "store", read_only=True)
    assert again.text is None
    assert kg.query(again, "studies-by-keyword", text="dll3").rows
    del again
    updated = OxigraphStore.open(tmp_path / "store")
    updated.build([CTGOV / "NCT03418623.json"])
    assert updated.text is not None and updated.text.tally()
    assert {lex for lex, _, _ in updated.text.containing("dll3")}


def test_a_failed_index_leaves_no_store_and_no_part_file(tmp_path, monkeypatch):
    def fail(self, store):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(TextIndex, "fill", fail)
    target = tmp_path / "store"
    store = OxigraphStore.open(target, create=True)
    with pytest.raises(kg.errors.OutputError, match="cannot write"):
        store.build([SEED])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["store"]
    assert store.empty
    assert not [p.name for p in target.iterdir() if p.name.startswith(FILE)]


def test_kg_build_and_query_a_store_named_by_a_relative_path(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["build", str(SEED), "--store", "s", "-q"]) == 0
    assert (tmp_path / "s" / FILE).is_file()
    capsys.readouterr()
    assert main(["query", "studies-by-keyword", "--store", "s", "--param", "text=DLL3"]) == 0
    assert "NCT07366658" in capsys.readouterr().out


@pytest.mark.parametrize(
    "header", ["#+ search:\n#+   - t: nosuch\n", "#+ search:\n#+   - nosuch: text\n"]
)
def test_a_search_header_names_a_variable_and_a_parameter_of_its_query(header):
    text = header + "SELECT ?s WHERE { ?s ?p ?t FILTER(CONTAINS(LCASE(?t), LCASE(?_text))) }"
    with pytest.raises(kg.errors.QueryError, match="names no variable and parameter"):
        kg.library.parse(text, name="q")
    good = "#+ search:\n#+   - t: text\n" + text.split("\n", 2)[2]
    assert kg.library.parse(good, name="q").search == (("t", "text"),)


def test_an_unreadable_text_index_leaves_the_query_to_read_every_value(tmp_path):
    location = tmp_path / "store"
    built = OxigraphStore.open(location, create=True)
    built.build([SEED])
    del built
    (location / FILE).write_bytes(b"SQLite format 3\x00" + b"\x00" * 200)
    store = OxigraphStore.open(location, read_only=True)
    assert store.text is None
    assert kg.query(store, "studies-by-keyword", text="dll3").rows


def test_a_group_read_through_an_unindexed_predicate_or_a_variable_is_not_narrowed():
    assert bits([PREDICATES[0], PREDICATES[3]]) == 0b1001
    assert bits([PREDICATES[0], None]) == 0
    assert bits([PREDICATES[0], "http://example.org/c"]) == 0
