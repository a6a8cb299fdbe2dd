"""Synthetic corpora for the benchmarks, made from the real records with a fixed seed.

Each synthetic study is a real record with a new NCT ID and its sponsor, collaborators,
conditions, MeSH terms, dates and locations drawn from the other real records, so the
corpus has the registry's shape (shared organizations, repeated conditions) at any size.
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
        record = copy.deepcopy(kind[i % len(kind)])
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


def _pools(base: list[dict]) -> dict[str, list]:
    pools: dict[str, list] = {"sponsor": [], "conditions": [], "mesh": [], "locations": []}
    for record in base:
        protocol = record["protocolSection"]
        sponsors = protocol.get("sponsorCollaboratorsModule", {})
        pools["sponsor"] += [sponsors["leadSponsor"], *sponsors.get("collaborators", [])]
        pools["conditions"].append(protocol.get("conditionsModule", {}).get("conditions", []))
        browse = record.get("derivedSection", {}).get("conditionBrowseModule")
        if browse:
            pools["mesh"].append(browse)
        pools["locations"] += protocol.get("contactsLocationsModule", {}).get("locations", [])
    return pools


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
    locations = protocol.setdefault("contactsLocationsModule", {})
    if pools["locations"]:
        locations["locations"] = copy.deepcopy(
            rng.sample(pools["locations"], min(len(pools["locations"]), rng.randint(1, 20)))
        )
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
