"""Detectors for digit-based identifiers: phone numbers, resident IDs and bank cards.

Each detector takes the *normalised* text (see :mod:`.normalize`) and returns candidates. Patterns only
propose; validators and context decide, because a long digit string in customer service is far more
often an order or tracking number than personal data.
"""

from __future__ import annotations

import re

from .context import Context, context_before
from .entities import Candidate
from .validators import (
    has_card_issuer_prefix,
    is_allocated_mobile,
    is_plausible_card,
    is_valid_id_card,
    is_valid_old_id_card,
    looks_like_id_card,
)

PRIORITY_ID_CARD = 90
PRIORITY_BANK_CARD = 80
PRIORITY_PHONE = 70

# Digits glued to letters are product codes or tracking numbers (SF1234567890123), never phones.
_LEFT = r"(?<![0-9A-Za-z])"
_RIGHT = r"(?![0-9A-Za-z])"
# A phone or an ID may be followed by letters, as in "13812345678vx同号" or "...call me": codes carry their letters
# in front. Cards and 15-digit IDs, which look like order numbers, keep letters out on both sides.
_RIGHT_LETTERS_OK = r"(?![0-9])"
# ... and preceded by a messaging app's or "tel"'s letters, as in "加我wx13812345678" or "QQ(021)62345678".
_AFTER_APP = r"(?<=(?i:wx|vx|qq))|(?<=(?i:tel))"
# (the lookahead first: most positions hold no digit, "+" or "(", and fail there before three lookbehinds run)
_LEFT_PHONE = r"(?=[0-9+(])(?:(?<![0-9A-Za-z])|" + _AFTER_APP + ")"

_MOBILE = re.compile(
    _LEFT_PHONE + r"(?:(?:\+86|0086|\(\+?86\))[ -]?)?(1[3-9]\d)([ -]?)(\d{4})\2(\d{4})" + _RIGHT_LETTERS_OK
)
_AREA = r"(?:010|02\d|0[3-9]\d{2})"
_EXTENSION = r"(?:(?: ?(?:ext\.?|x|转|分机) ?|-|#)\d{1,6})?"
_LANDLINE_SEPARATED = re.compile(
    _LEFT_PHONE + r"(?:\(" + _AREA + r"\) ?|" + _AREA + r"[ -])[2-9]\d{6,7}" + _EXTENSION + _RIGHT_LETTERS_OK
)
_LANDLINE_BARE = re.compile(_LEFT + _AREA + r"[2-9]\d{6,7}" + _RIGHT)
# E.164 with a leading plus: country code then 2-6 groups; the digit count is checked afterwards.
_INTERNATIONAL = re.compile(
    r"(?=\+)(?:(?<![0-9A-Za-z+])|" + _AFTER_APP + r")\+[1-9]\d{0,2}(?:[ .-]?\(?\d{1,5}\)?){1,6}" + _RIGHT_LETTERS_OK
)
_NANP = re.compile(_LEFT + r"(?:\([2-9]\d{2}\) ?|[2-9]\d{2}[ .-])[2-9]\d{2}[ .-]\d{4}" + _RIGHT_LETTERS_OK)

_ID_CARD = re.compile(_LEFT + r"[1-9]\d{5}[ -]?(?:18|19|20)\d{2}(?:[01]\d)[0-3]\d[ -]?\d{3}[\dXx]" + _RIGHT_LETTERS_OK)
_OLD_ID_CARD = re.compile(_LEFT + r"[1-9]\d{14}" + _RIGHT)

_CARD = re.compile(
    _LEFT
    + r"(?:\d{13,19}"
    + r"|\d{4}([ -])\d{4}\1\d{4}\1\d{4}(?:\1\d{1,4})?"  # 4-4-4-4(-3): most cards
    + r"|\d{4}([ -])\d{6}\2\d{4,5}"  # 4-6-5: Amex, Diners
    + r"|\d{6}([ -])\d{10,13})"  # 6-13: BIN then account, common on Chinese receipts
    + _RIGHT
)
_NON_DIGIT = re.compile(r"\D")


def _digits(value: str) -> str:
    return _NON_DIGIT.sub("", value)


