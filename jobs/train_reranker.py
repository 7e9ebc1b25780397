"""Train Kefu's learned reranker on question pairs in AFQMC format and write its JSON model.

    python -m jobs.train_reranker --pairs ../shared/data/afqmc/train.jsonl --out serving/rerank/model/reranker.json

The pairs are shuffled (seeded) into groups shaped like the evaluation (a knowledge base of each group's
``sentence1``, queried with its positive ``sentence2``); the hybrid search's candidates of every query become
training rows, labelled relevant when they are a positive partner. The last group is held out: it picks the
regularisation, reports the validation figures and fits the confidence calibration, never the weights.

With ``--trees N`` (at most N rounds, e.g. 300; scikit-learn's early stopping may keep fewer; default 0: the
linear model only, which is what ships, see docs/decisions.md), gradient-boosted trees are then stacked on the
linear model (``serving.rerank.stacked``): each training group's linear scores
come from a model fitted on the other training groups (out of fold), the trees learn from those, and they ship
only when they beat the linear model's MRR on the held-out group.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from jobs.eval_retrieval import build_pairs_kb, ranking_metrics, read_pairs
from serving.knowledge.store import KnowledgeBase
from serving.protocols import Embedder
from serving.rerank.features import DENSE_NAMES, dense_features, word_buckets, word_matrix
from serving.rerank.learned import LinearModel
from serving.rerank.stacked import STACK_NAMES, linear_logits, stack_features
from serving.rerank.trees import TreeEnsemble
from serving.retrieval.calibration import Calibrator, Platt
from serving.retrieval.retriever import Retriever

MODEL_ID = "kefu-ltr-afqmc-v3"
Array = npt.NDArray[Any]


@dataclass
class Rows:
    """Candidate rows of one group: features, labels, the query each belongs to, and its top cosine."""

    dense: Array
    buckets: list[list[int]]
    labels: Array
    query: Array
    texts: list[str]
    relevant: list[frozenset[str]]


def group_lines(lines: list[str], groups: int, seed: int) -> list[list[str]]:
    shuffled = list(lines)
    random.Random(seed).shuffle(shuffled)
    return [shuffled[i::groups] for i in range(groups)]


def candidate_rows(lines: list[str], embedder: Embedder, *, candidates: int, depth: int) -> Rows:
    """Hybrid-search candidates (top ``depth`` fused) of each positive query of one group, with features."""
    pairs = read_pairs(lines)
    dense_rows: list[Array] = []
    buckets: list[list[int]] = []
    labels: list[bool] = []
    query_ids: list[int] = []
    texts: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        kb = KnowledgeBase(str(Path(tmp) / "train.db"), embedder, collection="train")
        try:
            build_pairs_kb(kb, pairs.sentences)
            retriever = Retriever(kb, embedder, None, candidates=candidates)
            vectors = embedder.embed_queries([q for q, _ in pairs.queries])
            for qid, ((query, relevant), vector) in enumerate(zip(pairs.queries, vectors, strict=True)):
                fused = retriever.stages(query, "eval", vector=vector, rerank=False).fused[:depth]
                if not fused:
                    continue
                dense_rows.append(dense_features(query, fused))
                buckets.extend(word_buckets(query, fused))
                labels.extend(p.text in relevant for p in fused)
                query_ids.extend([qid] * len(fused))
                texts.extend(p.text for p in fused)
        finally:
            kb.close()
    return Rows(
        np.concatenate(dense_rows),
        buckets,
        np.asarray(labels, dtype=np.int8),
        np.asarray(query_ids),
        texts,
        [r for _, r in pairs.queries],
    )


def fit(train: list[Rows], c: float, hashed: bool) -> LinearModel:
    from scipy.sparse import csr_matrix, hstack
    from sklearn.linear_model import LogisticRegression

    x = np.concatenate([r.dense for r in train]).astype(np.float64)
    mean, scale = x.mean(axis=0), x.std(axis=0)
    mean[-1], scale[-1] = 0.0, 1.0  # the bias column stays as it is
    scale[scale == 0] = 1.0
    z = csr_matrix((x - mean) / scale)
    if hashed:
        z = hstack([z, word_matrix([b for r in train for b in r.buckets])]).tocsr()
    y = np.concatenate([r.labels for r in train])
    model = LogisticRegression(C=c, max_iter=5000, solver="liblinear").fit(z, y)
    weights = model.coef_[0]
    n = x.shape[1]
    return LinearModel(
        MODEL_ID,
        weights[:n].astype(np.float32),
        mean.astype(np.float32),
        scale.astype(np.float32),
        float(model.intercept_[0]),
        weights[n:].astype(np.float32) if hashed else None,
    )


def linear_scores(model: LinearModel, rows: Rows) -> Array:
    return model.predict(rows.dense.astype(np.float32), rows.buckets if model.hash_weights is not None else None)


def stacked_scores(model: LinearModel, trees: TreeEnsemble, rows: Rows) -> Array:
    raw = trees.decision(stack_features(rows.dense, linear_logits(linear_scores(model, rows)), rows.query))
    scores: Array = 1.0 / (1.0 + np.exp(-raw))
    return scores


def fit_trees(train: list[Rows], c: float, hashed: bool, *, trees: int, leaves: int, rate: float) -> TreeEnsemble:
    """Trees over the stack features of every training group, its linear scores fitted without that group."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    blocks = []
    for i, rows in enumerate(train):
        out_of_fold = fit([r for j, r in enumerate(train) if j != i], c, hashed)
        blocks.append(stack_features(rows.dense, linear_logits(linear_scores(out_of_fold, rows)), rows.query))
    labels = np.concatenate([r.labels for r in train])
    booster = HistGradientBoostingClassifier(
        learning_rate=rate, max_iter=trees, max_leaf_nodes=leaves, random_state=0
    ).fit(np.concatenate(blocks), labels)
    return TreeEnsemble.from_sklearn(booster)


