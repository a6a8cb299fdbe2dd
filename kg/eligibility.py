"""Split a registry eligibility-criteria text into ordered inclusion and exclusion items.

ClinicalTrials.gov stores all criteria of a study as one Markdown-ish string; the graph wants
one node per criterion, with its section, nesting level and the heading it was listed under.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Criterion", "criteria"]


@dataclass(frozen=True, slots=True)
class Criterion:
    """One eligibility item.

    ``section`` is "inclusion", "exclusion", or None when no inclusion/exclusion heading is in
    force; ``level`` is 0 for a top-level item, 1 for a nested one and so on; ``heading`` is the
    heading in force as written, without its trailing colon.
    """

    section: str | None
    text: str
    level: int
    heading: str | None


_ROMAN = r"(?=[ivx])x{0,3}(?:ix|iv|v?i{0,3})"
_ORD = rf"(?:\d{{1,3}}(?:\\?\.\d{{1,3}})*|[a-zA-Z]|{_ROMAN}|{_ROMAN.upper()})"
_ORDERED = rf"(?:\(\s?{_ORD}\s?\)|{_ORD}\\?[.)])(?=\s|$)"
_DASHES = "\u2013\u2014"
_MARKER = re.compile(
    rf"(?:(?P<bullet>[*+o\-{_DASHES}](?=\s|$)|[•·▪◦‣○●■□➢►\u2043∙])|{_ORDERED})\s*"
)
_SECOND = re.compile(rf"{_ORDERED}\s*")
_GENUS = re.compile(r"[A-Z]\\?\.\s+[a-z]")
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
_EMPHASIS = re.compile(r"^#{1,6}\s+|\*\*|__")
_INEX = re.compile(r"(?:\S+\s+){0,3}?(?:non[- ]?)?(?:in|ex)clusions?\b", re.IGNORECASE)
_INEX_BARE = re.compile(
    r"(?:\S+\s+){0,3}?(?:non[- ]?)?(?:in|ex)clusion\s+criteri(?:a|on)"
    rf"(?:\s+(?:(?:for|in|of|part|cohort|arm|group)\b|[-{_DASHES}(\[\d])\S*(?:\s+\S+){{0,5}})?",
    re.IGNORECASE,
)
_CLUSION = re.compile("clusion", re.IGNORECASE)
"""What every inclusion or exclusion heading holds: lines without it are tested for less."""
_KIND = re.compile(r"\b(non[- ]?inclusion|inclusion|exclusion)s?\b", re.IGNORECASE)
_NOT_LABEL_END = frozenset(
    {"a", "an", "the", "of", "with", "to", "for", "by", "as", "at", "in", "on", "or", "and"}
    | {"have", "has", "are", "is", "be", "been", "must", "include", "includes", "including"}
    | {"following", "if", "who", "which", "that", "than"}
)
_NOT_LABEL = frozenset({"note", "notes", "nb", "n.b."})
_KEEP = "keep"


def _clean(text: str) -> str:
    return " ".join((_ESCAPE.sub(r"\1", text) if "\\" in text else text).split())


def _marker_end(body: str) -> int | None:
    """Where the text after a leading list marker (and a numbering right after it) starts."""
    m = _MARKER.match(body)
    if m is None or _GENUS.match(body):
        return None
    end = m.end()
    if m.group("bullet") and not _GENUS.match(body, end):
        second = _SECOND.match(body, end)
        if second is not None:
            end = second.end()
    return end


def _heading(body: str, marked: bool, lazy: bool) -> tuple[str | None, str, str] | None:
    """(section or _KEEP, heading text, inline rest) if ``body`` is a heading line.

    ``lazy`` lines (right after an item) must start with a capital to be a heading.
    """
    if body.startswith("#") or "**" in body or "__" in body:
        body = _EMPHASIS.sub("", body)
    h = body.strip().strip("*_").strip()
    if (marked or ":" not in h) and _CLUSION.search(h) is None:
        return None
    first = next((c for c in h if c.isalpha()), "")
    if not first or (lazy and not first.isupper()):
        return None
    if h.endswith(":"):
        head, colon, rest = h[:-1], ":", ""
    else:
        head, colon, rest = h.partition(":")
    head = head.strip().strip("*_").strip()
    if len(head) > 120 or (marked and rest.strip()):
        return None
    words = head.split()
    if colon:
        inex = _INEX.match(head) is not None and (
            len(words) <= 4 or (len(words) <= 12 and "criteri" in head.lower())
        )
    else:
        head = head.rstrip(" .-" + _DASHES)
        inex = _INEX_BARE.fullmatch(head) is not None
    if inex:
        kinds = {k.lower().replace(" ", "-") for k in _KIND.findall(head)}
        if any(k.startswith("non") for k in kinds):
            section: str | None = "exclusion"
        else:
            section = kinds.pop() if len(kinds) == 1 else None
        return section, _clean(head), rest
    if (
        not marked
        and first.isupper()
        and colon
        and not rest.strip()
        and 0 < len(words) <= 5
        and len(head) <= 60
        and words[-1] not in _NOT_LABEL_END
        and head.lower() not in _NOT_LABEL
    ):
        return _KEEP, _clean(head), ""
    return None


def criteria(text: str) -> list[Criterion]:
    """The inclusion and exclusion items of an eligibility text, in order.

    Rules, chosen to match what a curator reads on the registry page:

    * Items start at a list marker (``*``, ``-``, ``+``, ``•``, ``1.``, ``1\\.``, ``1)``,
      ``(1)``, ``a.``, ``a)``, ``i.`` ...) followed by whitespace, so "1.5 mg", "18 years"
      and "E. coli" (a capital before a lower-case word) are text. A numbering right after a
      bullet (``* 1\\. text``) is removed too. ``level`` counts the enclosing items whose
      marker is indented less.
    * Headings are not items. A line naming inclusion or exclusion within its first four
      words is a heading that sets the section when it is "... criteria" ("Key Inclusion
      Criteria:", "INCLUSION CRITERIA", "Inclusion criteria for Part A:", "Non-inclusion
      criteria:") or at most four words ending with ":" ("Exclusion:"); naming both
      ("Inclusion/Exclusion Criteria:") sets None. Text after its colon is an item. Any
      other capitalised label of at most five words ending with ":" ("Healthy volunteers:",
      "Part A:") becomes the heading but keeps the section, as such labels usually subdivide
      one; lead-in sentences ("Patients must have:", "Subjects who meet ... criteria:") and
      "Note:" are items.
    * A non-marker line directly after an item or paragraph continues it (Markdown lazy
      continuation); after a blank line, a line indented more than the last item's marker
      still continues that item. Any other paragraph is an item of its own at the level of
      its indentation, so no text is lost (lead-ins, closing notes).
    * Markdown backslash escapes are undone, whitespace collapsed; items without any letter or
      digit are dropped.
    """
    if not isinstance(text, str) or not text:
        return []
    out: list[Criterion] = []
    section: str | None = None
    heading: str | None = None
    stack: list[int] = []
    parts: list[str] = []
    level = indent_at = 0
    marked = False
    open_ = blank = False

    def flush() -> None:
        nonlocal open_
        if open_:
            item = _clean(" ".join(parts))
            if any(c.isalnum() for c in item):
                out.append(Criterion(section, item, level, heading))
        open_ = False
        parts.clear()

    def start(body: str, indent: int, is_item: bool) -> None:
        nonlocal open_, level, indent_at, marked
        flush()
        while stack and stack[-1] >= indent:
            stack.pop()
        level, indent_at, marked, open_ = len(stack), indent, is_item, True
        if is_item:
            stack.append(indent)
        parts.append(body)

    for raw in text.splitlines():
        line = raw.expandtabs(4).rstrip()
        if line.endswith("\\") and not line.endswith("\\\\"):
            line = line[:-1].rstrip()
        body = line.lstrip()
        if not body:
            blank = True
            continue
        indent = len(line) - len(body)
        end = _marker_end(body)
        lazy = open_ and not blank
        continues = end is None and open_ and (lazy or (marked and indent > indent_at))
        found = None
        if not (continues and lazy and indent > 0):
            found = _heading(body if end is None else body[end:], end is not None, lazy)
            if continues and not lazy and found is not None and found[0] == _KEEP:
                found = None
        if found is not None:
            flush()
            stack.clear()
            kind, heading, rest = found
            if kind != _KEEP:
                section = kind
            if rest.strip():
                start(rest, indent, False)
        elif continues:
            parts.append(body)
        else:
            start(body if end is None else body[end:], indent, end is not None)
        blank = False
    flush()
    return out
