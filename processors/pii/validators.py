"""Check digits and plausibility tests for structured identifiers.

Pure functions over digit strings (separators already removed). They decide whether a pattern match is
a real identifier or just a long number such as an order or tracking number.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

_ID_WEIGHTS: tuple[int, ...] = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARS = "10X98765432"

# GB/T 2260 province-level codes: the first two digits of every resident ID.
ID_PROVINCE_CODES: frozenset[str] = frozenset(
    [
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "81",
        "82",
        "83",
        "91",
    ]
)

# Mobile number segments allocated by MIIT (three-digit prefixes). Used when context makes a bare
# 11-digit number ambiguous (e.g. right after 订单号).
MOBILE_PREFIXES: frozenset[str] = frozenset(
    [f"13{d}" for d in range(10)]
    + ["145", "146", "147", "148", "149"]
    + [f"15{d}" for d in (0, 1, 2, 3, 5, 6, 7, 8, 9)]
    + ["162", "165", "166", "167"]
    + [f"17{d}" for d in (0, 1, 2, 3, 4, 5, 6, 7, 8)]
    + [f"18{d}" for d in range(10)]
    + [f"19{d}" for d in range(10)]
)

# Issuer prefixes of cards seen in China and abroad: UnionPay 62/60/65/81, Visa 4, Mastercard 51-55 and
# 2221-2720, Amex 34/37, JCB 35, Diners 30/36/38, old domestic debit cards 95xx.
_CARD_PREFIXES_2: frozenset[str] = frozenset(
    ["62", "60", "65", "81", "51", "52", "53", "54", "55", "34", "37", "35", "30", "36", "38", "95"]
)
_EARLIEST_BIRTH = date(1900, 1, 1)


def id_card_check_char(first17: str) -> str:
    """Return the ISO 7064 MOD 11-2 check character for the first 17 digits of a resident ID.

    Examples
    --------
    >>> id_card_check_char("11010519491231002")
    'X'
    """
    total = sum(int(digit) * weight for digit, weight in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK_CHARS[total % 11]


def _plausible_birth_date(year: int, month: int, day: int, today: date | None) -> bool:
    try:
        born = date(year, month, day)
    except ValueError:
        return False
    upper = today if today is not None else datetime.now(tz=UTC).date()
    return _EARLIEST_BIRTH <= born <= upper


def is_valid_id_card(value: str, *, today: date | None = None) -> bool:
    """Whether ``value`` is an 18-digit resident ID with a real province, birth date and check digit.

    Examples
    --------
    >>> is_valid_id_card("11010519491231002X")
    True
    >>> is_valid_id_card("110105194912310021")  # wrong check digit
    False
    >>> is_valid_id_card("110105194913310020")  # month 13
    False
    """
    if len(value) != 18 or not value[:17].isdigit():
        return False
    if value[:2] not in ID_PROVINCE_CODES:
        return False
    if not _plausible_birth_date(int(value[6:10]), int(value[10:12]), int(value[12:14]), today):
        return False
    return id_card_check_char(value[:17]) == value[17].upper()


def looks_like_id_card(value: str) -> bool:
    """Whether 18 characters are shaped like a resident ID (province, 18xx-20xx year, month 0x/1x,
    day 0x-3x), ignoring the check digit and calendar validity: i.e. a mistyped ID.

    Examples
    --------
    >>> looks_like_id_card("110105194912310021")
    True
    >>> looks_like_id_card("622202123456789012")
    False
    """
    if len(value) != 18 or not value[:17].isdigit() or value[:2] not in ID_PROVINCE_CODES:
        return False
    return value[6:8] in ("18", "19", "20") and value[10] in "01" and value[12] in "0123"


def is_valid_old_id_card(value: str, *, today: date | None = None) -> bool:
    """Whether ``value`` looks like a 15-digit first-generation ID (no check digit; 19yy birth date).

    Examples
    --------
    >>> is_valid_old_id_card("110105491231002")
    True
    >>> is_valid_old_id_card("990105491231002")
    False
    """
    if len(value) != 15 or not value.isdigit() or value[:2] not in ID_PROVINCE_CODES:
        return False
    return _plausible_birth_date(1900 + int(value[6:8]), int(value[8:10]), int(value[10:12]), today)


def luhn_valid(digits: str) -> bool:
    """Whether a digit string passes the Luhn (mod 10) check.

    Examples
    --------
    >>> luhn_valid("4111111111111111")
    True
    >>> luhn_valid("4111111111111112")
    False
    """
    if not digits.isdigit():
        return False
    total = 0
    for index, char in enumerate(reversed(digits)):
        digit = ord(char) - 48
        if index % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def has_card_issuer_prefix(digits: str) -> bool:
    """Whether a card number starts with a known issuer (BIN) prefix.

    Examples
    --------
    >>> has_card_issuer_prefix("6222021234567890")
    True
    >>> has_card_issuer_prefix("2024052112345678")
    False
    """
    if digits[:1] == "4" or digits[:2] in _CARD_PREFIXES_2:
        return True
    return 2221 <= int(digits[:4] or 0) <= 2720


def is_plausible_card(digits: str) -> bool:
    """Luhn-valid, 13-19 digits and not a degenerate run such as all zeros.

    Examples
    --------
    >>> is_plausible_card("6222 0212 3456 7890".replace(" ", ""))
    False
    >>> is_plausible_card("0000000000000000")
    False
    """
    return 13 <= len(digits) <= 19 and len(set(digits)) > 1 and luhn_valid(digits)


def is_allocated_mobile(digits: str) -> bool:
    """Whether an 11-digit number starts with an allocated Chinese mobile prefix.

    Examples
    --------
    >>> is_allocated_mobile("13812345678")
    True
    >>> is_allocated_mobile("14012345678")
    False
    """
    return len(digits) == 11 and digits[:3] in MOBILE_PREFIXES
