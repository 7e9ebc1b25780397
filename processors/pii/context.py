"""Context words just before a candidate: they separate an ID from an order number of the same shape.

The nearest keyword in a short window before the span decides the context, so that in
"订单号是多少？卡号6222..." the card number is judged by 卡号, not by 订单号.
"""

from __future__ import annotations

import re
from enum import Enum


class Context(Enum):
    """What the text just before a number says it is."""

    NONE = "none"
    BUSINESS = "business"  # order, tracking, invoice, coupon, model numbers: not personal data
    CARD = "card"
    ID_CARD = "id_card"
    PASSPORT = "passport"
    PHONE = "phone"


_KEYWORDS: dict[Context, tuple[str, ...]] = {
    Context.BUSINESS: (
        "订单",
        "单号",
        "快递",
        "物流",
        "运单",
        "包裹",
        "编号",
        "流水号",
        "交易号",
        "交易单",
        "工单",
        "退款单",
        "发票",
        "券",
        "优惠码",
        "兑换码",
        "激活码",
        "型号",
        "序列号",
        "sn",
        "货号",
        "批次",
        "商品",
        "条码",
        "order",
        "tracking",
        "waybill",
        "invoice",
        "ticket",
        "ref",
        "reference",
        "coupon",
        "sku",
        "model",
        "serial",
        "shipment",
        "parcel",
        "case",
        "transaction",
    ),
    Context.CARD: (
        "卡号",
        "银行卡",
        "信用卡",
        "储蓄卡",
        "借记卡",
        "卡",
        "账号",
        "帐号",
        "账户",
        "card",
        "account",
        "visa",
        "mastercard",
    ),
    Context.ID_CARD: ("身份证", "证件", "身份号", "id", "identity", "resident"),
    Context.PASSPORT: ("护照", "通行证", "passport"),
    Context.PHONE: (
        "电话",
        "手机",
        "座机",
        "联系",
        "致电",
        "打",
        "tel",
        "phone",
        "call",
        "mobile",
        "cell",
        "fax",
        "传真",
    ),
}

_KEYWORD_CONTEXT: dict[str, Context] = {word: ctx for ctx, words in _KEYWORDS.items() for word in words}
# Longest first so that 订单号 is seen as 订单 rather than a shorter accidental match.
_KEYWORD_RE = re.compile(
    "|".join(re.escape(word) for word in sorted(_KEYWORD_CONTEXT, key=len, reverse=True)),
    re.IGNORECASE,
)

CONTEXT_WINDOW = 20
"""How many characters before a candidate are searched for a context keyword."""


def context_before(text: str, start: int, window: int = CONTEXT_WINDOW) -> Context:
    """Return the context given by the keyword nearest before ``start``.

    ASCII keywords must be whole words (so ``id`` in ``paid`` does not count).

    Examples
    --------
    >>> context_before("订单号：2024052112345678", 4)
    <Context.BUSINESS: 'business'>
    >>> context_before("订单号查不到，卡号6222", 10)
    <Context.CARD: 'card'>
    >>> context_before("I paid with 4111", 12)
    <Context.NONE: 'none'>
    """
    lo = max(0, start - window)
    segment = text[lo:start]
    found = Context.NONE
    for match in _KEYWORD_RE.finditer(segment):
        word = match.group().lower()
        if word.isascii():
            before = segment[match.start() - 1] if match.start() > 0 else (text[lo - 1] if lo > 0 else " ")
            after = segment[match.end()] if match.end() < len(segment) else " "
            if (before.isascii() and before.isalpha()) or (after.isascii() and after.isalpha()):
                continue
        found = _KEYWORD_CONTEXT[word]
    return found
