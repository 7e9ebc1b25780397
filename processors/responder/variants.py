"""What an A/B assignment changes in the responder: generator profile, cache threshold, hand-off threshold.

An experiment's variant sets any of ``generator_profile`` (``quality``/``fast``), ``cache_threshold`` (cosine
from which a cached answer is reused) and ``handoff_threshold`` (the retrieval confidence below which the bot
does not answer: the policy's answer threshold). Other parameters are ignored here (a report may use them).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from processors.experiments import Assignment

from .policy import PolicyConfig

__all__ = ["VariantSettings", "apply_assignment"]


@dataclass(frozen=True)
class VariantSettings:
    policy: PolicyConfig
    generator_profile: str | None = None
    """Overrides the routed profile when set."""
    cache_threshold: float | None = None
    """Overrides the configured cache threshold when set."""
    tag: str | None = None
    """``experiment:variant`` for ``BotReply.variant``; ``None`` outside any experiment."""


def apply_assignment(policy: PolicyConfig, assignment: Assignment | None) -> VariantSettings:
    """The responder's settings for one conversation under ``assignment`` (or the defaults without one).

    >>> from processors.experiments import Assignment
    >>> v = apply_assignment(PolicyConfig(), Assignment("gen", "fast", {"generator_profile": "fast",
    ...     "handoff_threshold": 0.7, "cache_threshold": 0.9}))
    >>> v.tag, v.generator_profile, v.policy.answer_threshold, v.cache_threshold
    ('gen:fast', 'fast', 0.7, 0.9)
    >>> apply_assignment(PolicyConfig(), None).tag is None
    True
    """
    if assignment is None:
        return VariantSettings(policy)
    params = assignment.params
    if "handoff_threshold" in params:
        policy = replace(policy, answer_threshold=float(params["handoff_threshold"]))
    profile = params.get("generator_profile")
    cache = params.get("cache_threshold")
    return VariantSettings(
        policy,
        generator_profile=str(profile) if profile is not None else None,
        cache_threshold=float(cache) if cache is not None else None,
        tag=assignment.tag,
    )
