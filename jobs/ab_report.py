"""``kefu ab report``: compare each variant of an experiment with its control on per-reply rows.

Rows (Parquet or JSONL, or :data:`AB_ROWS_SQL` on the ClickHouse store: one row per conversation): ``variant``
(``experiment:variant`` as in ``BotReply.variant``),
``contained`` (0/1: the conversation ended without a human), ``handoff`` (0/1), ``csat`` (1-5 or null). Rates get
a two-proportion z-test with a Newcombe (Wilson-score) interval for the difference; CSAT gets Welch's t-test with
its interval. Below ``min_n`` rows per arm the verdict is "not enough data", with the rows per arm needed to see
``min_effect`` (and the observed difference) at the chosen power. Rows are treated as independent: several replies
of one conversation are not, so prefer one row per conversation (its last reply) in the query.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from scipy import stats

__all__ = [
    "AB_ROWS_SQL",
    "ComparisonResult",
    "ab_report",
    "newcombe_interval",
    "read_reply_rows",
    "sample_size_means",
    "sample_size_proportions",
    "two_proportion_test",
    "welch_test",
    "wilson_interval",
]

RATE_METRICS = ("contained", "handoff")

AB_ROWS_SQL = """
WITH replies AS (
    SELECT conversation_id, argMax(variant, ts) AS last_variant, max(handoff_reason IS NOT NULL) AS replied_handoff
    FROM bot_replies FINAL
    WHERE startsWith(ifNull(variant, ''), {prefix:String}) AND ({tenant:String} = '' OR tenant_id = {tenant:String})
    GROUP BY conversation_id
),
handed AS (SELECT DISTINCT conversation_id FROM handoffs FINAL),
rated AS (
    SELECT conversation_id, argMax(csat, ts) AS last_csat
    FROM feedback FINAL WHERE csat IS NOT NULL GROUP BY conversation_id
)
SELECT r.conversation_id AS conversation_id, r.last_variant AS variant,
       toUInt8(NOT (r.replied_handoff OR h.conversation_id != '')) AS contained,
       toUInt8(r.replied_handoff OR h.conversation_id != '') AS handoff,
       c.last_csat AS csat
