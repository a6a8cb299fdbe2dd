"""The query library: ``queries/*.rq`` files, their grlc decorators and their parameters.

Each file starts with grlc's ``#+`` decorators (a YAML block in comments, so the file stays plain
SPARQL): ``summary``, ``description``, ``tags``, ``defaults``, ``enumerate``, and three that grlc
ignores and we read, ``params`` (a sentence per parameter), ``example`` (a command line) and
``search`` (the variable a text search filters, and its parameter: see :mod:`kg.text_index`).
Parameters are the variables named ``?_name...`` (see :mod:`kg.params`).
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import rdflib

from kg import sparql
from kg.errors import ParameterError, QueryError
from kg.namespaces import PREFIXES
from kg.params import Parameter, parameter
from kg.resources import queries_dir

_KEY = re.compile(r"^(\s*)(- +)?([A-Za-z_][\w-]*)\s*:(?:\s+(.*))?$")
_ITEM = re.compile(r"^(\s*)- +(.*)$")
RESERVED = frozenset({"limit", "timeout", "params"})


@dataclass(frozen=True)
class Query:
    """A SPARQL query with what its header says: summary, parameters, defaults, example."""

    name: str
    text: str
    form: str
    summary: str = ""
    description: str = ""
    tags: tuple[str, ...] = ()
    example: str = ""
    parameters: tuple[Parameter, ...] = ()
    path: Path | None = None
    search: tuple[tuple[str, str], ...] = ()
    """(variable, parameter name) pairs: the variable's values must contain the parameter's
    text, in any case; a store's text index can then say which values to try."""

    def parameter(self, name: str) -> Parameter:
        """The parameter called ``name``.

        :raises ParameterError: when the query has none of that name.
        """
        for p in self.parameters:
            if p.name == name:
                return p
        known = ", ".join(p.name for p in self.parameters) or "none"
        raise ParameterError(f"{self.name}: no parameter {name!r} (parameters: {known})")

    def bindings(self, values: Mapping[str, Any]) -> dict[str, rdflib.term.Node]:
        """Variable name -> RDF term for the given values, defaults filled in.

        :raises ParameterError: for an unknown name, a missing required value, or a value
            that is not of its parameter's type.
        """
        for name in values:
            self.parameter(name)
        bound: dict[str, rdflib.term.Node] = {}
        for p in self.parameters:
            value = values.get(p.name, p.default)
            if value is None:
                if p.required:
                    raise ParameterError(
                        f"{self.name}: parameter {p.name!r} ({p.type}) is required"
                        + (f": {p.description}" if p.description else "")
                    )
                continue
            bound[p.variable] = p.term(value)
        return bound


def parse(text: str, *, name: str = "query", path: Path | None = None) -> Query:
    """A query from its text: header decorators, form, parameters.

    :raises QueryError: for text with no query form, or a header that does not fit its query.
    """
    meta = decorators(text)
    form = sparql.form(text)
    declared = {**PREFIXES, **sparql.prefixes(text)}
    defaults = _pairs(meta.get("defaults"))
    described = _pairs(meta.get("params"))
    enums = {k: tuple(str(x) for x in v or ()) for k, v in _pairs(meta.get("enumerate")).items()}
    params: dict[str, Parameter] = {}
    for variable in sparql.variables(text):
        found = parameter(variable, prefixes=declared)
        if found is None:
            continue
        p = dataclasses.replace(
            found,
            default=_text(defaults.get(found.name)),
            enum=enums.get(found.name, ()),
            description=_text(described.get(found.name)) or "",
        )
        if p.name in params and params[p.name].variable != variable:
            raise QueryError(f"{name}: parameter {p.name!r} is spelled two ways")
        if p.name.lower() in RESERVED:
            raise QueryError(f"{name}: {p.name!r} is an option name; call the parameter otherwise")
        params[p.name] = p
    order = {key: i for i, key in enumerate(described)}
    for key in (*defaults, *enums, *described):
        if key not in params:
            raise QueryError(f"{name}: the header names {key!r}, which is no parameter")
    for p in params.values():
        if p.default is not None:
            p.term(p.default)
    search = tuple((str(k), str(v)) for k, v in _pairs(meta.get("search")).items())
    for variable, key in search:
        if variable not in sparql.variables(text) or key not in params:
            raise QueryError(f"{name}: search {variable}: {key} names no variable and parameter")
    return Query(
        name=name,
        text=text,
        form=form,
        summary=_text(meta.get("summary")) or "",
        description=_text(meta.get("description")) or "",
        tags=_list(meta.get("tags")),
        example=_text(meta.get("example")) or "",
        parameters=tuple(sorted(params.values(), key=lambda p: order.get(p.name, len(order)))),
        path=path,
        search=search,
    )


