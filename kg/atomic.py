"""Files written whole or not at all: a temporary file beside the target, renamed at the end.

An interrupted build or export never leaves a truncated file under the final name, and the
finished file gets the usual permissions (the process umask), not the temporary file's 0600.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from kg.errors import writing


class AtomicFile:
    """A binary file that appears under ``target`` only when :meth:`commit` is called."""

    def __init__(self, target: str | os.PathLike) -> None:
        self.target = Path(target)
        with writing(str(self.target)):
            self.file: IO[bytes] = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed by commit/discard
                "w+b", dir=self.target.resolve().parent, prefix=".kg-", suffix=".part", delete=False
            )

    @property
    def name(self) -> str:
        """The temporary file's path."""
        return self.file.name

    def commit(self) -> Path:
        """Close the file and move it into place; on a failure (a full disk) it is deleted."""
        try:
            with writing(str(self.target)):
                self.file.close()
                os.chmod(self.file.name, 0o666 & ~_umask())
                os.replace(self.file.name, self.target)
        except BaseException:
            self.discard()
            raise
        return self.target

    def discard(self) -> None:
        """Close and delete the file; the target is left as it was."""
        with contextlib.suppress(OSError):  # what a full disk left unflushed is dropped
            self.file.close()
        if os.path.exists(self.file.name):
            os.unlink(self.file.name)


@contextmanager
def atomic_write(target: str | os.PathLike) -> Iterator[IO[bytes]]:
    """Write ``target`` through a temporary file; on an exception nothing is written."""
    out = AtomicFile(target)
    try:
        with writing(str(target)):
            yield out.file
    except BaseException:
        out.discard()
        raise
    out.commit()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
