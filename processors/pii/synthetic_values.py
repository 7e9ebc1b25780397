"""Random but valid identifiers (real check digits, Luhn) and look-alike non-identifiers for evaluation.

The generator's formats are chosen from how people actually type these values, not from the masker's
patterns: grouped and ungrouped, full-width digits, country prefixes, extensions, lower-case x.
"""

from __future__ import annotations

import random
import string

from .validators import id_card_check_char

_FULLWIDTH = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)})
_MOBILE_PREFIXES = [
    "130",
    "131",
    "132",
    "133",
    "134",
    "135",
    "136",
    "137",
    "138",
    "139",
    "145",
    "147",
    "150",
    "151",
    "152",
    "153",
    "155",
    "156",
    "157",
    "158",
    "159",
    "166",
    "170",
    "171",
    "173",
    "175",
    "176",
    "177",
    "178",
    "180",
    "181",
    "182",
    "183",
    "184",
    "185",
    "186",
    "187",
    "188",
    "189",
    "191",
    "198",
    "199",
]
_AREAS = (
    "010",
    "021",
    "020",
    "022",
    "023",
    "024",
    "025",
    "027",
    "028",
    "029",
    "0755",
    "0571",
    "0512",
    "0731",
)
_PROVINCES = [
    "11",
    "12",
    "13",
    "31",
    "32",
    "33",
    "35",
    "37",
    "41",
    "42",
    "44",
    "45",
    "50",
    "51",
    "53",
    "61",
    "62",
    "65",
    "81",
]
_CARD_PREFIXES: tuple[tuple[str, int], ...] = (
    ("622202", 19),
    ("622848", 19),
    ("621700", 19),
    ("622588", 16),
    ("623058", 19),
    ("621483", 16),
    ("601382", 19),
    ("625966", 16),
    ("436742", 16),
    ("402674", 16),
    ("4", 16),
    ("518710", 16),
    ("524091", 16),
    ("2223", 16),
    ("356833", 16),
    ("378282", 15),
    ("371449", 15),
)
_DOMAINS = (
    "qq.com",
    "163.com",
    "126.com",
    "gmail.com",
    "outlook.com",
    "foxmail.com",
    "sina.com.cn",
    "hotmail.com",
    "yahoo.co.jp",
    "kefu-demo.cn",
    "mail.example.org",
    "company.com.cn",
)
_PLATE_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁苏浙赣鄂桂甘晋蒙陕吉闽贵粤川宁琼"
_PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"


def digits(rng: random.Random, count: int) -> str:
    """``count`` uniformly random decimal digits."""
    return "".join(rng.choice(string.digits) for _ in range(count))


def to_fullwidth(value: str) -> str:
    """Full-width form of an ASCII string (as typed with a Chinese IME)."""
    return value.translate(_FULLWIDTH)


def mobile(rng: random.Random) -> str:
    number = rng.choice(_MOBILE_PREFIXES) + digits(rng, 8)
    a, b, c = number[:3], number[3:7], number[7:]
    style = rng.random()
    if style < 0.4:
        return number
    if style < 0.55:
        return f"{a}-{b}-{c}"
    if style < 0.7:
        return f"{a} {b} {c}"
    if style < 0.78:
        return "+86" + number
    if style < 0.86:
        return f"+86 {a} {b} {c}"
    if style < 0.9:
        return "0086-" + number
    return to_fullwidth(number)


def landline(rng: random.Random) -> str:
    area = rng.choice(_AREAS)
    local = str(rng.randint(2, 8)) + digits(rng, 7 if len(area) == 3 else rng.choice((6, 7)))
    style = rng.random()
    if style < 0.45:
        text = f"{area}-{local}"
    elif style < 0.65:
        text = f"({area}){local}"
    elif style < 0.75:
        text = f"（{area}）{local}"
    else:
        text = f"{area} {local}"
    if rng.random() < 0.2:
        text += rng.choice(("-", "转", " ext. ")) + digits(rng, rng.randint(2, 4))
    return text


def international(rng: random.Random) -> str:
    def d(count: int) -> str:  # a short local name keeps the formats below readable
        return digits(rng, count)

    return rng.choice(
        (
            f"+44 20 {rng.randint(2, 8)}{d(3)} {d(4)}",
            f"+44 7{d(3)} {d(6)}",
            f"+1-{rng.randint(2, 9)}{d(2)}-{rng.randint(2, 9)}{d(2)}-{d(4)}",
            f"+1 ({rng.randint(2, 9)}{d(2)}) {rng.randint(2, 9)}{d(2)}-{d(4)}",
            f"+81 3-{d(4)}-{d(4)}",
            f"+65 {rng.randint(6, 9)}{d(3)} {d(4)}",
            f"+852 {rng.randint(2, 9)}{d(3)} {d(4)}",
            f"+49 30 {d(8)}",
            f"+61 4{d(2)} {d(3)} {d(3)}",
        )
    )


