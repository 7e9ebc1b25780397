"""Train a candidate on base + new labelled data and judge it against the current model on the same held-out slice.

The held-out slice is drawn (stratified, seeded, by a stable hash of each text) from base and new data together, so
it contains the new labels the current model cannot know, and no model this job trains ever sees it. A current
model trained outside the job (the shipped one, trained on all of the base data) has seen the base part of the
slice and would win by memory: on the sample data it scored macro-F1 0.92 on its own training examples against
0.63 for an honest candidate. For such a model pass ``reference="refit"``: the candidate is then compared with the
current model's recipe refit on the base training part alone, which is the current model without the leak.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pyarrow as pa

from jobs.retrain.data import examples_of, stratified_split
from jobs.retrain.decision import ClassDelta, PromotionRule, decide, per_class_deltas
from processors.intent import IntentModel, evaluate_intent, with_label_descriptions
from processors.intent.model import examples_sha256
from processors.sentiment import SentimentModel, evaluate_sentiment
from processors.sentiment.reader import parse_polarity_label

__all__ = ["RetrainOutcome", "merge_examples", "retrain_intent", "retrain_sentiment"]


@dataclass(frozen=True, slots=True)
class RetrainOutcome:
    """What a retrain produced and why it is or is not promoted.

    ``candidate`` is the trained model (an ``IntentModel`` or ``SentimentModel``); the metrics of both models
    are measured on the same ``n_held_out`` examples.
    """

    promoted: bool
    reason: str
    candidate_metrics: dict[str, float]
    current_metrics: dict[str, float]
    per_class_deltas: dict[str, ClassDelta]
    candidate: Any = field(repr=False)
    data_sha256: str
    n_train: int
    n_held_out: int
    reference: str = "current"

    def summary(self) -> dict[str, Any]:
        """A JSON-ready account (for the card, the CLI and logs)."""
        return {
            "promoted": self.promoted,
            "reason": self.reason,
            "candidate_metrics": self.candidate_metrics,
            "current_metrics": self.current_metrics,
            "per_class_deltas": {
                label: {"support": d.support, "current_f1": d.current_f1, "candidate_f1": d.candidate_f1}
                for label, d in sorted(self.per_class_deltas.items())
            },
            "data_sha256": self.data_sha256,
            "n_train": self.n_train,
            "n_held_out": self.n_held_out,
            "reference": self.reference,
        }


def merge_examples(base: pa.Table, new: pa.Table) -> list[tuple[str, str]]:
    """Base then new examples, one per text: a newer label for the same text replaces the base one.

    >>> from jobs.retrain.data import table_from_examples
    >>> base = table_from_examples([("直播间的券", "coupon"), ("退货", "return")], source="base")
    >>> new = table_from_examples([("直播间的券", "livestream_promo")], source="agent_correction")
    >>> merge_examples(base, new)
    [('直播间的券', 'livestream_promo'), ('退货', 'return')]
    """
    merged: dict[str, str] = {}
    for text, label in [*examples_of(base), *examples_of(new)]:
        merged[text] = label
    return list(merged.items())


def _numbers(metrics: Mapping[str, float | int]) -> dict[str, float]:
    return {name: float(value) for name, value in metrics.items()}


def retrain_intent(
    base_examples: pa.Table,
    new_examples: pa.Table,
    current_model: IntentModel,
    *,
    held_out_fraction: float = 0.2,
    margin: float = 0.01,
    min_class_size: int = 20,
    tolerance: float = 0.02,
    seed: int = 0,
    train_params: Mapping[str, Any] | None = None,
    reference: Literal["current", "refit"] = "current",
) -> RetrainOutcome:
    """Train an intent candidate and decide on it (see :class:`~jobs.retrain.decision.PromotionRule`).

    The candidate is trained like the current model (its parameters and label ids, unless ``train_params``
    overrides them) on the training part plus each prose label's description (``with_label_descriptions``).
    ``reference="refit"`` compares it with the current recipe refit on the base training part (module docstring).
    """
    examples = merge_examples(base_examples, new_examples)
    train, held_out = stratified_split(examples, fraction=held_out_fraction, seed=seed)
    if not held_out:
        raise ValueError("no held-out examples: every label has a single example")
    params = {**current_model.params.to_dict(), **(train_params or {})}
    label_ids = dict(current_model.metadata.get("label_ids", {}))
    candidate = IntentModel.train(with_label_descriptions(train), seed=seed, label_ids=label_ids, **params)
    if reference == "refit":
        held_texts = {text for text, _ in held_out}
        base_train = [(t, label) for t, label in examples_of(base_examples) if t not in held_texts]
        current_model = IntentModel.train(with_label_descriptions(base_train), seed=seed, label_ids=label_ids, **params)
    texts = [text for text, _ in held_out]
    truth = [label for _, label in held_out]
    deltas = per_class_deltas(
        truth,
        [p.intent for p in current_model.predict(texts)],
        [p.intent for p in candidate.predict(texts)],
    )
    current_metrics = _numbers(evaluate_intent(current_model, held_out))
    candidate_metrics = _numbers(evaluate_intent(candidate, held_out))
    rule = PromotionRule(margin=margin, min_class_size=min_class_size, tolerance=tolerance)
    promoted, reason = decide(candidate_metrics["macro_f1"], current_metrics["macro_f1"], deltas, rule)
    return RetrainOutcome(
        promoted=promoted,
        reason=reason,
        candidate_metrics=candidate_metrics,
        current_metrics=current_metrics,
        per_class_deltas=deltas,
        candidate=candidate,
        data_sha256=examples_sha256(train),
        n_train=len(train),
        n_held_out=len(held_out),
        reference=reference,
    )


def _polarity_examples(examples: Sequence[tuple[str, str]]) -> list[tuple[str, int]]:
    """Binary ``(text, 0|1)`` pairs; neutral rows are left out (the polarity model is binary)."""
    pairs: list[tuple[str, int]] = []
    for text, label in examples:
        polarity = parse_polarity_label(label)
        if polarity is not None:
            pairs.append((text, polarity))
    return pairs


def retrain_sentiment(
    base_examples: pa.Table,
    new_examples: pa.Table,
    current_model: SentimentModel,
    *,
    held_out_fraction: float = 0.2,
    margin: float = 0.01,
    min_class_size: int = 20,
    tolerance: float = 0.02,
    seed: int = 0,
    reference: Literal["current", "refit"] = "current",
) -> RetrainOutcome:
    """Train a polarity candidate on labels ``1``/``0``/``positive``/``negative`` and decide on it.

    Both models are scored by :func:`processors.sentiment.evaluate_sentiment` (a prediction counts as positive
    when its score is above 0), per class over ``"0"`` and ``"1"``; ``reference`` as for :func:`retrain_intent`.
    """
    merged = merge_examples(base_examples, new_examples)
    examples = [(text, str(label)) for text, label in _polarity_examples(merged)]
    train, held_out = stratified_split(examples, fraction=held_out_fraction, seed=seed)
    if not held_out:
        raise ValueError("no held-out examples: every label has a single example")
    binary_train = [(text, int(label)) for text, label in train]
    binary_held_out = [(text, int(label)) for text, label in held_out]
    candidate = SentimentModel.train(binary_train, seed=seed)
    if reference == "refit":
        held_texts = {text for text, _ in held_out}
        base_binary = _polarity_examples(examples_of(base_examples))
        current_model = SentimentModel.train([(t, label) for t, label in base_binary if t not in held_texts], seed=seed)
    texts = [text for text, _ in held_out]

    def labels_of(model: SentimentModel) -> list[str]:
        return ["1" if p.score > 0 else "0" for p in model.predict(texts)]

    deltas = per_class_deltas([label for _, label in held_out], labels_of(current_model), labels_of(candidate))
    current_metrics = _numbers(evaluate_sentiment(current_model, binary_held_out))
    candidate_metrics = _numbers(evaluate_sentiment(candidate, binary_held_out))
    rule = PromotionRule(margin=margin, min_class_size=min_class_size, tolerance=tolerance)
    promoted, reason = decide(candidate_metrics["macro_f1"], current_metrics["macro_f1"], deltas, rule)
    return RetrainOutcome(
        promoted=promoted,
        reason=reason,
        candidate_metrics=candidate_metrics,
        current_metrics=current_metrics,
        per_class_deltas=deltas,
        candidate=candidate,
        data_sha256=str(candidate.metadata["data_sha256"]),
        n_train=len(train),
        n_held_out=len(held_out),
        reference=reference,
    )
