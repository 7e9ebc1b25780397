"""A/B experiments per tenant: configuration and stable assignment of conversations (or users) to variants.

The responder asks :meth:`ExperimentBook.assign` for a tenant's conversation; it gets the variant's parameters
(generator profile, cache threshold, hand-off threshold, ...) and the tag ``experiment:variant`` to record in
``BotReply.variant``. Assignment hashes the unit id with the experiment name, so it is stable across workers,
restarts and replays and independent between experiments.

Configuration file (JSON, or YAML when PyYAML is installed), path given by a setting::

    {"experiments": [{"name": "gen-profile", "tenant_id": "acme", "unit": "conversation",
                      "variants": [{"name": "control", "weight": 1, "params": {"generator_profile": "fast"}},
                                   {"name": "quality", "weight": 1, "params": {"generator_profile": "quality"}}]}]}
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

__all__ = ["Assignment", "Experiment", "ExperimentBook", "Variant", "assign_variant", "load_experiments"]

ParamValue = str | float | int | bool


@dataclass(frozen=True, slots=True)
class Variant:
    """One arm: its name, relative weight and the parameters it sets."""

    name: str
    weight: float = 1.0
    params: Mapping[str, ParamValue] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Experiment:
    """An experiment of one tenant. The first variant is the control the report compares the others with."""

    name: str
    tenant_id: str
    variants: tuple[Variant, ...]
    unit: Literal["conversation", "user"] = "conversation"
    enabled: bool = True

    def __post_init__(self) -> None:
        if len(self.variants) < 2:
            raise ValueError(f"experiment {self.name!r} needs at least two variants")
        if len({v.name for v in self.variants}) != len(self.variants):
            raise ValueError(f"experiment {self.name!r} has two variants with one name")
        if any(v.weight < 0 for v in self.variants) or sum(v.weight for v in self.variants) <= 0:
            raise ValueError(f"experiment {self.name!r}: weights must be >= 0 with a positive sum")
        if ":" in self.name or any(":" in v.name for v in self.variants):
            raise ValueError("experiment and variant names cannot contain ':' (the tag separator)")

    @property
    def control(self) -> str:
        return self.variants[0].name


def _unit_interval(experiment: str, unit_id: str) -> float:
    digest = hashlib.sha256(f"{experiment}\x00{unit_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def assign_variant(experiment: Experiment, unit_id: str) -> Variant:
    """The variant of ``unit_id``: a stable hash of experiment name and id, split by the weights.

    >>> exp = Experiment("cache", "acme", (Variant("control"), Variant("low", params={"cache_threshold": 0.8})))
    >>> [assign_variant(exp, f"conv-{i}").name for i in range(6)]
    ['control', 'control', 'control', 'control', 'low', 'control']
    >>> assign_variant(exp, "conv-0") == assign_variant(exp, "conv-0")
    True
    """
    point = _unit_interval(experiment.name, unit_id) * sum(v.weight for v in experiment.variants)
    for variant in experiment.variants:
        if point < variant.weight:
            return variant
        point -= variant.weight
    return experiment.variants[-1]


@dataclass(frozen=True, slots=True)
class Assignment:
    """What the responder uses: the parameters to apply and the tag for ``BotReply.variant``."""

    experiment: str
    variant: str
    params: Mapping[str, ParamValue]

    @property
    def tag(self) -> str:
        return f"{self.experiment}:{self.variant}"


class ExperimentBook:
    """The enabled experiments, at most one per tenant (``BotReply.variant`` holds one tag)."""

    def __init__(self, experiments: Sequence[Experiment] = ()) -> None:
        self._by_tenant: dict[str, Experiment] = {}
        self._by_name: dict[str, Experiment] = {}
        for experiment in experiments:
            if experiment.name in self._by_name:
                raise ValueError(f"two experiments named {experiment.name!r}")
            self._by_name[experiment.name] = experiment
            if not experiment.enabled:
                continue
            if experiment.tenant_id in self._by_tenant:
                raise ValueError(f"tenant {experiment.tenant_id!r} has two enabled experiments")
            self._by_tenant[experiment.tenant_id] = experiment

    def get(self, name: str) -> Experiment | None:
        return self._by_name.get(name)

    def assign(self, tenant_id: str, *, conversation_id: str, user_id: str | None = None) -> Assignment | None:
        """The tenant's running experiment's assignment for this conversation, or ``None`` without one.

        >>> book = ExperimentBook([Experiment("handoff", "acme", (Variant("control"), Variant("strict")))])
        >>> book.assign("acme", conversation_id="c1").tag, book.assign("other", conversation_id="c1")
        ('handoff:control', None)
        """
        experiment = self._by_tenant.get(tenant_id)
        if experiment is None:
            return None
        unit_id = user_id if experiment.unit == "user" and user_id else conversation_id
        variant = assign_variant(experiment, unit_id)
        return Assignment(experiment.name, variant.name, dict(variant.params))


def _experiment(raw: Mapping[str, Any]) -> Experiment:
    variants = tuple(
        Variant(str(v["name"]), float(v.get("weight", 1.0)), dict(v.get("params", {}))) for v in raw["variants"]
    )
    unit = raw.get("unit", "conversation")
    if unit not in ("conversation", "user"):
        raise ValueError(f"experiment {raw.get('name')!r}: unit must be 'conversation' or 'user'")
    return Experiment(str(raw["name"]), str(raw["tenant_id"]), variants, unit, bool(raw.get("enabled", True)))


def load_experiments(path: Path) -> ExperimentBook:
    """Read the experiments file (``.json``, or ``.yaml``/``.yml`` with PyYAML installed)."""
    text = path.read_text(encoding="utf-8")
    if path.suffix in (".yaml", ".yml"):
        import yaml

        document = yaml.safe_load(text)
    else:
        document = json.loads(text)
    try:
        return ExperimentBook([_experiment(raw) for raw in document.get("experiments", [])])
    except (KeyError, TypeError) as error:
        raise ValueError(f"{path}: malformed experiment ({error!r})") from error
