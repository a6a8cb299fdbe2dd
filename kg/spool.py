"""Encoded records handed from worker processes to the build through files, not pipes.

A worker appends each record's N-Quads bytes to a spool file of its own and sends the build only
where they are (a :class:`Span`); the build reads them back with one ``pread``. Through a pipe,
the build spent 5.5 s of CPU receiving and unpickling the 1.7 GB of 10,000 studies, a quarter of
what the two workers spent mapping them; writing 1.7 GB to a file and reading it back costs
about 1.2 s (page cache, measured on the same machine).
A worker starts a new file every :data:`ROTATE_BYTES`; the build removes a worker's file as soon
as it reads from that worker's next one, so the spool stays small whatever the corpus size.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from kg.errors import writing

ROTATE_BYTES = 32 << 20


@dataclass(frozen=True, slots=True)
class Span:
    """Where one record's bytes are: a writer's file, its number, the offset and the length."""

    writer: str
    number: int
    start: int
    size: int


class SpoolWriter:
    """A worker's end: appends bytes to its current file, starting a new one past the limit."""

    def __init__(self, directory: str, *, rotate_bytes: int | None = None) -> None:
        self._directory = directory
        self._rotate = rotate_bytes or ROTATE_BYTES
        self._name = str(os.getpid())
        self._number = -1
        self._file = None
        self._size = 0

    def write(self, data: bytes) -> Span:
        """Append ``data`` and return where it is."""
        with writing(f"{self._directory} (the workers' spool, in TMPDIR)"):
            if self._file is None or self._size >= self._rotate:
                self._next()
            start = self._size
            self._file.write(data)
            self._file.flush()
        self._size += len(data)
        return Span(self._name, self._number, start, len(data))

    def _next(self) -> None:
        if self._file is not None:
            self._file.close()
        self._number += 1
        self._file = open(_path(self._directory, self._name, self._number), "wb")  # noqa: SIM115 - kept open across writes
        self._size = 0


class SpoolReader:
    """The build's end: reads spans in the order each writer wrote them, removing the files
    it has read past."""

    def __init__(self, directory: str) -> None:
        self._directory = directory
        self._open: dict[str, tuple[int, int]] = {}
        """writer -> (number of its file being read, descriptor)."""

    def read(self, span: Span) -> bytes:
        """The bytes of ``span``."""
        current = self._open.get(span.writer)
        if current is None or current[0] != span.number:
            if current is not None:
                self._retire(span.writer, *current)
            fd = os.open(_path(self._directory, span.writer, span.number), os.O_RDONLY)
            current = self._open[span.writer] = (span.number, fd)
        data = os.pread(current[1], span.size, span.start)
        if len(data) != span.size:
            raise OSError(f"spool file of worker {span.writer} is shorter than written")
        return data

    def close(self) -> None:
        """Close and remove every file still open."""
        for writer, (number, fd) in list(self._open.items()):
            self._retire(writer, number, fd)
        self._open.clear()

    def _retire(self, writer: str, number: int, fd: int) -> None:
        os.close(fd)
        os.unlink(_path(self._directory, writer, number))


def _path(directory: str, writer: str, number: int) -> str:
    return os.path.join(directory, f"{writer}-{number}.nq")
