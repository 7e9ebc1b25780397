"""``kefu eval cache-threshold``: the semantic answer cache's similarity threshold, calibrated on AFQMC pairs.

A cached answer is reused when the new standalone query's cosine to a cached query reaches the threshold, so
the question is "from which cosine do two questions mean the same?". AFQMC pairs (``label`` 1 = same meaning)
answer it for the embedder in use: both sentences are embedded as queries (as the cache does), and the
threshold is the lowest cosine at which the pairs at or above it are paraphrases at least ``precision_target``
of the time. When no cosine reaches the target (AFQMC's negatives share most of their words, and e5-small's
cosines of paraphrases and non-paraphrases overlap almost entirely), the threshold is set just above the most
similar different-meaning pair: the cache then reuses answers of near-verbatim repeats only. A seeded sample of
``limit`` pairs keeps it to a few minutes on a CPU.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import numpy as np

from processors.responder.thresholds import LabelledScore, lowest_meeting
from serving.protocols import Embedder


def read_pairs(path: Path, limit: int | None, seed: int = 0) -> list[tuple[str, str, bool]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    pairs = [(str(r["sentence1"]), str(r["sentence2"]), str(r["label"]) == "1") for r in rows]
    if limit is not None and limit < len(pairs):
        pairs = random.Random(seed).sample(pairs, limit)
    return pairs


def calibrate_cache_threshold(
    embedder: Embedder, pairs: list[tuple[str, str, bool]], *, precision_target: float = 0.9
) -> dict[str, Any]:
    """The threshold for ``precision_target`` and the precision/recall around it, as a JSON-ready dict."""
    left = embedder.embed_queries([a for a, _, _ in pairs])
    right = embedder.embed_queries([b for _, b, _ in pairs])
    left = left / np.linalg.norm(left, axis=1, keepdims=True)
    right = right / np.linalg.norm(right, axis=1, keepdims=True)
    cosines = np.sum(left * right, axis=1)
    scores = [LabelledScore(float(c), same, same) for c, (_, _, same) in zip(cosines, pairs, strict=True)]
    met = lowest_meeting(scores, precision_target, "correct")
    hardest_negative = max((float(c) for c, (_, _, same) in zip(cosines, pairs, strict=True) if not same), default=0.0)
    threshold = met if met is not None else min(0.9995, np.ceil(hardest_negative * 1000) / 1000 + 0.001)
    positives = sum(same for _, _, same in pairs)

    def at(t: float) -> dict[str, float]:
        hits = [s for s in scores if s.confidence >= t]
        return {
            "threshold": round(t, 4),
            "precision": round(sum(s.correct for s in hits) / max(len(hits), 1), 4),
            "recall": round(sum(s.correct for s in hits) / max(positives, 1), 4),
        }

    return {
        "embedder": embedder.model_id,
        "pairs": len(pairs),
        "positives": positives,
        "precision_target": precision_target,
        "target_met": met is not None,
        "hardest_negative_cosine": round(hardest_negative, 4),
        "threshold": round(float(threshold), 4),
        "at_threshold": at(float(threshold)),
        "curve": [at(t) for t in (0.85, 0.88, 0.9, 0.92, 0.94, 0.95, 0.96, 0.97, 0.98)],
        "cosine_mean": {
            "same_meaning": round(float(np.mean([c for c, p in zip(cosines, pairs, strict=True) if p[2]])), 4),
            "different": round(float(np.mean([c for c, p in zip(cosines, pairs, strict=True) if not p[2]])), 4),
        },
    }
