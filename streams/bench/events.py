"""Synthetic customer-service messages for benchmarks: realistic length, mixed intents, some personal data."""

from __future__ import annotations

import random
from typing import Any

_TEMPLATES = (
    "你好，我的订单{order}到哪了？已经三天了还没到",
    "我要退货，手机号{phone}，麻烦尽快处理",
    "请问发票怎么开？抬头写公司名称可以吗",
    "太慢了！客服一直不回复，气死我了，我要投诉",
    "优惠券用不了，结算的时候提示不满足条件",
    "我的邮箱是{email}，账号登录不上去了",
    "商品收到了有破损，外包装都压坏了，怎么处理",
    "能不能改一下收货地址？改到公司",
    "谢谢，问题解决了，服务很好",
    "Hi, where is my order {order}? It has been a week.",
    "退款什么时候到账？我的卡号{card}",
    "这个型号有黑色的吗？下周能发货吗",
)
_CARDS = ("6222 0212 3456 7890 128", "4111-1111-1111-1111")


def synthetic_event(i: int, run: str, ts_ms: int, rng: random.Random, conversations: int = 2000) -> dict[str, Any]:
    """One ConversationEvent datum; ``i`` makes its id and text unique (no accidental near-duplicates)."""
    text = rng.choice(_TEMPLATES).format(
        order=f"{rng.randrange(10**15, 10**16)}",
        phone=f"13{rng.randrange(10**8, 10**9)}",
        email=f"user{rng.randrange(10**6)}@example.com",
        card=rng.choice(_CARDS),
    )
    return {
        "event_id": f"{run}-{i}",
        "conversation_id": f"{run}-c{i % conversations}",
        "tenant_id": f"tenant-{i % 3}",
        "channel": rng.choice(("web", "app", "wechat")),
        "user_id": f"u{i % conversations}",
        "role": "customer",
        "text": f"{text}（{i}）",
        "ts": ts_ms,
        "locale": "zh-CN",
        "metadata": {},
        "attachments": None,
    }
