"""Metric names a PromQL expression reads, and the names Kefu's code exports, to keep rules and code in step."""

from __future__ import annotations

import re

from prometheus_client import REGISTRY

PROMQL_KEYWORDS = frozenset(
    {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool", "offset"}
)
BUILTIN_SERIES = frozenset({"up"})  # written by Prometheus itself for every scrape target


def metric_names(expr: str) -> set[str]:
    """Series names in ``expr``: identifiers that are not functions, keywords, labels, durations or strings.

    >>> sorted(metric_names('sum by (le) (rate(a_total{x="y"}[5m])) / on(job) b:rec and up == 0'))
    ['a_total', 'b:rec', 'up']
    """
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # strings
    text = re.sub(r"\{[^}]*\}", "", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", "", text)  # ranges and subqueries
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", text)  # label lists
    text = re.sub(r"\$\w+|\$\{[^}]*\}", "", text)  # Grafana variables
    names = set()
    for match in re.finditer(r"(?<![\w.])([A-Za-z_:][\w:]*)(\s*\()?", text):
        name, call = match.group(1), match.group(2)
        if call or name in PROMQL_KEYWORDS or re.fullmatch(r"\d+[smhdwy]|e\d+|Inf|NaN", name):
            continue
        names.add(name)
    return names


def exported_names() -> set[str]:
    """Every sample name the worker and API metric modules register (counters' _total, histograms' _bucket...)."""
    import serving.api.metrics  # noqa: F401
    import streams.metrics  # noqa: F401  # importing registers the metrics: that is the point

    return set(REGISTRY._names_to_collectors) | BUILTIN_SERIES
