"""Turn cues plus the polarity score into one customer-service emotion and a confidence.

Each emotion gets an evidence score; the confidence is the softmax probability of the winner, so it rises
with the amount of agreeing evidence: one "谢谢" on a positive message gives about 0.8, "太感谢了，问题解决了"
about 0.97, a message with no cues at all stays neutral near 0.5.
"""

from __future__ import annotations

import math

from processors.sentiment.cues import MessageCues
from processors.sentiment.types import EMOTIONS, Emotion

NEUTRAL_BASELINE = 1.0
"""Evidence neutral starts with: another emotion must beat one clear cue's worth to be chosen."""

REQUEST_BONUS = 0.5
"""A plain question or request with no cue is extra evidence for neutral."""

POLARITY_COUPLING = 1.0
"""How much the polarity score (in [-1, 1]) moves angry (down for positive scores, up for negative) and
satisfied (the other way).

At most 1.0, the neutral baseline, so a merely disappointed review without anger words stays neutral
rather than angry, while it tips a message that already has one weak cue; and a "谢谢" in a message that
is negative overall ("谢谢，不过问题还没解决") is not enough for satisfied.
"""

SHOUTING_WEIGHT = 2.0
EXCLAMATION_WEIGHT = 0.6
REPEATED_QUESTION_WEIGHT = 0.6


def emotion_evidence(cues: MessageCues, score: float) -> dict[Emotion, float]:
    """Evidence for each emotion, the inputs of the softmax."""
    emphasis = EXCLAMATION_WEIGHT if cues.exclamations else 0.0
    return {
        "angry": cues.angry
        - POLARITY_COUPLING * score
        + (SHOUTING_WEIGHT if cues.shouting else 0.0)
        + (emphasis if score < 0 else 0.0),
        "anxious": cues.anxious + (REPEATED_QUESTION_WEIGHT if cues.repeated_questions else 0.0),
        "satisfied": cues.satisfied + POLARITY_COUPLING * score + (emphasis if score > 0 else 0.0),
        "neutral": NEUTRAL_BASELINE + (REQUEST_BONUS if cues.is_request and cues.polar_cue_count == 0 else 0.0),
    }


def infer_emotion(cues: MessageCues, score: float) -> tuple[Emotion, float]:
    """The most supported emotion and its softmax probability.

    Ties go to the earlier entry of ``EMOTIONS`` (angry, anxious, satisfied, neutral): when anger and
    impatience are equally supported, the agent should hear about the anger.

    Examples
    --------
    >>> from processors.sentiment.cues import find_cues
    >>> infer_emotion(find_cues("气死我了"), -0.9)[0]
    'angry'
    >>> infer_emotion(find_cues("发票怎么开"), 0.0)[0]
    'neutral'
    """
    evidence = emotion_evidence(cues, score)
    top = max(evidence.values())
    weights = {emotion: math.exp(value - top) for emotion, value in evidence.items()}
    total = sum(weights.values())
    best = max(EMOTIONS, key=lambda emotion: (weights[emotion], -EMOTIONS.index(emotion)))
    return best, weights[best] / total
