"""A seeded generator of labelled customer-service messages for evaluating the masker.

Templates mix Chinese and English messages with PII slots (gold spans) and hard-negative slots (order
and tracking numbers, amounts, dates, invalid IDs/cards ...) whose spans are recorded so that masking
them can be counted.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass

from . import synthetic_text as st
from . import synthetic_values as sv


@dataclass(frozen=True, slots=True)
class Span:
    """A labelled span: a PII type for gold spans, a negative kind (ORDER, TRACKING ...) otherwise."""

    label: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Sample:
    """One generated message with its gold PII spans and its hard-negative spans."""

    text: str
    gold: tuple[Span, ...]
    negatives: tuple[Span, ...]


Generator = Callable[[random.Random], str]

# slot name -> (label, is_pii, value generator)
SLOTS: dict[str, tuple[str, bool, Generator]] = {
    "MOBILE": ("PHONE", True, sv.mobile),
    "LANDLINE": ("PHONE", True, sv.landline),
    "INTL": ("PHONE", True, sv.international),
    "NANP": ("PHONE", True, sv.north_american),
    "ID": ("ID_CARD", True, sv.id_card),
    "CARD": ("BANK_CARD", True, sv.bank_card),
    "EMAIL": ("EMAIL", True, sv.email),
    "IP": ("IP", True, sv.ip_address),
    "PASSPORT": ("PASSPORT", True, sv.passport),
    "PLATE": ("PLATE", True, sv.plate),
    "NAME": ("NAME", True, st.chinese_name),
    "SURNAME": ("NAME", True, st.chinese_surname),
    "EN_NAME": ("NAME", True, st.english_name),
    "EN_SURNAME": ("NAME", True, st.english_surname),
    "ADDRESS": ("ADDRESS", True, st.chinese_address),
    "EN_ADDRESS": ("ADDRESS", True, st.english_address),
    "ORDER": ("ORDER", False, st.order_number),
    "TRACKING": ("TRACKING", False, st.tracking_number),
    "AMOUNT": ("AMOUNT", False, st.amount),
    "DATE": ("DATE", False, st.date_or_time),
    "MODEL": ("MODEL", False, st.model_number),
    "COUPON": ("COUPON", False, st.coupon_code),
    "BAD_ID": ("INVALID_ID", False, sv.invalid_id_card),
    "BAD_CARD": ("INVALID_CARD", False, sv.invalid_bank_card),
    "NOT_NAME": ("NOT_NAME", False, st.not_a_name),
    "CALLED": ("NOT_NAME", False, st.called_for),
    "LOCAL_IP": ("LOCAL_IP", False, st.local_address),
}

TEMPLATES: tuple[str, ...] = (
    # Chinese
    "你好，我的手机号是{MOBILE}，订单号{ORDER}一直没发货",
    "订单{ORDER}能不能改一下收货电话？新的是{MOBILE}",
    "麻烦联系我{MOBILE}，或者打座机{LANDLINE}",
    "我叫{NAME}，身份证号{ID}，想查一下{DATE}的订单",
    "收件人：{NAME}，电话：{MOBILE}，地址：{ADDRESS}",
    "寄到{ADDRESS}，{SURNAME}先生收，电话{MOBILE}",
    "退款请退到我的银行卡{CARD}，金额{AMOUNT}",
    "卡号{CARD}，持卡人{NAME}，这笔{AMOUNT}扣了两次",
    "快递单号{TRACKING}，显示已签收但我没收到，我的电话{MOBILE}",
    "运单号：{TRACKING}，订单号：{ORDER}，麻烦查一下物流",
    "我的邮箱是{EMAIL}，发票请发这里，订单编号{ORDER}",
    "登录不了，IP是{IP}，账号绑定的邮箱{EMAIL}",
    "护照号码{PASSPORT}，要办理跨境购的实名认证",
    "车牌{PLATE}的车今天来取件，司机电话{MOBILE}",
    "身份证号码填错了，正确的是{ID}，不是{BAD_ID}",
    "卡号{BAD_CARD}好像输错了，我再核对一下",
    "{DATE}下的单，实付{AMOUNT}，型号{MODEL}，订单号{ORDER}",
    "优惠码{COUPON}用不了，订单{ORDER}，客服电话打不通",
    "{SURNAME}女士您好，您的订单{ORDER}已于{DATE}发出",
    "我是{NAME}，手机号码{MOBILE}，地址在{ADDRESS}",
    "联系人{NAME}，座机{LANDLINE}，邮箱{EMAIL}",
    "请把发票寄到{ADDRESS}，收件人{NAME}",
    "申请退货，订单号{ORDER}，快递单号{TRACKING}，金额{AMOUNT}",
    "证件号{ID}，手机{MOBILE}，银行卡{CARD}",
    "实名信息：{NAME}，{ID}",
    "我姓{SURNAME}，电话{MOBILE}，今天{DATE}能送到吗",
    "买的{MODEL}坏了，订单{ORDER}，{AMOUNT}，请回电{MOBILE}",
    "停车场车牌{PLATE}，卡号{CARD}",
    "海外客户，电话{INTL}，邮箱{EMAIL}",
    "这是我的身份证{ID}，请尽快审核",
    "为什么订单{ORDER}显示已取消？我付了{AMOUNT}",
    "物流单号{TRACKING}三天没更新了",
    "兑换码{COUPON}，{DATE}过期吗",
    "你们服务器{IP}是不是挂了",
    "通行证号码{PASSPORT}",
    "{NAME}，{MOBILE}，{ADDRESS}",
    # messaging-app ids glued to the number, as people type them
    "加我vx{MOBILE}详聊，订单{ORDER}",
    "{MOBILE}vx同号，快递单号{TRACKING}",
    "有问题打{MOBILE}or加QQ，型号{MODEL}",
    # self-introductions: the commonest way a customer gives a name
    "我叫{NAME}，订单{ORDER}怎么还没到",
    "你好，我是{NAME}先生，电话{MOBILE}",
    "本人{NAME}，申请退款{AMOUNT}",
    "姓名：{NAME}，手机：{MOBILE}",
    "我的名字是{NAME}，快递单号{TRACKING}",
    "{NAME}女士，您的订单{ORDER}已发货",
    # ... and what follows 我是/我叫 but is not a name
    "我是{NOT_NAME}，订单{ORDER}什么时候发货",
    "你好，我是{NOT_NAME}，优惠码{COUPON}用不了",
    "我叫{CALLED}上门取件了，单号{TRACKING}",
    "服务 http://{LOCAL_IP}:8080/health 打不开，订单{ORDER}",
    # English
    "Hi, my name is {EN_NAME}, order #{ORDER} has not arrived yet",
    "Please call me at {NANP} or email {EMAIL}",
    "My phone is {INTL}, tracking number {TRACKING}",
    "Refund to card {CARD} please, the amount was {AMOUNT}",
    "Ship to {EN_ADDRESS}, recipient: {EN_NAME}",
    "Mr. {EN_SURNAME} asked about order {ORDER} placed on {DATE}",
    "Passport number {PASSPORT}, I need to verify my account",
    "Login failed from {IP} at {DATE}",
    "Coupon {COUPON} does not work for model {MODEL}",
    "This is {EN_NAME}, my mobile is {MOBILE}",
    "Card {BAD_CARD} was declined, paid {AMOUNT} with another one",
    "Contact: {EN_NAME}, {INTL}, {EN_ADDRESS}",
    "Invoice {ORDER} for {AMOUNT}, send it to {EMAIL}",
    "store query endpoint http://{LOCAL_IP}:47207 ready, order {ORDER}",
)
_PREFIXES = ("", "", "", "您好，", "在吗？", "Hello, ", "急！", "客服你好 ")
_SUFFIXES = ("", "", "", "，谢谢", "。", " thanks", "！！", "，尽快处理")
_SLOT = re.compile(r"\{(\w+)\}")


def render(template: str, rng: random.Random) -> Sample:
    """Fill one template's slots and record the span of every slot value.

    Examples
    --------
    >>> sample = render("电话{MOBILE}，订单{ORDER}", random.Random(1))
    >>> [s.label for s in sample.gold], [s.label for s in sample.negatives]
    (['PHONE'], ['ORDER'])
    >>> g = sample.gold[0]
    >>> sample.text[:g.start]
    '电话'
    """
    parts: list[str] = []
    gold: list[Span] = []
    negatives: list[Span] = []
    cursor = 0
    for piece_index, piece in enumerate(_SLOT.split(template)):
        if piece_index % 2 == 0:
            parts.append(piece)
            cursor += len(piece)
            continue
        label, is_pii, generate = SLOTS[piece]
        value = generate(rng)
        (gold if is_pii else negatives).append(Span(label, cursor, cursor + len(value)))
        parts.append(value)
        cursor += len(value)
    return Sample("".join(parts), tuple(gold), tuple(negatives))


def generate_samples(n: int, seed: int) -> list[Sample]:
    """``n`` labelled messages from a seeded RNG (same seed, same samples).

    Examples
    --------
    >>> generate_samples(3, 7) == generate_samples(3, 7)
    True
    """
    rng = random.Random(seed)
    samples: list[Sample] = []
    for _ in range(n):
        sample = render(rng.choice(TEMPLATES), rng)
        prefix, suffix = rng.choice(_PREFIXES), rng.choice(_SUFFIXES)
        shift = len(prefix)
        samples.append(
            Sample(
                prefix + sample.text + suffix,
                tuple(Span(s.label, s.start + shift, s.end + shift) for s in sample.gold),
                tuple(Span(s.label, s.start + shift, s.end + shift) for s in sample.negatives),
            )
        )
    return samples
