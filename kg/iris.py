"""The IRI scheme: every IRI the graph mints, derived from the record alone (no hashes).

- study             ``study/NCT07366658``
- its parts         ``study/NCT07366658/arm/1``, ``.../location/3/contact/1``
- its named graph   ``graph/NCT07366658``
- organization      ``organization/<slug of the name>`` (shared by every study naming it)
- condition         ``condition/<slug of the text>`` (shared likewise)
- browse terms      ``browse/leaf/M20479``, ``browse/branch/BC04`` (the registry's own IDs)
- MeSH              NLM's own ``http://id.nlm.nih.gov/mesh/D018358``
"""

from __future__ import annotations

import re
import unicodedata

from kg.namespaces import BROWSE_BRANCH, BROWSE_LEAF, CONDITION, GRAPH, ORG, STUDY
from kg.terms import iri_segment

_NON_WORD = re.compile(r"[\W_]+")


def slug(text: str) -> str:
    """A readable IRI segment: NFKC, case-folded, each run of non-word characters as ``-``.

    Names that differ only in case, punctuation or spacing share one slug, so "Pfizer" and
    "PFIZER" are one organization.
    >>> slug("Neukio Biotherapeutics Co., Ltd.")
    'neukio-biotherapeutics-co-ltd'
    """
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _NON_WORD.sub("-", folded).strip("-") or iri_segment(text.strip()) or "-"


def study_iri(nct_id: str) -> str:
    """The study's IRI, from its NCT ID."""
    return STUDY + nct_id


def graph_iri(nct_id: str) -> str:
    """The named graph that holds one study's triples."""
    return GRAPH + nct_id


def organization_iri(name: str) -> str:
    """An organization (sponsor, collaborator, identification organization) by name."""
    return ORG + slug(name)


def condition_iri(text: str) -> str:
    """A condition as registered (free text), shared across studies."""
    return CONDITION + slug(text)


def browse_leaf_iri(leaf_id: str) -> str:
    """A registry browse term (``M...`` ID); not a MeSH ID."""
    return BROWSE_LEAF + iri_segment(leaf_id)


def browse_branch_iri(abbrev: str) -> str:
    """A registry browse category (``BC04``...)."""
    return BROWSE_BRANCH + iri_segment(abbrev)
