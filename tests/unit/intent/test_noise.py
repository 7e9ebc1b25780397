"""The label-noise filter finds flipped labels on a synthetic set and spares clean ones."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from scipy.sparse import csr_matrix

from processors.intent import IntentModel
from processors.intent.features import NgramFeaturizer
from processors.intent.linear import out_of_fold_scores
from processors.intent.noise import given_label_ranks, noisy_example_mask
from processors.intent.noisy_rows import relabelled_examples, split_noisy_examples
from processors.intent.params import IntentParams
from processors.intent.storage import METADATA_FILE

# Twelve intents, each with its own vocabulary, so a correct label is easy to rank first.
TOPICS = {
    "refund": "退款退钱到账",
    "logistics": "物流快递包裹",
    "invoice": "发票开票税号",
    "address": "地址收件改址",
    "size": "尺码大小偏码",
    "color": "颜色色差配色",
    "coupon": "优惠券领券满减",
    "gift": "赠品礼物小样",
    "price": "价格便宜降价",
    "quality": "质量做工材质",
    "delay": "延迟晚点慢发",
    "thanks": "谢谢感谢辛苦",
}
FILLERS = ["请问", "亲", "你好", "我想问下", "麻烦", "那个", "这个", "能不能"]


def synthetic_set(seed: int, per_label: int = 30, flip_share: float = 0.15) -> tuple[list[tuple[str, str]], set[int]]:
    """Examples built from each label's characters; ``flip_share`` of them get a random other label."""
    rng = random.Random(seed)
    labels = sorted(TOPICS)
    examples: list[tuple[str, str]] = []
    for label in labels:
        for _ in range(per_label):
            words = "".join(rng.sample(TOPICS[label], 3))
            examples.append((f"{rng.choice(FILLERS)}{words}{rng.choice(FILLERS)}", label))
    flipped = set(rng.sample(range(len(examples)), int(flip_share * len(examples))))
    for row in flipped:
        text, label = examples[row]
        examples[row] = (text, rng.choice([other for other in labels if other != label]))
    return examples, flipped


def _scores(features: csr_matrix, targets: npt.NDArray[np.int64]) -> npt.NDArray[np.float32]:
    return out_of_fold_scores(features, targets, len(TOPICS), folds=5, regularization=0.5, class_weight=None, seed=0)


def _features_and_targets(examples: list[tuple[str, str]]) -> tuple[csr_matrix, npt.NDArray[np.int64]]:
    labels = sorted(TOPICS)
    texts = [text for text, _ in examples]
    targets = np.array([labels.index(label) for _, label in examples], dtype=np.int64)
    return NgramFeaturizer.fit(texts).transform(texts), targets


def test_given_label_ranks_counts_labels_scoring_strictly_higher() -> None:
    scores = np.array([[0.1, 0.9, 0.5], [0.3, 0.3, 0.2], [0.0, 0.1, 0.2]])
    assert given_label_ranks(scores, np.array([1, 1, 0])).tolist() == [0, 0, 2]


def test_filter_finds_most_flipped_labels_and_few_clean_ones() -> None:
    examples, flipped = synthetic_set(seed=1)
    features, targets = _features_and_targets(examples)
    noisy = noisy_example_mask(features, targets, [4, 2], _scores)
    found = set(np.flatnonzero(noisy).tolist())
    recall = len(found & flipped) / len(flipped)
    false_alarms = len(found - flipped) / (len(examples) - len(flipped))
    assert recall >= 0.8, recall
    assert false_alarms <= 0.05, false_alarms


def test_filter_never_drops_protected_rows() -> None:
    examples, flipped = synthetic_set(seed=2)
    features, targets = _features_and_targets(examples)
    protected = np.zeros(len(examples), dtype=bool)
    protected[sorted(flipped)] = True
    noisy = noisy_example_mask(features, targets, [4, 2], _scores, protected=protected)
    assert not (noisy & protected).any()


def test_no_rounds_drop_nothing() -> None:
    examples, _ = synthetic_set(seed=3)
    features, targets = _features_and_targets(examples)
    assert not noisy_example_mask(features, targets, [], _scores).any()


