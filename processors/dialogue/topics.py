"""Which knowledge-base topic a message is about (returns, refunds, shipping, ...)."""

from __future__ import annotations

import re
import unicodedata

from .lexicon import DEFAULT_LEXICON, Lexicon

__all__ = ["detect_topic"]

_ASCII = re.compile(r"^[a-z ]+$")


def detect_topic(text: str, intent: str | None = None, *, lexicon: Lexicon = DEFAULT_LEXICON) -> str | None:
    """The topic named last in ``text``, else the topic of ``intent``, else ``None``.

    Keywords beat the intent label: a keyword is what the customer wrote, the label is a guess.

    Examples
    --------
    >>> detect_topic("退货以后发票怎么办？")
    'invoices'
    >>> detect_topic("退货的运费谁出"), detect_topic("运费怎么算？")
    ('returns', 'shipping')
    >>> detect_topic("how long does a refund take")
    'refunds'
    >>> detect_topic("到哪了", intent="where_is_my_order")
    'shipping'
    >>> detect_topic("你好") is None
    True
    """
    folded = unicodedata.normalize("NFKC", text).lower()
    best: tuple[int, int] | None = None
    found: str | None = None
    for topic in lexicon.topics:
        for keyword in topic.keywords:
            pattern = re.escape(keyword)
            if _ASCII.match(keyword):
                pattern = rf"(?<![a-z]){pattern}"
            for match in re.finditer(pattern, folded):
                rank = (match.end(), len(keyword))
                if best is None or rank > best:
                    best, found = rank, topic.name
    if found is None and intent is not None:
        found = lexicon.intent_topics.get(intent)
    return found