def rank_metrics(model: LinearModel, rows: Rows) -> tuple[dict[str, Any], Array, Array]:
    """Metrics of the linear model's reranked lists, and each query's top score with whether that top is relevant."""
    return score_metrics(linear_scores(model, rows), rows)


def score_metrics(scores: Array, rows: Rows) -> tuple[dict[str, Any], Array, Array]:
    """Metrics of the lists reranked by ``scores``, and each query's top score with whether that top is relevant."""
    rankings: list[list[str]] = []
    top_scores, top_relevant = [], []
    for qid in range(len(rows.relevant)):
        idx = np.flatnonzero(rows.query == qid)
        if len(idx) == 0:
            rankings.append([])
            continue
        order = idx[np.argsort(-scores[idx], kind="stable")]
        rankings.append([rows.texts[i] for i in order])
        top_scores.append(scores[order[0]])
        top_relevant.append(rows.labels[order[0]])
    metrics = ranking_metrics(rankings, rows.relevant).__dict__
    return metrics, np.asarray(top_scores), np.asarray(top_relevant)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--groups", type=int, default=5)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--candidates", type=int, default=50, help="candidates per search list")
    parser.add_argument("--depth", type=int, default=50, help="fused candidates per query the reranker scores")
    parser.add_argument("--cache-dir", type=Path, default=None, help="embedding cache (content-hash keyed)")
    parser.add_argument(
        "--trees", type=int, default=0, help="stacked boosting rounds (e.g. 300); 0 = linear model only"
    )
    parser.add_argument("--leaves", type=int, default=15, help="leaves per stacked tree")
    parser.add_argument("--learning-rate", type=float, default=0.05, help="boosting learning rate")
    args = parser.parse_args(argv)

    from kefu.settings import Settings
    from serving.embedding import build_embedder

    embedder: Embedder = build_embedder(Settings())
    if args.cache_dir is not None:
        from jobs.embedding_cache import CachedEmbedder

        embedder = CachedEmbedder(embedder, args.cache_dir)
    lines = [line for line in args.pairs.read_text(encoding="utf-8").splitlines() if line.strip()]
    groups = [
        candidate_rows(g, embedder, candidates=args.candidates, depth=args.depth)
        for g in group_lines(lines, args.groups, args.seed)
    ]
    train, held_out = groups[:-1], groups[-1]
    fused_only = rank_metrics(fused_order_model(), held_out)[0]
    trials = []
    for hashed in (False, True):
        for c in (0.01, 0.03, 0.1, 0.3):
            model = fit(train, c, hashed)
            trials.append((rank_metrics(model, held_out)[0]["mrr"], hashed, c, model))
            print(json.dumps({"hashed": hashed, "C": c, "held_out": rank_metrics(model, held_out)[0]}), flush=True)
    _, hashed, c, model = max(trials, key=lambda t: t[0])
    metrics, top_scores, top_relevant = rank_metrics(model, held_out)
    linear_metrics, trees, stacked_metrics = metrics, None, None
    if args.trees > 0:
        candidate = fit_trees(train, c, hashed, trees=args.trees, leaves=args.leaves, rate=args.learning_rate)
        stacked_metrics, stacked_top, stacked_relevant = score_metrics(
            stacked_scores(model, candidate, held_out), held_out
        )
        print(json.dumps({"stacked_trees": args.trees, "held_out": stacked_metrics}), flush=True)
        if stacked_metrics["mrr"] > linear_metrics["mrr"]:
            trees, metrics, top_scores, top_relevant = candidate, stacked_metrics, stacked_top, stacked_relevant
    top_dense = np.asarray(
        [held_out.dense[np.flatnonzero(held_out.query == q)[0], 0] for q in np.unique(held_out.query)]
    )
    dense_relevant = np.asarray(
        [held_out.labels[np.flatnonzero(held_out.query == q)[0]] for q in np.unique(held_out.query)]
    )
    calibrator = Calibrator(
        {"rerank": Platt.fit(top_scores, top_relevant), "dense": Platt.fit(top_dense, dense_relevant, logit=False)},
        MODEL_ID,
    )
    artifact: dict[str, Any] = {
        "model_id": MODEL_ID,
        "model": model.to_json(),
        "trees": None if trees is None else {"features": list(STACK_NAMES), "trees": trees.to_json()},
        "calibration": calibrator.to_json(),
        "training": {
            "data": f"{args.pairs.name} (AFQMC format), {len(lines)} pairs, {args.groups} groups, seed {args.seed}",
            "embedder": embedder.model_id,
            "licence": "AFQMC (CLUE benchmark) states no licence and is published for research and evaluation",
            "command": f"python -m jobs.train_reranker --pairs PAIRS --out {args.out}",
            "hashed": hashed,
            "C": c,
            "stacked_trees": None
            if trees is None
            else {"trees": args.trees, "leaves": args.leaves, "rate": args.learning_rate},
            "held_out": metrics,
            "held_out_linear": linear_metrics,
            "held_out_stacked": stacked_metrics,
            "held_out_fused_order": fused_only,
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(artifact, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    print(json.dumps(artifact["training"], ensure_ascii=False))


def fused_order_model() -> LinearModel:
    """Constant scores: a stable sort keeps the fused order, so this measures fusion alone."""
    zeros = np.zeros(len(DENSE_NAMES), dtype=np.float32)
    return LinearModel("fused-order", zeros, zeros, np.ones_like(zeros), 0.0, None)


if __name__ == "__main__":
    main()
