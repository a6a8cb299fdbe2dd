"""Where mapped records go: an N-Quads/N-Triples file written as it streams, or an rdflib Dataset.

Every sink takes whole records (:meth:`add`) and can drop a record it already took
(:meth:`remove`), which is how a newer version of a study replaces an older one seen earlier.
Files are written to a temporary file beside the target and renamed at :meth:`close`
(:mod:`kg.atomic`), so an interrupted build never leaves a truncated file under the final name.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from typing import IO, Protocol

import rdflib

from kg.atomic import AtomicFile, atomic_write
from kg.errors import writing
from kg.mapping import MappedRecord
from kg.namespaces import GRAPH, STUDY
from kg.terms import Lit, Quad, Term, escape

_OWN_SUBJECTS = (STUDY, GRAPH)
_PER_STUDY = tuple(f"<{prefix}".encode() for prefix in _OWN_SUBJECTS)


def encode(quads: list[Quad], *, triples: bool = False) -> bytes:
    """Quads as UTF-8 N-Quads, or as N-Triples (graph names dropped) with ``triples``."""
    return _encode(quads, None, triples)[0].encode("utf-8")


def encode_apart(quads: list[Quad], shared: str) -> tuple[bytes, bytes]:
    """A study's own quads as UTF-8 N-Quads, and apart from them those about shared nodes
    (organizations, conditions, MeSH terms), put in graph ``shared`` (see :mod:`kg.store`)."""
    own, common = _encode(quads, shared, False)
    return own.encode("utf-8"), common.encode("utf-8")


def _encode(quads: list[Quad], shared: str | None, triples: bool) -> tuple[str, str]:
    """The lines of :func:`encode` and :func:`encode_apart`, written out term by term in one
    loop (a function call per term made it 3x slower, a quarter of a streaming build). Two
    quads in three have the subject of the one before: its text and its place are reused."""
    own: list[str] = []
    common: list[str] = []
    shared_tail = f" <{shared}> .\n"
    graph, subject, tail, head, end = None, None, "", "", ""
    append = own.append
    for s, p, o, g in quads:
        if g is not graph:
            graph, subject, tail = g, None, " .\n" if triples else f" <{g}> .\n"
        if s is not subject:
            subject, head = s, f"<{s}> <"
            if shared is None or s.startswith(_OWN_SUBJECTS):
                append, end = own.append, tail
            else:
                append, end = common.append, shared_tail
        if type(o) is str:
            append(f"{head}{p}> <{o}>{end}")
            continue
        lex, datatype, lang = o
        if "\\" in lex or '"' in lex or "\n" in lex or "\r" in lex:
            lex = escape(lex)
        if lang:
            append(f'{head}{p}> "{lex}"@{lang}{end}')
        elif datatype is None:
            append(f'{head}{p}> "{lex}"{end}')
        else:
            append(f'{head}{p}> "{lex}"^^<{datatype}>{end}')
    return "".join(own), "".join(common)


def lines_of(text: bytes) -> list[bytes]:
    """The lines of UTF-8 N-Quads or N-Triples, each with its newline: split at ``\\n`` only,
    as N-Quads ends its lines (``bytes.splitlines`` also breaks at a ``\\r``)."""
    lines = [line + b"\n" for line in text.split(b"\n")]
    last = lines.pop()
    if last != b"\n":
        lines.append(last[:-1])
    return lines


class Sink(Protocol):
    """What the build loop needs of a destination."""

    def add(self, record: MappedRecord) -> None: ...

    def add_lines(self, graph: str, lines: bytes, shared: bytes = b"") -> None: ...

    def remove(self, graph: str) -> None: ...

    def close(self) -> None: ...


class NQuadsSink:
    """Streams N-Quads (or N-Triples, ``triples=True``) to a file or to standard output.

    Lines go to a temporary file as records arrive; :meth:`close` moves it into place, leaving
    out any record that :meth:`remove` dropped. N-Triples has no graph names, so the triples
    about shared nodes (organizations, conditions, MeSH terms) are written once.
    """

    def __init__(self, target: str | os.PathLike | IO[bytes], *, triples: bool = False) -> None:
        self._target = target
        self.triples = triples
        self._out = None if hasattr(target, "write") else AtomicFile(target)
        self._where = str(target) if self._out else f"{tempfile.gettempdir()} (TMPDIR)"
        with writing(self._where):
            spool = tempfile.TemporaryFile() if self._out is None else None  # noqa: SIM115 - closed in close()
        self._tmp = spool or self._out.file
        self._spans: dict[str, tuple[int, int]] = {}
        self._dropped: list[tuple[int, int]] = []
        self._shared_seen: set[bytes] = set()

    def add(self, record: MappedRecord) -> None:
        """Write one record's quads."""
        self.add_lines(record.graph, encode(record.quads, triples=self.triples))

    def add_lines(self, graph: str, lines: bytes, shared: bytes = b"") -> None:
        """Write one record given as UTF-8 N-Quads (or N-Triples), as :func:`encode` makes it."""
        if self.triples:
            lines = b"".join(self._unseen(lines_of(lines + shared)))
            shared = b""
        start = self._tmp.tell()
        with writing(self._where):
            self._tmp.write(lines)
            self._tmp.write(shared)
        self._spans[graph] = (start, self._tmp.tell())

    def _unseen(self, lines: list[bytes]) -> Iterator[bytes]:
        """Lines about shared nodes only the first time: N-Triples has no graph names."""
        seen = self._shared_seen
        for line in lines:
            if not line.startswith(_PER_STUDY):
                if line in seen:
                    continue
                seen.add(line)
            yield line

    def remove(self, graph: str) -> None:
        """Drop a record written earlier; its lines are left out when the file is moved in."""
        span = self._spans.pop(graph, None)
        if span is not None:
            self._dropped.append(span)

    def close(self) -> None:
        """Move the finished output into place (or copy it to the stream)."""
        if self._out is None:
            self._tmp.seek(0)
            with writing(getattr(self._target, "name", "the output")):
                self._copy(self._tmp, self._target)
                self._target.flush()
            self._tmp.close()
        elif not self._dropped:
            self._out.commit()
        else:
            self._tmp.seek(0)
            try:
                with atomic_write(self._target) as dst:
                    self._copy(self._tmp, dst)
            finally:
                self._out.discard()

    def abort(self) -> None:
        """Forget the output: nothing is written under the target's name."""
        if self._out is None:
            self._tmp.close()
        else:
            self._out.discard()

    def _copy(self, src: IO[bytes], dst: IO[bytes]) -> None:
        position = 0
        for start, end in sorted(self._dropped):
            _copy_range(src, dst, position, start)
            position = end
        src.seek(position)
        shutil.copyfileobj(src, dst)


