"""The pure parts of `kefu bench load`: simulated conversations and the client-side summary."""

from __future__ import annotations

import random

from processors.pii import mask_pii
from serving.loadtest.scripts import conversation_turns
from serving.loadtest.stats import Turn, percentile, summarize


def test_every_turn_of_a_conversation_differs_so_none_is_dropped_as_a_near_duplicate() -> None:
    for seed in range(200):
        for turns in (1, 4, 30):
            texts = conversation_turns(random.Random(seed), turns)
            assert len(texts) == turns and len(set(texts)) == turns


def test_conversations_mix_chinese_and_english_and_some_carry_pii() -> None:
    openers = [conversation_turns(random.Random(seed), 1)[0] for seed in range(300)]
    english = [t for t in openers if t.isascii()]
    assert 0.1 < len(english) / len(openers) < 0.7
    with_pii = [t for t in openers if mask_pii(t).entities]
    assert 0.2 < len(with_pii) / len(openers) < 0.9


def test_same_seed_same_conversation() -> None:
    assert conversation_turns(random.Random(3), 5) == conversation_turns(random.Random(3), 5)


def test_percentiles_are_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert (percentile(values, 0.5), percentile(values, 0.95), percentile(values, 0.99)) == (50.0, 95.0, 99.0)
    assert percentile([7.0], 0.99) == 7.0
    assert percentile([], 0.5) is None


def test_summary_counts_replies_errors_5xx_and_429_apart() -> None:
    turns = [
        Turn("a", 200, 120.0, False),
        Turn("b", 200, 80.0, True),
        Turn("c", 429, 2.0, False),
        Turn("d", 504, 60000.0, False),
        Turn("e", 0, 5.0, False),
    ]
    summary = summarize(turns, elapsed_s=10.0)
    assert summary["turns_sent"] == 5 and summary["replies_received"] == 2 and summary["handoffs"] == 1
    assert summary["throughput_replies_per_s"] == 0.2
    assert summary["latency_ms"] == {"p50": 80.0, "p95": 120.0, "p99": 120.0, "max": 120.0}
    assert summary["errors_by_status"] == {"429": 1, "504": 1, "transport": 1}
    assert (summary["status_5xx"], summary["status_429"]) == (1, 1)
