"""Slot extraction: the facts a customer states (order id, product, reason, ...) from one masked message.

Order and tracking numbers are not personal data, so PII masking leaves them in the text; phone numbers,
addresses and e-mail addresses arrive as placeholders (``[PHONE_1]``) and the slot holds the placeholder,
never a value. When a message names the same slot twice, the last mention wins ("不是耳机，是充电器").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

from .lexicon import DEFAULT_LEXICON, Lexicon

__all__ = ["SLOT_NAMES", "extract_slots"]

SLOT_NAMES: tuple[str, ...] = (
    "order_id",
    "tracking_no",
    "product",
    "reason",
    "amount",
    "date",
    "payment_method",
    "invoice_type",
    "phone",
    "address",
    "email",
    "name",
)
"""Every slot the extractor fills."""

_ID = r"([A-Za-z]{0,4}\d{6,24})"
_SEP = r"[\s:：#是为号]*"
_TRACKING_CUE = re.compile(
    r"(?:快递单号|运单号|物流单号|快递号|物流号|tracking\s*(?:number|no\.?|#)?)" + _SEP + _ID, re.IGNORECASE
)
_ORDER_CUE = re.compile(r"(?:订单编号|订单号码|订单号|订单|order\s*(?:number|no\.?|id|#)?)" + _SEP + _ID, re.IGNORECASE)
_ORDER_BARE = re.compile(r"(?<![A-Za-z0-9])(KF\d{8,20}|20\d{14})(?![A-Za-z0-9])", re.IGNORECASE)
_TRACKING_BARE = re.compile(r"(?<![A-Za-z0-9])((?:SF|ZT|YT|JD)\d{10,15})(?![A-Za-z0-9])", re.IGNORECASE)

_AMOUNT = re.compile(
    r"(?<![满减\d.])(?:[¥￥]\s*(\d+(?:\.\d{1,2})?)|(\d+(?:\.\d{1,2})?)\s*(?:元|块钱|块|rmb|yuan|RMB)"
    r"|\$\s*(\d+(?:\.\d{1,2})?))(?!\s*(?:包邮|以上|以下|的门槛))"
)
_DATE_ABSOLUTE = re.compile(r"(\d{4}[-/年]\d{1,2}[-/月]\d{1,2}日?|\d{1,2}月\d{1,2}[日号])")
_DATE_RELATIVE = re.compile(
    r"(今天|昨天|前天|大前天|上周[一二三四五六日天]?|上个月|上礼拜|yesterday|last week|last month)"
    r"(?=.{0,6}?(?:买|下单|下的单|签收|收到|到货|付款|付的|支付|ordered|bought|received|delivered|paid))",
    re.IGNORECASE,
)
_BOUGHT = re.compile(
    r"买的([\u4e00-\u9fff]{2,6}?)(?=坏|有|不|怎么|能|可以|是|还|已经|到|了|收到|质量|想|要|什么|[，。！？,.!?\s]|$)"
)
_PLACEHOLDER = re.compile(r"\[(PHONE|ADDRESS|EMAIL|NAME)_\d+\]")
# Product words that are not products in these phrases ("手机号" is a phone number, "phone number" too).
_NOT_PRODUCT = re.compile(r"手机号|手机验证|绑定手机|phone\s*number|by phone|phone call|手机支付", re.IGNORECASE)
_NEGATED = re.compile(r"(?:不是|并不是|而不是|并非)$|\bnot (?:the |a |my )?$|\bisn't (?:the |a )?$")
_ASCII_WORD = re.compile(r"^[a-z0-9 .\-]+$")


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def _last_match(text: str, table: Mapping[str, tuple[str, ...]]) -> str | None:
    """The key whose surface form ends last in ``text`` (longest on ties); ASCII forms match whole words."""
    best: tuple[int, int, str] | None = None
    for key, forms in table.items():
        for form in forms:
            pattern = re.escape(form)
            if _ASCII_WORD.match(form):
                pattern = rf"(?<![a-z0-9]){pattern}(?![a-z0-9])"
            for match in re.finditer(pattern, text):
                if _NEGATED.search(text[max(0, match.start() - 5) : match.start()]):
                    continue  # "是充电器，不是充电宝": the negated mention is not the slot
                rank = (match.end(), len(form), key)
                if best is None or rank[:2] > best[:2]:
                    best = rank
    return None if best is None else best[2]


def _last_group(pattern: re.Pattern[str], text: str) -> tuple[int, str] | None:
    found: tuple[int, str] | None = None
    for match in pattern.finditer(text):
        value = next(group for group in match.groups() if group)
        found = (match.start(), value)
    return found


def _identifiers(text: str) -> dict[str, str]:
    slots: dict[str, str] = {}
    tracking = _last_group(_TRACKING_CUE, text) or _last_group(_TRACKING_BARE, text)
    tracking_value = tracking[1].upper() if tracking else None
    order_candidates = [
        found
        for found in (_last_group(_ORDER_CUE, text), _last_group(_ORDER_BARE, text))
        if found and found[1].upper() != tracking_value
    ]
    if order_candidates:
        slots["order_id"] = max(order_candidates)[1].upper()
    if tracking_value:
        slots["tracking_no"] = tracking_value
    return slots


def _placeholders(text: str, pii_entities: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    slots: dict[str, str] = {}
    names = {"PHONE": "phone", "ADDRESS": "address", "EMAIL": "email", "NAME": "name"}
    for entity in pii_entities:
        slot = names.get(str(entity.get("type", "")))
        placeholder = entity.get("placeholder")
        if slot and isinstance(placeholder, str) and placeholder in text:
            slots[slot] = placeholder
    for match in _PLACEHOLDER.finditer(text):
        slots[names[match.group(1)]] = match.group(0)
    return slots


def extract_slots(
    text: str, pii_entities: Iterable[Mapping[str, Any]] = (), *, lexicon: Lexicon = DEFAULT_LEXICON
) -> dict[str, str]:
    """Slots stated in one masked customer message.

    Parameters
    ----------
    text
        The masked message text (as on ``EnrichedEvent.text``).
    pii_entities
        The event's ``pii_entities`` (dicts with ``type`` and ``placeholder``); placeholders written in
        the text are found without them too.
    lexicon
        Products, reasons, payment methods and invoice types of the catalogue.

    Returns
    -------
    dict
        Slot name to canonical value, only for slots the message states (see :data:`SLOT_NAMES`).

    Examples
    --------
    >>> extract_slots("订单号KF20250520123456的蓝牙耳机坏了，电话[PHONE_1]")
    {'order_id': 'KF20250520123456', 'phone': '[PHONE_1]', 'product': '耳机', 'reason': 'quality'}
    >>> extract_slots("不是耳机，是充电器，5月20日买的，付了89元")
    {'product': '充电器', 'amount': '89', 'date': '5月20日'}
    >>> extract_slots("运单号SF1234567890123还没到")
    {'tracking_no': 'SF1234567890123'}
    >>> extract_slots("说错了，是充电器，不是充电宝")
    {'product': '充电器'}
    >>> extract_slots("满99元包邮吗？")
    {}
    """
    folded = _fold(_PLACEHOLDER.sub(" ", text))
    slots = _identifiers(text)
    slots.update(_placeholders(text, pii_entities))
    product_text = _NOT_PRODUCT.sub(" ", folded)
    product = _last_match(product_text, lexicon.products)
    if product is None:
        bought = _last_group(_BOUGHT, text)
        product = bought[1] if bought else None
    if product:
        slots["product"] = product
    for slot, table in (
        ("reason", lexicon.reasons),
        ("payment_method", lexicon.payment_methods),
        ("invoice_type", lexicon.invoice_types),
    ):
        value = _last_match(folded, table)
        if value:
            slots[slot] = value
    amount = _last_group(_AMOUNT, text)
    if amount:
        slots["amount"] = amount[1]
    date = _last_group(_DATE_ABSOLUTE, text) or _last_group(_DATE_RELATIVE, text)
    if date:
        slots["date"] = date[1]
    return slots
