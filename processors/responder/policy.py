"""The decision policy: answer, ask a clarifying question, or hand the conversation to a human.

Two steps, so the responder only retrieves when it must: :func:`triage` applies the rules that need no
retrieval (moderation block, a request for a human, a must-escalate topic, anger two turns running, small
talk); :func:`decide` adds the retrieval confidence. :func:`after_generation` decides what happens when a
generated answer is not supported by its passages.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Literal

from processors.dialogue.condense import slot_statement
from processors.dialogue.smalltalk import small_talk_kind
from processors.dialogue.state import DialogueState
from processors.moderation import ModerationVerdict

from .canned import canned_reply, clarifying_question, handoff_notice

__all__ = [
    "DEFAULT_POLICY",
    "Decision",
    "DecisionAction",
    "HandoffReason",
    "MessageSignals",
    "PolicyConfig",
    "after_generation",
    "decide",
    "triage",
]

DecisionAction = Literal["answer", "canned", "clarify", "handoff"]


class HandoffReason(StrEnum):
    """The ``HandoffReason`` enum of the Avro contract (``BotReply.handoff.reason``, ``Handoff.reason``)."""

    CUSTOMER_REQUEST = "customer_request"
    LOW_CONFIDENCE = "low_confidence"
    ANGRY_CUSTOMER = "angry_customer"
    MUST_ESCALATE_TOPIC = "must_escalate_topic"
    UNSUPPORTED_ANSWER = "unsupported_answer"
    MODEL_UNAVAILABLE = "model_unavailable"
    MODERATION = "moderation"
    OTHER = "other"


_ESCALATE: dict[str, tuple[str, ...]] = {
    "safety": (
        "起火",
        "冒烟",
        "爆炸",
        "自燃",
        "触电",
        "漏电",
        "烫伤",
        "受伤",
        "不想活",
        "自杀",
        "轻生",
        "caught fire",
        "explode",
        "electric shock",
        "injured",
        "smoke",
    ),
    "legal": ("起诉", "律师", "法院", "报警", "打官司", "lawyer", "sue you", "legal action", "court"),
    "media": ("媒体曝光", "曝光你们", "找记者", "上新闻", "发微博", "journalist", "go to the media"),
    "regulator": ("12315", "消协", "消费者协会", "市场监管", "工商局", "consumer association"),
    "complaint": ("投诉", "complaint", "complain"),
    "fraud": ("诈骗", "骗子", "盗刷", "被盗", "陌生订单", "fraud", "scam", "hacked", "stolen account"),
}
_ESCALATE_PRIORITY: dict[str, int] = {
    "safety": 1,
    "legal": 1,
    "media": 1,
    "regulator": 1,
    "fraud": 1,
    "complaint": 2,
}
_HUMAN_REQUEST: tuple[str, ...] = (
    r"转人工",
    r"转接人工",
    r"找人工",
    r"要人工",
    r"接人工",
    r"人工服务",
    r"人工客服",
    r"请人工",
    r"真人",
    r"活人",
    r"客服电话",
    r"不(?:要|想)(?:跟|和|同)?机器人",
    r"^人工$",
    r"换个人",
    r"\b(?:speak|talk|chat)\s+(?:to|with)\s+(?:a\s+|an\s+)?"
    r"(?:human|person|agent|representative|someone)",
    r"\bhuman\s+agent\b",
    r"\breal\s+person\b",
    r"\blive\s+agent\b",
    r"\brepresentative\b",
    r"\bcustomer\s+service\s+(?:number|phone)\b",
)
# "人工客服几点上班？" asks about the service, it does not ask for it.
_INFO_QUESTION = r"几点|什么时候|上班|时间|在线吗|\bwhen\b|\bhours\b|\bavailable\b|\bopen\b"


_IDENTIFIER_SLOTS = frozenset({"order_id", "tracking_no", "phone", "address", "email", "name"})


def _frozen(table: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(table))


@dataclass(frozen=True)
class PolicyConfig:
    """Thresholds and lists of the decision policy.

    Attributes
    ----------
    answer_threshold
        Calibrated retrieval confidence (0..1) from which the bot answers.
    clarify_threshold
        Below ``answer_threshold``, an unclear question is answered with a clarifying question only from this
        confidence on; below it the knowledge base holds nothing close and the conversation goes to a human.
    extractive_threshold
        Retrieval confidence from which an unsupported generated answer is replaced by an extractive one
        rather than handed off.
    intent_threshold
        Intent confidence below which the intent counts as unclear.
    intent_margin
        The intent is also unclear when the top two intents are closer than this.
    max_clarifications
        Clarifying questions in a row after which an unclear conversation is handed off.
    angry_turns
        Upset customer messages in a row, the latest angry, that hand the conversation off (anxious ones before
        an angry one count: a complaint that turns angry).
    must_escalate
        Category -> trigger words (case-insensitive substrings) that always go to a human.
    escalate_priority
        Category -> hand-off priority (1 most urgent); categories not listed get 2.
    human_request_patterns
        Regular expressions of a request for a human.
    human_request_intents
        Intent labels that count as a request for a human when confident (``intent_threshold``). Empty by
        default: the shipped intent model tags "扫地机器人坏了" as ``ask_human`` (机器人), the patterns do not.
    default_priority
        Priority of hand-offs for any other reason.
    """

    answer_threshold: float = 0.55
    clarify_threshold: float = 0.08
    extractive_threshold: float = 0.55
    intent_threshold: float = 0.6
    intent_margin: float = 0.15
    max_clarifications: int = 2
    angry_turns: int = 2
    must_escalate: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: _frozen(_ESCALATE))
    escalate_priority: Mapping[str, int] = field(default_factory=lambda: _frozen(_ESCALATE_PRIORITY))
    human_request_patterns: tuple[str, ...] = _HUMAN_REQUEST
    human_request_intents: tuple[str, ...] = ()
    default_priority: int = 3


DEFAULT_POLICY = PolicyConfig()


@dataclass(frozen=True)
class MessageSignals:
    """What the enrichment step says about the current customer message.

    ``text`` is masked (and, after moderation, stripped of injection sentences); ``intents`` holds
    ``(label, confidence)`` pairs, best first.
    """

    text: str
    intent: str | None = None
    intent_confidence: float = 0.0
    intents: tuple[tuple[str, float], ...] = ()
    emotion: str = "neutral"

    @classmethod
    def from_event(cls, event: Mapping[str, Any], *, text: str | None = None) -> MessageSignals:
        """Signals from an ``EnrichedEvent``-like dict; ``text`` overrides the event's (moderated) text.

        >>> s = MessageSignals.from_event({"text": "hi", "intent": "greeting", "intent_confidence": 0.9,
        ...     "intents": [{"label": "greeting", "confidence": 0.9}], "sentiment": {"emotion": "neutral"}})
        >>> s.intent, s.intents, s.emotion
        ('greeting', (('greeting', 0.9),), 'neutral')
        """
        sentiment = event.get("sentiment")
        emotion = str(sentiment.get("emotion", "neutral")) if isinstance(sentiment, Mapping) else "neutral"
        intents = tuple((str(i["label"]), float(i["confidence"])) for i in event.get("intents") or ())
        return cls(
            text=str(event.get("text", "")) if text is None else text,
            intent=event.get("intent"),
            intent_confidence=float(event.get("intent_confidence") or 0.0),
            intents=intents,
            emotion=emotion,
        )


@dataclass(frozen=True)
class Decision:
    """What the responder does with the current message.

    Attributes
    ----------
    action
        ``"answer"`` (retrieve and generate), ``"canned"`` (send ``reply`` as it is), ``"clarify"`` (ask
        ``reply``) or ``"handoff"`` (send ``reply`` and hand off with ``reason``).
    reason, detail, priority
        For hand-offs: the Avro reason, a line for the human agent, a queue priority (1 most urgent).
    reply
        Text for the customer; empty for ``"answer"`` (the generator writes it).
    """

    action: DecisionAction
    reply: str = ""
    reason: HandoffReason | None = None
    detail: str = ""
    priority: int = 3


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def _angry_run(emotions: Sequence[str]) -> int:
    """Upset messages in a row ending in an angry one: an anxious complaint that turns angry counts too.

    >>> _angry_run(["neutral", "anxious", "angry"]), _angry_run(["angry", "anxious"]), _angry_run(["anxious"])
    (2, 0, 0)
    """
    if not emotions or emotions[-1] != "angry":
        return 0
    run = 0
    for emotion in reversed(emotions):
        if emotion not in ("angry", "anxious"):
            break
        run += 1
    return run


def _asks_for_human(signals: MessageSignals, config: PolicyConfig) -> bool:
    folded = _fold(signals.text)
    if re.search(_INFO_QUESTION, folded, re.IGNORECASE):
        return False
    if any(re.search(p, folded, re.IGNORECASE) for p in config.human_request_patterns):
        return True
    return signals.intent in config.human_request_intents and signals.intent_confidence >= config.intent_threshold


def _escalation(text: str, config: PolicyConfig) -> tuple[str, str] | None:
    folded = _fold(text)
    for category, words in config.must_escalate.items():
        for word in words:
            term = _fold(word)
            hit = re.search(rf"(?<![a-z]){re.escape(term)}(?![a-z])", folded) if term.isascii() else term in folded
            if hit:
                return category, word
    return None


def _handoff(reason: HandoffReason, detail: str, priority: int, locale: str) -> Decision:
    return Decision("handoff", handoff_notice(reason.value, locale), reason, detail, priority)


def triage(
    state: DialogueState,
    signals: MessageSignals,
    *,
    moderation: ModerationVerdict | None = None,
    config: PolicyConfig = DEFAULT_POLICY,
) -> Decision | None:
    """The decision that needs no retrieval, or ``None`` when the knowledge base must be consulted.

    ``state`` is the state *after* the current message (its ``emotions`` end with this message's).
    Abuse flagged by moderation counts as an angry message.

    Examples
    --------
    >>> s = DialogueState(emotions=("neutral",))
    >>> triage(s, MessageSignals("我要转人工")).reason
    <HandoffReason.CUSTOMER_REQUEST: 'customer_request'>
    >>> triage(s, MessageSignals("人工客服几点上班？")) is None
    True
    >>> d = triage(s, MessageSignals("再不处理我就打12315投诉你们"))
    >>> d.reason.value, d.priority
    ('must_escalate_topic', 1)
    >>> triage(DialogueState(emotions=("angry", "angry")), MessageSignals("到底什么时候发货")).reason.value
    'angry_customer'
    >>> triage(s, MessageSignals("谢谢")).reply
    '不客气，很高兴能帮到您！还有其他问题随时问我。'
    """
    locale = state.locale
    if moderation is not None and moderation.action == "block":
        return _handoff(HandoffReason.MODERATION, "; ".join(moderation.reasons), 2, locale)
    # A must-escalate topic outranks a plain request for a human: it tells the agent more and sets priority.
    escalation = _escalation(signals.text, config)
    if escalation is not None:
        category, word = escalation
        priority = config.escalate_priority.get(category, 2)
        return _handoff(HandoffReason.MUST_ESCALATE_TOPIC, f"{category}: {word}", priority, locale)
    if _asks_for_human(signals, config):
        return _handoff(HandoffReason.CUSTOMER_REQUEST, "customer asked for a human agent", 2, locale)
    emotions = list(state.emotions)
    if moderation is not None and "abuse" in moderation.categories and emotions:
        emotions[-1] = "angry"
    run = _angry_run(emotions)
    if run >= config.angry_turns:
        return _handoff(HandoffReason.ANGRY_CUSTOMER, f"angry for {run} messages in a row", 2, locale)
    kind = small_talk_kind(signals.text)
    if kind is not None:
        return Decision("canned", canned_reply(kind, locale))
    stated = slot_statement(signals.text)
    if stated and stated <= _IDENTIFIER_SLOTS:
        # Only an order number or contact placeholder: note it (update_state has), nothing to retrieve.
        return Decision("canned", canned_reply("noted", locale))
    if not signals.text.strip():
        # Nothing left once moderation removed the injected instructions.
        return Decision("canned", canned_reply("out_of_scope", locale))
    return None


def _intent_unclear(signals: MessageSignals, config: PolicyConfig) -> bool:
    if signals.intent in (None, "unknown") or signals.intent_confidence < config.intent_threshold:
        return True
    if len(signals.intents) >= 2:
        return signals.intents[0][1] - signals.intents[1][1] < config.intent_margin
    return False


def decide(
    state: DialogueState,
    signals: MessageSignals,
    retrieval_confidence: float,
    *,
    moderation: ModerationVerdict | None = None,
    config: PolicyConfig = DEFAULT_POLICY,
) -> Decision:
    """Answer, clarify or hand off, given the retrieval confidence of the condensed query.

    Below ``answer_threshold`` the bot asks a clarifying question when the intent is unclear (at most
    ``max_clarifications`` in a row) and otherwise hands off with ``low_confidence``.

    Examples
    --------
    >>> s = DialogueState(emotions=("neutral",))
    >>> decide(s, MessageSignals("退货运费谁出", "return_refund", 0.9), 0.8).action
    'answer'
    >>> decide(s, MessageSignals("那个东西", "unknown", 0.3), 0.2).reply
    '请问您具体想咨询哪方面的问题？例如退货、退款、物流或发票。'
    >>> decide(s, MessageSignals("能用数字人民币吗", "payment_issue", 0.9), 0.2).reason.value
    'low_confidence'
    >>> from dataclasses import replace
    >>> decide(replace(s, clarifications=2), MessageSignals("嗯那个", "unknown", 0.2), 0.1).detail
    'still unclear after 2 clarifying questions'
    """
    early = triage(state, signals, moderation=moderation, config=config)
    if early is not None:
        return early
    if retrieval_confidence >= config.answer_threshold:
        return Decision("answer")
    if _intent_unclear(signals, config) and retrieval_confidence >= config.clarify_threshold:
        if state.clarifications < config.max_clarifications:
            options = [label for label, _ in signals.intents if label != "unknown"]
            return Decision("clarify", clarifying_question(options, state.locale))
        detail = f"still unclear after {state.clarifications} clarifying questions"
        return _handoff(HandoffReason.LOW_CONFIDENCE, detail, config.default_priority, state.locale)
    detail = f"retrieval confidence {retrieval_confidence:.2f} < {config.answer_threshold:.2f}"
    return _handoff(HandoffReason.LOW_CONFIDENCE, detail, config.default_priority, state.locale)


def after_generation(
    supported: bool, retrieval_confidence: float, *, locale: str = "zh-CN", config: PolicyConfig = DEFAULT_POLICY
) -> Decision:
    """What to do with a generated answer once grounding has been checked.

    A supported answer is sent; an unsupported one is replaced by an extractive answer when retrieval
    was confident (``detail="extractive"``), otherwise handed off as ``unsupported_answer``.

    >>> after_generation(True, 0.9).action, after_generation(False, 0.9).detail
    ('answer', 'extractive')
    >>> after_generation(False, 0.4).reason.value
    'unsupported_answer'
    """
    if supported:
        return Decision("answer")
    if retrieval_confidence >= config.extractive_threshold:
        return Decision("answer", detail="extractive")
    detail = "generated answer not supported by the passages"
    return _handoff(HandoffReason.UNSUPPORTED_ANSWER, detail, config.default_priority, locale)
