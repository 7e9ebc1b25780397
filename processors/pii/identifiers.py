"""Detectors for alphanumeric identifiers: e-mail, IPv4/IPv6, passports and licence plates."""

from __future__ import annotations

import ipaddress
import re

from .context import Context, context_before
from .entities import Candidate

PRIORITY_EMAIL = 95
PRIORITY_IP = 60
PRIORITY_PASSPORT = 55
PRIORITY_PLATE = 50

# The local part may start with "_", "-", "%" or "+" ("__li@qq.com"), never with "."; a hyphen right after the
# domain ("a@b.co.jp-谢谢", or a dash folded to "-") ends it, since a domain label cannot end with one.
_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9_%+-](?:[A-Za-z0-9._%+-]{0,63})@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![A-Za-z0-9])"
)
_IPV4 = re.compile(
    r"(?<![0-9A-Za-z.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
    r"(?![0-9A-Za-z]|\.\d)"
)
# An optional dotted tail reads IPv4-mapped addresses (::ffff:192.0.2.1) as one address.
_IPV6_CANDIDATE = re.compile(
    r"(?<![0-9A-Za-z:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:\.\d{1,3}\.\d{1,3}\.\d{1,3})?(?![0-9A-Za-z:])"
)

# Chinese passports: E + 8 digits, E + letter + 7 digits, G/D/S/P + 7-8 digits; HK/Macau permits H/M.
_PASSPORT_CN = re.compile(r"(?<![0-9A-Za-z])(?:E[0-9A-HJ-NP-Z]\d{7}|[EG]\d{8}|[DSPHM]\d{8}|[DSP]E\d{7})(?![0-9A-Za-z])")
# Any passport after an explicit cue: one or two letters then 6-9 digits (most national formats).
_PASSPORT_GENERIC = re.compile(r"(?<![0-9A-Za-z])[A-Z]{1,2}\d{6,9}(?![0-9A-Za-z])")
_DATE_LIKE = re.compile(r"(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])")

_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_PLATE = re.compile(
    r"[" + _PROVINCES + r"][A-HJ-NP-Z][ ·•.-]?"
    r"(?:[DF][0-9A-HJ-NP-Z]\d{4}|\d{5}[DF]|[0-9A-HJ-NP-Z]{4}[0-9A-HJ-NP-Z挂学警港澳])"
    r"(?![0-9A-Za-z])"
)


def find_emails(text: str) -> list[Candidate]:
    """E-mail addresses (ASCII local part; Chinese text may touch them on either side).

    Examples
    --------
    >>> [c[:3] for c in find_emails("邮箱zhang.san@qq.com谢谢")]
    [('EMAIL', 2, 18)]
    """
    if "@" not in text:
        return []
    return [Candidate("EMAIL", m.start(), m.end(), m.group().lower(), PRIORITY_EMAIL) for m in _EMAIL.finditer(text)]


def _identifies_nobody(ipv4: str) -> bool:
    """Loopback (127.0.0.0/8) and unspecified (0.0.0.0) addresses name no host outside the machine itself."""
    return ipv4.startswith("127.") or ipv4 == "0.0.0.0"


def find_ip_addresses(text: str) -> list[Candidate]:
    """IPv4 dotted quads and IPv6 addresses validated by :mod:`ipaddress`, except loopback and unspecified ones.

    Private ranges (10/8, 172.16/12, 192.168/16, fc00::/7) are reported: with a time they point to one device on
    one network, and a pattern cannot tell a customer's address from a service's.

    Examples
    --------
    >>> [c[:3] for c in find_ip_addresses("IP 192.168.1.10 和 2001:db8::1, 版本1.2.3")]
    [('IP', 3, 15), ('IP', 18, 29)]
    >>> find_ip_addresses("时间 12:30:45")
    []
    >>> find_ip_addresses("ready at http://127.0.0.1:59869/llm/fast, [::1]:8080, 0.0.0.0:8000")
    []
    """
    found: list[Candidate] = []
    if "." in text:
        for match in _IPV4.finditer(text):
            if not _identifies_nobody(match.group()):
                found.append(Candidate("IP", match.start(), match.end(), match.group(), PRIORITY_IP))
    if text.count(":") >= 2:
        for match in _IPV6_CANDIDATE.finditer(text):
            value = match.group()
            # Clock times (12:30:45) are not addresses: require :: or a full eight groups.
            if "::" not in value and value.count(":") != 7:
                continue
            try:
                address = ipaddress.IPv6Address(value)
            except ValueError:
                continue
            mapped = address.ipv4_mapped
            if address.is_loopback or address.is_unspecified or (mapped and _identifies_nobody(str(mapped))):
                continue
            found.append(Candidate("IP", match.start(), match.end(), address.compressed, PRIORITY_IP))
    return found


def find_passports(text: str) -> list[Candidate]:
    """Chinese passport/permit numbers, and any letters+digits number right after 护照/passport.

    Examples
    --------
    >>> [c[:3] for c in find_passports("护照号E12345678")]
    [('PASSPORT', 3, 12)]
    >>> find_passports("订单E20240521")
    []
    """
    found: list[Candidate] = []
    for match in _PASSPORT_CN.finditer(text):
        context = context_before(text, match.start())
        if context is Context.BUSINESS:
            continue
        # E20240521 is far more often a dated order reference than a passport: require a cue.
        if _DATE_LIKE.fullmatch(match.group()[1:]) and context is not Context.PASSPORT:
            continue
        found.append(Candidate("PASSPORT", match.start(), match.end(), match.group(), PRIORITY_PASSPORT))
    seen = {(c.start, c.end) for c in found}
    for match in _PASSPORT_GENERIC.finditer(text):
        if (match.start(), match.end()) in seen:
            continue
        if context_before(text, match.start()) is Context.PASSPORT:
            found.append(Candidate("PASSPORT", match.start(), match.end(), match.group(), PRIORITY_PASSPORT))
    return found


def find_plates(text: str) -> list[Candidate]:
    """Mainland licence plates, including 8-character new-energy plates (粤B·D12345).

    Examples
    --------
    >>> [c[:3] for c in find_plates("车牌京A12345，另一辆粤B·D12345")]
    [('PLATE', 2, 9), ('PLATE', 13, 22)]
    """
    found: list[Candidate] = []
    for match in _PLATE.finditer(text):
        key = re.sub(r"[ ·•.-]", "", match.group())
        found.append(Candidate("PLATE", match.start(), match.end(), key, PRIORITY_PLATE))
    return found
