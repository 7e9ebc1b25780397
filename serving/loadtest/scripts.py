"""Simulated customer conversations: realistic zh/en questions about orders, refunds and shipping, some with PII.

Every turn of a conversation has a different text (the stream drops the same text from the same conversation
within ``KEFU_NEAR_DUPLICATE_WINDOW_S`` as a duplicate, which a real customer retyping a question would hit too).

Examples
--------
>>> import random
>>> turns = conversation_turns(random.Random(7), 3)
>>> len(turns), len(set(turns))
(3, 3)
"""

from __future__ import annotations

import random

_OPENERS = (
    "你好，我的订单{order}到哪了？已经三天了还没收到",
    "我想退货，订单号{order}，怎么申请七天无理由退货？",
    "退款什么时候到账？我是用银行卡{card}付的",
    "快递显示已签收但我没收到，手机{phone}",
    "发票怎么开？抬头写公司名称可以吗",
    "我的收货地址写错了，能改成北京市朝阳区建国路88号吗",
    "Hi, where is my order {order}? It has been a week.",
    "How do I return an item I bought last week? My email is {email}",
    "When will my refund arrive? I paid with card {card}",
    "Can I change the shipping address of order {order}?",
)
_FOLLOW_UPS = (
    "运费谁出？",
    "大概要多久？",
    "那如果超过七天了呢？",
    "我的电话是{phone}，可以打给我吗",
    "商品有破损，外包装都压坏了，怎么处理",
    "优惠券还能退回来吗？",
    "能不能加急发货？",
    "好的，谢谢",
    "How long does it take?",
    "Who pays for the return shipping?",
    "Is there a fee for that?",
    "Thanks, that helps.",
)
_CARDS = ("6222 0212 3456 7890 128", "4111-1111-1111-1111")


def _fill(template: str, rng: random.Random) -> str:
    return template.format(
        order=f"{rng.randrange(10**15, 10**16)}",
        phone=f"13{rng.randrange(10**8, 10**9)}",
        email=f"user{rng.randrange(10**6)}@example.com",
        card=rng.choice(_CARDS),
    )


def conversation_turns(rng: random.Random, turns: int) -> list[str]:
    """``turns`` customer messages: an opening question, then follow-ups, all different."""
    texts = [_fill(rng.choice(_OPENERS), rng)]
    follow_ups = rng.sample(_FOLLOW_UPS, k=min(max(turns - 1, 0), len(_FOLLOW_UPS)))
    while len(texts) < turns:
        text = _fill(follow_ups[(len(texts) - 1) % len(follow_ups)], rng)
        if text in texts:  # more turns than follow-ups: number them, as a customer adds detail
            text = f"{text}（第{len(texts) + 1}次）"
        texts.append(text)
    return texts
