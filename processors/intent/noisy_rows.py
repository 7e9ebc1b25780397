"""Which training rows the label-noise filter leaves out, and which of those come back under another label.

:func:`split_noisy_examples` runs the rank filter of :mod:`.noise` on the intent model's own features;
:func:`relabelled_examples` picks, among the rows it left out, those that a model trained without them
confidently puts under another label. CIC's noise is mostly a random wrong label on a perfectly good
sentence, so such a row is more useful relabelled than dropped: on the 1,565 rows of CIC dev that the
audit judged correctly labelled, bringing them back at probability >= 0.5 raised macro-F1 by 1.1 points
on average over eleven row orders of train, and in every one (0.743 -> 0.755; docs/benchmarks.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.sparse import csr_matrix

from processors.intent.features import NgramFeaturizer
from processors.intent.linear import out_of_fold_scores
from processors.intent.noise import IntArray, noisy_example_mask
from processors.intent.params import IntentParams

__all__ = ["relabelled_examples", "split_noisy_examples"]

Examples = list[tuple[str, str]]


def split_noisy_examples(
    examples: Examples,
    label_index: dict[str, int],
    settings: IntentParams,
    seed: int,
) -> tuple[Examples, Examples]:
    """``(kept, dropped)``: ``examples`` split by the noise filter, each part in the given order.

    A round runs only when its cutoff is at most half the number of labels: with few labels a random
    wrong label often ranks high anyway, so a low rank says little; nor with few examples per label
    (``noise_min_examples_per_label``). A label description (an example whose text is its label) is
    never dropped, so no label disappears.
    """
    cutoffs = [cutoff for cutoff in settings.noise_rank_cutoffs if 2 * cutoff <= len(label_index)]
    if not cutoffs or len(examples) < settings.noise_min_examples_per_label * len(label_index):
        return examples, []
    texts = [text for text, _ in examples]
    targets = np.array([label_index[label] for _, label in examples], dtype=np.int64)
    features = NgramFeaturizer.fit(
        texts, ngram_min=settings.ngram_min, ngram_max=settings.ngram_max, min_df=settings.min_df
    ).transform(texts)
    folds = max(2, min(settings.noise_folds, len(examples)))

    def scores(rows: csr_matrix, row_targets: IntArray) -> npt.NDArray[np.float32]:
        return out_of_fold_scores(
            rows,
            row_targets,
            len(label_index),
            folds=folds,
            regularization=settings.regularization,
            class_weight=settings.class_weight,
            seed=seed,
        )

    protected = np.array([text == label for text, label in examples], dtype=bool)
    noisy = noisy_example_mask(features, targets, cutoffs, scores, protected=protected).tolist()
    kept = [example for example, drop in zip(examples, noisy, strict=True) if not drop]
    dropped = [example for example, drop in zip(examples, noisy, strict=True) if drop]
    return kept, dropped


def relabelled_examples(
    dropped: Examples,
    probabilities: npt.NDArray[np.floating[Any]],
    labels: Sequence[str],
    min_probability: float,
) -> Examples:
    """The ``dropped`` rows whose most probable label is not their given one, under that label.

    ``probabilities`` are a model's calibrated ``(len(dropped), len(labels))`` probabilities from
    training on the kept rows only; a row comes back when its best label reaches ``min_probability``.
    A dropped row the model agrees with stays out: the filter ranked its label low out of fold, so
    the label is doubtful either way.

    >>> relabelled_examples([("a", "x"), ("b", "x"), ("c", "y")],
    ...                     np.array([[0.2, 0.8], [0.9, 0.1], [0.6, 0.4]]), ["x", "y"], 0.5)
    [('a', 'y'), ('c', 'x')]
    """
    best = probabilities.argmax(axis=1).tolist()
    confident = (probabilities.max(axis=1) >= min_probability).tolist()
    return [
        (text, labels[index])
        for (text, label), index, sure in zip(dropped, best, confident, strict=True)
        if sure and labels[index] != label
    ]