FROM replies AS r
LEFT JOIN handed AS h ON h.conversation_id = r.conversation_id
LEFT JOIN rated AS c ON c.conversation_id = r.conversation_id
ORDER BY conversation_id
"""
"""One row per conversation of an experiment (``prefix`` = ``EXPERIMENT:``): the variant of its last reply,
contained (no bot hand-off and no Handoff record), handoff, and its latest CSAT."""
DEFAULT_MIN_EFFECT = {"contained": 0.05, "handoff": 0.05, "csat": 0.2}


@dataclass(frozen=True, slots=True)
class ComparisonResult:
    """One metric, one variant against the control. ``difference`` is variant minus control."""

    metric: str
    control: str
    variant: str
    n_control: int
    n_variant: int
    control_value: float | None
    variant_value: float | None
    difference: float | None
    ci_low: float | None
    ci_high: float | None
    statistic: float | None
    p_value: float | None
    verdict: str
    needed_per_arm: int | None
    needed_per_arm_observed: int | None

    def to_dict(self) -> dict[str, Any]:
        return {key: (round(value, 6) if isinstance(value, float) else value) for key, value in asdict(self).items()}


def wilson_interval(successes: int, n: int, *, alpha: float = 0.05) -> tuple[float, float]:
    """Wilson score interval of a proportion.

    >>> tuple(round(x, 4) for x in wilson_interval(40, 100))
    (0.3094, 0.498)
    """
    if n == 0:
        return 0.0, 1.0
    z = float(stats.norm.ppf(1 - alpha / 2))
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def newcombe_interval(s1: int, n1: int, s2: int, n2: int, *, alpha: float = 0.05) -> tuple[float, float]:
    """Newcombe's hybrid score interval for ``p2 - p1`` (method 10), from the two Wilson intervals.

    >>> tuple(round(x, 4) for x in newcombe_interval(40, 100, 55, 100))
    (0.0117, 0.2804)
    """
    p1, p2 = s1 / n1, s2 / n2
    l1, u1 = wilson_interval(s1, n1, alpha=alpha)
    l2, u2 = wilson_interval(s2, n2, alpha=alpha)
    d = p2 - p1
    return d - math.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2), d + math.sqrt((u2 - p2) ** 2 + (p1 - l1) ** 2)


def sample_size_proportions(p: float, effect: float, *, alpha: float = 0.05, power: float = 0.8) -> int:
    """Rows per arm for a two-sided two-proportion z-test to detect ``p`` -> ``p + effect``.

    >>> sample_size_proportions(0.5, 0.05)
    1565
    """
    p2 = min(max(p + effect, 1e-6), 1 - 1e-6)
    p1 = min(max(p, 1e-6), 1 - 1e-6)
    z_a, z_b = float(stats.norm.ppf(1 - alpha / 2)), float(stats.norm.ppf(power))
    pooled = (p1 + p2) / 2
    numerator = z_a * math.sqrt(2 * pooled * (1 - pooled)) + z_b * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    return math.ceil(numerator**2 / (p2 - p1) ** 2)


def sample_size_means(sd: float, effect: float, *, alpha: float = 0.05, power: float = 0.8) -> int:
    """Rows per arm for a two-sided two-sample t-test (normal approximation) to detect a mean difference.

    >>> sample_size_means(1.0, 0.2)
    393
    """
    z_a, z_b = float(stats.norm.ppf(1 - alpha / 2)), float(stats.norm.ppf(power))
    return math.ceil(2 * ((z_a + z_b) * sd / abs(effect)) ** 2)


def _verdict(p_value: float, difference: float, alpha: float) -> str:
    if p_value < alpha:
        return "variant higher" if difference > 0 else "variant lower"
    return "no significant difference"


def two_proportion_test(
    metric: str,
    control: tuple[str, int, int],
    variant: tuple[str, int, int],
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    min_n: int = 100,
    min_effect: float = 0.05,
) -> ComparisonResult:
    """Two-sided pooled z-test of ``(name, successes, n)`` of variant against control."""
    (c_name, s1, n1), (v_name, s2, n2) = control, variant
    p1 = s1 / n1 if n1 else None
    p2 = s2 / n2 if n2 else None
    base = p1 if p1 is not None else 0.5
    needed = sample_size_proportions(base, min_effect, alpha=alpha, power=power)
    observed = (
        None if p1 is None or p2 is None or p1 == p2 else sample_size_proportions(p1, p2 - p1, alpha=alpha, power=power)
    )
    if min(n1, n2) < min_n or p1 is None or p2 is None:
        return ComparisonResult(
            metric,
            c_name,
            v_name,
            n1,
            n2,
            p1,
            p2,
            None if p1 is None or p2 is None else p2 - p1,
            None,
            None,
            None,
            None,
            f"not enough data (fewer than {min_n} per arm)",
            needed,
            observed,
        )
    pooled = (s1 + s2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    z = (p2 - p1) / se if se > 0 else 0.0
    p_value = float(2 * stats.norm.sf(abs(z)))
    low, high = newcombe_interval(s1, n1, s2, n2, alpha=alpha)
    return ComparisonResult(
        metric,
        c_name,
        v_name,
        n1,
        n2,
        p1,
        p2,
        p2 - p1,
        low,
        high,
        z,
        p_value,
        _verdict(p_value, p2 - p1, alpha),
        needed,
        observed,
    )


def welch_test(
    metric: str,
    control: tuple[str, Sequence[float]],
    variant: tuple[str, Sequence[float]],
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    min_n: int = 100,
    min_effect: float = 0.2,
) -> ComparisonResult:
    """Welch's two-sided t-test of variant against control means, with its confidence interval."""
    (c_name, a), (v_name, b) = control, variant
    n1, n2 = len(a), len(b)
    m1 = sum(a) / n1 if n1 else None
    m2 = sum(b) / n2 if n2 else None
    pooled_sd = float(stats.tstd([*a, *b])) if n1 + n2 >= 2 else 1.0
    pooled_sd = pooled_sd if pooled_sd > 0 else 1.0
    needed = sample_size_means(pooled_sd, min_effect, alpha=alpha, power=power)
    observed = (
        None
        if m1 is None or m2 is None or m1 == m2
        else sample_size_means(pooled_sd, m2 - m1, alpha=alpha, power=power)
    )
    difference = None if m1 is None or m2 is None else m2 - m1
    if min(n1, n2) < max(min_n, 2) or m1 is None or m2 is None or difference is None:
        return ComparisonResult(
            metric,
            c_name,
            v_name,
            n1,
            n2,
            m1,
            m2,
            difference,
            None,
            None,
            None,
            None,
            f"not enough data (fewer than {min_n} per arm)",
            needed,
            observed,
        )
    result = stats.ttest_ind(b, a, equal_var=False)
    interval = result.confidence_interval(confidence_level=1 - alpha)
    p_value = float(result.pvalue)
    if math.isnan(p_value):  # both arms constant and equal
        p_value = 1.0
    return ComparisonResult(
        metric,
        c_name,
        v_name,
        n1,
        n2,
        m1,
        m2,
        difference,
        float(interval.low),
        float(interval.high),
        float(result.statistic),
        p_value,
        _verdict(p_value, difference, alpha),
        needed,
        observed,
    )


