"""Features of a (query, candidate) pair for the learned reranker.

Dense features come from the candidate's retrieval metadata (``dense_score``, ``bm25_score``, ranks: see
``serving.retrieval.fusion``), lexical ones are computed here from characters and jieba words; list features
compare a candidate with the best of its list. ``word_features`` hashes the words both sides share, the words
only one side has and the pairs of those, so a linear model learns which differences change the meaning
(花呗 vs 借呗), which do not (怎么 vs 如何) and which words translate (还款 ~ 还钱).
"""

from __future__ import annotations

import difflib
import math
import re
import zlib
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt

from serving.protocols import Passage

DENSE_NAMES = (
    "dense",
    "dense_gap",
    "bm25_log",
    "bm25_rel",
    "dense_rr",
    "bm25_rr",
    "char_jaccard",
    "bigram_jaccard",
    "query_char_cover",
    "passage_char_cover",
    "word_jaccard",
    "query_word_cover",
    "passage_word_cover",
    "length_ratio",
    "sequence_ratio",
    "number_mismatch",
    "bias",
)
HASH_BUCKETS = 1 << 15
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_FAQ_QUESTION = re.compile(r"^问[：:](?P<question>.+?)\n答[：:]", re.DOTALL)
_SPACE = re.compile(r"\s+")


@lru_cache(maxsize=1)
def _jieba() -> object:
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


@lru_cache(maxsize=65536)
def words(text: str) -> tuple[str, ...]:
    """jieba words of ``text``, lower-cased, without spaces and punctuation."""
    jieba = _jieba()
    return tuple(w.lower() for w in jieba.lcut(text) if w.strip() and (w.isalnum() or len(w) > 1))  # type: ignore[attr-defined]


def _chars(text: str) -> set[str]:
    return {c for c in _SPACE.sub("", text.lower()) if c.isalnum()}


def _bigrams(text: str) -> set[str]:
    clean = _SPACE.sub("", text.lower())
    return {clean[i : i + 2] for i in range(len(clean) - 1)}


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def _cover(a: set[str], b: set[str]) -> float:
    """Share of ``a`` found in ``b``."""
    return len(a & b) / len(a) if a else 0.0


def match_text(passage_text: str) -> str:
    """The text a query is compared with: a FAQ chunk's question ("问：…" then "答：…" on the next line, as the
    knowledge base chunks FAQ pairs), any other chunk whole.

    The model learned its lexical and word features on question pairs (AFQMC), and a FAQ chunk's dense vector is
    its question's; compared with question and answer together, "发票怎么开" shares little with "怎么开发票？"
    because the answer's words dilute every overlap.

    >>> match_text("问：怎么开发票？" + chr(10) + "答：下单时填写抬头。"), match_text("买家承担。")
    ('怎么开发票？', '买家承担。')
    """
    found = _FAQ_QUESTION.match(passage_text)
    return found.group("question").strip() if found else passage_text


def _meta(passage: Passage, key: str) -> float:
    try:
        return float(passage.metadata.get(key, 0.0))
    except ValueError:
        return 0.0


def pair_features(query: str, passage_text: str) -> list[float]:
    """Lexical features of one pair (order as in ``DENSE_NAMES[6:16]``)."""
    qc, pc = _chars(query), _chars(passage_text)
    qw, pw = set(words(query)), set(words(passage_text))
    lq, lp = max(len(query), 1), max(len(passage_text), 1)
    numbers_q, numbers_p = set(_NUMBER.findall(query)), set(_NUMBER.findall(passage_text))
    return [
        _jaccard(qc, pc),
        _jaccard(_bigrams(query), _bigrams(passage_text)),
        _cover(qc, pc),
        _cover(pc, qc),
        _jaccard(qw, pw),
        _cover(qw, pw),
        _cover(pw, qw),
        min(lq, lp) / max(lq, lp),
        difflib.SequenceMatcher(None, query[:300], passage_text[:300], autojunk=False).ratio(),
        1.0 if numbers_q and numbers_p and not (numbers_q & numbers_p) else 0.0,
    ]


def dense_features(query: str, passages: Sequence[Passage]) -> npt.NDArray[np.float32]:
    """``(len(passages), len(DENSE_NAMES))`` features; list features need the whole candidate list."""
    dense = [_meta(p, "dense_score") for p in passages]
    bm25 = [_meta(p, "bm25_score") for p in passages]
    best_dense = max(dense, default=0.0)
    best_bm25 = max(bm25, default=0.0)
    rows = []
    for passage, d, b in zip(passages, dense, bm25, strict=True):
        dense_rank, bm25_rank = _meta(passage, "dense_rank"), _meta(passage, "bm25_rank")
        rows.append(
            [
                d,
                d - best_dense,
                math.log1p(b),
                b / best_bm25 if best_bm25 > 0 else 0.0,
                1.0 / dense_rank if dense_rank > 0 else 0.0,
                1.0 / bm25_rank if bm25_rank > 0 else 0.0,
                *pair_features(query, match_text(passage.text)),
                1.0,
            ]
        )
    return np.asarray(rows, dtype=np.float32).reshape(len(passages), len(DENSE_NAMES))


def _bucket(token: str) -> int:
    return zlib.crc32(token.encode("utf-8")) % HASH_BUCKETS


def word_buckets(query: str, passages: Sequence[Passage]) -> list[list[int]]:
    """Per passage, the hash buckets of shared words, one-sided words and one-sided word pairs (no repeats)."""
    qw = set(words(query))
    out = []
    for passage in passages:
        pw = set(words(match_text(passage.text)))
        only_q, only_p = qw - pw, pw - qw
        tokens = [f"m:{w}" for w in qw & pw] + [f"d:{w}" for w in only_q | only_p]
        tokens += [f"x:{min(a, b)}|{max(a, b)}" for a in only_q for b in only_p]
        out.append(sorted({_bucket(t) for t in tokens}))
    return out


def word_matrix(buckets: Sequence[Sequence[int]]) -> Any:
    """The buckets as a ``scipy.sparse`` 0/1 matrix with ``HASH_BUCKETS`` columns (for training)."""
    from scipy.sparse import csr_matrix

    indptr = np.cumsum([0, *(len(b) for b in buckets)])
    indices = np.fromiter((i for b in buckets for i in b), dtype=np.int64, count=int(indptr[-1]))
    data = np.ones(len(indices), dtype=np.float32)
    return csr_matrix((data, indices, indptr), shape=(len(buckets), HASH_BUCKETS))
