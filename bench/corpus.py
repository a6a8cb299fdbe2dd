"""Synthetic corpora for the benchmarks, made from the real records with a fixed seed.

Each synthetic study is a real record with a new NCT ID and its sponsor, collaborators,
conditions, MeSH terms, dates and locations drawn from the other real records, so the
corpus has the registry's shape (shared organizations, repeated conditions) at any size.
Its free text (titles, summaries, descriptions, eligibility criteria) has a few words swapped
for words of the other records, so that, as in the registry, no two studies share a summary:
a store holds each study's text once more, and a text search reads it all.
A study's sites are in one country (four in five) or several, the country drawn as often as
real records have sites there: most real sites are one US study's 1,148, and drawing from
all sites alike made nine in ten synthetic sites American.
Posted results are kept for a share of the studies (``--results-share``, 0.11 by default: an
estimate of the registry's share of studies with results; 5 of the 13 complete real records
have them, and a results section is most of a record's triples).
Nothing is committed: ``python bench/corpus.py 10000 -o corpus.zip`` writes a bulk-style zip.
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import kg

SHARED = Path(__file__).resolve().parents[2] / "shared"
SOURCES = [SHARED / "data" / "ctgov", SHARED / "seeds" / "000_63495c14c8a6f394.txt"]


def real_records() -> list[dict]:
    """The complete real records (the cut-down fixtures left out), in a fixed order."""
    found = {}
    for item in kg.records(SOURCES if SOURCES[0].exists() else kg.sample_paths()):
        if isinstance(item, kg.Record) and "derivedSection" in item.data:
            found[item.nct_id] = item.data
    return [found[k] for k in sorted(found)]


RESULTS_SHARE = 0.11


def studies(count: int, *, seed: int = 7, results_share: float = RESULTS_SHARE) -> Iterator[dict]:
    """``count`` synthetic study records, the same ones for the same seed."""
    rng = random.Random(seed)
    base = real_records()
    with_results = [r for r in base if "resultsSection" in r]
    without = [r for r in base if "resultsSection" not in r]
    pools = _pools(base)
    for i in range(count):
        kind = with_results if rng.random() < results_share else without
        record = _reworded(kind[i % len(kind)], pools["words"], rng)
        _vary(record, f"NCT{90000000 + i:08d}", pools, rng)
        yield record


def write_zip(
    count: int, path: Path, *, seed: int = 7, results_share: float = RESULTS_SHARE
) -> Path:
    """A bulk-download-style zip: one ``NCTxxxxxxxx.json`` member per study."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for record in studies(count, seed=seed, results_share=results_share):
            nct = record["protocolSection"]["identificationModule"]["nctId"]
            zf.writestr(f"{nct}.json", json.dumps(record, ensure_ascii=False))
    return path


TEXT_FIELDS = frozenset(
    {
        "briefTitle",
        "officialTitle",
        "briefSummary",
        "detailedDescription",
        "eligibilityCriteria",
        "studyPopulation",
        "description",
        "measure",
        "interventionModelDescription",
        "populationDescription",
        "groupDescription",
        "recruitmentDetails",
        "preAssignmentDetails",
        "whyStopped",
    }
)
"""Free-text fields, wherever they are in the protocol or results sections."""

_NOT_TEXT = frozenset({"derivedSection", "documentSection", "referencesModule"})

SWAPS_PER_TEXT = 3
"""Words swapped in each text: enough that no two studies share one, cheap at any size."""

ONE_COUNTRY_SHARE = 0.8

_WORD = re.compile(r"([^\W\d_]{4,})")