def _copy_range(src: IO[bytes], dst: IO[bytes], start: int, end: int) -> None:
    src.seek(start)
    remaining = end - start
    while remaining > 0:
        chunk = src.read(min(remaining, 1 << 20))
        if not chunk:
            break
        dst.write(chunk)
        remaining -= len(chunk)


class DatasetSink:
    """Collects records in an rdflib Dataset, one named graph per study (small data, Python API)."""

    def __init__(self, dataset: rdflib.Dataset | None = None) -> None:
        self.dataset = dataset if dataset is not None else rdflib.Dataset(default_union=True)
        self._iris: dict[str, rdflib.URIRef] = {}

    def add(self, record: MappedRecord) -> None:
        """Add one record's quads to its named graph."""
        graph = self.dataset.graph(rdflib.URIRef(record.graph))
        to_rdflib = self.term
        graph.addN((to_rdflib(s), to_rdflib(p), to_rdflib(o), graph) for s, p, o, _ in record.quads)

    def add_lines(self, graph: str, lines: bytes, shared: bytes = b"") -> None:
        """Add one record given as UTF-8 N-Quads."""
        self.dataset.parse(data=(lines + shared).decode("utf-8"), format="nquads")

    def remove(self, graph: str) -> None:
        """Drop the named graph of a record added earlier."""
        self.dataset.remove_graph(rdflib.URIRef(graph))

    def close(self) -> None:
        """Nothing to flush: the dataset is the result."""

    def term(self, term: Term) -> rdflib.term.Node:
        """The rdflib form of a term (IRIs interned, since most repeat)."""
        if type(term) is str:
            iri = self._iris.get(term)
            if iri is None:
                iri = self._iris[term] = rdflib.URIRef(term)
            return iri
        assert isinstance(term, Lit)
        if term.lang:
            return rdflib.Literal(term.lex, lang=term.lang)
        if term.datatype is None:
            return rdflib.Literal(term.lex)
        return rdflib.Literal(term.lex, datatype=self.term(term.datatype))


def stdout_binary() -> IO[bytes]:
    """Standard output as bytes (for ``-o -``)."""
    return sys.stdout.buffer