def north_american(rng: random.Random) -> str:
    area, exchange = f"{rng.randint(2, 9)}{digits(rng, 2)}", f"{rng.randint(2, 9)}{digits(rng, 2)}"
    return rng.choice((f"({area}) {exchange}-{digits(rng, 4)}", f"{area}-{exchange}-{digits(rng, 4)}"))


def _id_body(rng: random.Random, *, valid_date: bool = True) -> str:
    region = rng.choice(_PROVINCES) + f"{rng.randint(1, 20):02d}{rng.randint(1, 30):02d}"
    year = rng.randint(1940, 2010)
    month, day = rng.randint(1, 12), rng.randint(1, 28)
    if not valid_date:
        month, day = rng.choice(((13, 1), (0, 10), (2, 30), (4, 31), (11, 0), (19, 12)))
    return f"{region}{year}{month:02d}{day:02d}{digits(rng, 3)}"


def id_card(rng: random.Random) -> str:
    body = _id_body(rng)
    value = body + id_card_check_char(body)
    style = rng.random()
    if value.endswith("X") and style < 0.3:
        return value[:-1] + "x"
    if style < 0.1:
        return f"{value[:6]} {value[6:14]} {value[14:]}"
    if style < 0.15:
        return to_fullwidth(value)
    return value


def invalid_id_card(rng: random.Random) -> str:
    """An 18-digit ID-shaped number with a wrong check digit or an impossible birth date."""
    if rng.random() < 0.5:
        body = _id_body(rng)
        right = id_card_check_char(body)
        return body + rng.choice([c for c in "0123456789X" if c != right])
    body = _id_body(rng, valid_date=False)
    return body + id_card_check_char(body)


def luhn_complete(partial: str) -> str:
    """Append the Luhn check digit to ``partial``."""
    total = 0
    for index, char in enumerate(reversed(partial)):
        digit = int(char) * (2 if index % 2 == 0 else 1)
        total += digit - 9 if digit > 9 else digit
    return partial + str((10 - total % 10) % 10)


def _group_card(number: str, rng: random.Random) -> str:
    style = rng.random()
    if style < 0.5:
        return number
    if len(number) == 15:
        return f"{number[:4]} {number[4:10]} {number[10:]}"
    sep = " " if style < 0.8 else "-"
    if style > 0.93:
        return to_fullwidth(number)
    return sep.join(number[i : i + 4] for i in range(0, len(number), 4))


def bank_card(rng: random.Random) -> str:
    prefix, length = rng.choice(_CARD_PREFIXES)
    return _group_card(luhn_complete(prefix + digits(rng, length - len(prefix) - 1)), rng)


def invalid_bank_card(rng: random.Random) -> str:
    """A card-shaped number whose Luhn check fails."""
    prefix, length = rng.choice(_CARD_PREFIXES)
    valid = luhn_complete(prefix + digits(rng, length - len(prefix) - 1))
    wrong = str((int(valid[-1]) + rng.randint(1, 9)) % 10)
    return _group_card(valid[:-1] + wrong, rng)


def email(rng: random.Random) -> str:
    alphabet = string.ascii_lowercase + string.digits
    local = rng.choice(string.ascii_lowercase) + "".join(rng.choice(alphabet) for _ in range(rng.randint(2, 10)))
    if rng.random() < 0.35:
        local += rng.choice("._-+") + "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 6)))
    if rng.random() < 0.1:
        local = local.capitalize()
    return f"{local}@{rng.choice(_DOMAINS)}"


def ip_address(rng: random.Random) -> str:
    if rng.random() < 0.75:
        octets = [rng.randint(1 if i == 0 else 0, 255) for i in range(4)]
        octets[0] += octets[0] == 127  # loopback identifies nobody and is not masked: see synthetic_text
        return ".".join(map(str, octets))
    groups = [f"{rng.randint(0, 0xFFFF):x}" for _ in range(8)]
    if rng.random() < 0.5:
        return "2001:db8::" + groups[7]
    return ":".join(groups)


def passport(rng: random.Random) -> str:
    return rng.choice(
        (
            "E" + digits(rng, 8),
            "E" + rng.choice(_PLATE_LETTERS) + digits(rng, 7),
            "G" + digits(rng, 8),
            rng.choice("KPX") + digits(rng, 8),
        )
    )


def plate(rng: random.Random) -> str:
    head = rng.choice(_PLATE_PROVINCES) + rng.choice(_PLATE_LETTERS)
    sep = rng.choice(("", "", "·", " "))
    if rng.random() < 0.3:
        return head + sep + rng.choice("DF") + digits(rng, 5)
    tail = "".join(rng.choice(string.digits + _PLATE_LETTERS) for _ in range(4)) + rng.choice(string.digits)
    return head + sep + tail
