"""Question condensation: rewrite a follow-up ("那运费呢？", "how much is it?") into a standalone query.

Retrieval sees one query, not the conversation, so a follow-up retrieved as written finds nothing or the
wrong document: the most common failure of RAG bots. The rules here fill the gap from the dialogue state
(the product slot, the current topic, the last standalone question). An optional ``rewrite`` hook (for
instance an LLM prompt) may be tried first; the rules are the fallback.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from .lexicon import DEFAULT_LEXICON, Lexicon
from .slots import extract_slots
from .smalltalk import small_talk_kind
from .state import DialogueState
from .topics import detect_topic

__all__ = ["Rewriter", "condense_question", "is_follow_up"]

Rewriter = Callable[[str, DialogueState], "str | None"]
"""Hook signature for a model-based rewrite: ``(text, state) -> standalone query or None``."""

_CJK = re.compile(r"[\u4e00-\u9fff]")
_ZH_LEAD = re.compile(r"^(?:那如果|那要是|那么|那|还有|另外|然后|再问一下|还想问|顺便问下?|如果是)[，,\s]*")
_ZH_TAIL = re.compile(r"[呢吗啊呀哦嘛]*[？?。.！!\s]*$")
_ZH_PRONOUN = re.compile(r"它们|它的|它|这个|那个|这件|那件|这款|那款|该商品|这东西|这个东西|这一单|这单")
_ZH_QUESTION_START = re.compile(r"^(?:要|多|几|怎|能|可以|会|需要|是|有|用|算|包|收|退|给|谁|什么|哪)")
_EN_LEAD = re.compile(r"^(?:what about|how about|and what about|and|what if|also)\s+", re.IGNORECASE)
_EN_PRONOUN = re.compile(r"\b(?:it|that|this one|this|them|they)\b", re.IGNORECASE)
_EN_TAIL = re.compile(r"[?.!\s]*$")
_SHORT_ZH = 8
_SHORT_EN_WORDS = 5


def _is_zh(text: str) -> bool:
    return bool(_CJK.search(text))


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def is_follow_up(text: str, state: DialogueState, *, lexicon: Lexicon = DEFAULT_LEXICON) -> bool:
    """Whether ``text`` only makes sense with the conversation before it.

    True for elliptical questions ("那运费呢", "what about returns?"), pronouns with no product named
    ("它能保修吗", "how much is it?") and short questions with neither topic nor product ("要多久？"),
    and only when there is an earlier question to lean on.

    Examples
    --------
    >>> state = DialogueState(last_query="耳机可以退货吗", topic="returns", slots={"product": "耳机"})
    >>> [is_follow_up(t, state) for t in ("那运费呢？", "它能保修吗", "要多久？", "发票怎么开？", "谢谢")]
    [True, True, True, False, False]
    >>> is_follow_up("那运费呢？", DialogueState())
    False
    """
    if not state.last_query:
        return False
    folded = _fold(text)
    if not folded or small_talk_kind(folded) is not None:
        return False
    has_product = "product" in extract_slots(folded, lexicon=lexicon)
    has_topic = detect_topic(folded, lexicon=lexicon) is not None
    if _is_zh(folded):
        core = _ZH_TAIL.sub("", folded)
        if _ZH_LEAD.match(folded) and (folded.rstrip("？?。 ").endswith("呢") or len(core) <= 12):
            return True
        if folded.rstrip("？?。 ").endswith("呢") and len(core) <= 10:
            return True
        if _ZH_PRONOUN.search(folded) and not has_product:
            return True
        return len(core) <= _SHORT_ZH and not has_topic and not has_product
    if _EN_LEAD.match(folded):
        return True
    if _EN_PRONOUN.search(folded) and not has_product:
        return True
    return len(folded.split()) <= _SHORT_EN_WORDS and not has_topic and not has_product


def _product_name(product: str, zh: bool, lexicon: Lexicon) -> str:
    if zh:
        return product
    forms = lexicon.products.get(product, ())
    english = next((form for form in forms if form.isascii()), None)
    return f"the {english}" if english else product


def _topic_label(name: str | None, zh: bool, lexicon: Lexicon) -> str:
    if name is None:
        return ""
    try:
        topic = lexicon.topic(name)
    except KeyError:
        return name
    return topic.label_zh if zh else topic.label_en


def condense_question(
    text: str,
    state: DialogueState,
    *,
    rewrite: Rewriter | None = None,
    lexicon: Lexicon = DEFAULT_LEXICON,
) -> str:
    """``text`` as a standalone query; unchanged when it already is one.

    Parameters
    ----------
    text
        The (masked) customer message.
    state
        The dialogue state *before* this message (its ``last_query``, ``topic`` and ``product`` slot).
    rewrite
        Optional model-based rewriter tried first for follow-ups; an empty or ``None`` result falls back
        to the rules.
    lexicon
        Word lists for products and topics.

    Examples
    --------
    >>> state = DialogueState(last_query="耳机可以退货吗", topic="returns", slots={"product": "耳机"})
    >>> condense_question("那运费呢？", state)
    '耳机退货的运费是怎样的？'
    >>> condense_question("它能保修吗", state)
    '耳机能保修吗'
    >>> condense_question("要多久？", state)
    '耳机退货要多久？'
    >>> condense_question("发票怎么开？", state)
    '发票怎么开？'
    >>> en = DialogueState(locale="en", last_query="can I return my laptop?", topic="returns",
    ...                    slots={"product": "笔记本电脑"})
    >>> condense_question("how much is it?", en), condense_question("what about refunds?", en)
    ('how much is the laptop?', 'what about refunds for the laptop?')
    """
    if not is_follow_up(text, state, lexicon=lexicon):
        return text
    if rewrite is not None:
        rewritten = rewrite(text, state)
        if rewritten and rewritten.strip():
            return rewritten.strip()
    folded = _fold(text)
    zh = _is_zh(folded)
    product = state.slots.get("product")
    product_name = _product_name(product, zh, lexicon) if product else ""
    own_topic = detect_topic(folded, lexicon=lexicon)
    # An elliptical follow-up inherits the previous topic ("耳机可以退货吗" + "那运费呢" = return shipping)
    # unless it names that same topic itself.
    topic_label = "" if own_topic == state.topic else _topic_label(state.topic, zh, lexicon)
    if zh:
        return _condense_zh(folded, product_name, topic_label)
    return _condense_en(folded, product_name, topic_label)


def _condense_zh(text: str, product: str, topic: str) -> str:
    pronoun = _ZH_PRONOUN.search(text)
    if pronoun:
        subject = product or topic
        return text[: pronoun.start()] + subject + text[pronoun.end() :] if subject else text
    subject = product + topic
    if not subject:
        return text
    core = _ZH_TAIL.sub("", _ZH_LEAD.sub("", text))
    if not core:
        return text
    if _ZH_QUESTION_START.match(core):
        return f"{subject}{core}？"
    return f"{subject}的{core}是怎样的？"


def _condense_en(text: str, product: str, topic: str) -> str:
    subject = product or topic
    if not subject:
        return text
    lead = _EN_LEAD.match(text)
    if lead:
        aspect = _EN_TAIL.sub("", text[lead.end() :])
        return f"{lead.group(0).strip()} {aspect} for {subject}?" if product else f"{aspect} of {topic}?"
    if _EN_PRONOUN.search(text):
        return _EN_PRONOUN.sub(subject, text, count=1)
    return f"{_EN_TAIL.sub('', text)} ({subject})?"
