"""Run a SPARQL query (a library name, a ``.rq`` file or text) on any of the three stores.

- an rdflib graph in memory (a :class:`~kg.graph.KnowledgeGraph`, a Dataset or a Graph):
  parameters are rdflib's initial bindings on a query prepared once and kept;
- an Oxigraph store (:class:`~kg.store.OxigraphStore` or a ``pyoxigraph.Store``) and a remote
  endpoint (:class:`~kg.endpoint.Endpoint`): parameters are a VALUES block of RDF terms opening
  the WHERE group (pyoxigraph's own substitutions bind projected variables only).

Every query is queried over the union of the study graphs, checked first for SERVICE, FROM
and LOAD (refused unless ``allow_network``), and can be given a timeout and a row limit.
"""

from __future__ import annotations

import ctypes
import functools
import operator
import os
import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import pyoxigraph as ox
import rdflib
from pyparsing import ParseException
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.plugins.sparql.sparql import Query as PreparedQuery

from kg import sparql
from kg.endpoint import Endpoint
from kg.errors import InputError, QueryError, QueryTimeout, UnsafeQueryError
from kg.graph import KnowledgeGraph, build
from kg.library import Query, find, library
from kg.namespaces import PREFIXES
from kg.oxigraph_terms import rows_to_rdflib
from kg.results import QueryResult
from kg.text_index import TextIndex
from kg.text_index import bits as text_bits

T = TypeVar("T")


def query(
    source: Any,
    query: str | Query,
    /,
    params: Mapping[str, Any] | None = None,
    *,
    limit: int | None = None,
    timeout: float | None = None,
    allow_network: bool = False,
    **values: Any,
) -> QueryResult:
    """Run a query on a graph, an Oxigraph store or an endpoint.

    >>> import kg
    >>> graph = kg.build(kg.sample_paths())
    >>> result = kg.query(graph, "studies-by-sponsor", sponsor="Neukio")
    >>> [(row.nctId.toPython(), row.role.toPython()) for row in result]
    [('NCT07366658', 'collaborator')]

    :param source: a KnowledgeGraph, rdflib Graph or Dataset, OxigraphStore, pyoxigraph Store
        or Endpoint.
    :param query: a library query name, a ``.rq`` file path, SPARQL text or a :class:`Query`.
    :param params: parameter values by name (also accepted as keyword arguments).
    :param limit: return at most this many rows (triples); ``truncated`` tells if there were more.
    :param timeout: seconds the query may run; then :class:`QueryTimeout` is raised.
    :param allow_network: let SERVICE, FROM and LOAD through.
    :raises ParameterError: for a missing parameter or a value not of its declared type.
    :raises UnsafeQueryError: for SERVICE, FROM or LOAD without ``allow_network``.
    :raises QueryTimeout: when the query runs longer than ``timeout``.
    :raises QueryError: for a query that does not parse or fails in the store.
    """
    q = find(query)
    bindings = q.bindings({**(params or {}), **values})
    sparql.check_safe(q.text, allow_network=allow_network)
    if limit is not None and limit < 0:
        raise QueryError("the row limit cannot be negative")
    run = _runner(source)
    return _with_deadline(lambda: run(q, bindings, limit, allow_network), timeout)


RDF_FILES = {".nq": "nquads", ".nt": "nt", ".ttl": "turtle", ".trig": "trig"}


def load_data(
    inputs: Iterable[str | os.PathLike], *, contact_details: bool = True
) -> KnowledgeGraph:
    """A graph in memory from records (whatever ``kg build`` reads) and RDF files.

    RDF files are told by their extension (.nq .nt .ttl .trig); everything else is records.
    Records that fail are listed in ``graph.report.errors``.

    :raises InputError: when an input does not exist or an RDF file does not parse.
    """
    paths = [Path(p) if p != "-" else p for p in map(os.fsdecode, inputs)]
    rdf = [p for p in paths if isinstance(p, Path) and p.suffix.lower() in RDF_FILES]
    others = [p for p in paths if p not in rdf]
    if others:
        graph = build(others, contact_details=contact_details)
    else:
        graph = KnowledgeGraph(rdflib.Dataset(default_union=True))
    for path in rdf:
        if not path.is_file():
            raise InputError(f"no such file: {path}")
        try:
            graph.dataset.parse(path, format=RDF_FILES[path.suffix.lower()])
        except Exception as exc:
            raise InputError(f"{path}: not {RDF_FILES[path.suffix.lower()]}: {exc}") from None
    return graph


def queries() -> list[Query]:
    """The query library, in name order.

    >>> "studies-by-condition" in [q.name for q in queries()]
    True
    """
    return list(library().values())


Runner = Callable[[Query, dict[str, rdflib.term.Node], int | None, bool], QueryResult]


