"""The building blocks of the mapping: *kinds* that check one JSON value and add its triples.

A kind is ``(ctx, subject, predicate, value, path) -> None``. Tables of
``json key -> (predicate, kind)`` are walked by :func:`fields`; :func:`node` and :func:`nodes`
turn objects into nodes whose IRIs extend their parent's. Structure errors raise
:class:`~kg.errors.RecordError` with the JSON path; odd values are kept and warned about.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kg import values
from kg.enums import ENUMS
from kg.errors import RecordError
from kg.iris import graph_iri
from kg.namespaces import CTG, LABEL, TYPE
from kg.terms import XSD_BOOLEAN, XSD_INTEGER, Lit, Quad, Term, has_scheme, web_link

TRUE, FALSE = Lit("true", XSD_BOOLEAN), Lit("false", XSD_BOOLEAN)
_tuple = tuple.__new__
"""``_tuple(Lit, (text, None, None))`` is ``Lit(text)`` without the Python-level ``__new__`` that
NamedTuple makes: the kinds below build one literal per field of every record."""
_POSITIONS = [Lit(str(i), XSD_INTEGER) for i in range(1000)]


class Ctx:
    """What the kinds share while one record is mapped."""

    __slots__ = ("contact_details", "g", "groups", "nct", "quads", "warnings")

    def __init__(self, nct: str, contact_details: bool) -> None:
        self.nct = nct
        self.g = graph_iri(nct)
        self.quads: list[Quad] = []
        self.warnings: list[str] = []
        self.contact_details = contact_details
        self.groups = ""
        """The IRI prefix of the result groups in scope (``.../participant-flow/group``)."""

    def add(self, s: str, p: str, o: Term) -> None:
        self.quads.append((s, p, o, self.g))

    def warn(self, path: str, message: str) -> None:
        self.warnings.append(f"{self.nct}: {path}: {message}")


POSITION = CTG + "position"


def position(i: int) -> Lit:
    """``i`` as an xsd:integer literal (the position of a node in its list, 1-based)."""
    return _POSITIONS[i] if i < len(_POSITIONS) else Lit(str(i), XSD_INTEGER)


def at(path: str, key: str | int) -> str:
    return f"{path}[{key}]" if isinstance(key, int) else f"{path}.{key}"


def type_name(value: Any) -> str:
    return {dict: "object", list: "list", str: "string", bool: "boolean", type(None): "null"}.get(
        type(value), type(value).__name__
    )


def fail(path: str, expected: str, value: Any) -> RecordError:
    return RecordError(f"expected {expected}, got {type_name(value)} {value!r:.60}", path=path)


def need(value: Any, kind: type | tuple[type, ...], expected: str, path: str) -> None:
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise fail(path, expected, value)


# --- kinds: (ctx, subject, predicate, value, path) -> None ---------------------------------

Kind = Callable[[Ctx, str, str, Any, str], None]
Table = dict[str, tuple[str, Kind]]


def string(ctx: Ctx, s: str, p: str, v: Any, path: str) -> None:
    if type(v) is not str:
        need(v, str, "a string", path)
    ctx.quads.append((s, p, _tuple(Lit, (v, None, None)), ctx.g))


def boolean(ctx: Ctx, s: str, p: str, v: Any, path: str) -> None:
    need(v, bool, "true or false", path)
    ctx.add(s, p, TRUE if v else FALSE)


def integer(ctx: Ctx, s: str, p: str, v: Any, path: str) -> None:
    need(v, int, "an integer", path)
    ctx.add(s, p, Lit(str(v), XSD_INTEGER))


def number(ctx: Ctx, s: str, p: str, v: Any, path: str) -> None:
    need(v, (int, float), "a number", path)
    try:
        ctx.add(s, p, values.decimal(v))
    except ValueError as exc:
        raise RecordError(str(exc), path=path) from None


def typed(parse: Callable[[str], tuple[Lit, bool]], what: str) -> Kind:
    def kind(ctx: Ctx, s: str, p: str, v: Any, path: str) -> None:
        need(v, str, "a string", path)
        lit, ok = parse(v)
        if not ok:
            ctx.warn(path, f"{v!r} is not {what}; kept as text")
        ctx.add(s, p, lit)

    return kind


date = typed(values.partial_date, "a date (yyyy, yyyy-MM or yyyy-MM-dd)")
date_time = typed(values.date_time, "a date and time (yyyy-MM-ddTHH:mm)")
age = typed(values.age, "an age such as '18 Years'")


def enum(name: str) -> Kind:
    allowed = ENUMS[name]

    def kind(ctx: Ctx, s: str, p: str, v: Any, path: str) -> None:
        if type(v) is not str:
            need(v, str, f"a {name} value", path)
        if v not in allowed:
            ctx.warn(path, f"{v!r} is not a known {name} value; kept")
        ctx.quads.append((s, p, _tuple(Lit, (v, None, None)), ctx.g))

    return kind


def url(ctx: Ctx, s: str, p: str, v: Any, path: str) -> None:
    need(v, str, "a URL string", path)
    link = web_link(v)
    if link is None:
        ctx.warn(path, f"{v!r} is not a URL an IRI can hold (its host or port); not mapped")
        return
    if not has_scheme(v):
        ctx.warn(path, f"{v!r} has no scheme; read as {link}")
    ctx.add(s, p, link)


def contact_detail(kind: Kind) -> Kind:
    """A phone number or e-mail: left out when the build asks for no contact details."""

    def wrapped(ctx: Ctx, s: str, p: str, v: Any, path: str) -> None:
        if ctx.contact_details:
            kind(ctx, s, p, v, path)

    return wrapped


def many(kind: Kind) -> Kind:
    def wrapped(ctx: Ctx, s: str, p: str, v: Any, path: str) -> None:
        need(v, list, "a list", path)
        for i, item in enumerate(v):
            if item is not None:
                kind(ctx, s, p, item, f"{path}[{i}]")

    return wrapped


def flat(table: Table) -> Kind:
    """An object that occurs once, its fields put on the parent itself."""

    def kind(ctx: Ctx, s: str, p: str, v: Any, path: str) -> None:
        fields(ctx, s, v, table, path)

    return kind


def date_struct(ctx: Ctx, s: str, p: str, v: Any, path: str) -> None:
    """``{"date": ..., "type": "ACTUAL"}`` as ``p`` (typed date) and ``pType``."""
    fields(ctx, s, v, {"date": (p, date), "type": (p + "Type", enum("DateType"))}, path)


def node(
    segment: str, cls: str, table: Table, label: str | None = None, *, groups: bool = False
) -> Kind:
    """An object that occurs once as a node of its own: ``<parent>/<segment>``.

    With ``groups`` the node scopes result groups: their IRIs are ``<node>/group/<id>``.
    """

    def kind(ctx: Ctx, s: str, p: str, v: Any, path: str) -> None:
        need(v, dict, "an object", path)
        n = f"{s}/{segment}"
        ctx.add(s, p, n)
        ctx.add(n, TYPE, cls)
        _scoped_fields(ctx, n, v, table, path, groups)
        if label and isinstance(v.get(label), str):
            ctx.add(n, LABEL, Lit(v[label]))

    return kind


def _scoped_fields(ctx: Ctx, n: str, v: Any, table: Table, path: str, groups: bool) -> None:
    if not groups:
        fields(ctx, n, v, table, path)
        return
    outer, ctx.groups = ctx.groups, n + "/group"
    try:
        fields(ctx, n, v, table, path)
    finally:
        ctx.groups = outer


def nodes(
    segment: str,
    cls: str,
    table: Table,
    label: str | None = None,
    extra: tuple[tuple[str, Term], ...] = (),
    *,
    groups: bool = False,
) -> Kind:
    """A list of objects, each a node ``<parent>/<segment>/<n>`` (1-based, record order).

    ``extra`` holds (predicate, object) pairs stated of every node, such as a further type;
    ``groups`` makes each node scope its result groups, as for :func:`node`.
    """

    def kind(ctx: Ctx, s: str, p: str, v: Any, path: str) -> None:
        need(v, list, "a list", path)
        for i, item in enumerate(v, 1):
            ipath = f"{path}[{i - 1}]"
            need(item, dict, "an object", ipath)
            n = f"{s}/{segment}/{i}"
            ctx.add(s, p, n)
            ctx.add(n, TYPE, cls)
            ctx.add(n, POSITION, position(i))
            for pred, obj in extra:
                ctx.add(n, pred, obj)
            _scoped_fields(ctx, n, item, table, ipath, groups)
            if label and isinstance(item.get(label), str):
                ctx.add(n, LABEL, Lit(item[label]))

    return kind


def fields(ctx: Ctx, s: str, obj: Any, table: Table, path: str) -> None:
    if type(obj) is not dict:
        need(obj, dict, "an object", path)
    for key, value in obj.items():
        spec = table.get(key)
        if spec is None:
            ctx.warn(at(path, key), "field not in the API v2 study model; not mapped")
        elif value is not None:
            spec[1](ctx, s, spec[0], value, f"{path}.{key}")


def table(**fields: tuple[str, Kind]) -> Table:
    """A table whose predicates are given as local names in the ctg: vocabulary or as IRIs."""
    return {k: (p if ":" in p else CTG + p, kind) for k, (p, kind) in fields.items()}
