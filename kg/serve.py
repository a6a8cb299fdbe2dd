"""``kg serve``: the graph over the SPARQL 1.1 protocol, and the query library as named queries.

Oxigraph's own server (:mod:`kg.backend`) answers the protocol on a private loopback port; the
front here, on ``--host``/``--port``, passes requests to it and adds what it lacks:

- every query and update is checked first (:func:`kg.sparql.check_safe`): SERVICE, FROM and LOAD
  get 400 unless ``allow_network``, as in ``kg query``;
- SPARQL Update and Graph Store writes get 403 unless ``writable``;
- a query's time is enforced: after ``timeout`` seconds the client gets 503 and the oxigraph
  process is restarted, since oxigraph's own timeout does not stop every query;
- the project's prefixes (``ctg:``, ``mesh:``...) work without PREFIX lines, as in ``kg query``;
- ``GET /queries/NAME?param=value`` runs a library query, its parameters bound as RDF terms
  (:mod:`kg.params`, a VALUES block), listed at ``/queries`` and ``/queries/openapi.json``;
- ``/`` is YASGUI from oxigraph's files, set up to fetch nothing from elsewhere.

Answers to queries are read whole (spilled to a temporary file past 16 MiB) before they are
sent, so a query stopped by the timeout gets a clear 503, never a cut-off 200.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import http.client
import ipaddress
import json
import os
import shutil
import socket
import socketserver
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Iterable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any, TextIO

from kg import apidoc, sparql
from kg.backend import Backend, oxigraph_program
from kg.build import BuildReport
from kg.errors import InputError, QueryError, ServerError, UnsafeQueryError
from kg.library import library
from kg.namespaces import PREFIXES
from kg.query import narrowed
from kg.store import OxigraphStore
from kg.text_index import TextIndex
from kg.version import __version__

DEFAULT_PORT = 7878
DEFAULT_TIMEOUT = 30.0
MAX_REQUEST = 16 << 20
SPOOL = 16 << 20
STREAM_IDLE = 120.0
FORM = "application/x-www-form-urlencoded"
ASSETS = ("/yasgui.min.js", "/yasgui.min.css", "/logo.svg")
_KEEP_HEADERS = ("Content-Type", "Content-Disposition", "Vary")


def serve(
    store: str | os.PathLike | None = None,
    *,
    data: Iterable[str | os.PathLike] | None = None,
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    timeout: float | None = DEFAULT_TIMEOUT,
    writable: bool = False,
    allow_network: bool = False,
    log: TextIO | None = None,
) -> Server:
    """Serve an Oxigraph store (or records built into a temporary one) over SPARQL; it runs
    until :meth:`Server.stop`, or the end of a ``with`` block.

    >>> with kg.serve("DIR", port=0) as server:     # doctest: +SKIP
    ...     server.url                               # 'http://127.0.0.1:40511/'

    :param store: a store directory made by ``kg build --store``.
    :param data: inputs to build into a temporary store instead (removed when stopped).
    :param port: the port to listen on; 0 takes a free one.
    :param timeout: seconds a query may run (None: no limit).
    :param writable: allow SPARQL Update and Graph Store writes.
    :param allow_network: let SERVICE, FROM and LOAD through.
    :param log: where to write one line per request (None: nowhere).
    :raises InputError: when there is no store at ``store``, or not exactly one of
        ``store`` and ``data`` is given.
    :raises ServerError: when the port is taken or the oxigraph server does not start.
    """
    if (store is None) == (data is None):
        raise InputError("give either a store directory or data to serve")
    if timeout is not None and timeout <= 0:
        raise InputError("the timeout must be more than 0 seconds")
    oxigraph_program()  # fail before any build when it is missing
    if store is not None:
        location, scratch = Path(store), None
        if not (location / "CURRENT").is_file():
            raise InputError(f"{location}: no Oxigraph store here; make one with kg build --store")
    else:
        scratch = Path(tempfile.mkdtemp(prefix="kg-serve-"))
        location = scratch / "store"
    server = Server(
        location,
        host=host,
        port=port,
        timeout=timeout,
        writable=writable,
        allow_network=allow_network,
        log=log,
        scratch=scratch,
    )
    try:
        if data is not None:
            server.report = _build_into(location, data)
        server.start()
    except BaseException:
        server.stop()
        raise
    return server


def _build_into(location: Path, data: Iterable[str | os.PathLike]) -> BuildReport:
    """Records built into a new store, closed again so that oxigraph can open it."""
    store = OxigraphStore.open(location, create=True)
    report = store.build(list(data))
    store.store.flush()
    del store
    gc.collect()  # RocksDB's lock goes with the last reference
    return report


class Server:
    """A running ``kg serve``: ``url`` is its address, ``backend`` the oxigraph process."""

    report: BuildReport | None = None

    def __init__(
        self,
        location: Path,
        *,
        host: str = "127.0.0.1",
        port: int = DEFAULT_PORT,
        timeout: float | None = DEFAULT_TIMEOUT,
        writable: bool = False,
        allow_network: bool = False,
        log: TextIO | None = None,
        scratch: Path | None = None,
    ) -> None:
        self.location = location
        self.host = host
        self.port = port
        self.timeout = timeout
        self.writable = writable
        self.allow_network = allow_network
        self.log = log
        self.backend = Backend(location, writable=writable)
        self.text: TextIndex | None = None
        """The store's text index, for the library's text searches (none when writable)."""
        self._scratch = scratch
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stopped = False
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<kg.serve {self.url} {self.location}>"

    @property
    def url(self) -> str:
        """The server's address, ``http://127.0.0.1:7878/``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    def start(self) -> Server:
        """Listen, start oxigraph, answer requests in a background thread.

        :raises ServerError: when the port is taken or oxigraph does not start.
        """
        try:
            self._httpd = _HTTPServer((self.host, self.port), self)
        except OSError as exc:
            raise ServerError(
                f"cannot listen on {self.host}:{self.port}: {exc.strerror or exc}; "
                "choose another --port"
            ) from None
        self.port = self._httpd.server_address[1]
        atexit.register(self.stop)
        if self.writable:
            TextIndex.forget(self.location)
        else:
            self.text = TextIndex.open(self.location, read_only=True)
        self.backend.start()
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="kg-serve", daemon=True
        )
        self._thread.start()
        return self

    def wait(self) -> None:
        """Block until the server is stopped (Ctrl-C raises KeyboardInterrupt here)."""
        while self._thread is not None and self._thread.is_alive():
            self._thread.join(0.5)

    def stop(self) -> None:
        """Stop answering, stop oxigraph, remove the temporary store; safe to call twice."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
        try:
            if self._httpd is not None:
                if self._thread is not None:
                    self._httpd.shutdown()
                self._httpd.server_close()
        finally:
            try:
                self.backend.stop()
            finally:
                if self.text is not None:
                    self.text.close()
                if self._scratch is not None:
                    shutil.rmtree(self._scratch, ignore_errors=True)
                atexit.unregister(self.stop)

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- talking to oxigraph -----------------------------------------------------------------

    def _exchange(
        self, method: str, path: str, body: bytes | None, headers: dict[str, str]
    ) -> _Answer:
        """Send a request to oxigraph and read its whole answer within the timeout.

        :raises _Refusal: 503 when the time is up (oxigraph is restarted) or oxigraph went.
        """
        host, port, generation = self.backend.current()
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        conn = http.client.HTTPConnection(host, port, timeout=_left(deadline))
        spool = tempfile.SpooledTemporaryFile(max_size=SPOOL)  # noqa: SIM115 (returned)
        try:
            conn.connect()
            sock = conn.sock
            conn.request(method, path, body=body, headers=headers)
            sock.settimeout(_left(deadline))
            response = conn.getresponse()
            while True:
                sock.settimeout(_left(deadline))
                chunk = response.read1(1 << 16)
                if not chunk:
                    break
                spool.write(chunk)
        except TimeoutError as exc:
            spool.close()
            conn.close()
            if self.timeout is None:
                raise self._lost(generation, exc) from None
            self.backend.restart(generation)
            raise _Refusal(
                503,
                f"the query ran longer than {self.timeout:g} s and was stopped "
                "(the server's --timeout)",
            ) from None
        except (OSError, http.client.HTTPException) as exc:
            spool.close()
            raise self._lost(generation, exc) from None
        finally:
            conn.close()
        headers_out = [(k, v) for k, v in response.getheaders() if k.title() in _KEEP_HEADERS]
        size = spool.tell()
        spool.seek(0)
        return _Answer(response.status, headers_out, spool, size)

    def _lost(self, generation: int, exc: Exception) -> _Refusal:
        """What to answer when oxigraph dropped a request."""
        if self.backend.generation != generation:
            return _Refusal(
                503,
                "stopped: the server restarted its query engine because another query ran "
                "over the time limit; run the query again",
            )
        status = self.backend.exit_status()
        if status is not None:
            self.backend.restart(generation)
            return _Refusal(
                502, f"the oxigraph server stopped (status {status}) and was started again"
            )
        return _Refusal(502, f"the oxigraph server did not answer: {exc}")


class _Answer:
    """An answer from oxigraph, read whole: status, headers to pass on, body."""

    def __init__(self, status: int, headers: list[tuple[str, str]], body: IO[bytes], size: int):
        self.status = status
        self.headers = headers
        self.body = body
        self.size = size


class _Refusal(Exception):
    """An HTTP error answer with a message for the user."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def _left(deadline: float | None) -> float | None:
    """Seconds until ``deadline`` (None: no deadline); a spent deadline raises TimeoutError."""
    if deadline is None:
        return None
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError
    return left


