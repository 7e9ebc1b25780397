"""A/B experiments: stable weighted assignment, configuration files, and the report's statistics and verdicts."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jobs.ab_report import ab_report, two_proportion_test, welch_test
from kefu.cli import app
from processors.experiments import Experiment, ExperimentBook, Variant, assign_variant, load_experiments


def test_assignment_follows_the_weights_and_is_stable() -> None:
    experiment = Experiment("gen", "acme", (Variant("control", 3.0), Variant("quality", 1.0)))
    counts = Counter(assign_variant(experiment, f"conv-{i}").name for i in range(20_000))
    assert counts["quality"] / 20_000 == pytest.approx(0.25, abs=0.01)
    renamed = Experiment("other", "acme", experiment.variants)
    same = sum(assign_variant(experiment, f"c{i}") == assign_variant(renamed, f"c{i}") for i in range(2000))
    assert 1100 < same < 1400  # independent experiments: agreement near 0.75^2 + 0.25^2 = 0.625


def test_user_unit_keeps_a_user_in_one_arm_across_conversations(tmp_path: Path) -> None:
    path = tmp_path / "experiments.json"
    path.write_text(json.dumps({"experiments": [
        {"name": "handoff", "tenant_id": "acme", "unit": "user",
         "variants": [{"name": "control"}, {"name": "strict", "params": {"handoff_threshold": 0.7}}]},
        {"name": "old", "tenant_id": "acme", "enabled": False, "variants": [{"name": "a"}, {"name": "b"}]},
    ]}))  # fmt: skip
    book = load_experiments(path)
    tags = {book.assign("acme", conversation_id=f"c{i}", user_id="u7").tag for i in range(50)}  # type: ignore[union-attr]
    assert len(tags) == 1
    assert book.assign("globex", conversation_id="c1") is None


def test_bad_configurations_are_refused() -> None:
    with pytest.raises(ValueError, match="two variants"):
        Experiment("x", "acme", (Variant("a"), Variant("a")))
    with pytest.raises(ValueError, match="two enabled experiments"):
        ExperimentBook(
            [
                Experiment("x", "acme", (Variant("a"), Variant("b"))),
                Experiment("y", "acme", (Variant("a"), Variant("b"))),
            ]
        )


def test_two_proportion_test_matches_the_textbook() -> None:
    result = two_proportion_test("contained", ("control", 400, 1000), ("b", 460, 1000))
    assert result.statistic == pytest.approx(2.7100, abs=1e-3)  # pooled p 0.43, se 0.02214
    assert result.p_value == pytest.approx(0.0067, abs=2e-4)
    assert result.verdict == "variant higher"
    assert result.ci_low is not None and result.ci_high is not None and 0 < result.ci_low < 0.06 < result.ci_high


def test_small_arms_get_not_enough_data_and_the_sample_size_needed() -> None:
    result = two_proportion_test("handoff", ("control", 5, 40), ("b", 12, 40), min_n=100)
    assert result.verdict == "not enough data (fewer than 100 per arm)"
    assert result.p_value is None
    assert result.needed_per_arm == 800  # to see 12.5 % -> 17.5 % at 80 % power
    assert result.needed_per_arm_observed is not None and result.needed_per_arm_observed < 800


def test_welch_test_on_csat() -> None:
    rng = random.Random(0)
    control = [float(rng.choice([3, 4, 5])) for _ in range(300)]
    better = [float(rng.choice([4, 5, 5])) for _ in range(300)]
    result = welch_test("csat", ("control", control), ("b", better))
    assert result.verdict == "variant higher"
    assert result.ci_low is not None and result.difference is not None and result.ci_low < result.difference


def test_report_compares_every_variant_with_the_control_and_the_cli_prints_it(tmp_path: Path) -> None:
    rng = random.Random(1)
    rows = []
    for i in range(600):
        variant = ["control", "quality"][i % 2]
        contained = rng.random() < (0.5 if variant == "control" else 0.62)
        rows.append({"variant": f"gen:{variant}", "contained": int(contained), "handoff": int(not contained),
                     "csat": rng.choice([None, 3, 4, 5])})  # fmt: skip
    rows.append({"variant": "other:x", "contained": 1, "handoff": 0, "csat": None})
    report = ab_report(rows, "gen")
    assert report["arms"] == {"control": 300, "quality": 300}
    verdicts = {c["metric"]: c["verdict"] for c in report["comparisons"]}
    assert verdicts["contained"] == "variant higher"
    assert verdicts["handoff"] == "variant lower"
    assert verdicts["csat"] == "no significant difference"
    path = tmp_path / "replies.jsonl"
    path.write_text("\n".join(json.dumps(row) for row in rows))
    result = CliRunner().invoke(app, ["ab", "report", "gen", "--data", str(path)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["comparisons"] == report["comparisons"]