def test_training_drops_flipped_examples_and_records_how_many() -> None:
    examples, flipped = synthetic_set(seed=4)
    filtered = IntentModel.train(
        examples,
        seed=0,
        noise_rank_cutoffs=(4, 2),
        noise_min_examples_per_label=1,
        noise_relabel_min_probability=None,
    )
    unfiltered = IntentModel.train(examples, seed=0, noise_rank_cutoffs=())
    dropped = filtered.metadata["n_dropped_as_noisy"]
    assert 0.8 * len(flipped) <= dropped <= 1.3 * len(flipped)
    assert filtered.metadata["n_relabelled"] == 0
    assert unfiltered.metadata["n_dropped_as_noisy"] == unfiltered.metadata["n_relabelled"] == 0
    assert filtered.metadata["n_examples"] == len(examples)
    # Out-of-fold accuracy is measured on the kept rows: far higher once the flips are gone.
    assert filtered.metadata["metrics"]["cv_accuracy"] > unfiltered.metadata["metrics"]["cv_accuracy"] + 0.1


def test_dropped_rows_come_back_under_their_true_label() -> None:
    examples, flipped = synthetic_set(seed=4)
    truth = dict(synthetic_set(seed=4, flip_share=0.0)[0])
    params = IntentParams(noise_rank_cutoffs=(4, 2), noise_min_examples_per_label=1)
    labels = sorted(TOPICS)
    kept, dropped = split_noisy_examples(examples, {label: index for index, label in enumerate(labels)}, params, 0)
    assert len(kept) + len(dropped) == len(examples)
    trained_on_kept = IntentModel.train(kept, seed=0, noise_rank_cutoffs=())
    relabelled = relabelled_examples(
        dropped, trained_on_kept.probabilities([text for text, _ in dropped]), trained_on_kept.labels, 0.5
    )
    assert len(relabelled) >= 0.8 * len(flipped)
    assert sum(truth[text] == label for text, label in relabelled) >= 0.95 * len(relabelled)


def test_training_relabels_what_the_filter_sets_aside_and_records_how_many() -> None:
    examples, flipped = synthetic_set(seed=4)
    model = IntentModel.train(examples, seed=0, noise_rank_cutoffs=(4, 2), noise_min_examples_per_label=1)
    metadata = model.metadata
    assert metadata["n_relabelled"] >= 0.8 * len(flipped)
    assert metadata["n_relabelled"] + metadata["n_dropped_as_noisy"] <= 1.3 * len(flipped)
    assert metadata["metrics"]["cv_accuracy"] > 0.9


def test_rounds_with_a_cutoff_above_half_the_labels_are_skipped() -> None:
    examples, _ = synthetic_set(seed=5)
    model = IntentModel.train(examples, seed=0, noise_rank_cutoffs=(7,), noise_min_examples_per_label=1)  # 7 > 12 / 2
    assert model.metadata["n_dropped_as_noisy"] == 0


def test_the_filter_is_skipped_when_labels_have_few_examples() -> None:
    examples, flipped = synthetic_set(seed=4)
    per_label = len(examples) / len({label for _, label in examples})
    skipped = IntentModel.train(
        examples, seed=0, noise_rank_cutoffs=(4, 2), noise_min_examples_per_label=int(per_label) + 1
    )
    assert flipped and skipped.metadata["n_dropped_as_noisy"] == 0


def test_models_saved_before_the_filter_load_as_trained_without_it(tmp_path: Path) -> None:
    examples, _ = synthetic_set(seed=6, per_label=8, flip_share=0.0)
    IntentModel.train(examples, seed=0, calibration_folds=2).save(tmp_path)
    metadata_path = tmp_path / METADATA_FILE
    document = json.loads(metadata_path.read_text(encoding="utf-8"))
    del document["params"]["noise_rank_cutoffs"]
    del document["params"]["noise_relabel_min_probability"]
    del document["params"]["label_description_copies"]
    metadata_path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    params = IntentModel.load(tmp_path).params
    assert params.noise_rank_cutoffs == ()
    assert params.noise_relabel_min_probability is None
    assert params.label_description_copies == 1


@pytest.mark.parametrize("cutoffs", [[10, 3], (10, 3)])
def test_cutoffs_read_back_from_json_are_a_tuple(cutoffs: list[int] | tuple[int, ...]) -> None:
    assert IntentParams(noise_rank_cutoffs=tuple(cutoffs)).noise_rank_cutoffs == (10, 3)
    assert IntentParams(**{"noise_rank_cutoffs": list(cutoffs)}).noise_rank_cutoffs == (10, 3)  # type: ignore[arg-type]