def load(path: str | Path) -> Query:
    """A query from a ``.rq`` file; its name is the file's stem.

    :raises QueryError: when the file cannot be read or holds no query.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise QueryError(f"{path}: cannot read the query: {exc}") from None
    return parse(text, name=path.stem, path=path)


@functools.cache
def library() -> dict[str, Query]:
    """Every query of the library by name, in name order (read once, then kept)."""
    return {p.stem: load(p) for p in sorted(queries_dir().glob("*.rq"), key=lambda p: p.stem)}


def find(query: str | Query) -> Query:
    """A library query by name, a ``.rq`` file by path, or SPARQL text.

    :raises QueryError: when ``query`` is none of these.
    """
    if isinstance(query, Query):
        return query
    queries = library()
    if query in queries:
        return queries[query]
    if query.endswith(".rq") and "\n" not in query:
        return load(query)
    if "{" in query:
        return parse(query, name="query")
    raise QueryError(f"no query named {query!r}; `kg queries` lists the library")


# --- decorators: the subset of YAML that grlc headers use -----------------------------------


def decorators(text: str) -> dict[str, Any]:
    """The ``#+`` header as grlc reads it: a mapping of strings, lists and one-key mappings.

    :raises QueryError: for a header line this reader cannot place.
    """
    lines = [row.lstrip("#+").rstrip() for row in text.split("\n") if row.startswith("#+")]
    lines = [line for line in lines if line.strip()]
    result: dict[str, Any] = {}
    i = 0
    while i < len(lines):
        m = _KEY.match(lines[i])
        if m is None or m.group(2):
            raise QueryError(f"header line not understood: {lines[i].strip()!r}")
        indent = len(m.group(1))
        key, value = m.group(3), m.group(4)
        i += 1
        block = []
        while i < len(lines) and _indent(lines[i]) > indent:
            block.append(lines[i])
            i += 1
        if value is not None:
            result[key] = " ".join([_scalar(value), *(b.strip() for b in block)]).strip()
        else:
            result[key] = _block(block)
    return result


def _block(lines: list[str]) -> list[Any]:
    items: list[Any] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        m = _ITEM.match(line)
        if m is None:
            raise QueryError(f"header line not understood: {line.strip()!r}")
        indent = len(m.group(1))
        i += 1
        nested = []
        while i < len(lines) and _indent(lines[i]) > indent:
            nested.append(lines[i])
            i += 1
        key = _KEY.match(line)
        if key is not None and key.group(2):
            if key.group(4) is None:
                items.append({key.group(3): _block(nested)})
            else:
                more = " ".join(n.strip() for n in nested)
                items.append({key.group(3): " ".join([_scalar(key.group(4)), more]).strip()})
        else:
            items.append(" ".join([_scalar(m.group(2)), *(n.strip() for n in nested)]).strip())
    return items


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _scalar(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def _pairs(items: Any) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for item in items or ():
        if isinstance(item, dict):
            found.update(item)
    return found


def _list(value: Any) -> tuple[str, ...]:
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    return () if value is None else (str(value),)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
