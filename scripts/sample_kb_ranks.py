"""Where the fact of each answerable labelled sample-KB query lands in retrieval's first five passages.

Prints JSON: the share of the 70 answerable queries (`processors/responder/calibration_data/sample_kb_queries.jsonl`)
whose fact is in the first passage, in the first three, and the mean reciprocal rank over five. It builds the sample
knowledge base in a temporary milvus-lite, as `kefu eval thresholds` does.

    PYTHONPATH=. .venv/bin/python scripts/sample_kb_ranks.py
"""

from __future__ import annotations

import json

from jobs.calibrate_thresholds import TENANT, _norm, read_queries
from jobs.sample_kb_index import sample_kb
from kefu.settings import get_settings

DEPTH = 5


def main() -> None:
    queries = [q for q in read_queries() if q["answerable"]]
    ranks: list[int] = []
    with sample_kb(get_settings(), TENANT) as kb:
        for query in queries:
            found = kb.retriever.retrieve(query["text"], TENANT, DEPTH)
            fact = _norm(str(query.get("fact", "")))
            ranks.append(next((i + 1 for i, p in enumerate(found.passages) if fact in _norm(p.text)), DEPTH + 1))
    n = len(ranks)
    print(
        json.dumps(
            {
                "answerable": n,
                "fact_in_first": round(sum(r == 1 for r in ranks) / n, 4),
                "fact_in_top3": round(sum(r <= 3 for r in ranks) / n, 4),
                f"mrr@{DEPTH}": round(sum(1 / r for r in ranks if r <= DEPTH) / n, 4),
            }
        )
    )


if __name__ == "__main__":
    main()