def find_phones(text: str) -> list[Candidate]:
    """Chinese mobiles and landlines, E.164 international and North American numbers.

    Examples
    --------
    >>> [c[:3] for c in find_phones("电话138-1234-5678或(021)62345678")]
    [('PHONE', 2, 15), ('PHONE', 16, 29)]
    >>> find_phones("订单号 10212345678")
    []
    """
    found: list[Candidate] = []
    for match in _MOBILE.finditer(text):
        number = match.group(1) + match.group(3) + match.group(4)
        # A valid mobile is PII even after 订单号, but there only allocated prefixes count.
        if context_before(text, match.start()) is Context.BUSINESS and not is_allocated_mobile(number):
            continue
        found.append(Candidate("PHONE", match.start(), match.end(), number, PRIORITY_PHONE))
    for match in _LANDLINE_SEPARATED.finditer(text):
        if context_before(text, match.start()) is not Context.BUSINESS:
            found.append(Candidate("PHONE", match.start(), match.end(), _digits(match.group()), PRIORITY_PHONE))
    for match in _LANDLINE_BARE.finditer(text):
        # 01012345678 without separators is only a phone when the text says so.
        if context_before(text, match.start()) is Context.PHONE:
            found.append(Candidate("PHONE", match.start(), match.end(), match.group(), PRIORITY_PHONE))
    if "+" in text:
        for match in _INTERNATIONAL.finditer(text):
            value = match.group()
            digits = _digits(value)
            grouped = len(digits) + 1 < len(value)
            if 8 <= len(digits) <= 15 and (grouped or len(digits) >= 10):
                key = digits[2:] if digits.startswith("86") else digits
                found.append(Candidate("PHONE", match.start(), match.end(), key, PRIORITY_PHONE - 1))
    for match in _NANP.finditer(text):
        if context_before(text, match.start()) is not Context.BUSINESS:
            found.append(Candidate("PHONE", match.start(), match.end(), _digits(match.group()), PRIORITY_PHONE))
    return found


def find_id_cards(text: str) -> list[Candidate]:
    """18-digit resident IDs with a valid check digit and birth date; 15-digit ones only after 身份证.

    Examples
    --------
    >>> find_id_cards("身份证11010519491231002X")
    [Candidate(type='ID_CARD', start=3, end=21, key='11010519491231002X', priority=90)]
    >>> find_id_cards("身份证110105194912310021")
    []
    """
    found: list[Candidate] = []
    for match in _ID_CARD.finditer(text):
        value = match.group().replace(" ", "").replace("-", "").upper()
        if is_valid_id_card(value) and context_before(text, match.start()) is not Context.BUSINESS:
            found.append(Candidate("ID_CARD", match.start(), match.end(), value, PRIORITY_ID_CARD))
    for match in _OLD_ID_CARD.finditer(text):
        value = match.group()
        if is_valid_old_id_card(value) and context_before(text, match.start()) is Context.ID_CARD:
            found.append(Candidate("ID_CARD", match.start(), match.end(), value, PRIORITY_ID_CARD))
    return found


def find_bank_cards(text: str) -> list[Candidate]:
    """Luhn-valid 13-19 digit card numbers with a known issuer prefix or card context, never after 订单号.

    Examples
    --------
    >>> [c[:3] for c in find_bank_cards("卡号 6222 0200 0000 0000 008")]
    []
    >>> [c[:3] for c in find_bank_cards("卡号 4111 1111 1111 1111")]
    [('BANK_CARD', 3, 22)]
    >>> find_bank_cards("订单号 4111111111111111")
    []
    """
    found: list[Candidate] = []
    for match in _CARD.finditer(text):
        digits = _digits(match.group())
        if not is_plausible_card(digits):
            continue
        context = context_before(text, match.start())
        if context is Context.BUSINESS:
            continue
        # An 18-digit number shaped like a resident ID (typo in the check digit) is not a card unless
        # the text says card: 18-digit cards are rare, mistyped IDs are not.
        if len(digits) == 18 and looks_like_id_card(digits) and context is not Context.CARD:
            continue
        if has_card_issuer_prefix(digits) or context is Context.CARD:
            found.append(Candidate("BANK_CARD", match.start(), match.end(), digits, PRIORITY_BANK_CARD))
    return found
