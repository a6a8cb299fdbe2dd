"""How much of a record reaches the graph: every leaf value, found in the study's named graph.

A leaf counts as found when a triple of the record's graph holds its value: as the same text,
as the typed literal the mapping makes of it (a date, an age as a duration, a number), or as
the IRI made from it (MeSH IDs, browse terms, URLs). Values are counted, not just looked up:
a value that stands in five leaves must stand in at least five triples, so a dropped flag is
missed even when another ``true`` is in the graph. Leaves under :data:`LEFT_OUT` are not
mapped on purpose and are counted apart.

Run ``python -m kg.fidelity PATH...`` for the figures.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

from kg import values
from kg.mapping import map_read_record
from kg.mesh import mesh_iri
from kg.read import Record, records
from kg.terms import Lit, web_link

LEFT_OUT: dict[str, str] = {}
"""JSON path prefixes not mapped on purpose, with the reason (none at present)."""


@dataclass
class Fidelity:
    """Leaves of one record: how many, how many found, which were missed, how many left out."""

    source: str
    nct_id: str
    leaves: int = 0
    found: int = 0
    left_out: int = 0
    missing: list[str] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        """Found over mapped leaves (1.0 when there are none)."""
        return self.found / self.leaves if self.leaves else 1.0


def leaves(value: Any, path: str = "$") -> Iterator[tuple[str, Any]]:
    """Every (JSON path, scalar value) of a record, in document order."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from leaves(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from leaves(item, f"{path}[{i}]")
    elif value is not None:
        yield path, value


def _forms(path: str, value: Any) -> set[str]:
    """The N-Triples-ish forms the value may take in the graph (lexical forms and IRIs)."""
    if isinstance(value, bool):
        return {"true" if value else "false"}
    if isinstance(value, int | float):
        return {str(value), values.decimal(value).lex}
    forms = {value, value.strip()}
    forms.update(parse(value)[0].lex for parse in (values.age, values.date_time))
    if link := web_link(value):
        forms.add(link)
    if ".meshes[" in path or ".ancestors[" in path:
        with suppress(ValueError):
            forms.add(mesh_iri(value))
    return forms


def measure(record: Record) -> Fidelity:
    """Map one record and look for each of its leaves in its graph."""
    mapped = map_read_record(record.data, source=record.source)
    available: Counter[str] = Counter()
    for s, _, o, _ in mapped.quads:
        if isinstance(o, Lit):
            available[o.lex] += 1
        else:
            available[o] += 1
            available[o.rsplit("/", 1)[-1]] += 1
        available[s.rsplit("/", 1)[-1]] += 1
    result = Fidelity(record.source, mapped.nct_id)
    for path, value in leaves(record.data):
        if any(path.startswith(prefix) for prefix in LEFT_OUT):
            result.left_out += 1
            continue
        result.leaves += 1
        form = next((f for f in _forms(path, value) if available[f] > 0), None)
        if form is None:
            result.missing.append(f"{path} = {value!r:.80}")
        else:
            available[form] -= 1
            result.found += 1
    return result


def main(argv: list[str] | None = None) -> int:
    """Print the fidelity of each record and the total; exit 1 below 100%."""
    total = Fidelity("total", "")
    for item in records(argv if argv is not None else sys.argv[1:]):
        if not isinstance(item, Record):
            print(f"error: {item}")
            return 2
        f = measure(item)
        total.leaves += f.leaves
        total.found += f.found
        total.left_out += f.left_out
        print(
            f"{f.nct_id}  {f.found}/{f.leaves} leaves found ({f.ratio:.2%}), {f.left_out} left out"
        )
        for missing in f.missing:
            print(f"    missing {missing}")
    reasons = f" ({', '.join(LEFT_OUT)})" if LEFT_OUT else ""
    print(
        f"total  {total.found}/{total.leaves} leaves found ({total.ratio:.2%}), "
        f"{total.left_out} left out on purpose{reasons}"
    )
    return 0 if total.found == total.leaves else 1


if __name__ == "__main__":
    raise SystemExit(main())
