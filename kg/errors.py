"""Errors the user can act on.

KgError
 +-- RecordError     a record that cannot be read or mapped (file, NCT ID, JSON path, problem)
 +-- InputError      an input that cannot be opened at all (missing file, unknown format)
 +-- QueryError      a SPARQL query that cannot run (syntax, unknown name, store, endpoint)
      +-- ParameterError   a parameter value that is missing or not of its declared type
      +-- UnsafeQueryError a query that would reach the network or local files by itself
      +-- QueryTimeout     a query that ran longer than its timeout
 +-- ServerError     kg serve cannot start or keep its SPARQL server (port taken, oxigraph missing)
 +-- BuildError      a build that cannot go on (a worker process died)
 +-- OutputError     an output file, store or spool file that cannot be written (disk full)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


class KgError(Exception):
    """Base of every error raised by ctgov-kg."""


class RecordError(KgError, ValueError):
    """A record that cannot be read or mapped, located by file, NCT ID and JSON path."""

    def __init__(
        self,
        problem: str,
        *,
        source: str | None = None,
        nct_id: str | None = None,
        path: str = "$",
    ) -> None:
        super().__init__(problem)
        self.problem = problem
        self.source = source
        self.nct_id = nct_id
        self.path = path

    def located(self, *, source: str | None = None, nct_id: str | None = None) -> RecordError:
        """Return a copy that also names the file and the NCT ID, where they were unknown."""
        return RecordError(
            self.problem,
            source=self.source or source,
            nct_id=self.nct_id or nct_id,
            path=self.path,
        )

    def __str__(self) -> str:
        where = [self.source or "<input>", self.nct_id or "(no NCT ID)", self.path]
        return f"{': '.join(where)}: {self.problem}"


class InputError(KgError, OSError):
    """An input path that cannot be opened or whose format is unknown."""


class QueryError(KgError, ValueError):
    """A SPARQL query that cannot run: bad syntax, unknown library name, store or endpoint error."""


class ParameterError(QueryError):
    """A query parameter that is missing, unknown or not of its declared type."""


class UnsafeQueryError(QueryError):
    """A query that would reach the network or local files by itself (SERVICE, FROM, LOAD)."""


class QueryTimeout(QueryError, TimeoutError):
    """A query that ran longer than the time it was given."""


class ServerError(KgError, OSError):
    """``kg serve`` cannot start or keep its server: the port is taken, oxigraph is missing."""


class BuildError(KgError, RuntimeError):
    """A build that cannot go on, such as a worker process that died (killed, out of memory)."""


class OutputError(KgError, OSError):
    """An output that cannot be written (a full disk, no permission), naming the file or store."""


def output_error(exc: BaseException, where: str) -> BaseException:
    """``exc`` as an :class:`OutputError` naming ``where`` when it is the system's OSError (a
    write that failed), else ``exc`` itself."""
    if not isinstance(exc, OSError) or isinstance(exc, KgError):
        return exc
    reason = exc.strerror if exc.strerror and not exc.filename else exc
    error = OutputError(f"{where}: cannot write: {reason}")
    error.__cause__ = exc
    return error


@contextmanager
def writing(where: str) -> Iterator[None]:
    """Writes to ``where``: the system's OSError from them becomes an :class:`OutputError`."""
    try:
        yield
    except OSError as exc:
        error = output_error(exc, where)
        if error is exc:
            raise
        raise error from exc
