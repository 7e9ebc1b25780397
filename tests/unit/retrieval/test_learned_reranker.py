"""The shipped learned reranker: its model loads, and it orders candidates the way its features say."""

from __future__ import annotations

import json

import numpy as np

from serving.protocols import Passage
from serving.rerank import LearnedReranker
from serving.rerank.features import DENSE_NAMES, HASH_BUCKETS, dense_features, word_buckets, words
from serving.rerank.learned import LinearModel, default_model_path


def _candidate(text: str, dense: float, bm25: float, dense_rank: int, bm25_rank: int) -> Passage:
    metadata = {
        "dense_score": str(dense),
        "bm25_score": str(bm25),
        "dense_rank": str(dense_rank),
        "bm25_rank": str(bm25_rank),
    }
    return Passage(text, "s", text, metadata=metadata)


def test_shipped_model_matches_the_feature_code_and_records_its_training() -> None:
    artifact = json.loads(default_model_path().read_text(encoding="utf-8"))
    assert artifact["model"]["features"] == list(DENSE_NAMES)
    assert artifact["model"]["hash_buckets"] == HASH_BUCKETS
    assert "AFQMC" in artifact["training"]["data"]
    held_out = artifact["training"]["held_out"]
    assert held_out["mrr"] > artifact["training"]["held_out_fused_order"]["mrr"]


def test_with_equal_search_scores_the_paraphrase_outranks_a_near_miss_about_another_product() -> None:
    reranker = LearnedReranker()
    candidates = [
        _candidate("借呗怎么提前还款", 0.9, 5.0, 1, 1),  # one character away, another product
        _candidate("花呗可以提前还钱吗", 0.9, 5.0, 1, 1),
        _candidate("怎么开通花呗", 0.9, 5.0, 1, 1),
    ]
    scores = reranker.score("花呗怎么提前还款", candidates)
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert scores[1] > scores[0] and scores[1] > scores[2]


def test_a_higher_dense_similarity_raises_the_score_all_else_equal() -> None:
    reranker = LearnedReranker()
    low, high = reranker.score(
        "退货运费谁出", [_candidate("退货邮费谁付", 0.80, 5.0, 1, 1), _candidate("退货邮费谁付", 0.95, 5.0, 1, 1)]
    )
    assert high > low


def test_scores_do_not_depend_on_the_order_candidates_arrive_in() -> None:
    reranker = LearnedReranker()
    candidates = [_candidate("花呗还款日", 0.9, 4.0, 1, 2), _candidate("借呗额度", 0.7, 6.0, 2, 1)]
    forward = reranker.score("花呗几号还款", candidates)
    backward = reranker.score("花呗几号还款", candidates[::-1])
    assert forward == backward[::-1]


def test_linear_model_round_trips_through_json() -> None:
    rng = np.random.default_rng(1)
    n = len(DENSE_NAMES)
    hashed = np.zeros(HASH_BUCKETS, dtype=np.float32)
    hashed[[3, 77]] = [0.5, -1.25]
    model = LinearModel(
        "m", rng.normal(size=n).astype(np.float32), np.zeros(n, np.float32), np.ones(n, np.float32), 0.1, hashed
    )
    again = LinearModel.from_json(json.loads(json.dumps(model.to_json())))
    passages = [_candidate("退货运费", 0.8, 2.0, 1, 1)]
    dense = dense_features("运费谁出", passages)
    buckets = word_buckets("运费谁出", passages)
    np.testing.assert_allclose(again.predict(dense, buckets), model.predict(dense, buckets), rtol=1e-5)


def test_word_features_separate_shared_and_one_sided_words() -> None:
    assert words("怎么申请退货") == ("怎么", "申请", "退货")
    same = word_buckets("申请退货", [Passage("1", "s", "申请退货")])[0]
    other = word_buckets("申请退货", [Passage("1", "s", "申请换货")])[0]
    assert same != other and len(other) > len(same)  # one-sided words and their pair add buckets


def test_a_faq_chunk_is_compared_by_its_question_as_the_model_was_trained() -> None:
    question = "怎么开发票？"
    faq = _candidate(f"问：{question}\n答：默认开具电子普通发票：下单时填写抬头，企业需填写税号。", 0.91, 3.0, 2, 1)
    bare = _candidate(question, 0.91, 3.0, 2, 1)
    query = "发票怎么开"
    assert np.array_equal(dense_features(query, [faq]), dense_features(query, [bare]))
    assert word_buckets(query, [faq]) == word_buckets(query, [bare])  # the answer's words dilute nothing
    char_jaccard = dense_features(query, [faq])[0][DENSE_NAMES.index("char_jaccard")]
    assert char_jaccard == 1.0  # the same five characters in another order
