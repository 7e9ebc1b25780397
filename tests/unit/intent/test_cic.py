"""The intent model on the shared CIC data (118 noisy labels); skipped when the data is absent."""

from __future__ import annotations

import time

import pytest

from processors.intent import IntentModel, evaluate_intent
from processors.intent.benchmark import predictions_per_second
from processors.intent.cic import CIC_DIR, audited_dev_split, cic_available, cic_splits

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not cic_available(), reason=f"CIC data not found at {CIC_DIR}"),
]

# Measured 0.372 with the noise filter (0.362 before it) on this slice, whose labels are as noisy as
# train's; the threshold leaves room for solver and platform differences, not for regressions.
HELD_OUT_MACRO_F1_FLOOR = 0.35
# 1,565 dev rows an audit judged correctly labelled (processors/intent/cic_dev_audit.json); measured 0.811.
AUDITED_CLEAN_ACCURACY_FLOOR = 0.78


@pytest.fixture(scope="module")
def cic_model_and_held_out() -> tuple[IntentModel, list[tuple[str, str]]]:
    fit, held_out, _ = cic_splits()
    return IntentModel.train(fit, seed=0, calibration_folds=2), held_out


def test_cic_held_out_macro_f1_reaches_floor(
    cic_model_and_held_out: tuple[IntentModel, list[tuple[str, str]]],
) -> None:
    model, held_out = cic_model_and_held_out
    figures = evaluate_intent(model, held_out)
    print(figures)
    assert len(model.labels) == 118
    assert figures["macro_f1"] >= HELD_OUT_MACRO_F1_FLOOR
    assert figures["unknown_rate"] < 0.1


def test_cic_predictions_are_readable_descriptions(
    cic_model_and_held_out: tuple[IntentModel, list[tuple[str, str]]],
) -> None:
    model, _ = cic_model_and_held_out
    assert model.predict(["快递到哪了"])[0].intent == "买家咨询物流信息"


def test_cic_batch_throughput_is_reported(
    cic_model_and_held_out: tuple[IntentModel, list[tuple[str, str]]],
) -> None:
    model, held_out = cic_model_and_held_out
    texts = [text for text, _ in held_out]
    started = time.perf_counter()
    rate = predictions_per_second(model, texts)
    print(f"CIC model: {rate:,.0f} predictions/s (all threads; see processors.intent.benchmark)")
    assert rate > 0 and time.perf_counter() > started


def test_cic_noise_filter_sets_aside_about_the_audited_noise_share_and_scores_well_on_clean_rows(
    cic_model_and_held_out: tuple[IntentModel, list[tuple[str, str]]],
) -> None:
    model, _ = cic_model_and_held_out
    metadata = model.metadata
    set_aside_share = (metadata["n_dropped_as_noisy"] + metadata["n_relabelled"]) / metadata["n_examples"]
    # The audit found 22 % of dev rows mislabelled; the filter also sets aside some hard rows, and most
    # of what it sets aside comes back relabelled.
    assert 0.2 <= set_aside_share <= 0.45, set_aside_share
    assert metadata["n_relabelled"] > metadata["n_dropped_as_noisy"]
    clean, mislabelled = audited_dev_split()
    assert evaluate_intent(model, clean)["accuracy"] >= AUDITED_CLEAN_ACCURACY_FLOOR
    # On rows whose label is wrong the model almost never agrees with that label (the noise is random).
    assert evaluate_intent(model, mislabelled)["forced_accuracy"] <= 0.1
