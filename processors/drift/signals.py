"""From stream records to metric observations: one :class:`Signal` per (record, metric).

Only customer messages carry intent and sentiment (bot and agent text would pollute the metrics); a reply gives
the hand-off rate; feedback gives CSAT. Record times may be epoch milliseconds or the aware ``datetime`` that
fastavro decodes ``timestamp-millis`` into.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = [
    "NEGATIVE_EMOTIONS",
    "OovScorer",
    "Signal",
    "signals_from_enriched",
    "signals_from_enriched_batch",
    "signals_from_feedback",
    "signals_from_reply",
    "text_for_oov",
]

NEGATIVE_EMOTIONS = frozenset({"angry", "anxious"})
_PLACEHOLDER = re.compile(r"\[[A-Z_]+_\d+\]")

OovScorer = Callable[[Sequence[str]], Sequence[float]]
"""Texts -> share of unseen n-grams each, e.g. ``IntentModel.unseen_ngram_rate``."""


@dataclass(frozen=True, slots=True)
class Signal:
    """One observation of one metric for one tenant at event time ``ts`` (epoch milliseconds)."""

    tenant_id: str
    metric: str
    value: float
    ts: int


def _millis(ts: int | datetime) -> int:
    return int(ts.timestamp() * 1000) if isinstance(ts, datetime) else int(ts)


def text_for_oov(masked_text: str) -> str:
    """The masked text without PII placeholders, which are not the customer's words.

    >>> text_for_oov("我的电话是[PHONE_1]，快递到哪了")
    '我的电话是，快递到哪了'
    """
    return _PLACEHOLDER.sub("", masked_text)


def signals_from_enriched_batch(datums: Sequence[Mapping[str, Any]], *, oov: OovScorer | None = None) -> list[Signal]:
    """Signals of a batch of ``EnrichedEvent`` datums; the OOV scorer runs once for the whole batch.

    Tagged customer messages give ``intent_confidence``, ``unknown_intent_rate``, ``negative_emotion_rate`` and,
    with ``oov``, ``oov_rate``; anything else gives nothing.
    """
    tagged = [d for d in datums if d.get("role") == "customer" and d.get("intent") is not None]
    rates = list(oov([text_for_oov(str(d["text"])) for d in tagged])) if oov is not None and tagged else []
    signals: list[Signal] = []
    for index, datum in enumerate(tagged):
        tenant, ts = str(datum["tenant_id"]), _millis(datum["ts"])
        if datum.get("intent_confidence") is not None:
            signals.append(Signal(tenant, "intent_confidence", float(datum["intent_confidence"]), ts))
        signals.append(Signal(tenant, "unknown_intent_rate", float(datum["intent"] == "unknown"), ts))
        sentiment = datum.get("sentiment")
        if sentiment is not None:
            signals.append(
                Signal(tenant, "negative_emotion_rate", float(sentiment["emotion"] in NEGATIVE_EMOTIONS), ts)
            )
        if rates:
            signals.append(Signal(tenant, "oov_rate", float(rates[index]), ts))
    return signals


def signals_from_enriched(datum: Mapping[str, Any], *, oov: OovScorer | None = None) -> list[Signal]:
    """Signals of one ``EnrichedEvent`` datum (see :func:`signals_from_enriched_batch`).

    >>> datum = {"tenant_id": "acme", "role": "customer", "text": "直播间的券呢", "ts": 1000,
    ...          "intent": "unknown", "intent_confidence": 0.2, "sentiment": {"emotion": "angry"}}
    >>> [(s.metric, s.value) for s in signals_from_enriched(datum, oov=lambda texts: [0.5] * len(texts))]
    [('intent_confidence', 0.2), ('unknown_intent_rate', 1.0), ('negative_emotion_rate', 1.0), ('oov_rate', 0.5)]
    >>> signals_from_enriched({**datum, "role": "agent", "intent": None})
    []
    """
    return signals_from_enriched_batch([datum], oov=oov)


def signals_from_reply(datum: Mapping[str, Any]) -> list[Signal]:
    """``handoff_rate`` of one ``BotReply`` datum: 1 when it hands off.

    >>> [s.value for s in signals_from_reply({"tenant_id": "acme", "handoff": {"reason": "low_confidence"}, "ts": 5})]
    [1.0]
    """
    return [
        Signal(str(datum["tenant_id"]), "handoff_rate", float(datum.get("handoff") is not None), _millis(datum["ts"]))
    ]


def signals_from_feedback(datum: Mapping[str, Any]) -> list[Signal]:
    """``csat`` of one ``Feedback`` datum, when it carries a score.

    >>> signals_from_feedback({"tenant_id": "acme", "csat": 2, "ts": 5})
    [Signal(tenant_id='acme', metric='csat', value=2.0, ts=5)]
    >>> signals_from_feedback({"tenant_id": "acme", "csat": None, "ts": 5})
    []
    """
    if datum.get("csat") is None:
        return []
    return [Signal(str(datum["tenant_id"]), "csat", float(datum["csat"]), _millis(datum["ts"]))]
