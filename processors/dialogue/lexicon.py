"""Word lists the dialogue rules read: products, return reasons, topics and payment methods.

They describe the shop of the sample knowledge base (``serving/knowledge/sample_kb``); a tenant with another
catalogue passes its own :class:`Lexicon` to the slot extractor and the condenser.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

__all__ = ["DEFAULT_LEXICON", "Lexicon", "Topic"]


@dataclass(frozen=True)
class Topic:
    """A subject of conversation, as the knowledge base groups its documents.

    ``keywords`` are matched as lower-cased substrings; ``label_zh``/``label_en`` are what a rewritten
    query says ("退货", "returns").
    """

    name: str
    label_zh: str
    label_en: str
    keywords: tuple[str, ...]


def _frozen(pairs: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(pairs))


# Canonical product name <- surface forms (Chinese and English). Longer forms are tried first.
_PRODUCTS: dict[str, tuple[str, ...]] = {
    "手机": ("手机", "iphone", "phone", "smartphone"),
    "耳机": ("蓝牙耳机", "无线耳机", "耳机", "earbuds", "headphones", "headset"),
    "平板": ("平板电脑", "平板", "ipad", "tablet"),
    "笔记本电脑": ("笔记本电脑", "笔记本", "laptop", "notebook"),
    "智能手表": ("智能手表", "手表", "smartwatch", "watch"),
    "充电器": ("充电器", "充电头", "charger"),
    "充电宝": ("充电宝", "移动电源", "power bank"),
    "数据线": ("数据线", "充电线", "cable"),
    "冰箱": ("冰箱", "fridge", "refrigerator"),
    "洗衣机": ("洗衣机", "washing machine", "washer"),
    "空调": ("空调", "air conditioner"),
    "电视": ("电视机", "电视", "tv", "television"),
    "电饭煲": ("电饭煲", "电饭锅", "rice cooker"),
    "空气炸锅": ("空气炸锅", "air fryer"),
    "扫地机器人": ("扫地机器人", "扫地机", "robot vacuum", "vacuum"),
    "吹风机": ("吹风机", "电吹风", "hair dryer", "hairdryer"),
    "电动牙刷": ("电动牙刷", "牙刷", "electric toothbrush", "toothbrush"),
    "羽绒服": ("羽绒服", "down jacket", "jacket"),
    "T恤": ("t恤", "短袖", "t-shirt", "tshirt"),
    "连衣裙": ("连衣裙", "裙子", "dress"),
    "运动鞋": ("运动鞋", "跑鞋", "鞋子", "sneakers", "shoes"),
    "背包": ("双肩包", "背包", "书包", "backpack"),
    "化妆品": ("化妆品", "口红", "面霜", "lipstick", "cosmetics"),
    "大米": ("大米", "rice"),
    "咖啡": ("咖啡豆", "咖啡", "coffee"),
    "猫粮": ("猫粮", "cat food"),
    "水果": ("水果", "生鲜", "fruit"),
}

# Return-reason codes <- cue phrases. Order matters: the first code whose cue matches wins within one cue
# position, so the more specific reasons come before "quality".
_REASONS: dict[str, tuple[str, ...]] = {
    "wrong_item": ("发错", "错发", "不是我买的", "wrong item", "sent the wrong"),
    "missing_item": ("漏发", "少发", "少件", "缺件", "少了一", "missing"),
    "damaged": ("破损", "压坏", "摔坏了", "碎了", "压扁", "damaged", "broken in transit", "arrived broken"),
    "not_as_described": ("与描述不符", "和描述不符", "货不对板", "色差", "not as described"),
    "size_fit": ("尺码", "不合身", "太大了", "太小了", "偏大", "偏小", "不合适", "doesn't fit", "too small", "too big"),
    "quality": (
        "质量问题",
        "坏了",
        "坏的",
        "坏掉",
        "故障",
        "开不了机",
        "无法开机",
        "不能用",
        "用不了",
        "不好用",
        "瑕疵",
        "有问题",
        "不工作",
        "defective",
        "stopped working",
        "doesn't work",
        "broken",
        "faulty",
    ),
    "changed_mind": (
        "不想要",
        "不喜欢",
        "拍错",
        "买错",
        "买多了",
        "无理由",
        "changed my mind",
        "don't want",
        "no longer need",
    ),
}

_PAYMENT_METHODS: dict[str, tuple[str, ...]] = {
    "wechat_pay": ("微信支付", "微信付", "wechat pay", "wechat"),
    "alipay": ("支付宝", "花呗", "alipay"),
    "credit_card": ("信用卡", "credit card"),
    "debit_card": ("储蓄卡", "借记卡", "银行卡", "debit card", "bank card"),
    "wallet": ("钱包余额", "kefu钱包", "余额", "wallet"),
    "cash_on_delivery": ("货到付款", "cash on delivery"),
}

_INVOICE_TYPES: dict[str, tuple[str, ...]] = {
    "vat_special": ("增值税专用发票", "专用发票", "专票", "vat invoice", "special invoice"),
    "electronic": ("电子发票", "电子普通发票", "普票", "e-invoice", "electronic invoice"),
}

_TOPICS: tuple[Topic, ...] = (
    Topic("invoices", "发票", "invoices", ("发票", "开票", "抬头", "税号", "invoice", "receipt")),
    Topic("refunds", "退款", "refunds", ("退款", "退钱", "到账", "refund", "money back")),
    Topic(
        "returns",
        "退货",
        "returns",
        # "退货的运费" is a returns question (who pays for sending it back), though 运费 alone is shipping
        (
            "退货",
            "退换",
            "换货",
            "无理由",
            "退回",
            "能退",
            "可以退",
            "退货运费",
            "退货的运费",
            "寄回运费",
            "return",
            "exchange",
        ),
    ),
    Topic(
        "shipping",
        "配送",
        "shipping",
        (
            "运费",
            "包邮",
            "快递",
            "物流",
            "发货",
            "配送",
            "送达",
            "到货",
            "收货地址",
            "改地址",
            "shipping",
            "delivery",
            "deliver",
            "ship",
            "tracking",
            "parcel",
            "package",
        ),
    ),
    Topic("warranty", "保修", "warranty", ("保修", "维修", "修理", "售后", "warranty", "repair")),
    Topic(
        "payment", "支付", "payment", ("支付", "付款", "扣款", "分期", "扣了", "payment", "pay ", "charged", "instal")
    ),
    Topic(
        "promotions",
        "优惠券",
        "coupons",
        ("优惠券", "优惠", "满减", "价保", "价格保护", "降价", "新人券", "coupon", "discount", "price drop"),
    ),
    Topic("membership", "会员积分", "membership", ("会员", "积分", "金卡", "银卡", "钻石", "member", "points")),
    Topic(
        "accounts",
        "账户",
        "accounts",
        (
            "密码",
            "登录",
            "登陆",
            "账号",
            "账户",
            "注销",
            "绑定手机",
            "验证码",
            "password",
            "log in",
            "login",
            "account",
        ),
    ),
)

# Intent labels of the shipped intent model -> topic, used when no keyword names the topic.
_INTENT_TOPICS: dict[str, str] = {
    "where_is_my_order": "shipping",
    "urge_shipping": "shipping",
    "change_address": "shipping",
    "delivery_time_slot": "shipping",
    "shipping_fee": "shipping",
    "return_refund": "returns",
    "exchange_item": "returns",
    "wrong_or_missing_item": "returns",
    "damaged_item": "returns",
    "cancel_order": "refunds",
    "invoice": "invoices",
    "coupon": "promotions",
    "price_protection": "promotions",
    "account_login": "accounts",
    "payment_issue": "payment",
    "repair_warranty": "warranty",
    "membership_points": "membership",
}


@dataclass(frozen=True)
class Lexicon:
    """The word lists of one catalogue.

    Examples
    --------
    >>> DEFAULT_LEXICON.topic("shipping").label_zh
    '配送'
    >>> sorted(DEFAULT_LEXICON.products)[:2]
    ['T恤', '充电器']
    """

    products: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: _frozen_lists(_PRODUCTS))
    reasons: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: _frozen_lists(_REASONS))
    payment_methods: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: _frozen_lists(_PAYMENT_METHODS))
    invoice_types: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: _frozen_lists(_INVOICE_TYPES))
    topics: tuple[Topic, ...] = _TOPICS
    intent_topics: Mapping[str, str] = field(default_factory=lambda: _frozen(_INTENT_TOPICS))

    def topic(self, name: str) -> Topic:
        """The topic called ``name``; ``KeyError`` when there is none."""
        for topic in self.topics:
            if topic.name == name:
                return topic
        raise KeyError(name)


def _frozen_lists(table: Mapping[str, tuple[str, ...]]) -> Mapping[str, tuple[str, ...]]:
    return MappingProxyType({key: tuple(values) for key, values in table.items()})


DEFAULT_LEXICON = Lexicon()
"""The catalogue of the sample shop."""