def _runner(source: Any) -> Runner:
    if isinstance(source, Endpoint):
        return functools.partial(_run_endpoint, source)
    store = source if isinstance(source, rdflib.Graph) else getattr(source, "store", source)
    if isinstance(store, ox.Store):
        index = getattr(source, "text", None)
        index = index if isinstance(index, TextIndex) else None
        return functools.partial(_run_oxigraph, store, index=index)
    if isinstance(store, rdflib.Graph):
        return functools.partial(_run_rdflib, store)
    raise QueryError(f"cannot query a {type(source).__name__}")


# --- rdflib --------------------------------------------------------------------------------


@functools.lru_cache(maxsize=512)
def prepared(text: str) -> PreparedQuery:
    """The query parsed and translated by rdflib, once per text (the first parse is the slow one).

    :raises QueryError: when rdflib cannot parse it.
    """
    try:
        return prepareQuery(text, initNs=PREFIXES)
    except ParseException as exc:
        raise QueryError(f"the query does not parse: {exc}") from None
    except Exception as exc:  # rdflib raises plain Exceptions for unknown prefixes and the like
        raise QueryError(f"the query does not parse: {exc}") from None


def _run_rdflib(
    graph: rdflib.Graph,
    q: Query,
    bindings: dict[str, rdflib.term.Node],
    limit: int | None,
    allow_network: bool,
) -> QueryResult:
    compiled = prepared(q.text)
    if not allow_network:
        _check_algebra(compiled)
    try:
        result = graph.query(
            compiled, initBindings={rdflib.Variable(k): v for k, v in bindings.items()}
        )
        if result.type == "ASK":
            return QueryResult("ASK", boolean=bool(result.askAnswer), prefixes=q_prefixes(q))
        if result.type in ("CONSTRUCT", "DESCRIBE"):
            triples, truncated = _take(iter(result), limit)
            return QueryResult(q.form, triples=triples, truncated=truncated, prefixes=q_prefixes(q))
        variables = [str(v) for v in result.vars or ()]
        rows, truncated = _take((tuple(row) for row in result), limit)
    except (QueryError, QueryTimeout):
        raise
    except Exception as exc:
        raise QueryError(f"the query failed: {exc}") from exc
    return QueryResult(
        "SELECT", variables=variables, rows=rows, truncated=truncated, prefixes=q_prefixes(q)
    )


def _check_algebra(compiled: PreparedQuery) -> None:
    """rdflib's own reading agrees: no SERVICE pattern, no dataset clause."""
    if getattr(compiled.algebra, "datasetClause", None):
        raise UnsafeQueryError("FROM refused: it loads graphs from URLs or local files")
    stack: list[Any] = [compiled.algebra]
    while stack:
        node = stack.pop()
        if isinstance(node, CompValue):
            if node.name == "ServiceGraphPattern":
                raise UnsafeQueryError("SERVICE refused: it queries another endpoint")
            stack.extend(node.values())
        elif isinstance(node, list | tuple):
            stack.extend(node)


# --- Oxigraph ------------------------------------------------------------------------------


def _run_oxigraph(
    store: ox.Store,
    q: Query,
    bindings: dict[str, rdflib.term.Node],
    limit: int | None,
    allow_network: bool,
    *,
    index: TextIndex | None = None,
) -> QueryResult:
    """The query on a pyoxigraph store, narrowed by its text index where it has one; its terms
    become rdflib's once pyoxigraph's results are dropped (rdflib logs an ill-typed literal
    with a traceback that would keep them alive)."""
    text = sparql.with_values(q.text, bindings)
    if index is not None:
        text = narrowed(text, q, bindings, index)
    prefixes = q_prefixes(q)
    try:
        result = store.query(text, use_default_graph_as_union=True, prefixes=PREFIXES)
        if isinstance(result, ox.QueryBoolean):
            return QueryResult("ASK", boolean=bool(result), prefixes=prefixes)
        if isinstance(result, ox.QueryTriples):
            raw, truncated = _take(((t.subject, t.predicate, t.object) for t in result), limit)
            variables = None
        else:
            variables = [v.value for v in result.variables]
            raw, truncated = _take((tuple(solution) for solution in result), limit)
        del result
        rows = rows_to_rdflib(raw)
    except SyntaxError as exc:
        raise QueryError(f"the query does not parse: {exc}") from None
    except (OSError, RuntimeError, ValueError) as exc:
        raise QueryError(f"the query failed: {exc}") from None
    if variables is None:
        return QueryResult(q.form, triples=rows, truncated=truncated, prefixes=prefixes)
    return QueryResult(
        "SELECT", variables=variables, rows=rows, truncated=truncated, prefixes=prefixes
    )


