"""Property tests of the channel adapters' parsers: whatever bytes a channel posts, the adapter answers with an
event or a ChannelError (a 422 naming the problem), never another exception (a 500).

Hypothesis cuts, pads and decorates real messages: e-mails with odd headers (unknown charsets, broken encoded
words, empty boundaries, a cut address, NUL bytes) and WeChat callbacks with broken or hostile XML.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from serving.channels import ChannelError, wechat_xml_to_event
from serving.channels.email import read_email
from tests.unit.test_channels import email

EMAILS = [
    email("你好，我要退货，电话13812345678"),
    email("<p>html 退款</p>", subtype="html"),
    email("hi", attachment=(b"\x89PNG....", "image/png", "a.png"), references="<x@y>", in_reply_to="<x@y>"),
    b"From: =?utf-8?B?5byg5LiJ?= <a@b.com>\r\nSubject: =?gbk?Q?=CD=CB=BF=EE?=\r\nMessage-ID: <m@x>\r\n"
    b"Content-Type: text/plain; charset=gb2312\r\nContent-Transfer-Encoding: base64\r\n\r\nxOO6ww==\r\n",
]
ODD_HEADERS = [
    b"Content-Type: text/plain; charset=x-unknown\r\n",
    b'Content-Type: text/plain; charset=""\r\n',
    b"Content-Transfer-Encoding: base64\r\n",
    b"Subject: =?x-bogus?B?AAAA?=\r\n",
    b"From: =?utf-8?B?####?= <a@b.com>\r\n",
    b"From: <>\r\n",
    b'From: "" <@>\r\n',
    b"Date: not a date\r\n",
    b'Content-Type: multipart/mixed; boundary=""\r\n',
    b"References: <<<>>>\r\n",
    b"Content-Type: message/rfc822\r\n",
    b"Content-Type: text/html; charset=utf-16\r\n",
    b"From: \xe4\xbd\xa0 <a@b.com>\r\n",
    b"From: Li Lei <lilei@",
]
WECHAT = (
    b"<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[o_user]]></FromUserName>"
    b"<CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType>"
    b"<Content><![CDATA[\xe9\x80\x80\xe6\xac\xbe]]></Content><MsgId>42</MsgId></xml>"
)
XML_PIECES = [
    b"<", b">", b"</xml>", b"<CreateTime>99999999999999999999</CreateTime>", b"<MsgType>voice</MsgType>",
    b"<!DOCTYPE x>", b"&amp;", b"&bogus;", b"<![CDATA[", b"]]>", b"\x00", b"\xff", b"<a:b xmlns:a='u'/>",
]  # fmt: skip


@given(
    message=st.sampled_from(EMAILS),
    headers=st.lists(st.sampled_from(ODD_HEADERS), max_size=4),
    cut=st.integers(0, 400),
    junk=st.binary(max_size=20),
)
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_an_email_is_an_event_or_a_channel_error(message: bytes, headers: list[bytes], cut: int, junk: bytes) -> None:
    raw = b"".join(headers) + message
    raw = raw[: max(len(raw) - cut, 0)] + junk
    try:
        event, _ = read_email(raw, "acme")
    except ChannelError as error:
        assert str(error)
    else:
        assert event["channel"] == "email" and event["conversation_id"].startswith("email:")


@given(pieces=st.lists(st.sampled_from(XML_PIECES), max_size=4), at=st.integers(0, len(WECHAT)))
@settings(max_examples=400, deadline=None)
def test_a_wechat_callback_is_an_event_or_a_channel_error(pieces: list[bytes], at: int) -> None:
    xml = WECHAT[:at] + b"".join(pieces) + WECHAT[at:]
    try:
        event = wechat_xml_to_event(xml, "acme")
    except ChannelError as error:
        assert str(error)
    else:
        assert event["channel"] == "wechat"


def test_the_cases_fuzzing_found_are_channel_errors_that_quote_no_address() -> None:
    cut_sender = b"From: Li Lei <lilei@"
    try:
        read_email(cut_sender, "acme")
    except ChannelError as error:
        assert "lilei" not in str(error)
    else:
        raise AssertionError("a cut From header was read as an e-mail")
    try:  # a NUL byte where the parser trips on it: refused; where it tolerates it: read
        read_email(email("hi", references="<x@y>")[:-5] + b"\x00abc", "acme")
    except ChannelError as error:
        assert "lilei" not in str(error)
