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

__all__ = ["Rewriter", "condense_question", "is_follow_up", "retrieval_query", "slot_statement"]

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


_IDENTIFIER = re.compile(
    r"(?:订单编号|订单号码|订单号|运单号|快递单号|物流单号|单号|order\s*(?:number|no\.?|id|#)?|tracking\s*(?:number|no\.?)?)?"
    r"[\s:：#是为]*(?<![A-Za-z0-9])[A-Za-z]{0,4}\d{6,24}(?![A-Za-z0-9])|\[[A-Z]+_\d+\]",
    re.IGNORECASE,
)
_STATEMENT_FILLER = re.compile(
    r"订单号|订单|单号|运单号|快递单号|手机号|电话|号码|地址|邮箱|我的|我是|我|是|的|用|付|买|一件|一个|一台|一双|"
    r"不对|说错了|不是|改成|改为|换成|了|啊|哦|呢|吧|嗯|就|这个|那个|\bmy\b|\border\b|\bnumber\b|\bis\b|"
    r"\bit's\b|\bi\b|\bpaid\b|\bwith\b|\bby\b|\bthe\b|\ba\b|\bphone\b|[\s\W_\d]",
    re.IGNORECASE,
)
_QUESTION = re.compile(r"[?？吗]|怎么|多久|什么|能不能|可以|如何|几|哪|\b(?:how|what|when|can|could|where|why)\b", re.I)
_IDENTIFIER_SLOTS = frozenset({"order_id", "tracking_no", "phone", "address", "email", "name"})


def retrieval_query(query: str) -> str:
    """``query`` without order/tracking numbers and PII placeholders, which only add noise to retrieval.

    >>> retrieval_query("订单号KF20250520123456的耳机什么时候发货，电话[PHONE_1]")
    '的耳机什么时候发货，电话'
    """
    return " ".join(_IDENTIFIER.sub("", query).split())


def slot_statement(text: str, *, lexicon: Lexicon = DEFAULT_LEXICON) -> frozenset[str]:
    """The slots ``text`` states when stating them is all it does (no question), else an empty set.

    "订单号是KF20250520123456" and "我是用信用卡付的" are statements; "订单KF2025… 什么时候发货" is not.

    >>> sorted(slot_statement("订单号是KF20250520123456")), sorted(slot_statement("我是用信用卡付的"))
    (['order_id'], ['payment_method'])
    >>> slot_statement("订单KF20250520123456什么时候发货")
    frozenset()
    """
    slots = extract_slots(text, lexicon=lexicon)
    if not slots or _QUESTION.search(text):
        return frozenset()
    rest = _fold(_IDENTIFIER.sub(" ", text)).lower()
    for key in ("product", "reason", "payment_method", "invoice_type"):
        if key in slots:
            table = {
                "product": lexicon.products,
                "reason": lexicon.reasons,
                "payment_method": lexicon.payment_methods,
                "invoice_type": lexicon.invoice_types,
            }[key]
            for forms in table.values():
                for form in sorted(forms, key=len, reverse=True):
                    rest = rest.replace(form, " ")
    rest = re.sub(r"\d{1,2}月\d{1,2}[日号]|今天|昨天|前天|上周|上个月|元|块", " ", rest)
    return frozenset(slots) if len(_STATEMENT_FILLER.sub("", rest)) <= 2 else frozenset()


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
    '耳机退货的运费？'
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
    stated = slot_statement(text, lexicon=lexicon)
    if stated - _IDENTIFIER_SLOTS and state.last_query:
        # "我是用信用卡付的" after "退款多久到账？": the detail refines the previous question.
        return f"{state.last_query} {_fold(text)}"
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
    # After a clarifying question the topic is a guess the customer has not confirmed: "就是那个啊" must not
    # become a confident question about it.
    unsettled = state.clarifications > 0
    topic_label = "" if own_topic == state.topic or unsettled else _topic_label(state.topic, zh, lexicon)
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
    return f"{subject}的{core}？"


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
