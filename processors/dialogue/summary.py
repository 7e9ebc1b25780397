"""Rolling summary: a deterministic, extractive, bounded description of the conversation so far.

No model writes it, so it costs nothing per message, never invents a fact and reads the same on every
replay. A human agent who takes the conversation over reads it first (``Handoff.summary``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .lexicon import DEFAULT_LEXICON, Lexicon

if TYPE_CHECKING:
    from .state import DialogueState

__all__ = ["summarize"]

_SLOT_LABELS: dict[str, tuple[str, str]] = {
    "order_id": ("订单号", "order"),
    "tracking_no": ("运单号", "tracking"),
    "product": ("商品", "product"),
    "reason": ("原因", "reason"),
    "amount": ("金额", "amount"),
    "date": ("日期", "date"),
    "payment_method": ("支付方式", "payment"),
    "invoice_type": ("发票类型", "invoice"),
    "phone": ("电话", "phone"),
    "address": ("地址", "address"),
    "email": ("邮箱", "email"),
    "name": ("姓名", "name"),
}
_EMOTIONS_ZH = {"angry": "生气", "anxious": "着急", "satisfied": "满意", "neutral": "平稳"}
_QUOTE_CHARS = 40


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _angry_run(emotions: tuple[str, ...]) -> int:
    run = 0
    for emotion in reversed(emotions):
        if emotion != "angry":
            break
        run += 1
    return run


def summarize(state: DialogueState, *, max_chars: int = 300, lexicon: Lexicon = DEFAULT_LEXICON) -> str:
    """A summary of ``state`` no longer than ``max_chars``, in the conversation's language.

    It lists, in order: the topics raised, the slots known, the first issue and the latest question
    (quoted, clipped), the customer's current emotion when it is not neutral, and how many clarifying
    questions are pending.

    Examples
    --------
    >>> from processors.dialogue.state import DialogueState
    >>> state = DialogueState(slots={"order_id": "KF20250520123456", "product": "耳机"}, topics=("returns",),
    ...                       first_issue="耳机坏了能退吗", last_query="运费谁出？", emotions=("angry",))
    >>> for part in summarize(state).split("。")[:-1]:
    ...     print(part)
    话题：退货
    已知：订单号 KF20250520123456；商品 耳机
    首个问题：「耳机坏了能退吗」
    最近问题：「运费谁出？」
    客户情绪：生气
    >>> len(summarize(state, max_chars=30))
    30
    """
    english = state.locale.lower().startswith("en")
    index = 1 if english else 0
    parts: list[str] = []
    labels = []
    for name in state.topics:
        try:
            topic = lexicon.topic(name)
        except KeyError:
            labels.append(name)
            continue
        labels.append(topic.label_en if english else topic.label_zh)
    if labels:
        parts.append(("Topics: " + ", ".join(labels) + ".") if english else ("话题：" + "、".join(labels) + "。"))
    known = [
        f"{_SLOT_LABELS.get(key, (key, key))[index]} {value}"
        for key, value in sorted(
            state.slots.items(),
            key=lambda kv: list(_SLOT_LABELS).index(kv[0]) if kv[0] in _SLOT_LABELS else len(_SLOT_LABELS),
        )
    ]
    if known:
        parts.append(("Known: " + "; ".join(known) + ".") if english else ("已知：" + "；".join(known) + "。"))
    if state.first_issue:
        first = _clip(state.first_issue, _QUOTE_CHARS)
        parts.append(f'First issue: "{first}".' if english else f"首个问题：「{first}」。")
    if state.last_query and state.last_query != state.first_issue:
        last = _clip(state.last_query, _QUOTE_CHARS)
        parts.append(f'Latest question: "{last}".' if english else f"最近问题：「{last}」。")
    emotion = state.emotions[-1] if state.emotions else "neutral"
    if emotion != "neutral":
        run = _angry_run(state.emotions)
        if english:
            parts.append(f"Customer is {emotion}" + (f" ({run} turns in a row)." if run > 1 else "."))
        else:
            parts.append(
                f"客户情绪：{_EMOTIONS_ZH.get(emotion, emotion)}" + (f"（连续{run}轮）。" if run > 1 else "。")
            )
    if state.clarifications:
        n = state.clarifications
        parts.append(f"{n} clarifying question(s) asked." if english else f"已追问澄清{n}次。")
    summary = (" " if english else "").join(parts)
    return summary if len(summary) <= max_chars else summary[: max_chars - 1] + "…"
