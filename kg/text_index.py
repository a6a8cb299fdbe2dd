"""A trigram index of a store's text, so that the library's text searches need not read it all.

Oxigraph has no text index: ``FILTER(CONTAINS(LCASE(?t), LCASE(?_text)))`` reads every value
of ``?t``, 8-18 s for the library's text searches on 100,000 studies. A store built by ``kg
build --store`` also holds, in ``kg-text.sqlite`` in its directory, every string value of the
predicates in :data:`PREDICATES`, lowercased in an SQLite FTS5 trigram index. A library query
whose header names its searched variable (``#+ search: - t: text``) is then given, in a
``VALUES`` block, the values that hold the text, and its ``FILTER`` still decides: the index
only says where to look, so the rows are the same with it or without it.

The index is a superset of the store's values: a build adds the values of new studies before
their transaction commits, and none is ever taken out (a value no study holds any more matches
nothing in the store). A store without the file is queried without it, and an update of such a
store makes the whole index from the store. Whatever else writes the store must remove the
file first (:meth:`TextIndex.forget`: ``kg serve --writable`` does).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import itertools
import operator
import os
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path

import pyoxigraph as ox

from kg.namespaces import CTG, DCT, LABEL, XSD

FILE = "kg-text.sqlite"

PREDICATES = (
    LABEL,
    CTG + "otherName",
    CTG + "keyword",
    CTG + "briefTitle",
    CTG + "officialTitle",
    CTG + "briefSummary",
    CTG + "detailedDescription",
    CTG + "interventionModelDescription",
    CTG + "organSystem",
    DCT + "description",
)
"""The predicates whose string values are indexed: those the library's text searches read.
Each value keeps a bit per predicate that holds it, in this order: add new ones at the end
(and raise :data:`LAYOUT`)."""

LAYOUT = 2
"""The file's layout (SQLite's ``user_version``): a file of another layout is not read."""

SHORTEST = 3
"""A trigram index cannot find text shorter than three characters."""

CANDIDATES = 50_000
"""Values read from the index at least for one text (those holding each of its trigrams) before
it gives up: or a sixteenth of the values it holds, where that is more."""

PER_VALUE = 100
"""What a value costs, in characters, besides its own: a value given to a query is parsed (as
long as its text) and looked up, a value read by a scan is decoded, lowercased and searched."""

GIVEN = 6
"""A value given to a query costs about this many times what a scan pays to read one, in the
estimate of :meth:`TextIndex.pays`. Measured on 10,000 studies (each way the same rows): a
given value breaks even with the scan at about 3.5 times the scan's cost for studies-by-keyword
(for "patients", 2.15 s against 2.25 s), at about 11 for dose-schedule-search ("placebo", 0.92 s
both), whose scan reads only the descriptions of arm groups and interventions while the tally
counts every description; at 100,000 studies, DLL3's 46,862 values (18 times) took 7.5 s
against 40.8 s, "tumor"'s 158,980 (6 times) 15.2 s against 25.8 s."""

FILL_BATCH = 50_000

_BITS = {predicate: 1 << i for i, predicate in enumerate(PREDICATES)}
_XSD_STRING = XSD + "string"
_SEARCH = "INSERT INTO search (rowid, low) VALUES (?, ?)"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS value (id INTEGER PRIMARY KEY, key BLOB UNIQUE NOT NULL,
                                  lex TEXT NOT NULL, lang TEXT NOT NULL, bits INTEGER NOT NULL);
CREATE VIRTUAL TABLE IF NOT EXISTS search
    USING fts5(low, content='', detail=none, tokenize='trigram case_sensitive 1');
CREATE TABLE IF NOT EXISTS tally (bit INTEGER PRIMARY KEY, n INTEGER NOT NULL,
                                  chars INTEGER NOT NULL);
