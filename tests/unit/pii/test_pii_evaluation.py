"""The synthetic evaluation: generator validity, scoring arithmetic and the accuracy targets."""

from __future__ import annotations

import json
import random

import pytest

from processors.pii import MaskResult, PiiEntity, PiiMasker
from processors.pii.evaluation import evaluate, main
from processors.pii.normalize import normalize_for_detection
from processors.pii.synthetic import Sample, Span, generate_samples, render
from processors.pii.synthetic_values import bank_card, id_card, invalid_bank_card, invalid_id_card
from processors.pii.validators import is_valid_id_card, luhn_valid


def _digits(value: str) -> str:
    return "".join(c for c in normalize_for_detection(value) if c.isdigit() or c in "Xx").upper()


def test_generated_identifiers_are_valid_and_negatives_invalid() -> None:
    rng = random.Random(0)
    for _ in range(300):
        assert is_valid_id_card(_digits(id_card(rng)))
        assert not is_valid_id_card(_digits(invalid_id_card(rng)))
        assert luhn_valid(_digits(bank_card(rng)))
        assert not luhn_valid(_digits(invalid_bank_card(rng)))


def test_rendered_spans_cover_the_slot_values() -> None:
    sample = render("卡号{CARD}，订单{ORDER}", random.Random(5))
    (gold,) = sample.gold
    (negative,) = sample.negatives
    assert luhn_valid(_digits(sample.text[gold.start : gold.end]))
    assert sample.text[gold.end : negative.start] == "，订单"


class _FixedMasker:
    """Returns canned entities, to check the scoring arithmetic independently of the detectors."""

    def __init__(self, entities: tuple[PiiEntity, ...]) -> None:
        self.entities = entities

    def mask(self, text: str) -> MaskResult:
        return MaskResult(text, self.entities)


def test_scoring_counts_exact_and_overlap_matches() -> None:
    sample = Sample("x" * 30, (Span("PHONE", 0, 11), Span("EMAIL", 15, 25)), (Span("ORDER", 26, 30),))
    masker = _FixedMasker((PiiEntity("PHONE", 0, 11, "[PHONE_1]"), PiiEntity("EMAIL", 14, 28, "[EMAIL_1]")))
    report = evaluate(masker, [sample])
    assert report["per_type"]["PHONE"] == {"tp": 1, "fp": 0, "fn": 0, "precision": 1.0, "recall": 1.0}
    assert report["per_type"]["EMAIL"]["fp"] == 1 and report["per_type"]["EMAIL"]["fn"] == 1
    assert report["overlap"]["per_type"]["EMAIL"]["tp"] == 1
    assert report["order_numbers_masked"] == 1


def test_targets_on_a_seeded_sample() -> None:
    report = evaluate(PiiMasker(), generate_samples(2000, seed=2024))
    assert report["order_numbers_masked"] == 0
    for kind in ("PHONE", "ID_CARD", "BANK_CARD", "EMAIL"):
        scores = report["per_type"][kind]
        assert scores["recall"] >= 0.995, kind
        assert scores["precision"] >= 0.99, kind
    assert sum(report["negatives_masked"].values()) == 0


def test_generator_covers_self_introductions_non_names_and_local_addresses() -> None:
    samples = generate_samples(2000, seed=2024)
    report = evaluate(PiiMasker(), samples)
    assert any(s.text.startswith("我叫") or "本人" in s.text for s in samples)
    assert any("小" in s.text[g.start : g.end] for s in samples for g in s.gold if g.label == "NAME")
    assert report["negatives_total"]["NOT_NAME"] > 50 and report["negatives_masked"]["NOT_NAME"] == 0
    assert report["negatives_total"]["LOCAL_IP"] > 20 and report["negatives_masked"]["LOCAL_IP"] == 0
    for kind in ("NAME", "IP"):
        assert report["per_type"][kind]["recall"] >= 0.99, kind
        assert report["per_type"][kind]["precision"] >= 0.99, kind


def test_cli_prints_json(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--n", "50", "--seed", "1"])
    report = json.loads(capsys.readouterr().out)
    assert report["n_samples"] == 50 and report["match"] == "exact"
