"""MeSH unique identifiers (UIs) in NLM's own form, for one RDF node per descriptor.

UIs issued before NLM widened them (about May 2014) have 6 digits (``D018358``); later ones have 9
and continue the old numbering (``D000086382``); old UIs were never rewritten (NLM Tech Bull. 2013
Mar-Apr;(391):e1). ClinicalTrials.gov zero-pads some old UIs to 9 digits; this module undoes that.
"""

from __future__ import annotations

import re

MESH = "http://id.nlm.nih.gov/mesh/"

# The highest number issued in the old 6-digit form, per record letter. A number at or below it is
# an old UI (``D000003876`` is NLM's ``D003876``); a number above it is a new 9-digit UI.
# Source of the rule: https://www.nlm.nih.gov/pubs/techbull/ma13/ma13_mesh_ui_expand.html
# (examples in March 2013: D064418, Q000941, C578561).
# D: the last 6-digit descriptors are in 2015 MeSH, up to D066331 (Laser-Evoked Potentials); the
#    first 9-digit ones are in 2016 MeSH, from D000066388 (Oil and Gas Industry). Source: the list
#    of every descriptor new in 2006-2022, github.com/tasosnent/MeSH_Extension,
#    NewDescriptors_2006_2022.csv (no UI between the two exists in it).
# C: not pinned exactly. Highest 6-digit SCR found in public code: C588336 (a DRKG compound ID,
#    MESH:C588336); lowest 9-digit one: C000588423 ("ACACA protein, human", quoted from NLM's
#    c2018.bin), then C000588642, C000588999, ... The cut is set at the highest known old UI.
# Q: Q000941 (ethics) is old; the one qualifier added since, Q000000981 (diagnostic imaging, 2016),
#    is new.
LAST_OLD: dict[str, int] = {"D": 66331, "C": 588336, "Q": 941}

_UI = re.compile(r"([DCQ])([0-9]{6}|[0-9]{9})")


def normalize_mesh_id(raw: str) -> str:
    """NLM's own form of a registry MeSH UI (D000003876 -> D003876; D000086382 stays).

    :param raw: a Descriptor (``D``), Supplementary Concept (``C``) or Qualifier (``Q``) UI with 6
        or 9 digits; surrounding whitespace and a lower-case letter are accepted.
    :raises ValueError: if ``raw`` is not such a UI.

    >>> normalize_mesh_id("D000003876"), normalize_mesh_id("D000086382")
    ('D003876', 'D000086382')
    """
    text = raw.strip() if isinstance(raw, str) else ""
    match = _UI.fullmatch(text[:1].upper() + text[1:])
    if match is None:
        raise ValueError(
            f"not a MeSH UI: {raw!r} (expected D, C or Q followed by 6 or 9 digits, "
            "such as D018358 or D000086382)"
        )
    letter, digits = match.groups()
    number = int(digits)
    if number <= LAST_OLD[letter]:
        return f"{letter}{number:06d}"
    return f"{letter}{number:09d}"


def mesh_iri(raw: str) -> str:
    """The id.nlm.nih.gov IRI of a MeSH UI, normalised first.

    >>> mesh_iri("D000003876")
    'http://id.nlm.nih.gov/mesh/D003876'
    """
    return MESH + normalize_mesh_id(raw)