PRAGMA user_version = {layout};
"""


class TextIndex:
    """String values by the trigrams of their lowercase text (SQLite FTS5, file or memory)."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._db = connection
        self._tally: dict[int, tuple[int, int]] | None = None

    @classmethod
    def open(cls, directory: Path | None, *, read_only: bool = False) -> TextIndex | None:
        """The index of the store in ``directory`` (``None``: a new, empty one in memory),
        ``None`` when there is none, SQLite cannot read it or its layout is not
        :data:`LAYOUT`."""
        if directory is None:
            return cls(_connect(":memory:", create=True))
        path = directory / FILE
        if not path.is_file():
            return None
        db = _connect(_uri(path, "ro" if read_only else "rw"), create=False)
        try:
            layout = db.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.Error:
            layout = None
        if layout != LAYOUT:
            db.close()
            return None
        return cls(db)

    @classmethod
    def make(cls, directory: Path, store: ox.Store) -> None:
        """Make the index of ``store`` in ``directory`` whole, from the quads: written beside
        and moved in, so that no reader ever sees half an index.

        :raises OSError: when the file cannot be written.
        """
        part = directory / (FILE + ".part")
        part.unlink(missing_ok=True)
        index = cls(_connect(_uri(part, "rwc"), create=True))
        try:
            index.fill(store)
            index.close()
            os.replace(part, directory / FILE)
        except BaseException:
            index.close()
            part.unlink(missing_ok=True)
            raise

    def close(self) -> None:
        """Close the file."""
        self._db.close()

    @staticmethod
    def forget(directory: Path) -> None:
        """Remove the index of the store in ``directory``, before something other than ``kg
        build`` writes the store (``kg serve --writable``): an index that lacks a value hides
        its rows. Queries then read every value, and the next ``kg build --store`` makes the
        index whole again."""
        (directory / FILE).unlink(missing_ok=True)

    def add(self, predicate: str, values: Iterable[tuple[str, str]]) -> None:
        """Index ``(lexical form, language tag or "")`` pairs, values of ``predicate`` (one of
        :data:`PREDICATES`), each once whatever the calls; the predicate's tally counts the
        values it did not hold before (the characters of those another predicate held
        estimated from the batch's)."""
        bit = _BITS[predicate]
        fresh = {_key(lex, lang): (lex, lang) for lex, lang in values}
        if not fresh:
            return
        db = self._db
        with _written(), db:
            (top,) = db.execute("SELECT COALESCE(MAX(id), 0) FROM value").fetchone()
            before = db.total_changes
            db.executemany(
                "INSERT INTO value (key, lex, lang, bits) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (key) DO UPDATE SET bits = bits | excluded.bits "
                "WHERE (bits & excluded.bits) = 0",
                ((key, lex, lang, bit) for key, (lex, lang) in fresh.items()),
            )
            held = db.total_changes - before
            added = db.execute("SELECT id, lex FROM value WHERE id > ?", (top,)).fetchall()
            db.executemany(_SEARCH, ((rowid, lex.lower()) for rowid, lex in added))
            chars = sum(len(lex) for _, lex in added)
            if shared := held - len(added):
                chars += sum(len(lex) for lex, _ in fresh.values()) * shared // len(fresh)
            db.execute(
                "INSERT INTO tally (bit, n, chars) VALUES (?, ?, ?) ON CONFLICT (bit) "
                "DO UPDATE SET n = n + excluded.n, chars = chars + excluded.chars",
                (bit, held, chars),
            )
        self._tally = None

    def fill(self, store: ox.Store) -> None:
        """Index every string value of :data:`PREDICATES` in ``store``, a batch at a time."""
        for predicate in PREDICATES:
            found = store.query(
                f"SELECT DISTINCT ?v WHERE {{ ?s <{predicate}> ?v }}",
                use_default_graph_as_union=True,
            )
            values = _strings(solution[0] for solution in found)
            while batch := list(itertools.islice(values, FILL_BATCH)):
                self.add(predicate, batch)

    def add_nquads(self, *chunks: bytes) -> None:
        """Index the string values of :data:`PREDICATES` in chunks of UTF-8 N-Quads."""
        found: dict[str, list[object]] = {p: [] for p in PREDICATES}
        for data in chunks:
            for quad in ox.parse(data, format=ox.RdfFormat.N_QUADS, lenient=True):
                objects = found.get(quad.predicate.value)
                if objects is not None:
                    objects.append(quad.object)
        for predicate, objects in found.items():
            self.add(predicate, _strings(objects))

    def containing(self, text: str) -> list[tuple[str, str, int]] | None:
        """The indexed values whose lowercase holds ``text`` lowercased, sorted, as (lexical
        form, language tag or "", the :func:`bits` of their predicates); ``None`` when the
        index cannot say (text under :data:`SHORTEST` characters, more candidates than it
        reads: :data:`CANDIDATES`, or a sixteenth of its values where that is more; a file
        SQLite cannot read).

        The index keeps no positions (a third of the size, half the time to make), so it finds
        the values that hold every trigram of the text, and those that hold the text are kept.
        """
        needle = text.lower()
        if len(needle) < SHORTEST:
            return None
        trigrams = sorted({needle[i : i + SHORTEST] for i in range(len(needle) - SHORTEST + 1)})
        match = " AND ".join('"' + t.replace('"', '""') + '"' for t in trigrams)
        try:
            most = max(CANDIDATES, sum(n for n, _ in self.tally().values()) // 16)
            rows = self._db.execute(
                "SELECT lex, lang, bits FROM value WHERE id IN "
                "(SELECT rowid FROM search WHERE search MATCH ? LIMIT ?)",
                (match, most),
            ).fetchall()
        except sqlite3.Error:
            return None
        if len(rows) >= most:
            return None
        return sorted(row for row in rows if needle in row[0].lower())

    def tally(self) -> dict[int, tuple[int, int]]:
        """For each predicate's bit, how many values it holds and their characters (the
        characters estimated where a value is shared between predicates)."""
        if self._tally is None:
            rows = self._db.execute("SELECT bit, n, chars FROM tally").fetchall()
            self._tally = {bit: (n, chars) for bit, n, chars in rows}
        return self._tally

    def pays(self, found: Iterable[tuple[str, str, int]], within: int) -> bool:
        """Whether giving a query the values of ``found`` held by the predicates of ``within``
        (bits) costs less than letting it read every value of those predicates: by
        :data:`PER_VALUE` and :data:`GIVEN`, against the :meth:`tally`."""
        try:
            tally = self.tally()
        except sqlite3.Error:
            return False
        scan = sum(n * PER_VALUE + chars for bit, (n, chars) in tally.items() if bit & within)
        given = sum(len(lex) + PER_VALUE for lex, _, held in found if held & within)
        return given * GIVEN < scan


def bits(predicates: Iterable[str | None]) -> int:
    """The bits of ``predicates`` in :meth:`containing`; 0 when one of them is not indexed (or
    is ``None``, a predicate variable): the index then cannot say which values it reads."""
    found = [_BITS.get(p) for p in predicates]  # type: ignore[arg-type]
    return 0 if None in found else functools.reduce(operator.or_, found, 0)


def _key(lex: str, lang: str) -> bytes:
    return hashlib.blake2b(f"{lang}@{lex}".encode(), digest_size=16).digest()


def _uri(path: Path, mode: str) -> str:
    """SQLite's URI for the file, opened in ``mode`` (``ro``, ``rw``, ``rwc``)."""
    return f"{path.absolute().as_uri()}?mode={mode}"


def _connect(uri: str, *, create: bool) -> sqlite3.Connection:
    try:
        db = sqlite3.connect(uri, uri=True, check_same_thread=False)
        if create:
            with _written():
                db.executescript(_SCHEMA.format(layout=LAYOUT))
    except sqlite3.Error as exc:
        raise OSError(f"the text index {uri}: {exc}") from None
    return db


@contextlib.contextmanager
def _written() -> Iterator[None]:
    """SQLite's errors as the OSError a failed write is (see :func:`kg.errors.writing`)."""
    try:
        yield
    except sqlite3.Error as exc:
        raise OSError(f"the text index: {exc}") from exc


def _strings(terms: Iterable[object]) -> Iterator[tuple[str, str]]:
    for term in terms:
        if isinstance(term, ox.Literal):
            if term.language:
                yield term.value, term.language
            elif term.datatype.value == _XSD_STRING:
                yield term.value, ""
