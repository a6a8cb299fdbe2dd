"""Query parameters in grlc's convention: a variable's name says the parameter's name and type.

``?_name`` is a required parameter, ``?__name`` an optional one (left unbound when not given).
A suffix gives the type (grlc follows BASIL's variable naming):

==================  ====================================================
``?_name``          a string literal
``?_name_literal``  a string literal
``?_name_iri``      an IRI (on the command line a prefixed name works too)
``?_name_number``   a number: xsd:integer, xsd:decimal or xsd:double
``?_name_integer``  an xsd:integer
``?_name_xsd_date`` a literal of datatype ``xsd:date`` (any ``prefix_localname``)
``?_name_en``       a literal in language ``en`` (any language tag)
==================  ====================================================

A value becomes one RDF term, checked against its type; it never becomes query text.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import rdflib

from kg.errors import ParameterError
from kg.namespaces import XSD

# grlc's own pattern (src/gquery.py, get_parameters), matched against a whole variable
GRLC_VARIABLE = re.compile(
    r"\?(?P<required>[_]{1,2})(?P<name>[a-zA-Z0-9]+)"
    r"([_](?P<type>(iri)|(number)|(literal)|(integer)))?"
    r"([_](?P<prefix>[a-zA-Z0-9]+)[_](?P<userdefined>[a-zA-Z0-9]+))?"
    r"([_](?P<lang>[a-zA-Z0-9]+))?"
)
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_IRI_BAD = re.compile(r'[\x00-\x20<>"{}|^`\\]')
_PNAME = re.compile(r"^([A-Za-z][\w.-]*)?:([\w.-]*)$")

_LEXICAL = {
    "integer": re.compile(r"^[+-]?\d+$"),
    "decimal": re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$"),
    "double": re.compile(r"^([+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|[+-]?INF|NaN)$"),
    "float": re.compile(r"^([+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|[+-]?INF|NaN)$"),
    "boolean": re.compile(r"^(true|false|1|0)$"),
    "gYear": re.compile(r"^-?\d{4,}(Z|[+-]\d\d:\d\d)?$"),
    "gYearMonth": re.compile(r"^-?\d{4,}-(0[1-9]|1[0-2])(Z|[+-]\d\d:\d\d)?$"),
    "date": re.compile(r"^-?\d{4,}-\d\d-\d\d(Z|[+-]\d\d:\d\d)?$"),
    "dateTime": re.compile(r"^-?\d{4,}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?$"),
    "duration": re.compile(
        r"^-?P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$"
    ),
    "anyURI": re.compile(r"^[^\x00-\x20<>\"{}|^`\\]*$"),
}


@dataclass(frozen=True)
class Parameter:
    """One parameter of a query, read from its variable name and the query's decorators."""

    name: str
    variable: str
    required: bool
    kind: str
    datatype: str | None = None
    lang: str | None = None
    default: str | None = None
    enum: tuple[str, ...] = ()
    description: str = ""
    prefixes: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    @property
    def type(self) -> str:
        """A short name of the type: ``IRI``, ``string``, ``number``, ``xsd:date``, ``@en``."""
        if self.kind == "typed":
            return _short(self.datatype or "")
        return {"iri": "IRI", "lang": f"@{self.lang}"}.get(self.kind, self.kind)

    def term(self, value: Any) -> rdflib.term.Node:
        """The RDF term for ``value``, a string as typed on the command line or a Python value.

        :raises ParameterError: when the value is not of this parameter's type.
        """
        try:
            node = self._term(value)
        except ParameterError:
            raise
        except (ValueError, TypeError, InvalidOperation, ArithmeticError) as exc:
            raise self._wrong(value, str(exc)) from None
        if self.enum and str(node) not in self.enum:
            raise self._wrong(value, f"use one of {', '.join(self.enum)}")
        return node

    def _term(self, value: Any) -> rdflib.term.Node:
        if isinstance(value, rdflib.term.Node):
            return self._check_node(value)
        if self.kind == "iri":
            if not isinstance(value, str):
                raise self._wrong(value, "an IRI is given as a string")
            return rdflib.URIRef(self._iri(value.strip()))
        if self.kind in ("string", "literal"):
            if not isinstance(value, str):
                raise self._wrong(value, "give text")
            return rdflib.Literal(value)
        if self.kind == "lang":
            if not isinstance(value, str):
                raise self._wrong(value, "give text")
            return rdflib.Literal(value, lang=self.lang)
        if self.kind == "number":
            return _number(value)
        return typed_literal(value, self.datatype or XSD + "string")

    def _check_node(self, node: rdflib.term.Node) -> rdflib.term.Node:
        if self.kind == "iri":
            if not isinstance(node, rdflib.URIRef):
                raise self._wrong(node, "not an IRI")
            return rdflib.URIRef(self._iri(str(node)))
        if not isinstance(node, rdflib.Literal):
            raise self._wrong(node, "not a literal")
        return self._term(str(node))

    def _iri(self, text: str) -> str:
        m = _PNAME.match(text)
        if m and (m.group(1) or "") in self.prefixes:
            text = self.prefixes[m.group(1) or ""] + m.group(2)
        if not _SCHEME.match(text) or _IRI_BAD.search(text):
            raise ParameterError(
                f"parameter {self.name!r}: {text!r:.80} is not an absolute IRI; give one such as "
                "http://id.nlm.nih.gov/mesh/D009369 or a prefixed name the query declares"
            )
        return text

    def _wrong(self, value: Any, why: str) -> ParameterError:
        return ParameterError(f"parameter {self.name!r} ({self.type}): {value!r:.80} {why}")


