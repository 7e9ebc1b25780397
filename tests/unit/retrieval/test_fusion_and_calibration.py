from __future__ import annotations

import numpy as np

from serving.knowledge.store import Hit
from serving.protocols import Passage
from serving.retrieval.calibration import Calibrator, Curve, Platt
from serving.retrieval.fusion import fuse


def _hit(chunk_id: str, score: float, vector: list[float] | None = None) -> Hit:
    passage = Passage(chunk_id, "s", chunk_id, score=score)
    return Hit(passage, None if vector is None else np.asarray(vector, dtype=np.float32))


def test_rrf_ranks_a_chunk_found_by_both_searches_first_and_keeps_each_lists_scores() -> None:
    dense = [_hit("a", 0.9), _hit("b", 0.8)]
    sparse = [_hit("b", 7.0, [0.6, 0.8]), _hit("c", 5.0, [1.0, 0.0])]
    fused = fuse(dense, sparse, np.asarray([1.0, 0.0], dtype=np.float32), rrf_k=60)
    assert [p.chunk_id for p in fused] == ["b", "a", "c"]
    b, a, c = fused
    assert b.score == 1 / 62 + 1 / 61
    assert (b.metadata["dense_rank"], b.metadata["bm25_rank"], b.metadata["bm25_score"]) == ("2", "1", "7.000000")
    assert (a.metadata["bm25_rank"], a.metadata["bm25_score"]) == ("0", "0.000000")
    assert c.metadata["dense_score"] == "1.000000"  # only BM25 found it: cosine computed from its vector


def test_a_chunk_only_bm25_found_without_a_vector_gets_the_dense_lists_lowest_cosine() -> None:
    fused = fuse([_hit("a", 0.9), _hit("b", 0.7)], [_hit("c", 3.0)], np.asarray([1.0, 0.0], dtype=np.float32))
    assert {p.chunk_id: p.metadata["dense_score"] for p in fused}["c"] == "0.700000"


def test_isotonic_curve_is_monotone_and_clipped() -> None:
    rng = np.random.default_rng(0)
    scores = rng.uniform(0, 1, 2000)
    relevant = (rng.uniform(0, 1, 2000) < scores).astype(int)
    curve = Curve.fit(scores, relevant)
    values = [curve(x) for x in np.linspace(-1, 2, 50)]
    assert values == sorted(values)
    assert values[0] >= 0.0 and values[-1] <= 1.0
    assert abs(curve(0.8) - 0.8) < 0.1


def test_calibrator_round_trips_and_drops_the_rerank_curve_for_another_reranker() -> None:
    calibrator = Calibrator({"rerank": Curve((0.0, 1.0), (0.2, 0.6)), "dense": Curve((0.5, 0.9), (0.0, 1.0))}, "m1")
    again = Calibrator.from_json(calibrator.to_json())
    assert again.calibrate("rerank", 0.5) == calibrator.calibrate("rerank", 0.5) == 0.4
    other = again.for_reranker("bge")
    assert other.calibrate("rerank", 0.5) == 0.5  # passes through unchanged
    assert other.calibrate("dense", 0.7) == again.calibrate("dense", 0.7)


def test_platt_scaling_keeps_rising_past_the_highest_validation_score_and_round_trips() -> None:
    rng = np.random.default_rng(3)
    scores = rng.uniform(0.0, 0.6, 3000)  # validation never saw a score above 0.6
    platt = Platt.fit(scores, rng.uniform(0, 1, 3000) < scores)
    assert platt(0.6) < platt(0.8) < platt(0.95) < 1.0
    again = Calibrator.from_json(Calibrator({"rerank": platt}, "m").to_json())
    assert again.calibrate("rerank", 0.9) == platt(0.9)
