"""Each entity type: what must be masked, what must not, and where the spans are."""

from __future__ import annotations

import pytest

from processors.pii import mask_pii
from processors.pii.redact import redact_text


def spans(text: str) -> list[tuple[str, str]]:
    """(type, original substring) of every masked entity."""
    return [(e.type, text[e.start : e.end]) for e in mask_pii(text).entities]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我的手机13812345678", "13812345678"),
        ("电话 138-1234-5678 谢谢", "138-1234-5678"),
        ("电话 138 1234 5678", "138 1234 5678"),
        ("手机+8613812345678", "+8613812345678"),
        ("手机0086 138 1234 5678", "0086 138 1234 5678"),
        ("座机010-62345678", "010-62345678"),
        ("座机0755-2345678转801", "0755-2345678转801"),
        ("座机(021)62345678", "(021)62345678"),
        ("call +44 20 7946 0958 today", "+44 20 7946 0958"),
        ("call +1-415-555-0100", "+1-415-555-0100"),
        ("call (415) 555-0100", "(415) 555-0100"),
    ],
)
def test_phone_formats_are_masked(text: str, expected: str) -> None:
    assert spans(text) == [("PHONE", expected)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("13812345678vx同号", ("PHONE", "13812345678")),
        ("加我wx13812345678详聊", ("PHONE", "13812345678")),
        ("VX:13812345678", ("PHONE", "13812345678")),
        ("QQ(021)62345678", ("PHONE", "(021)62345678")),
        ("tel13812345678", ("PHONE", "13812345678")),
        ("call me at 13627954840asap", ("PHONE", "13627954840")),
        ("身份证11010519491231002Xok", ("ID_CARD", "11010519491231002X")),
    ],
)
def test_phones_and_ids_glued_to_letters_are_masked(text: str, expected: tuple[str, str]) -> None:
    assert spans(text) == [expected]


@pytest.mark.parametrize("text", ["SF13812345678", "JD13812345678", "订单abc13812345678", "编号13812345678901"])
def test_letters_before_a_number_still_make_it_a_code(text: str) -> None:
    assert spans(text) == []


def test_fullwidth_mobile_is_masked_with_original_offsets() -> None:
    text = "电话：１３８１２３４５６７８。"
    result = mask_pii(text)
    assert [(e.type, e.start, e.end) for e in result.entities] == [("PHONE", 3, 14)]
    assert result.masked == "电话：[PHONE_1]。"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("身份证11010519491231002X", ("ID_CARD", "11010519491231002X")),
        ("证件号 11010519491231002x", ("ID_CARD", "11010519491231002x")),
        ("卡号6212262201001234567", None),  # fails Luhn
        ("卡号 4111 1111 1111 1111", ("BANK_CARD", "4111 1111 1111 1111")),
        ("退到6011111111111117", ("BANK_CARD", "6011111111111117")),
        ("邮箱 Zhang.San+kefu@mail.example.com.cn 谢谢", ("EMAIL", "Zhang.San+kefu@mail.example.com.cn")),
        ("邮箱__li_lei@qq.com", ("EMAIL", "__li_lei@qq.com")),  # a local part may start with "_"
        ("发到a.b@yahoo.co.jp-谢谢", ("EMAIL", "a.b@yahoo.co.jp")),  # the whole domain, not a@...co
        ("mail me: li@example.com—thanks", ("EMAIL", "li@example.com")),  # an em dash after it
        ("来自 192.168.10.1 的登录", ("IP", "192.168.10.1")),
        ("address 2001:db8:85a3::8a2e:370:7334 failed", ("IP", "2001:db8:85a3::8a2e:370:7334")),
        ("护照号E12345678", ("PASSPORT", "E12345678")),
        ("passport no. K87654321", ("PASSPORT", "K87654321")),
        ("车牌粤B·D12345", ("PLATE", "粤B·D12345")),
        ("车牌京A12345", ("PLATE", "京A12345")),
    ],
)
def test_structured_identifiers(text: str, expected: tuple[str, str] | None) -> None:
    assert spans(text) == ([expected] if expected else [])


