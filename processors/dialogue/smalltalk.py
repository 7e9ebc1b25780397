"""Small talk: greetings, thanks, goodbyes and acknowledgements that need no knowledge base."""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

__all__ = ["SmallTalk", "small_talk_kind"]

SmallTalk = Literal["greeting", "thanks", "goodbye", "ack"]

_PHRASES: tuple[tuple[SmallTalk, tuple[str, ...]], ...] = (
    ("thanks", ("非常感谢", "多谢", "谢谢你", "谢谢您", "谢谢", "感谢", "thank you", "thanks", "thx", "辛苦了")),
    ("goodbye", ("再见", "拜拜", "没有了", "没事了", "没别的了", "goodbye", "bye", "see you")),
    (
        "greeting",
        (
            "你好",
            "您好",
            "在吗",
            "在不在",
            "有人吗",
            "hi there",
            "hello there",
            "hello",
            "hi",
            "hey",
            "good morning",
            "good afternoon",
            "早上好",
            "晚上好",
            "哈喽",
            "亲",
        ),
    ),
    (
        "ack",
        (
            "好的",
            "好滴",
            "明白了",
            "知道了",
            "懂了",
            "了解了",
            "收到",
            "嗯嗯",
            "嗯",
            "哦",
            "ok",
            "okay",
            "got it",
            "great",
        ),
    ),
)
_FILLER = re.compile(r"[\s\W_]+|[啊呀呢吧哈哦嘛啦喔么]+")


def small_talk_kind(text: str) -> SmallTalk | None:
    """The kind of small talk ``text`` is, or ``None`` when it says anything more.

    A message is small talk only when nothing is left once its small-talk phrases, punctuation and
    modal particles are removed: "你好" is a greeting, "你好，我想退货" is not.

    Examples
    --------
    >>> small_talk_kind("您好，在吗？"), small_talk_kind("谢谢啦！"), small_talk_kind("Thanks, bye")
    ('greeting', 'thanks', 'thanks')
    >>> small_talk_kind("你好，我想退货") is None
    True
    """
    rest = unicodedata.normalize("NFKC", text).lower()
    kinds: list[tuple[int, SmallTalk]] = []
    for kind, phrases in _PHRASES:
        for phrase in phrases:
            pattern = re.escape(phrase)
            if phrase.isascii():
                pattern = rf"(?<![a-z]){pattern}(?![a-z])"
            match = re.search(pattern, rest)
            if match:
                kinds.append((match.start(), kind))
                rest = re.sub(pattern, " ", rest)
    if not kinds or _FILLER.sub("", rest):
        return None
    # The substantive kind wins over an acknowledgement ("好的，谢谢" is thanks).
    preferred: tuple[SmallTalk, ...] = ("thanks", "goodbye", "greeting")
    for candidate in preferred:
        if any(kind == candidate for _, kind in kinds):
            return candidate
    return "ack"
