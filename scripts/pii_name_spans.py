"""NAME spans the masker finds in public Chinese text that has (almost) no self-introductions.

``PYTHONPATH=. python scripts/pii_name_spans.py [--show N]`` prints JSON: per data set the number of texts and
of NAME spans. These texts (customer-service questions, shop, take-away and hotel reviews) mention few people,
so most spans found here are false positives or staff names after an honorific (李经理); ``--show N`` prints
N spans with their context for reading. Run it with an older checkout on PYTHONPATH to compare.
"""

from __future__ import annotations

import argparse
import csv
import json
from collections.abc import Iterator
from pathlib import Path

from processors.pii.names import find_names
from processors.pii.normalize import normalize_for_detection

DATA_DIR = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"


def _jsonl(path: Path, *fields: str) -> Iterator[str]:
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            yield from (record[field] for field in fields)


def _reviews(path: Path) -> Iterator[str]:
    with path.open(encoding="utf-8-sig", newline="") as rows:
        yield from (row["review"] for row in csv.DictReader(rows) if row.get("review"))


def data_sets(root: Path) -> dict[str, Iterator[str]]:
    return {
        "cic": _jsonl(root / "cic" / "train.jsonl", "sentence"),
        "afqmc": _jsonl(root / "afqmc" / "train.jsonl", "sentence1", "sentence2"),
        "online_shopping": _reviews(root / "sentiment" / "online_shopping_10_cats.csv"),
        "waimai": _reviews(root / "sentiment" / "waimai_10k.csv"),
        "hotel": _reviews(root / "sentiment" / "ChnSentiCorp_htl_all.csv"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="NAME spans on public Chinese text")
    parser.add_argument("--data", type=Path, default=DATA_DIR, help="the shared data directory")
    parser.add_argument("--show", type=int, default=0, help="print this many spans with context")
    args = parser.parse_args()
    report: dict[str, dict[str, int]] = {}
    shown: list[str] = []
    for name, texts in data_sets(args.data).items():
        count = spans = 0
        for text in texts:
            count += 1
            for candidate in find_names(normalize_for_detection(text)):
                spans += 1
                if len(shown) < args.show:
                    shown.append(f"{candidate.key} | {text[max(0, candidate.start - 8) : candidate.end + 6]}")
        report[name] = {"texts": count, "name_spans": spans}
    print(json.dumps({"data_sets": report, "examples": shown}, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
