"""The intent classifier: label-noise filter, character n-gram TF-IDF, one-vs-rest linear SVM, calibrated thresholds."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from processors.intent.calibration import ScoreCalibration, expected_calibration_error, fit_calibration
from processors.intent.clauses import split_clauses
from processors.intent.examples import repeat_label_descriptions
from processors.intent.features import NgramFeaturizer
from processors.intent.linear import fit_linear_svm, out_of_fold_scores
from processors.intent.noisy_rows import relabelled_examples, split_noisy_examples
from processors.intent.params import IntentParams
from processors.intent.prediction import UNKNOWN_INTENT, IntentPrediction
from processors.intent.storage import load_model_files, save_model_files

__all__ = ["IntentModel", "examples_sha256"]


def examples_sha256(examples: Sequence[tuple[str, str]]) -> str:
    """Digest of training examples in order, recorded so a model can be traced to its data."""
    digest = hashlib.sha256()
    for text, label in examples:
        digest.update(text.encode("utf-8") + b"\x1f" + label.encode("utf-8") + b"\x1e")
    return digest.hexdigest()


class IntentModel:
    """Classifies customer messages into intents, several at once when a message asks several things.

    Build one with :meth:`train` or :meth:`load`; the constructor is for those two.

    Examples
    --------
    >>> examples = [("我要退货", "return"), ("怎么退货退款", "return"), ("退款多久到账", "return"),
    ...             ("快递到哪了", "logistics"), ("查一下物流", "logistics"), ("包裹什么时候到", "logistics")]
    >>> model = IntentModel.train(examples, calibration_folds=2)
    >>> model.labels
    ('logistics', 'return')
    >>> model.predict(["物流到哪了"])[0].intent
    'logistics'
    """

    __slots__ = ("_bias", "_calibration", "_featurizer", "_labels", "_metadata", "_params", "_weights_t")

    def __init__(
        self,
        *,
        featurizer: NgramFeaturizer,
        weights: npt.NDArray[np.float32],
        bias: npt.NDArray[np.float32],
        labels: tuple[str, ...],
        calibration: ScoreCalibration,
        params: IntentParams,
        metadata: dict[str, Any],
    ) -> None:
        if weights.shape != (len(labels), featurizer.n_features) or bias.shape != (len(labels),):
            raise ValueError("weights, bias, labels and vocabulary disagree in size")
        self._featurizer = featurizer
        # Stored transposed and contiguous: the hot path is (sparse rows) @ (features x labels).
        self._weights_t = np.ascontiguousarray(weights.T, dtype=np.float32)
        self._bias = bias.astype(np.float32)
        self._labels = labels
        self._calibration = calibration
        self._params = params
        self._metadata = metadata

    @classmethod
    def train(
        cls,
        examples: Sequence[tuple[str, str]],
        *,
        seed: int = 0,
        label_ids: dict[str, str] | None = None,
        **params: Any,
    ) -> IntentModel:
        """Fit a model on ``(text, label)`` pairs.

        Parameters
        ----------
        examples
            Training pairs; at least two distinct labels.
        seed
            Seeds fold assignment and the solver, so the same data gives the same model.
        label_ids
            ``label -> id`` for data whose labels are ids with descriptions (CIC's ``"57"``): kept in the
            metadata so evaluation data that carries only the ids can still be scored.
        **params
            Fields of :class:`~processors.intent.params.IntentParams`.

        Returns
        -------
        IntentModel
            The fitted model; its metadata holds out-of-fold metrics and the calibration.
        """
        settings = IntentParams.from_kwargs(params)
        labels = tuple(sorted({label for _, label in examples}))
        if len(labels) < 2:
            raise ValueError("intent training needs at least two distinct labels")
        label_index = {label: index for index, label in enumerate(labels)}
        given = list(examples)
        weighted = repeat_label_descriptions(given, settings.label_description_copies)
        kept, dropped = split_noisy_examples(weighted, label_index, settings, seed)
        model = cls._fit(kept, labels, settings, seed)
        relabelled: list[tuple[str, str]] = []
        if dropped and settings.noise_relabel_min_probability is not None:
            probabilities = model.probabilities([text for text, _ in dropped])
            relabelled = relabelled_examples(dropped, probabilities, labels, settings.noise_relabel_min_probability)
            if relabelled:
                model = cls._fit(kept + relabelled, labels, settings, seed)
        model._metadata = {
            "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "data_sha256": examples_sha256(given),
            "n_examples": len(given),
            "n_dropped_as_noisy": len(dropped) - len(relabelled),
            "n_relabelled": len(relabelled),
            "seed": seed,
            **model._metadata,
            "label_ids": dict(label_ids or {}),
        }
        return model

    @classmethod
    def _fit(
        cls, examples: list[tuple[str, str]], labels: tuple[str, ...], settings: IntentParams, seed: int
    ) -> IntentModel:
        """Featurizer, calibration from out-of-fold scores and the SVM, all on ``examples`` as given."""
        label_index = {label: index for index, label in enumerate(labels)}
        fit_options = {
            "regularization": settings.regularization,
            "class_weight": settings.class_weight,
            "seed": seed,
        }
        texts = [text for text, _ in examples]
        targets = np.array([label_index[label] for _, label in examples], dtype=np.int64)
        featurizer = NgramFeaturizer.fit(
            texts, ngram_min=settings.ngram_min, ngram_max=settings.ngram_max, min_df=settings.min_df
        )
        features = featurizer.transform(texts)
        folds = max(2, min(settings.calibration_folds, len(examples)))
        held_out_scores = out_of_fold_scores(features, targets, len(labels), folds=folds, **fit_options)  # type: ignore[arg-type]
        calibration = fit_calibration(
            held_out_scores,
            targets,
            unknown_quantile=settings.unknown_quantile,
            multi_quantile=settings.multi_quantile,
        )
        weights, bias = fit_linear_svm(features, targets, len(labels), **fit_options)  # type: ignore[arg-type]
        return cls(
            featurizer=featurizer,
            weights=weights,
            bias=bias,
            labels=labels,
            calibration=calibration,
            params=settings,
            metadata={"metrics": _held_out_metrics(calibration, held_out_scores, targets, folds)},
        )

    @property
    def labels(self) -> tuple[str, ...]:
        """Every label the model can predict (``unknown`` aside), sorted."""
        return self._labels

    def label_for(self, label_or_id: str) -> str:
        """The model's label for ``label_or_id``: itself, or the label whose recorded id it is."""
        if label_or_id in self._labels:
            return label_or_id
        by_id = {str(ident): str(label) for label, ident in self._metadata.get("label_ids", {}).items()}
        return by_id.get(label_or_id, label_or_id)

    def label_id(self, label: str) -> str | None:
        """The id recorded for ``label`` at training time, if its data had ids."""
        ident = self._metadata.get("label_ids", {}).get(label)
        return None if ident is None else str(ident)

    @property
    def calibration(self) -> ScoreCalibration:
        """The probability mapping and thresholds fitted at training time."""
        return self._calibration

    @property
    def params(self) -> IntentParams:
        """Hyper-parameters the model was trained with."""
        return self._params

    @property
    def metadata(self) -> dict[str, Any]:
        """Provenance and held-out metrics (a copy; see :meth:`save` for the file)."""
        return dict(self._metadata)

    def probabilities(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Calibrated ``(len(texts), len(labels))`` probability that each label applies."""
        features = self._featurizer.transform(texts)
        scores = np.asarray(features @ self._weights_t) + self._bias
        return self._calibration.probabilities(scores)

    def unseen_ngram_rate(self, texts: Sequence[str], *, size: int = 2) -> list[float]:
        """Per text, the share of its character ``size``-grams the model never saw in training (drift signal)."""
        return [float(rate) for rate in self._featurizer.unseen_ngram_rate(texts, size=size)]

    def best_labels(self, texts: Sequence[str]) -> list[str]:
        """The highest-scoring label of each text, never ``unknown`` (for forced-choice evaluation)."""
        if not texts:
            return []
        return [self._labels[index] for index in self.probabilities(texts).argmax(axis=1).tolist()]

    def predict(self, texts: Sequence[str]) -> list[IntentPrediction]:
        """Classify a batch of messages (the stream's hot path: batch as much as you can).

        The whole message decides between a label and ``unknown``. Labels come from the whole
        message and from each of its clauses (see :mod:`.clauses`) when their probability reaches
        the calibrated multi-intent threshold. A best label below the unknown threshold, or the
        ``unknown`` class learnt from out-of-scope training examples, gives ``unknown``.
        """
        if not texts:
            return []
        owners: list[int] = []
        clauses: list[str] = []
        for owner, text in enumerate(texts):
            pieces = split_clauses(text)
            clauses.extend(pieces)
            owners.extend([owner] * len(pieces))
        ranked_labels, ranked_probabilities = self._ranked(list(texts) + clauses)
        extra: dict[int, list[tuple[int, float]]] = {}
        for owner, row_labels, row_probabilities in zip(
            owners, ranked_labels[len(texts) :], ranked_probabilities[len(texts) :], strict=True
        ):
            extra.setdefault(owner, []).append((row_labels[0], row_probabilities[0]))
        return [
            self._prediction(ranked_labels[row], ranked_probabilities[row], extra.get(row, ()))
            for row in range(len(texts))
        ]

    def _ranked(self, texts: list[str]) -> tuple[list[list[int]], list[list[float]]]:
        """Per text, the ``max_intents`` most probable label indices and their probabilities."""
        probabilities = self.probabilities(texts)
        keep = min(self._params.max_intents, len(self._labels))
        ranked = np.argsort(-probabilities, axis=1, kind="stable")[:, :keep]
        return ranked.tolist(), np.take_along_axis(probabilities, ranked, axis=1).tolist()

    def _prediction(
        self,
        row_labels: list[int],
        row_probabilities: list[float],
        clause_bests: Sequence[tuple[int, float]],
    ) -> IntentPrediction:
        labels = self._labels
        best_probability = row_probabilities[0]
        best_label = labels[row_labels[0]]
        if best_label == UNKNOWN_INTENT or best_probability < self._calibration.unknown_threshold:
            return IntentPrediction(UNKNOWN_INTENT, best_probability, ())
        multi_from = self._calibration.multi_threshold
        found = {best_label: best_probability}
        for index, probability in [*zip(row_labels[1:], row_probabilities[1:], strict=True), *clause_bests]:
            label = labels[index]
            if probability >= multi_from and label != UNKNOWN_INTENT and probability > found.get(label, 0.0):
                found[label] = probability
        # The whole message keeps first place even when a clause is surer of another label: on
        # single-intent CIC, letting clauses win cost 1.2 points of held-out accuracy.
        others = sorted(
            ((label, probability) for label, probability in found.items() if label != best_label),
            key=lambda pair: -pair[1],
        )
        intents = ((best_label, best_probability), *others[: self._params.max_intents - 1])
        return IntentPrediction(best_label, best_probability, intents)

    def partial_update(self, examples: Sequence[tuple[str, str]]) -> IntentModel:
        """Learn from corrected intents in place, one passive-aggressive (PA-I) step per example.

        Each label's one-vs-rest weights move just enough to score the example on the right side of
        the margin (capped by ``update_aggressiveness``), which is cheap enough to run per message.
        Characters never seen at training time are ignored and the calibration is kept, so a full
        :meth:`train` should follow regularly. An unseen label is added with zero weights.

        Returns
        -------
        IntentModel
            ``self``, for chaining.
        """
        for _, label in examples:
            if label not in self._labels:
                self._add_label(label)
        features = self._featurizer.transform([text for text, _ in examples])
        cap = self._params.update_aggressiveness
        for row, (_, label) in enumerate(examples):
            start, end = features.indptr[row], features.indptr[row + 1]
            columns, values = features.indices[start:end], features.data[start:end]
            # Biases stay fixed: moving them shifts every message, not only ones like the correction.
            squared_norm = max(float(values @ values), 1e-12)
            signs = np.full(len(self._labels), -1.0, dtype=np.float32)
            signs[self._labels.index(label)] = 1.0
            scores = values @ self._weights_t[columns] + self._bias
            steps = np.minimum(cap, np.maximum(0.0, 1.0 - signs * scores) / squared_norm) * signs
            self._weights_t[columns] += np.outer(values, steps).astype(np.float32)
        self._metadata["online_updates"] = int(self._metadata.get("online_updates", 0)) + len(examples)
        return self

    def _add_label(self, label: str) -> None:
        labels = sorted([*self._labels, label])
        position = labels.index(label)
        self._weights_t = np.ascontiguousarray(np.insert(self._weights_t, position, 0.0, axis=1), dtype=np.float32)
        self._bias = np.insert(self._bias, position, -1.0).astype(np.float32)
        self._labels = tuple(labels)

    def save(self, directory: Path) -> None:
        """Write the model as JSON and ``.npz`` arrays (no pickle); see :mod:`.storage`."""
        save_model_files(
            directory,
            labels=self._labels,
            vocabulary=self._featurizer.terms_in_order(),
            idf=self._featurizer.idf,
            weights=self._weights_t.T,
            bias=self._bias,
            calibration=self._calibration,
            params=self._params,
            metadata=self._metadata,
        )

    @classmethod
    def load(cls, directory: Path) -> IntentModel:
        """Read a model written by :meth:`save`."""
        stored = load_model_files(directory)
        featurizer = NgramFeaturizer(
            vocabulary={term: index for index, term in enumerate(stored.vocabulary)},
            idf=stored.idf,
            ngram_min=stored.params.ngram_min,
            ngram_max=stored.params.ngram_max,
        )
        return cls(
            featurizer=featurizer,
            weights=stored.weights,
            bias=stored.bias,
            labels=stored.labels,
            calibration=stored.calibration,
            params=stored.params,
            metadata=stored.metadata,
        )


def _held_out_metrics(
    calibration: ScoreCalibration, scores: npt.NDArray[np.float32], targets: npt.NDArray[np.int64], folds: int
) -> dict[str, float | int]:
    """Out-of-fold accuracy and calibration quality recorded in the metadata."""
    probabilities = calibration.probabilities(scores)
    best = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == targets
    return {
        "cv_folds": folds,
        "cv_accuracy": round(float(correct.mean()), 6),
        "cv_unknown_rate": round(float((best < calibration.unknown_threshold).mean()), 6),
        "cv_confidence_ece": expected_calibration_error(best, correct),
    }
