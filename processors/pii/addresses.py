"""Street addresses: chains of Chinese administrative and street components, and English street lines.

A Chinese address is found from its component suffixes (省/市/区/县/镇/路/号/小区/栋/单元/室 ...), which a
single regex scan locates quickly; each suffix then extends left over its name (place characters) or
number. One component alone (路上, 3号, 市场) is ordinary language, so a chain needs at least two
components and at least one below the district level (street, estate, number, building, unit, room).
"""

from __future__ import annotations

import re

from .entities import Candidate

PRIORITY_ADDRESS = 20

# Characters that cannot be part of a place name: they end the name on the left, so that "我住在北京市"
# yields 北京市 and not 我住在北京市.
_NOT_PLACE = frozenset("我你他她的是在到了吗呢吧啊请帮把给送寄发住与跟从往去要想就也还又很找这那哪已于址改票么")
_NUMERIC_CHARS = frozenset("0123456789一二三四五六七八九十百零〇-ABCDEFGHJKLMNPQRSTUVWXYZabcdefghjkmnpqrstuvwxyz")
_MAX_NAME = 8
_MAX_NUMBER = 6

# Longer suffixes first so that 小区 is not read as 区, nor 大街 as 街.
_ADMIN: tuple[str, ...] = (
    "特别行政区",
    "自治区",
    "自治州",
    "开发区",
    "新区",
    "街道",
    "地区",
    "省",
    "市(?![场值面民])",
    "盟",
    "区(?![别域分间块])",
    "县",
    "旗",
    "镇",
    "乡",
)
_STREET: tuple[str, ...] = (
    "胡同",
    "大道",
    "大街",
    "小区",
    "花园",
    "公寓",
    "大厦",
    "广场",
    "家园",
    "新村",
    "社区",
    "大楼",
    "园区",
    "公馆",
    "中心",
    "路",
    "街",
    "巷",
    "弄",
    "园",
    "苑",
    "村",
    "府",
    "湾",
    "庭",
    "城(?!市)",
)
_NUMBERED = ("号楼", "号院", "号房", "单元", "号(?![码线称])", "栋", "幢", "座", "期", "楼", "层", "室", "房")

# One plain alternation (named groups would disable re's first-character scan: ~90x slower); the kind
# of a hit is looked up from its text: "a" administrative, "s" street-level, "n" numbered.
_SUFFIX = re.compile("|".join(_ADMIN + _STREET + _NUMBERED))
_LOOKAHEAD = re.compile(r"\(\?!.*\)")
_SUFFIX_KIND: dict[str, str] = {
    _LOOKAHEAD.sub("", suffix): kind
    for kind, group in (("a", _ADMIN), ("s", _STREET), ("n", _NUMBERED))
    for suffix in group
}
# A bare room number after a building or unit (2单元501); not the number of a following component.
_ROOM_TAIL = re.compile(r"-?\d{2,4}(?![0-9年月日元号块个件天单栋幢座楼层室期])")
_BUILDING_KINDS = frozenset(("号楼", "单元", "栋", "幢", "座", "楼", "层"))

_EN_ADDRESS = re.compile(
    r"\b\d{1,6} (?:[A-Z][a-z]+ ){1,4}"
    r"(?:Street|St|Road|Rd|Avenue|Ave|Boulevard|Blvd|Lane|Ln|Drive|Dr|Way|Court|Ct|Place|Pl|Parkway|Pkwy"
    r"|Terrace|Square|Sq|Highway|Hwy)\b\.?"
    r"(?:,? (?:Apt|Apartment|Suite|Ste|Unit|Flat|#)\.? ?[0-9A-Za-z-]+)?"
    r"(?:, (?:[A-Z][a-z]+ ){0,2}[A-Z][a-z]+(?:, [A-Z]{2})?(?: \d{5}(?:-\d{4})?)?)?"
)


def _extend_left(text: str, start: int, floor: int, numbered: bool) -> int:
    """Start of the name (or number) that a suffix at ``start`` closes, not going below ``floor``."""
    limit = max(floor, start - (_MAX_NUMBER if numbered else _MAX_NAME))
    index = start
    while index > limit:
        char = text[index - 1]
        if numbered:
            if char not in _NUMERIC_CHARS:
                break
        elif char in _NOT_PLACE or not "\u4e00" <= char <= "\u9fff":
            break
        index -= 1
    return index


def _chinese_address_spans(text: str) -> list[tuple[int, int]]:
    """Chain suffix components into address spans (see the module docstring for the rule)."""
    chains: list[list[int]] = []  # [start, end, components, fine components]
    previous_end = 0
    for match in _SUFFIX.finditer(text):
        kind = _SUFFIX_KIND[match.group()]
        numbered = kind[0] == "n"
        start = _extend_left(text, match.start(), previous_end, numbered)
        contiguous = bool(chains) and start == chains[-1][1]
        end = match.end()
        if numbered and match.group() in _BUILDING_KINDS:
            tail = _ROOM_TAIL.match(text, end)
            if tail:
                end = tail.end()
        if start == match.start():
            if not contiguous:
                continue  # 楼下, 市场 at a clause start: a suffix with no name or number
            chains[-1][1] = end  # 科技园 + 路: the suffix renames the previous component
            chains[-1][3] += kind[0] != "a"
            previous_end = end
            continue
        if numbered and not any(c.isdigit() or c in "一二三四五六七八九十" for c in text[start : match.start()]):
            continue
        if contiguous:
            chains[-1][1] = end
            chains[-1][2] += 1
            chains[-1][3] += kind[0] != "a"
        else:
            chains.append([start, end, 1, int(kind[0] != "a")])
        previous_end = end
    return [(start, end) for start, end, count, fine in chains if count >= 2 and fine and end - start >= 4]


def find_addresses(text: str) -> list[Candidate]:
    """Chinese and English street addresses.

    Examples
    --------
    >>> [c[:3] for c in find_addresses("寄到广东省深圳市南山区科技园路88号3栋2单元501室，谢谢")]
    [('ADDRESS', 2, 27)]
    >>> find_addresses("我知道了，路上小心，市场价3号发货")
    []
    >>> [c[:3] for c in find_addresses("Ship to 221 Baker Street, London please")]
    [('ADDRESS', 8, 32)]
    """
    found = [
        Candidate("ADDRESS", start, end, text[start:end], PRIORITY_ADDRESS)
        for start, end in _chinese_address_spans(text)
    ]
    if " " in text:
        for match in _EN_ADDRESS.finditer(text):
            found.append(Candidate("ADDRESS", match.start(), match.end(), match.group().lower(), PRIORITY_ADDRESS))
    return found