def _pools(base: list[dict]) -> dict[str, list]:
    pools: dict[str, list] = {"sponsor": [], "conditions": [], "mesh": []}
    by_country: dict[str, list] = {}
    weight: dict[str, int] = {}
    words: set[str] = set()
    for record in base:
        protocol = record["protocolSection"]
        sponsors = protocol.get("sponsorCollaboratorsModule", {})
        pools["sponsor"] += [sponsors["leadSponsor"], *sponsors.get("collaborators", [])]
        pools["conditions"].append(protocol.get("conditionsModule", {}).get("conditions", []))
        browse = record.get("derivedSection", {}).get("conditionBrowseModule")
        if browse:
            pools["mesh"].append(browse)
        sites = protocol.get("contactsLocationsModule", {}).get("locations", [])
        for site in sites:
            by_country.setdefault(site.get("country", ""), []).append(site)
        for country in {site.get("country", "") for site in sites}:
            weight[country] = weight.get(country, 0) + 1
        for text in _texts(record):
            words.update(_WORD.findall(text))
    pools["countries"] = sorted(by_country)
    pools["country_weights"] = [weight[c] for c in pools["countries"]]
    pools["sites"] = [by_country[c] for c in pools["countries"]]
    pools["words"] = sorted(words)
    return pools


def _texts(value: object, key: str = "") -> Iterator[str]:
    """The free-text values of a record (:data:`TEXT_FIELDS`), in document order."""
    if isinstance(value, dict):
        for k, v in value.items():
            if k not in _NOT_TEXT:
                yield from _texts(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from _texts(v, key)
    elif isinstance(value, str) and key in TEXT_FIELDS:
        yield value


def _reworded(value: object, words: list[str], rng: random.Random, key: str = "") -> object:
    """``value`` with :data:`SWAPS_PER_TEXT` words of each free text swapped for others."""
    if isinstance(value, dict):
        return {
            k: copy.deepcopy(v) if k in _NOT_TEXT else _reworded(v, words, rng, k)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_reworded(v, words, rng, key) for v in value]
    if isinstance(value, str) and key in TEXT_FIELDS:
        parts = _WORD.split(value)
        spots = range(1, len(parts), 2)
        if spots:
            for spot in rng.sample(spots, min(SWAPS_PER_TEXT, len(spots))):
                parts[spot] = rng.choice(words)
            return "".join(parts)
    return value


def _sites(pools: dict[str, list], rng: random.Random) -> list[dict]:
    """One to twenty sites: in one country drawn by its weight, or in several."""
    wanted = rng.randint(1, 20)
    if rng.random() < ONE_COUNTRY_SHARE:
        (home,) = rng.choices(pools["sites"], weights=pools["country_weights"])
        return rng.sample(home, min(wanted, len(home)))
    sites: list[dict] = []
    for group in rng.choices(pools["sites"], weights=pools["country_weights"], k=wanted):
        site = rng.choice(group)
        if not any(s is site for s in sites):
            sites.append(site)
    return sites


def _vary(record: dict, nct: str, pools: dict[str, list], rng: random.Random) -> None:
    protocol = record["protocolSection"]
    protocol["identificationModule"]["nctId"] = nct
    sponsors = protocol.setdefault("sponsorCollaboratorsModule", {})
    sponsors["leadSponsor"] = copy.deepcopy(rng.choice(pools["sponsor"]))
    sponsors["collaborators"] = copy.deepcopy(rng.sample(pools["sponsor"], rng.randint(0, 3)))
    conditions = list(rng.choice(pools["conditions"]))
    protocol.setdefault("conditionsModule", {})["conditions"] = conditions
    record.setdefault("derivedSection", {})["conditionBrowseModule"] = copy.deepcopy(
        rng.choice(pools["mesh"])
    )
    if pools["sites"]:
        locations = protocol.setdefault("contactsLocationsModule", {})
        locations["locations"] = copy.deepcopy(_sites(pools, rng))
    status = protocol.setdefault("statusModule", {})
    year = rng.randint(2000, 2026)
    status["startDateStruct"] = {"date": f"{year}-{rng.randint(1, 12):02d}", "type": "ACTUAL"}
    status["completionDateStruct"] = {
        "date": f"{year + rng.randint(1, 6)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        "type": rng.choice(["ACTUAL", "ESTIMATED"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int)
    parser.add_argument("-o", "--output", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--results-share",
        type=float,
        default=RESULTS_SHARE,
        help="share of studies that keep posted results (default %(default)s; 1 keeps them all)",
    )
    args = parser.parse_args()
    write_zip(args.count, args.output, seed=args.seed, results_share=args.results_share)


if __name__ == "__main__":
    main()