def typed_literal(value: Any, datatype: str) -> rdflib.Literal:
    """A literal of ``datatype`` from a Python value or its lexical form, checked and canonical.

    :raises ValueError: when the value is not of the datatype.
    """
    local = datatype.removeprefix(XSD) if datatype.startswith(XSD) else None
    if isinstance(value, bool):
        value = "true" if value else "false"
    elif isinstance(value, int | float | Decimal):
        value = str(value)
    elif isinstance(value, dt.datetime | dt.date):
        value = value.isoformat()
    if not isinstance(value, str):
        raise ValueError(f"is a {type(value).__name__}, not text")
    lex = value.strip()
    pattern = _LEXICAL.get(local or "")
    if pattern is not None and not pattern.match(lex):
        raise ValueError(f"is not a valid xsd:{local}")
    if local == "integer":
        lex = str(int(lex))
    elif local == "decimal":
        lex = _canonical_decimal(Decimal(lex))
    elif local == "boolean":
        lex = "true" if lex in ("true", "1") else "false"
    elif local in ("date", "dateTime"):
        _calendar(lex)
    return rdflib.Literal(lex, datatype=rdflib.URIRef(datatype))


def _calendar(lex: str) -> None:
    m = re.match(r"^(\d{4})-(\d\d)-(\d\d)", lex)
    if m is not None:
        dt.date(*map(int, m.groups()))


def _number(value: Any) -> rdflib.Literal:
    if isinstance(value, bool):
        raise ValueError("is a boolean, not a number")
    if isinstance(value, int):
        return typed_literal(value, XSD + "integer")
    if isinstance(value, float):
        return typed_literal(repr(value), XSD + "double")
    text = str(value).strip()
    for local in ("integer", "decimal", "double"):
        if _LEXICAL[local].match(text):
            return typed_literal(text, XSD + local)
    raise ValueError("is not a number")


def _canonical_decimal(number: Decimal) -> str:
    text = format(number, "f")
    if "." not in text:
        return text + ".0"
    text = text.rstrip("0")
    return text + "0" if text.endswith(".") else text


def _short(iri: str) -> str:
    return "xsd:" + iri.removeprefix(XSD) if iri.startswith(XSD) else iri


def parameter(
    variable: str,
    *,
    prefixes: dict[str, str],
    default: str | None = None,
    enum: tuple[str, ...] = (),
    description: str = "",
) -> Parameter | None:
    """The parameter a variable (without ``?``) stands for, or None when it is an ordinary one.

    :raises ParameterError: for a variable that starts with ``_`` but is not in grlc's form,
        or whose datatype prefix the query does not declare.
    """
    if not variable.startswith("_"):
        return None
    m = GRLC_VARIABLE.fullmatch("?" + variable)
    if m is None:
        raise ParameterError(
            f"?{variable}: a parameter variable is ?_name or ?__name with an optional type "
            "suffix (_iri, _number, _integer, _literal, _prefix_localname or a language tag); "
            "names are letters and digits only"
        )
    kind, datatype, lang = "string", None, None
    if m.group("type"):
        kind = m.group("type")
        if kind == "integer":
            kind, datatype = "typed", XSD + "integer"
    elif m.group("prefix"):
        prefix = m.group("prefix")
        if prefix not in prefixes:
            raise ParameterError(f"?{variable}: the query declares no PREFIX {prefix}:")
        kind, datatype = "typed", prefixes[prefix] + m.group("userdefined")
    elif m.group("lang"):
        kind, lang = "lang", m.group("lang")
    return Parameter(
        name=m.group("name"),
        variable=variable,
        required=len(m.group("required")) == 1,
        kind=kind,
        datatype=datatype,
        lang=lang,
        default=default,
        enum=enum,
        description=description,
        prefixes=prefixes,
    )