@pytest.mark.parametrize(
    "text",
    [
        "订单号2024052112345678还没发货",
        "订单号：4111111111111111",  # Luhn-valid and Visa-shaped, but an order number
        "订单 E20240521123456 已取消",
        "订单号 10212345678",  # 11 digits, not a mobile prefix
        "快递单号SF1234567890123",
        "运单号 773012345678901",
        "tracking number 4338566386744",
        "实付¥1,299.00，共12345678元",
        "2024-05-21 14:30:05 下单",
        "型号 SM-G9980，RTX4090",
        "优惠码 ABCD-1234-EFGH",
        "身份证号110105194912310021",  # bad check digit
        "身份证号110105194913310029",  # month 13
        "版本 v1.2.3 在 12:30:45 发布",
        "我是高级会员，谢谢先生",
    ],
)
def test_hard_negatives_are_not_masked(text: str) -> None:
    assert mask_pii(text).entities == ()


@pytest.mark.parametrize(
    "text",
    [
        "store query endpoint http://127.0.0.1:47207",
        "ready at http://127.0.0.1:59869/llm/fast",
        "Uvicorn running on http://0.0.0.0:8000",
        "listening on [::1]:8080 and [::]:8081",
        "127.255.255.254 也是本机",
        "mapped ::ffff:127.0.0.1 is loopback",
    ],
)
def test_loopback_and_unspecified_addresses_are_not_masked(text: str) -> None:
    assert mask_pii(text).entities == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("内网 10.0.0.5 连不上", ("IP", "10.0.0.5")),
        ("网关 172.16.3.1", ("IP", "172.16.3.1")),
        ("路由器 192.168.1.1", ("IP", "192.168.1.1")),
        ("fd12:3456::1 down", ("IP", "fd12:3456::1")),
        ("登录 ::ffff:192.168.1.1 失败", ("IP", "::ffff:192.168.1.1")),
        ("127.0.0.1 and 203.0.113.9", ("IP", "203.0.113.9")),
    ],
)
def test_private_and_public_addresses_stay_masked(text: str, expected: tuple[str, str]) -> None:
    assert spans(text) == [expected]


def test_log_lines_keep_loopback_endpoints() -> None:
    line = "store query endpoint http://127.0.0.1:47207, client 192.168.3.7"
    assert redact_text(line, None, digit_runs=False, scan_all=True) == (
        "store query endpoint http://127.0.0.1:47207, client [IP_1]"
    )


def test_valid_mobile_after_order_cue_is_still_masked() -> None:
    assert spans("订单联系电话13812345678") == [("PHONE", "13812345678")]
    assert spans("订单号13812345678") == [("PHONE", "13812345678")]


def test_card_context_wins_over_an_earlier_order_cue() -> None:
    assert spans("订单号查不到，卡号6212262201001234568") == [("BANK_CARD", "6212262201001234568")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我叫张伟，想退货", ["张伟"]),
        ("收件人：欧阳娜娜", ["欧阳娜娜"]),
        ("请王女士回电", ["王"]),
        ("我姓李", ["李"]),
        ("Hi, my name is John Smith.", ["John Smith"]),
        ("Mr. Brown called", ["Brown"]),
        ("我是江西的，想问一下", []),
        ("This is Very urgent", []),
    ],
)
def test_names(text: str, expected: list[str]) -> None:
    assert [value for kind, value in spans(text) if kind == "NAME"] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "寄到广东省深圳市南山区科技园路88号3栋2单元501室，谢谢",
            ["广东省深圳市南山区科技园路88号3栋2单元501室"],
        ),
        ("我住在北京市朝阳区建国路88号", ["北京市朝阳区建国路88号"]),
        ("地址：上海市浦东新区张江镇幸福小区12号楼1202", ["上海市浦东新区张江镇幸福小区12号楼1202"]),
        (
            "Ship to 1600 Amphitheatre Parkway, Mountain View, CA 94043",
            ["1600 Amphitheatre Parkway, Mountain View, CA 94043"],
        ),
        ("我知道了，路上小心，市场价3号发货", []),
    ],
)
def test_addresses(text: str, expected: list[str]) -> None:
    assert [value for kind, value in spans(text) if kind == "ADDRESS"] == expected
