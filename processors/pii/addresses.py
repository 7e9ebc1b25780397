"""Street addresses: chains of Chinese administrative and street components, and English street lines.

A Chinese address is a run of components (省/市/区/县/镇/路/号/小区/栋/单元/室 ...). One component alone
(路上, 3号, 市场) is ordinary language, so a span needs at least two components and at least one of them
below the district level (street, number, estate, building, unit or room).
"""

from __future__ import annotations

import re

from .entities import Candidate

PRIORITY_ADDRESS = 20

# A place-name character: any CJK character except those that end a phrase or start a verb phrase, so
# that "我住在北京市" yields 北京市 and not 我住在北京市.
_P = "(?:(?![我你他她的是在到了吗呢吧啊请帮把给送寄发住与跟从往去要想就也还又很找这那哪已于])[\u4e00-\u9fff])"
_NUM = r"(?:(?<!\d)\d{1,5}|[一二三四五六七八九十百]{1,4})"

_COMPONENTS: tuple[tuple[str, bool], ...] = (
    # (pattern, fine-grained?)
    (_P + r"{2,6}?(?:省|自治区|特别行政区)", False),
    (_P + r"{1,6}?(?:市|自治州|地区|盟)", False),
    (_P + r"{1,6}?(?:区|县|旗)", False),
    (_P + r"{1,6}?(?:镇|乡|街道|开发区|新区)", False),
    (r"(?:" + _P + r"|[A-Za-z0-9]){1,10}?(?:路|街|大道|大街|巷|弄|胡同|里)(?:" + _NUM + r"(?:段|巷|弄|支路))?", True),
    (_NUM + r"(?:-" + _NUM + r")?号(?:院)?", True),
    (_P + r"{2,8}?(?:小区|花园|公寓|大厦|广场|家园|园|苑|新村|村|社区|中心|大楼|园区|府|庭|湾|城|公馆|名苑|雅居)", True),
    (r"(?:" + _NUM + r"|[A-Za-z])(?:栋|幢|号楼|座|期)", True),
    (_NUM + r"单元", True),
    (_NUM + r"(?:楼|层)", True),
    (r"(?<!\d)\d{1,5}(?:室|房|号房)|(?<=[栋幢座楼元])\d{3,4}(?![0-9年月日元号块个件天])", True),
)
_ZH_ADDRESS = re.compile("".join("(" + pattern + ")?" for pattern, _ in _COMPONENTS))
_FINE_GROUPS = tuple(i + 1 for i, (_, fine) in enumerate(_COMPONENTS) if fine)
_GAP = re.compile(_P + "{0,6}")
_SUFFIX_HINT = re.compile(r"[省市区县镇乡路街道巷弄号栋幢单元室楼层苑村府庭湾城厦寓园]")

_EN_ADDRESS = re.compile(
    r"\b\d{1,6} (?:[A-Z][a-z]+ ){1,4}"
    r"(?:Street|St|Road|Rd|Avenue|Ave|Boulevard|Blvd|Lane|Ln|Drive|Dr|Way|Court|Ct|Place|Pl|Parkway|Pkwy"
    r"|Terrace|Square|Sq|Highway|Hwy)\b\.?"
    r"(?:,? (?:Apt|Apartment|Suite|Ste|Unit|Flat|#)\.? ?[0-9A-Za-z-]+)?"
    r"(?:, (?:[A-Z][a-z]+ ){0,2}[A-Z][a-z]+(?:, [A-Z]{2})?(?: \d{5}(?:-\d{4})?)?)?"
)


def _chinese_address_spans(text: str) -> list[tuple[int, int]]:
    """Chain component runs, bridging short gaps of place characters (an estate name not in the suffix
    list, e.g. 碧桂 in 碧桂XX), then keep chains with enough structure to be an address."""
    runs: list[list[int]] = []  # [start, end, components, fine components]
    for match in _ZH_ADDRESS.finditer(text):
        if match.start() == match.end():
            continue
        groups = [i for i in range(1, len(_COMPONENTS) + 1) if match.group(i)]
        fine = sum(1 for i in groups if i in _FINE_GROUPS)
        if runs and _GAP.fullmatch(text, runs[-1][1], match.start()):
            last = runs[-1]
            last[1], last[2], last[3] = match.end(), last[2] + len(groups), last[3] + fine
        else:
            runs.append([match.start(), match.end(), len(groups), fine])
    return [(start, end) for start, end, count, fine in runs if count >= 2 and fine and end - start >= 4]


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
    found: list[Candidate] = []
    if _SUFFIX_HINT.search(text):
        for start, end in _chinese_address_spans(text):
            found.append(Candidate("ADDRESS", start, end, text[start:end], PRIORITY_ADDRESS))
    if text.isascii() or " " in text:
        for match in _EN_ADDRESS.finditer(text):
            found.append(Candidate("ADDRESS", match.start(), match.end(), match.group().lower(), PRIORITY_ADDRESS))
    return found
