"""From a probability and the message's cues to a three-way polarity and a score in [-1, 1].

The review corpora have two classes only, so "neutral" is decided here, by two rules:

1. A question, request or greeting with no sentiment cue and no shouting is neutral. Reviews never ask
   "请问我的快递到哪了", so whatever the model says about such a text reflects its topic words (快递,
   退货 occur mostly in complaints), not the writer's attitude. Its score is shrunk by
   ``REQUEST_SCORE_SHRINK`` so it stays near 0 for anyone ranking by score.
2. A message with no cue whose probability is within ``half_width`` of 0.5 is neutral: the model cannot
   tell, and nothing in the text says otherwise. The width is calibrated per model on the shipped
   customer-service calibration set (see :mod:`.calibration`).
3. A message with a cue (a complaint, thanks, urgency, shouting) states an attitude: the sign of its
   score decides. A review-trained model is often unsure about short chat messages, and a band would
   otherwise swallow "谢谢客服，你们服务真好".
"""

from __future__ import annotations

from processors.sentiment.cues import MessageCues
from processors.sentiment.types import Polarity

REQUEST_SCORE_SHRINK = 0.25


def is_plain_request(cues: MessageCues) -> bool:
    """A question/request/greeting that carries no sentiment cue and is not shouted."""
    return cues.is_request and cues.polar_cue_count == 0 and not cues.shouting


def decide_polarity(probability: float, cues: MessageCues, half_width: float) -> tuple[Polarity, float]:
    """Polarity and score (``2 * probability - 1``, shrunk for plain requests).

    Examples
    --------
    >>> from processors.sentiment.cues import find_cues
    >>> decide_polarity(0.1, find_cues("发票怎么开"), 0.15)
    ('neutral', -0.2)
    >>> decide_polarity(0.1, find_cues("质量太差了"), 0.15)[0]
    'negative'
    """
    score = 2.0 * probability - 1.0
    if is_plain_request(cues):
        return "neutral", score * REQUEST_SCORE_SHRINK
    has_cue = cues.polar_cue_count > 0 or cues.shouting
    if not has_cue and abs(probability - 0.5) < half_width:
        return "neutral", score
    return ("positive" if score > 0 else "negative"), score
