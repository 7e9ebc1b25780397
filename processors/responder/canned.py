"""Fixed replies: small talk, hand-off notices, clarifying questions, the out-of-scope refusal."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["INTENT_NAMES", "canned_reply", "clarifying_question", "handoff_notice", "is_english"]

_CANNED: dict[str, tuple[str, str]] = {
    "greeting": ("您好，我是客服演示商城的智能客服，请问有什么可以帮您？", "Hello! How can I help you today?"),
    "thanks": (
        "不客气，很高兴能帮到您！还有其他问题随时问我。",
        "You're welcome! Let me know if there is anything else.",
    ),
    "goodbye": ("感谢您的咨询，祝您购物愉快，再见！", "Thank you for contacting us. Goodbye!"),
    "ack": ("好的，还有其他问题可以随时问我。", "Sure. Anything else I can help with?"),
    "noted": (
        "好的，已记下您提供的信息。请问还有什么可以帮您？",
        "Thanks, I've noted that. What else can I help with?",
    ),
    "out_of_scope": (
        "抱歉，我只能解答客服演示商城的购物、订单和售后问题。",
        "Sorry, I can only help with shopping, orders and after-sales questions for Kefu Demo Shop.",
    ),
}
_HANDOFF: dict[str, tuple[str, str]] = {
    "customer_request": ("好的，正在为您转接人工客服，请稍候。", "Sure, I'm connecting you with a human agent now."),
    "angry_customer": (
        "非常抱歉给您带来不好的体验，我马上为您转接人工客服处理。",
        "I'm very sorry for the trouble. I'm connecting you with a human agent right away.",
    ),
    "must_escalate_topic": (
        "您反映的问题需要专人处理，正在为您转接人工客服，请稍候。",
        "This needs a specialist; I'm connecting you with a human agent.",
    ),
}
_HANDOFF_DEFAULT = (
    "这个问题我暂时无法准确回答，正在为您转接人工客服，请稍候。",
    "I can't answer this reliably, so I'm connecting you with a human agent.",
)

INTENT_NAMES: dict[str, tuple[str, str]] = {
    "where_is_my_order": ("查询物流", "tracking an order"),
    "urge_shipping": ("催发货", "shipping an order sooner"),
    "return_refund": ("退货退款", "returns and refunds"),
    "exchange_item": ("换货", "exchanges"),
    "change_address": ("修改地址", "changing the address"),
    "invoice": ("发票", "invoices"),
    "complaint": ("投诉", "a complaint"),
    "coupon": ("优惠券", "coupons"),
    "account_login": ("账号登录", "account login"),
    "payment_issue": ("支付问题", "payment"),
    "repair_warranty": ("售后维修", "repairs and warranty"),
    "product_inquiry": ("商品咨询", "a product question"),
    "price_protection": ("价格保护", "price protection"),
    "cancel_order": ("取消订单", "cancelling an order"),
    "delivery_time_slot": ("预约配送", "scheduling a delivery"),
    "shipping_fee": ("运费", "shipping fees"),
    "wrong_or_missing_item": ("错发漏发", "a wrong or missing item"),
    "damaged_item": ("商品破损", "a damaged item"),
    "membership_points": ("会员积分", "membership points"),
}
"""Readable names (Chinese, English) of the shipped intent labels, for clarifying questions."""


def is_english(locale: str) -> bool:
    """Whether replies in ``locale`` are English (anything else gets Chinese).

    >>> is_english("en-US"), is_english("zh-CN")
    (True, False)
    """
    return locale.lower().startswith("en")


def canned_reply(kind: str, locale: str = "zh-CN") -> str:
    """The fixed reply for ``kind`` (greeting, thanks, goodbye, ack, noted, out_of_scope).

    >>> canned_reply("thanks")
    '不客气，很高兴能帮到您！还有其他问题随时问我。'
    """
    zh, en = _CANNED[kind]
    return en if is_english(locale) else zh


def handoff_notice(reason: str, locale: str = "zh-CN") -> str:
    """What the customer reads when the conversation goes to a human.

    >>> handoff_notice("customer_request", "en")
    "Sure, I'm connecting you with a human agent now."
    """
    zh, en = _HANDOFF.get(reason, _HANDOFF_DEFAULT)
    return en if is_english(locale) else zh


def clarifying_question(intents: Sequence[str], locale: str = "zh-CN") -> str:
    """A question offering the customer's likeliest needs (at most two), or a generic one.

    >>> clarifying_question(["return_refund", "repair_warranty"])
    '请问您是想咨询「退货退款」还是「售后维修」？'
    >>> clarifying_question([], "en")
    'Could you tell me a bit more? For example: returns, refunds, delivery or invoices.'
    """
    english = is_english(locale)
    names = [INTENT_NAMES[i][1 if english else 0] for i in intents if i in INTENT_NAMES][:2]
    if len(names) == 2:
        if english:
            return f"Do you mean {names[0]} or {names[1]}?"
        return f"请问您是想咨询「{names[0]}」还是「{names[1]}」？"
    if len(names) == 1:
        return f"Is your question about {names[0]}?" if english else f"请问您是想咨询「{names[0]}」相关的问题吗？"
    if english:
        return "Could you tell me a bit more? For example: returns, refunds, delivery or invoices."
    return "请问您具体想咨询哪方面的问题？例如退货、退款、物流或发票。"