class _HTTPServer(ThreadingHTTPServer):
    """The listening socket; ``app`` is the :class:`Server` it answers for."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], app: Server) -> None:
        self.app = app
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        super().__init__(address, _Handler)
        self.hosts = _local_names(address[0], self.server_address[1])

    def server_bind(self) -> None:
        socketserver.TCPServer.server_bind(self)  # no reverse DNS lookup of the host
        self.server_name, self.server_port = self.server_address[:2]


def _local_names(host: str, port: int) -> frozenset[str] | None:
    """The Host headers a loopback server accepts (a guard against DNS rebinding), or None."""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        return None
    names = ("127.0.0.1", "localhost", "[::1]", f"[{host}]" if ":" in host else host)
    return frozenset(f"{name}:{port}" for name in names) | frozenset(names)


class _Handler(BaseHTTPRequestHandler):
    """One request: routed to the editor, the library, or oxigraph after the checks."""

    server: _HTTPServer
    server_version = f"ctgov-kg/{__version__}"
    protocol_version = "HTTP/1.1"  # keep-alive, and 100-continue for curl's larger posts
    timeout = STREAM_IDLE
    _body: bytes | None = None

    @property
    def app(self) -> Server:
        return self.server.app

    def do_GET(self) -> None:
        self._route()

    do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        if self.app.log is not None:
            self.app.log.write(f"{self.address_string()} - {format % args}\n")
            self.app.log.flush()

    # --- routing ------------------------------------------------------------------------------

    def _route(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        self._body = None
        try:
            self._check_host()
            self._dispatch(url.path, url.query)
        except _Refusal as refusal:
            self._discard_body()
            self._text(refusal.status, refusal.message, refusal.headers)
        except ServerError as exc:
            self._discard_body()
            self._text(503, str(exc), {})
        except (OSError, http.client.HTTPException):
            self.close_connection = True  # the client or oxigraph went mid-answer

    def _dispatch(self, path: str, query: str) -> None:
        if path in ("/", "/index.html"):
            self._only("GET")
            page = apidoc.editor_page(writable=self.app.writable, timeout=self.app.timeout)
            self._send(200, page.encode("utf-8"), "text/html; charset=utf-8")
        elif path in ASSETS:
            self._only("GET")
            self._stream("GET", path, cache=True)
        elif path == "/prefixes.json":
            self._only("GET")
            self._send(200, apidoc.prefixes_json(), "application/json")
        elif path in ("/query", "/sparql"):
            self._sparql(path, query)
        elif path == "/update":
            self._only("POST")
            self._update(self._form(query, "update", "application/sparql-update"))
        elif path == "/store":
            self._store(query)
        elif path in ("/queries", "/queries/"):
            self._only("GET")
            page = apidoc.library_page(library().values(), base=self._base())
            self._send(200, page.encode("utf-8"), "text/html; charset=utf-8")
        elif path == "/queries/openapi.json":
            self._only("GET")
            doc = apidoc.openapi(library().values(), base=self._base(), version=__version__)
            self._send(200, json.dumps(doc, indent=1).encode("utf-8"), "application/json")
        elif path.startswith("/queries/"):
            self._only("GET")
            self._named(urllib.parse.unquote(path.removeprefix("/queries/")), query)
        else:
            raise _Refusal(
                404,
                f"nothing at {path}; the query editor is at /, the library at "
                "/queries, the SPARQL endpoint at /query",
            )

    def _check_host(self) -> None:
        allowed = self.server.hosts
        host = self.headers.get("Host")
        if allowed is not None and host is not None and host.lower() not in allowed:
            raise _Refusal(
                403,
                f"Host {host!r} refused: this server listens on loopback and answers only "
                "to 127.0.0.1 and localhost (a guard against DNS rebinding)",
            )

    def _only(self, *methods: str) -> None:
        allowed = {*methods, "HEAD"} if "GET" in methods else set(methods)
        if self.command not in allowed:
            raise _Refusal(
                405, f"{self.command} is not allowed here", {"Allow": ", ".join(sorted(allowed))}
            )

    # --- SPARQL query and update --------------------------------------------------------------

    def _sparql(self, path: str, query: str) -> None:
        self._only("GET", "POST")
        if self.command == "POST" and self._content_type() == "application/sparql-update":
            params = self._form(query, "update", "application/sparql-update")
        else:
            params = self._form(query, "query", "application/sparql-query")
        if any(k == "update" for k, _ in params):
            if path == "/query":
                raise _Refusal(400, "an update: send it to /update")
            self._update(params)
            return
        texts = [v for k, v in params if k == "query"]
        if not texts:
            if self.command == "POST":
                raise _Refusal(400, "no query: send query=... or an application/sparql-query body")
            self._stream("GET", "/query")  # the service description
            return
        if len(texts) > 1:
            raise _Refusal(400, "give one query, not several")
        self._run(texts[0], [(k, v) for k, v in params if k != "query"])

    def _run(self, text: str, extra: list[tuple[str, str]]) -> None:
        """Check a query, send it to oxigraph, answer with what oxigraph answered."""
        self._check_safe(text)
        body = urllib.parse.urlencode([("query", sparql.declare(text, PREFIXES)), *extra])
        self._answer(self.app._exchange("POST", "/query", body.encode("utf-8"), self._accept(FORM)))

    def _update(self, params: list[tuple[str, str]]) -> None:
        if self.command != "POST":
            raise _Refusal(405, "an update is sent with POST", {"Allow": "POST"})
        if not self.app.writable:
            raise _Refusal(
                403,
                "this server is read-only: updates are refused (kg serve --writable allows them)",
            )
        self._check_origin()
        texts = [v for k, v in params if k == "update"]
        if len(texts) != 1:
            raise _Refusal(400, "give one update: update=... or an application/sparql-update body")
        self._check_safe(texts[0])
        extra = [(k, v) for k, v in params if k != "update"]
        body = urllib.parse.urlencode([("update", sparql.declare(texts[0], PREFIXES)), *extra])
        self._answer(
            self.app._exchange("POST", "/update", body.encode("utf-8"), self._accept(FORM))
        )

    def _check_safe(self, text: str) -> None:
        try:
            sparql.check_safe(text, allow_network=self.app.allow_network)
        except UnsafeQueryError as exc:
            reason = str(exc).split("; give --allow-network")[0]
            raise _Refusal(
                400, f"{reason}; this server refuses it (kg serve --allow-network lets it through)"
            ) from None

    def _named(self, name: str, query: str) -> None:
        """``GET /queries/NAME?param=value``: a library query, its parameters as RDF terms."""
        queries = library()
        if name.endswith(".rq") and name[:-3] in queries:
            text = queries[name[:-3]].text.encode("utf-8")
            self._send(200, text, "application/sparql-query; charset=utf-8")
            return
        if name not in queries:
            raise _Refusal(404, f"no query named {name!r}; GET /queries lists the library")
        q = queries[name]
        values: dict[str, str] = {}
        for key, value in urllib.parse.parse_qsl(query, keep_blank_values=True):
            if key in values:
                raise _Refusal(400, f"{name}: parameter {key!r} is given twice")
            values[key] = value
        try:
            bindings = q.bindings(values)
            text = sparql.with_values(q.text, bindings)
            if self.app.text is not None:
                text = narrowed(text, q, bindings, self.app.text)
        except QueryError as exc:
            raise _Refusal(400, str(exc)) from None
        self._run(text, [])

    # --- Graph Store protocol -----------------------------------------------------------------

    def _store(self, query: str) -> None:
        self._only("GET", "PUT", "POST", "DELETE")
        path = "/store" + (f"?{query}" if query else "")
        if self.command in ("GET", "HEAD"):
            self._stream(self.command, path)
            return
        if not self.app.writable:
            raise _Refusal(
                403,
                "this server is read-only: Graph Store writes are refused "
                "(kg serve --writable allows them)",
            )
        self._check_origin()
        self._stream(self.command, path, upload=True)

    def _check_origin(self) -> None:
        """Refuse writes that a page of another site sends (its form posts need no CORS)."""
        origin = self.headers.get("Origin")
        if origin and urllib.parse.urlsplit(origin).netloc != (self.headers.get("Host") or ""):
            raise _Refusal(403, f"a write from {origin} refused: not this server's own page")

    # --- requests and answers -----------------------------------------------------------------

    def _content_type(self) -> str:
        return (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()

    def _length(self) -> int:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            raise _Refusal(411, "send a Content-Length, not a chunked body")
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            raise _Refusal(400, "the Content-Length is not a number") from None
        if length < 0:
            raise _Refusal(400, "the Content-Length is negative")
        return length

    def _peek_body(self) -> bytes:
        """The request body, read once and kept (up to 16 MiB)."""
        if self._body is None:
            length = self._length()
            if length > MAX_REQUEST:
                self.close_connection = True
                raise _Refusal(413, f"the request is larger than {MAX_REQUEST >> 20} MiB")
            self._body = self.rfile.read(length)
        return self._body

    def _discard_body(self) -> None:
        """Read the body not read yet, so that the client reads the answer, not a reset, and
        the next request on the connection starts where it should; else close after this."""
        if self._body is not None or self.command in ("GET", "HEAD"):
            return
        try:
            self._peek_body()
        except (_Refusal, OSError):
            self.close_connection = True

    def _form(self, query: str, key: str, direct: str) -> list[tuple[str, str]]:
        """The protocol's parameters: from the URL, and the form or the direct body of a POST."""
        try:
            params = urllib.parse.parse_qsl(query, keep_blank_values=True, errors="strict")
            if self.command == "POST":
                kind = self._content_type()
                body = self._peek_body().decode("utf-8")
                if kind == FORM:
                    params += urllib.parse.parse_qsl(body, keep_blank_values=True, errors="strict")
                elif kind == direct:
                    params.append((key, body))
                else:
                    raise _Refusal(415, f"send {FORM} or {direct}, not {kind or 'no Content-Type'}")
        except UnicodeDecodeError:
            raise _Refusal(400, "the request is not UTF-8") from None
        return params

    def _accept(self, content_type: str) -> dict[str, str]:
        headers = {"Content-Type": content_type}
        if self.headers.get("Accept"):
            headers["Accept"] = self.headers["Accept"]
        return headers

    def _base(self) -> str:
        return f"http://{self.headers.get('Host') or urllib.parse.urlsplit(self.app.url).netloc}"

    def _answer(self, answer: _Answer) -> None:
        with answer.body:
            self.send_response(answer.status)
            for key, value in answer.headers:
                self.send_header(key, value)
            self.send_header("Content-Length", str(answer.size))
            self.end_headers()
            if self.command != "HEAD":
                shutil.copyfileobj(answer.body, self.wfile, 1 << 16)

    def _stream(self, method: str, path: str, *, upload: bool = False, cache: bool = False) -> None:
        """Pass a request to oxigraph and its answer back as it comes (files, Graph Store)."""
        host, port, generation = self.app.backend.current()
        conn = http.client.HTTPConnection(host, port, timeout=STREAM_IDLE)
        try:
            headers = self._accept(self.headers.get("Content-Type") or "")
            if not upload:
                headers.pop("Content-Type")
                body: Iterator[bytes] | None = None
            else:
                headers["Content-Length"] = str(self._length())
                body = _chunks(self.rfile, self._length())
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            raise self.app._lost(generation, exc) from None
        with contextlib.closing(conn):
            self.send_response(response.status)
            for key, value in response.getheaders():
                if key.title() in (*_KEEP_HEADERS, "Content-Length"):
                    self.send_header(key, value)
            if cache:
                self.send_header("Cache-Control", "max-age=3600")
            if response.getheader("Content-Length") is None:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            if self.command != "HEAD":
                shutil.copyfileobj(response, self.wfile, 1 << 16)

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _text(self, status: int, message: str, headers: dict[str, str]) -> None:
        body = (message + "\n").encode("utf-8")
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


def _chunks(stream: IO[bytes], length: int) -> Iterator[bytes]:
    """Exactly ``length`` bytes of a request body, in blocks."""
    while length > 0:
        chunk = stream.read(min(length, 1 << 16))
        if not chunk:
            return
        length -= len(chunk)
        yield chunk
