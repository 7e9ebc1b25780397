"""The fine-tuning job: its PyTorch model is the engine's, and what it writes is a patch the engine loads.

PyTorch is the ``train`` extra, not a dependency of the product or its test command: these tests run where it
is installed (``pip install -e .[train]``) and are skipped elsewhere. The patch they check the product with
(``test_tuned_embedder``) is the one this job wrote.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from jobs.train_embedder.__main__ import main  # noqa: E402
from jobs.train_embedder.encoder import E5Encoder  # noqa: E402
from serving.embedding.e5 import E5Embedder  # noqa: E402
from serving.embedding.model_file import E5ModelFile  # noqa: E402
from serving.embedding.tuned import TunedModel, base_model_path, patched_bytes  # noqa: E402

TEXTS = ["花呗怎么还款", "How do I return an order?", "借呗额度为什么降低了，我一直按时还款的", "  a  b "]


def test_the_torch_encoder_computes_what_the_engine_computes() -> None:
    encoder = E5Encoder(E5ModelFile(base_model_path().read_bytes())).eval()
    with torch.no_grad():
        ours = encoder(TEXTS).numpy()
    engine = E5Embedder().embed_queries(TEXTS)
    assert np.all((ours * engine).sum(axis=1) > 0.999)
    trainable = {n for n, p in encoder.named_parameters() if p.requires_grad}
    assert "blocks.0.q.bias" in trainable and "blocks.11.oln.weight" in trainable
    assert not any(n.endswith(".weight") and ".q." in n for n in trainable)  # 4-bit matrices stay as shipped


def test_a_short_run_writes_a_patch_the_engine_loads(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pairs = tmp_path / "pairs.jsonl"
    rows = [
        {"sentence1": f"花呗第{i}期怎么还", "sentence2": f"第{i}期花呗如何还款", "label": "1"} for i in range(12)
    ] + [{"sentence1": "借呗能提额吗", "sentence2": "花呗怎么关闭", "label": "0"}]
    pairs.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    out = tmp_path / "model"
    main(
        ["--pairs", str(pairs), "--out", str(out), "--model-id", "t", "--groups", "2", "--epochs", "1", "--batch", "4"]
    )
    printed = json.loads(capsys.readouterr().out)
    manifest = json.loads((out / "t.json").read_text(encoding="utf-8"))
    assert printed["sha256"] == manifest["sha256"] and manifest["tensors"] > 0
    assert set(manifest["held_out_dense"]) == {"before", "after"}
    base = base_model_path().read_bytes()
    data = patched_bytes(TunedModel("t", manifest["base_sha256"], manifest["sha256"], out / "t.npz"), base)
    assert hashlib.sha256(data).hexdigest() == manifest["sha256"] and data != base
    path = tmp_path / "t.bin"
    path.write_bytes(data)
    vectors = E5Embedder(model_path=path, model_id="t").embed_queries(TEXTS)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)


def test_interpolation_moves_the_learned_tensors_back_towards_e5() -> None:
    encoder = E5Encoder(E5ModelFile(base_model_path().read_bytes()))
    shipped = {k: v.copy() for k, v in encoder.trained_tensors().items()}
    with torch.no_grad():
        for parameter in encoder.parameters():
            if parameter.requires_grad:
                parameter.add_(1.0)
    encoder.interpolate(0.25)
    moved = encoder.trained_tensors()
    assert all(np.allclose(moved[k], shipped[k] + 0.25, atol=1e-5) for k in shipped)
    encoder.interpolate(0.0)
    assert all(np.allclose(encoder.trained_tensors()[k], shipped[k]) for k in shipped)
