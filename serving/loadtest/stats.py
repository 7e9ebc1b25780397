"""What the simulated clients saw, summarised: throughput, latency percentiles, errors by status.

Examples
--------
>>> percentile([10.0, 20.0, 30.0, 40.0], 0.5)
20.0
>>> summary = summarize([Turn("a", 200, 100.0, False), Turn("b", 503, 5.0, False), Turn("c", 429, 1.0, False)], 10.0)
>>> summary["replies_received"], summary["status_5xx"], summary["status_429"], summary["errors_by_status"]
(1, 1, 1, {'429': 1, '503': 1})
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

TRANSPORT_ERROR = "transport"  # no HTTP answer at all (refused, reset, client timeout)


@dataclass(frozen=True, slots=True)
class Turn:
    """One customer message sent: its id, the HTTP status (0 = no answer), latency, whether it was handed off, and
    whether the reply was silent (a human agent held the conversation, so the bot said nothing)."""

    message_id: str
    status: int
    latency_ms: float
    handoff: bool
    silent: bool = False


def percentile(values: Sequence[float], q: float) -> float | None:
    """The nearest-rank percentile (the value at rank ceil(q * n)); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q * len(ordered)))
    return ordered[rank - 1]


def summarize(turns: Sequence[Turn], elapsed_s: float) -> dict[str, Any]:
    ok = [t for t in turns if t.status == 200]
    latencies = [t.latency_ms for t in ok]
    errors = Counter(str(t.status) if t.status else TRANSPORT_ERROR for t in turns if t.status != 200)

    def rounded(value: float | None) -> float | None:
        return None if value is None else round(value, 1)

    return {
        "turns_sent": len(turns),
        "replies_received": len(ok),
        "handoffs": sum(t.handoff for t in ok),
        "silent_replies": sum(t.silent for t in ok),
        "throughput_replies_per_s": round(len(ok) / elapsed_s, 2) if elapsed_s > 0 else None,
        "latency_ms": {
            "p50": rounded(percentile(latencies, 0.50)),
            "p95": rounded(percentile(latencies, 0.95)),
            "p99": rounded(percentile(latencies, 0.99)),
            "max": rounded(max(latencies)) if latencies else None,
        },
        "errors_by_status": dict(sorted(errors.items())),
        "status_5xx": sum(1 for t in turns if 500 <= t.status < 600),
        "status_429": sum(1 for t in turns if t.status == 429),
    }
