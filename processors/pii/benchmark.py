"""Throughput of the masker on one core: ``python -m processors.pii.benchmark --n 20000``.

Messages come from the synthetic generator (every one holds PII and hard negatives, so this is a
harder load than typical traffic, where most messages have no digits at all).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Sequence

from .masker import PiiMasker
from .synthetic import generate_samples


def messages_per_second(masker: PiiMasker, texts: Sequence[str], repeats: int = 3) -> float:
    """Best of ``repeats`` timed passes of ``masker.mask`` over ``texts`` (messages per second)."""
    best = 0.0
    for _ in range(repeats):
        started = time.perf_counter()
        for text in texts:
            masker.mask(text)
        best = max(best, len(texts) / (time.perf_counter() - started))
    return best


def main(argv: Sequence[str] | None = None) -> None:
    """CLI: print messages/s with names and addresses on and off, as JSON."""
    parser = argparse.ArgumentParser(description="PII masker throughput")
    parser.add_argument("--n", type=int, default=20000, help="number of synthetic messages")
    parser.add_argument("--seed", type=int, default=1, help="generator seed")
    args = parser.parse_args(argv)
    texts = [sample.text for sample in generate_samples(args.n, args.seed)]
    report = {
        "messages": len(texts),
        "mean_chars": round(statistics.mean(len(t) for t in texts), 1),
        "msgs_per_s_all_types": round(messages_per_second(PiiMasker(), texts)),
        "msgs_per_s_structured_only": round(
            messages_per_second(PiiMasker(detect_names=False, detect_addresses=False), texts)
        ),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
