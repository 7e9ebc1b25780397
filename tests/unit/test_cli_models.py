"""`kefu train | predict | eval` for intent, sentiment and PII, through the real command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kefu.cli import app
from processors.intent.default import SAMPLE_DATA_DIR

runner = CliRunner()
SENTIMENT_SAMPLE = (
    Path(__file__).resolve().parents[2] / "processors" / "sentiment" / "sample_data" / "polarity_train.jsonl"
)


def lines(output: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def test_predict_pii_gives_masked_text_and_spans_per_line() -> None:
    stdin = '{"text": "电话13812345678"}\n{"text": "订单号2024052112345678"}\n'
    result = runner.invoke(app, ["predict", "pii"], input=stdin)
    assert result.exit_code == 0, result.output
    first, second = lines(result.stdout)
    assert first == {
        "masked": "电话[PHONE_1]",
        "entities": [{"type": "PHONE", "start": 2, "end": 13, "placeholder": "[PHONE_1]"}],
    }
    assert second == {"masked": "订单号2024052112345678", "entities": []}


def test_bad_lines_get_an_error_in_place_and_do_not_stop_the_rest() -> None:
    stdin = 'not json\n{"no_text": 1}\n{"text": "我要退货"}\n'
    result = runner.invoke(app, ["predict", "intent"], input=stdin)
    assert result.exit_code == 0, result.output
    bad, missing, good = lines(result.stdout)
    assert "not JSON" in str(bad["error"]) and "text" in str(missing["error"])
    assert good["intent"] == "return_refund"
    assert set(good) >= {"intent", "confidence", "intents"}


def test_predict_sentiment_fields() -> None:
    result = runner.invoke(
        app, ["predict", "sentiment"], input='{"text": "太慢了，气死我了！"}\n{"text": "发票怎么开"}\n'
    )
    assert result.exit_code == 0, result.output
    angry, question = lines(result.stdout)
    assert angry["polarity"] == "negative" and angry["emotion"] == "angry"
    assert question["polarity"] == "neutral"
    assert -1.0 <= float(str(angry["score"])) <= 1.0


@pytest.mark.parametrize("numeric_labels", [False, True])
def test_train_then_eval_intent_round_trip(tmp_path: Path, numeric_labels: bool) -> None:
    rows = [json.loads(line) for line in (SAMPLE_DATA_DIR / "intents.jsonl").read_text(encoding="utf-8").splitlines()]
    if numeric_labels:  # the CIC shape: numeric ids with descriptions, evaluated on a file with ids only
        ids = {label: str(i) for i, label in enumerate(sorted({r["label"] for r in rows}))}
        train = [{"sentence": r["text"], "label": ids[r["label"]], "label_des": f"意图{r['label']}"} for r in rows]
        test = [{"sentence": r["text"], "label": ids[r["label"]]} for r in rows]
    else:
        train = test = rows
    (tmp_path / "train.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in train), encoding="utf-8")
    (tmp_path / "test").mkdir()
    (tmp_path / "test" / "t.jsonl").write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in test), encoding="utf-8"
    )
    trained = runner.invoke(
        app, ["train", "intent", "--data", str(tmp_path / "train.jsonl"), "--out", str(tmp_path / "m")]
    )
    assert trained.exit_code == 0, trained.output
    assert json.loads(trained.stdout)["examples"] == len(rows)
    scored = runner.invoke(
        app, ["eval", "intent", "--data", str(tmp_path / "test" / "t.jsonl"), "--model", str(tmp_path / "m")]
    )
    assert scored.exit_code == 0, scored.output
    figures = json.loads(scored.stdout)
    assert {"accuracy", "macro_f1", "micro_f1"} <= set(figures)
    assert figures["accuracy"] > 0.9  # scored on its own training data: ids must map back to the labels


def test_train_and_eval_sentiment(tmp_path: Path) -> None:
    trained = runner.invoke(app, ["train", "sentiment", "--data", str(SENTIMENT_SAMPLE), "--out", str(tmp_path / "s")])
    assert trained.exit_code == 0, trained.output
    scored = runner.invoke(app, ["eval", "sentiment", "--data", str(SENTIMENT_SAMPLE), "--model", str(tmp_path / "s")])
    assert scored.exit_code == 0, scored.output
    figures = json.loads(scored.stdout)
    assert figures["accuracy"] > 0.8 and {"macro_f1", "micro_f1"} <= set(figures)


def test_train_intent_refuses_a_single_label(tmp_path: Path) -> None:
    data = tmp_path / "one.jsonl"
    data.write_text('{"text": "a", "label": "x"}\n{"text": "b", "label": "x"}\n', encoding="utf-8")
    result = runner.invoke(app, ["train", "intent", "--data", str(data), "--out", str(tmp_path / "m")])
    assert result.exit_code == 2
    assert "two labels" in result.stderr