def ab_report(
    rows: Iterable[Mapping[str, Any]],
    experiment: str,
    *,
    control: str | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
    min_n: int = 100,
    min_effect: Mapping[str, float] | None = None,
) -> dict[str, Any]:
    """Every non-control variant against the control on containment, hand-off rate and CSAT.

    ``control`` defaults to the variant named ``control``, else the first variant seen in sorted order.
    """
    effects = {**DEFAULT_MIN_EFFECT, **(min_effect or {})}
    arms: dict[str, list[Mapping[str, Any]]] = {}
    prefix = f"{experiment}:"
    for row in rows:
        tag = row.get("variant")
        if isinstance(tag, str) and tag.startswith(prefix):
            arms.setdefault(tag.removeprefix(prefix), []).append(row)
    names = sorted(arms)
    if not names:
        return {"experiment": experiment, "arms": {}, "comparisons": [], "verdict": "no rows for this experiment"}
    chosen = control or ("control" if "control" in arms else names[0])
    if chosen not in arms:
        raise ValueError(f"control variant {chosen!r} has no rows; variants seen: {names}")
    comparisons: list[dict[str, Any]] = []
    for name in (n for n in names if n != chosen):
        for metric in RATE_METRICS:
            c = [int(r[metric]) for r in arms[chosen] if r.get(metric) is not None]
            v = [int(r[metric]) for r in arms[name] if r.get(metric) is not None]
            comparisons.append(
                two_proportion_test(
                    metric,
                    (chosen, sum(c), len(c)),
                    (name, sum(v), len(v)),
                    alpha=alpha,
                    power=power,
                    min_n=min_n,
                    min_effect=effects[metric],
                ).to_dict()
            )
        c_csat = [float(r["csat"]) for r in arms[chosen] if r.get("csat") is not None]
        v_csat = [float(r["csat"]) for r in arms[name] if r.get("csat") is not None]
        comparisons.append(
            welch_test(
                "csat",
                (chosen, c_csat),
                (name, v_csat),
                alpha=alpha,
                power=power,
                min_n=min_n,
                min_effect=effects["csat"],
            ).to_dict()
        )
    return {
        "experiment": experiment,
        "control": chosen,
        "arms": {name: len(rows_of) for name, rows_of in sorted(arms.items())},
        "alpha": alpha,
        "power": power,
        "min_n": min_n,
        "comparisons": comparisons,
    }


def read_reply_rows(path: Path) -> list[dict[str, Any]]:
    """Rows from a Parquet or JSONL file."""
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        rows: list[dict[str, Any]] = pq.read_table(path).to_pylist()
        return rows
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
