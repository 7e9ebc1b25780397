"""A disk cache in front of an embedder, keyed by content hash: evaluations re-run without re-embedding."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from serving.protocols import Embedder, Vectors


def _key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


class _Store:
    def __init__(self, path: Path, dim: int) -> None:
        self.path = path
        self.dim = dim
        self.index: dict[str, int] = {}
        self.vectors = np.zeros((0, dim), dtype=np.float32)
        if path.exists():
            with np.load(path) as data:
                self.vectors = data["vectors"].astype(np.float32)
                self.index = {str(k): i for i, k in enumerate(data["keys"])}

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        keys = np.array(sorted(self.index, key=self.index.__getitem__))
        tmp = self.path.with_suffix(".tmp.npz")
        np.savez(tmp, keys=keys, vectors=self.vectors)
        tmp.replace(self.path)


class CachedEmbedder:
    """Wraps an embedder; vectors already computed for the same text and kind come from ``directory``."""

    def __init__(self, inner: Embedder, directory: Path) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.dim = inner.dim
        base = directory / inner.model_id.replace("/", "__")
        self._stores = {kind: _Store(base / f"{kind}.npz", inner.dim) for kind in ("query", "passage")}

    def embed_queries(self, texts: Sequence[str]) -> Vectors:
        return self._embed(texts, "query")

    def embed_passages(self, texts: Sequence[str]) -> Vectors:
        return self._embed(texts, "passage")

    def _embed(self, texts: Sequence[str], kind: str) -> Vectors:
        store = self._stores[kind]
        keys = [_key(t) for t in texts]
        missing = list({k: t for k, t in zip(keys, texts, strict=True) if k not in store.index}.items())
        if missing:
            embed = self.inner.embed_queries if kind == "query" else self.inner.embed_passages
            fresh = embed([t for _, t in missing])
            offset = len(store.vectors)
            store.vectors = np.concatenate([store.vectors, fresh])
            store.index.update({k: offset + i for i, (k, _) in enumerate(missing)})
            store.save()
        rows = [store.index[k] for k in keys]
        return store.vectors[rows] if rows else np.zeros((0, self.dim), dtype=np.float32)
