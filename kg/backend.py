"""The oxigraph server behind ``kg serve``: a child process on a private loopback port.

Oxigraph's own HTTP server (the ``oxigraph`` package) answers the SPARQL protocol over the
store on disk: content negotiation, the Graph Store protocol, the YASGUI files. ``kg serve``
speaks to it over 127.0.0.1 only. Oxigraph's ``--timeout-s`` does not stop every query (a COUNT
over a cross product runs on after it), so a query over its time is stopped by restarting the
process (:meth:`Backend.restart`).

The process never outlives ``kg serve``: it is stopped in :meth:`Backend.stop` (called from
``finally`` and ``atexit``), and on Linux it is also asked to get SIGTERM when its parent dies,
so it goes even when ``kg serve`` is killed. That signal follows the thread that started the
process, so every start happens in one thread kept for the backend's whole life.
"""

from __future__ import annotations

import concurrent.futures
import ctypes
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from kg.errors import ServerError

START_TIMEOUT = 20.0
LOOPBACK = "127.0.0.1"
_PR_SET_PDEATHSIG = 1


def oxigraph_program() -> str:
    """The ``oxigraph`` program: the one installed beside this Python first, then on PATH.

    :raises ServerError: when it is not installed.
    """
    name = "oxigraph.exe" if os.name == "nt" else "oxigraph"
    for folder in (Path(sys.executable).parent, Path(sysconfig.get_path("scripts"))):
        candidate = folder / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which("oxigraph")
    if found is None:
        raise ServerError(
            "the oxigraph server program is not installed; pip install oxigraph "
            "(the command-line package, beside pyoxigraph)"
        )
    return found


def free_port(host: str = LOOPBACK) -> int:
    """A TCP port nobody listens on at ``host`` just now."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def _death_signal() -> Callable[[], None] | None:
    """On Linux, a ``preexec_fn`` that has the child killed when its parent dies."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM))

    return preexec


class Backend:
    """One ``oxigraph serve-read-only`` (or ``serve`` when ``writable``) process over a store.

    ``generation`` counts the processes started; a request remembers the generation it was
    sent to, so that a restart is done once however many requests ask for it.
    """

    def __init__(self, location: str | os.PathLike, *, writable: bool = False) -> None:
        self.location = Path(location)
        self.writable = writable
        self.generation = 0
        self._program = oxigraph_program()
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._port = 0
        self._closed = False
        self._lock = threading.Lock()
        self._owner = concurrent.futures.ThreadPoolExecutor(1, "kg-serve-oxigraph")

    def __repr__(self) -> str:
        return f"Backend({str(self.location)!r}, port={self._port}, generation={self.generation})"

    @property
    def pid(self) -> int | None:
        """The process ID of the running oxigraph server."""
        return None if self._process is None else self._process.pid

    def start(self) -> None:
        """Start the server and wait until it answers.

        :raises ServerError: when it exits or does not answer within 20 s.
        """
        with self._lock:
            self._owner.submit(self._spawn).result()

    def current(self) -> tuple[str, int, int]:
        """Host, port and generation of the running server (waits while it restarts)."""
        with self._lock:
            if self._closed or self._process is None:
                raise ServerError("the server is stopped")
            return LOOPBACK, self._port, self.generation

    def exit_status(self) -> int | None:
        """The exit status of the server process when it has stopped, else None."""
        process = self._process
        return None if process is None else process.poll()

    def restart(self, generation: int) -> None:
        """Kill the server and start a new one, unless ``generation`` was restarted already."""
        with self._lock:
            if self._closed or generation != self.generation:
                return
            self._owner.submit(self._respawn).result()

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 5 s); nothing is left running."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            try:
                self._owner.submit(self._end, False).result()
            finally:
                self._owner.shutdown(wait=True)

    # --- in the owner thread -----------------------------------------------------------------

    def _spawn(self) -> None:
        problem = ""
        for _ in range(3):
            port = free_port()
            log = tempfile.TemporaryFile(prefix="kg-serve-oxigraph-")  # noqa: SIM115 (kept open)
            process = subprocess.Popen(
                self._command(port),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
                preexec_fn=_death_signal(),
            )
            problem = self._wait_ready(process, port, log)
            if not problem:
                self._process, self._port, self._log = process, port, log
                self.generation += 1
                return
            log.close()
            if "in use" not in problem:
                break
        raise ServerError(f"the oxigraph server did not start: {problem}")

    def _command(self, port: int) -> list[str]:
        verb = "serve" if self.writable else "serve-read-only"
        return [
            self._program,
            verb,
            "--location",
            str(self.location),
            "--bind",
            f"{LOOPBACK}:{port}",
            "--union-default-graph",
        ]

    def _wait_ready(self, process: subprocess.Popen[bytes], port: int, log: IO[bytes]) -> str:
        """'' once the server answers, else what went wrong (the process is then ended)."""
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if process.poll() is not None:
                return _tail(log) or f"it exited with status {process.returncode}"
            if _answers(port):
                return ""
            time.sleep(0.05)
        _kill(process, graceful=False)
        return f"no answer after {START_TIMEOUT:g} s; {_tail(log)}".rstrip("; ")

    def _respawn(self) -> None:
        self._end(True)
        self._spawn()

    def _end(self, hard: bool) -> None:
        if self._process is not None:
            _kill(self._process, graceful=not hard)
        if self._log is not None:
            self._log.close()
        self._process, self._log = None, None


def _answers(port: int) -> bool:
    """True when an oxigraph server answers HTTP on ``port``."""
    conn = http.client.HTTPConnection(LOOPBACK, port, timeout=2)
    try:
        conn.request("HEAD", "/")
        response = conn.getresponse()
        return (response.getheader("Server") or "").startswith("Oxigraph")
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()


def _kill(process: subprocess.Popen[Any], *, graceful: bool) -> None:
    if process.poll() is None:
        if graceful:
            process.terminate()
            try:
                process.wait(5)
                return
            except subprocess.TimeoutExpired:
                pass
        process.kill()
    process.wait()


def _tail(log: IO[bytes]) -> str:
    log.seek(0)
    text = log.read().decode("utf-8", "replace").strip()
    return " ".join(text[-1500:].split())