def narrowed(text: str, q: Query, bindings: dict[str, rdflib.term.Node], index: TextIndex) -> str:
    """The query with each searched variable (its ``search`` header) given the indexed values
    that hold its parameter's text, in a VALUES block in each group where a pattern binds it
    through an indexed predicate: the only values there that its FILTER can keep. Left as it
    is where giving them would cost more than reading every value (:meth:`TextIndex.pays`)."""
    for variable, name in q.search:
        value = bindings.get(q.parameter(name).variable)
        found = None if value is None else index.containing(str(value))
        if found is None:
            continue
        groups = sparql.object_groups(text, variable, PREFIXES).items()
        wanted = {at: held for at, predicates in groups if (held := text_bits(predicates))}
        if not index.pays(found, functools.reduce(operator.or_, wanted.values(), 0)):
            continue
        rows = {
            at: [sparql.string(lex, lang) for lex, lang, held in found if held & bits]
            for at, bits in wanted.items()
        }
        text = sparql.with_group_values(text, variable, rows)
    return text


# --- endpoint ------------------------------------------------------------------------------


def _run_endpoint(
    endpoint: Endpoint,
    q: Query,
    bindings: dict[str, rdflib.term.Node],
    limit: int | None,
    allow_network: bool,
) -> QueryResult:
    declared = sparql.prefixes(q.text)
    missing = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items() if p not in declared)
    text = missing + sparql.with_values(q.text, bindings)
    if q.form == "ASK":
        return QueryResult("ASK", boolean=endpoint.ask(text), prefixes=q_prefixes(q))
    if q.form in ("CONSTRUCT", "DESCRIBE"):
        triples, truncated = _take(iter(endpoint.triples(text)), limit)
        return QueryResult(q.form, triples=triples, truncated=truncated, prefixes=q_prefixes(q))
    variables, rows = endpoint.select(text)
    taken, truncated = _take(iter(rows), limit)
    return QueryResult(
        "SELECT", variables=variables, rows=taken, truncated=truncated, prefixes=q_prefixes(q)
    )


# --- shared --------------------------------------------------------------------------------


def q_prefixes(q: Query) -> dict[str, str]:
    """The prefixes a result is shown with: the project's, then the query's own."""
    return {**PREFIXES, **sparql.prefixes(q.text)}


def _take(items: Any, limit: int | None) -> tuple[list[Any], bool]:
    taken: list[Any] = []
    for item in items:
        if limit is not None and len(taken) >= limit:
            return taken, True
        taken.append(item)
    return taken, False


class _Cancelled(BaseException):
    """Raised inside a query's worker thread when its time is up."""


def _with_deadline(work: Callable[[], T], timeout: float | None) -> T:
    """``work()``, or :class:`QueryTimeout` after ``timeout`` seconds.

    The work runs in a thread, stopped at the deadline: Python code (rdflib) at once, a call
    into Oxigraph when it returns its next row.
    """
    if timeout is None:
        return work()
    if timeout <= 0:
        raise QueryError("the timeout must be more than 0 seconds")
    box: dict[str, Any] = {}
    lock = threading.Lock()

    def target() -> None:
        try:
            box["value"] = work()
        except _Cancelled:
            pass
        except BaseException as exc:
            box["error"] = exc
        finally:
            with lock:
                box["done"] = True

    worker = threading.Thread(target=target, name="kg-query", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        if not getattr(sys.unraisablehook, "drops_query_stops", False):
            sys.unraisablehook = _without_stops(sys.unraisablehook)
        threading.Thread(
            target=_cancel, args=(worker, lock, box), name="kg-query-cancel", daemon=True
        ).start()
        raise QueryTimeout(f"the query ran longer than {timeout:g} s and was stopped")
    if "error" in box:
        raise box["error"]
    return box["value"]


def _without_stops(hook: Callable[[Any], None]) -> Callable[[Any], None]:
    """``sys.unraisablehook`` less the stops :func:`_cancel` sends: one that lands in a weakref
    callback or a ``__del__`` is dropped by Python, which would print it on stderr, and sent
    again; every other exception still reaches ``hook``."""

    def unraisable(info: Any) -> None:
        if not isinstance(info.exc_value, _Cancelled):
            hook(info)

    unraisable.drops_query_stops = True  # type: ignore[attr-defined]
    return unraisable


def _cancel(worker: threading.Thread, lock: threading.Lock, box: dict[str, Any]) -> None:
    """Raise :class:`_Cancelled` in ``worker`` until it ends: Python drops an exception that
    lands in a weakref callback or a ``__del__`` (seen in one test run in three), and the query
    would run on."""
    while worker.is_alive():
        with lock:
            if box.get("done"):
                return
            ctypes.pythonapi.PyThreadState_SetAsyncExc(
                ctypes.c_ulong(worker.ident or 0), ctypes.py_object(_Cancelled)
            )
        worker.join(0.2)
