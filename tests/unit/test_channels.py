"""Channel adapters: web chat, WeChat callbacks and e-mail become valid ConversationEvent JSON."""

from __future__ import annotations

import hashlib
import json
from email.message import EmailMessage
from typing import Any

import pytest

from processors.pii import IdentifierPseudonymizer
from schemas.catalog import schema
from schemas.json_codec import from_json
from serving.channels import (
    ChannelError,
    email_to_event,
    verify_wechat_signature,
    webchat_to_event,
    wechat_xml_to_event,
)


def valid(event: dict[str, Any]) -> dict[str, Any]:
    """The event passes the contract; returns the Avro datum."""
    return from_json(event, schema("ConversationEvent").json)


# -- web chat ----------------------------------------------------------------------------------------------------


def widget_message(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"conversation_id": "c1", "user_id": "u1", "text": "你好", "message_id": "m1", "ts": 1}
    base.update(overrides)
    return base


def test_webchat_message_becomes_a_customer_event_on_the_web_channel() -> None:
    event = webchat_to_event(widget_message(locale="en-US", metadata={"page": "/help"}), tenant_id="acme")
    datum = valid(event)
    assert datum["event_id"] == "web:m1"
    assert (datum["channel"], datum["role"], datum["tenant_id"]) == ("web", "customer", "acme")
    assert (datum["conversation_id"], datum["user_id"], datum["text"]) == ("c1", "u1", "你好")
    assert (datum["locale"], datum["metadata"]) == ("en-US", {"page": "/help"})


def test_webchat_retry_with_the_same_message_id_has_the_same_event_id() -> None:
    first = webchat_to_event(widget_message(), tenant_id="acme")
    retry = webchat_to_event(widget_message(), tenant_id="acme")
    assert first["event_id"] == retry["event_id"] == "web:m1"
    other = webchat_to_event(widget_message(message_id="m2"), tenant_id="acme")
    assert other["event_id"] != first["event_id"]


def test_webchat_without_message_id_gets_a_fresh_event_id_each_time() -> None:
    payload = widget_message()
    del payload["message_id"]
    first, second = (webchat_to_event(payload, tenant_id="acme") for _ in range(2))
    assert first["event_id"] != second["event_id"]
    assert first["event_id"].startswith("web:")
    valid(first)


def test_webchat_without_ts_is_stamped_and_still_valid() -> None:
    payload = widget_message()
    del payload["ts"]
    event = webchat_to_event(payload, tenant_id="acme")
    assert isinstance(event["ts"], int)
    assert event["ts"] > 1_700_000_000_000
    valid(event)


@pytest.mark.parametrize("missing", ["conversation_id", "user_id", "text"])
def test_webchat_missing_required_field_is_a_channel_error(missing: str) -> None:
    payload = widget_message()
    del payload[missing]
    with pytest.raises(ChannelError, match=missing):
        webchat_to_event(payload, tenant_id="acme")


@pytest.mark.parametrize(
    "payload",
    [["not", "an", "object"], "text", None, widget_message(text=3), widget_message(message_id=5)],
)
def test_webchat_malformed_payload_is_a_channel_error(payload: Any) -> None:
    with pytest.raises(ChannelError):
        webchat_to_event(payload, tenant_id="acme")


# -- WeChat ------------------------------------------------------------------------------------------------------


def wechat_xml(msg_type: str = "text", **fields: str | None) -> bytes:
    parts = {
        "ToUserName": "<![CDATA[gh_shop]]>",
        "FromUserName": "<![CDATA[oUser42]]>",
        "CreateTime": "1700000000",
        "MsgType": f"<![CDATA[{msg_type}]]>",
        **fields,
    }
    body = "".join(f"<{k}>{v}</{k}>" for k, v in parts.items() if v is not None)
    return f"<xml>{body}</xml>".encode()


def test_wechat_text_message_becomes_an_event() -> None:
    xml = wechat_xml(Content="<![CDATA[我要退货]]>", MsgId="6789")
    datum = valid(wechat_xml_to_event(xml, tenant_id="acme"))
    assert datum["event_id"] == "wechat:6789"
    assert datum["conversation_id"] == "wechat:gh_shop:oUser42"
    assert (datum["channel"], datum["user_id"], datum["text"]) == ("wechat", "oUser42", "我要退货")
    assert datum["ts"] == 1_700_000_000_000
    assert datum["metadata"] == {"msg_type": "text", "official_account": "gh_shop"}


def test_wechat_retry_of_the_same_callback_has_the_same_event_id() -> None:
    xml = wechat_xml(Content="<![CDATA[hi]]>", MsgId="1")
    assert wechat_xml_to_event(xml, "acme")["event_id"] == wechat_xml_to_event(xml, "acme")["event_id"]


def test_wechat_image_message_becomes_a_placeholder_text_with_media_metadata() -> None:
    xml = wechat_xml("image", PicUrl="<![CDATA[https://mmbiz.example/p.jpg]]>", MediaId="<![CDATA[media1]]>", MsgId="7")
    datum = valid(wechat_xml_to_event(xml, tenant_id="acme"))
    assert datum["text"] == "[图片]"
    assert datum["metadata"]["msg_type"] == "image"
    assert datum["metadata"]["picurl"] == "https://mmbiz.example/p.jpg"
    assert datum["metadata"]["mediaid"] == "media1"


@pytest.mark.parametrize("content", [None, "<![CDATA[]]>", "<![CDATA[ \u3000 ]]>"])
def test_wechat_text_message_without_content_is_rejected(content: str | None) -> None:
    with pytest.raises(ChannelError, match="empty <Content>"):
        wechat_xml_to_event(wechat_xml(Content=content, MsgId="8"), tenant_id="acme")


def test_wechat_event_callback_is_rejected() -> None:
    with pytest.raises(ChannelError, match="subscribe"):
        wechat_xml_to_event(wechat_xml("event", Event="<![CDATA[subscribe]]>"), tenant_id="acme")


def test_wechat_callback_with_a_dtd_is_rejected() -> None:
    xml = (
        b'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "AAAA">]>'
        b"<xml><ToUserName>gh</ToUserName><FromUserName>u</FromUserName><CreateTime>1</CreateTime>"
        b"<MsgType>text</MsgType><Content>&a;&a;</Content></xml>"
    )
    with pytest.raises(ChannelError, match="DTD"):
        wechat_xml_to_event(xml, tenant_id="acme")


def test_wechat_callback_with_a_dtd_in_utf16_is_rejected() -> None:
    xml = (
        '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE xml [<!ENTITY a "AAAA">]>'
        "<xml><ToUserName>gh</ToUserName><FromUserName>u</FromUserName><CreateTime>1</CreateTime>"
        "<MsgType>text</MsgType><Content>&a;</Content></xml>"
    ).encode("utf-16")
    with pytest.raises(ChannelError):
        wechat_xml_to_event(xml, tenant_id="acme")


@pytest.mark.parametrize("xml", [b"<xml><ToUserName>gh</xml>", b"", b"not xml at all", b"<xml>"])
def test_wechat_malformed_xml_is_rejected(xml: bytes) -> None:
    with pytest.raises(ChannelError, match="well-formed"):
        wechat_xml_to_event(xml, tenant_id="acme")


@pytest.mark.parametrize("missing", ["ToUserName", "FromUserName", "CreateTime", "MsgType"])
def test_wechat_missing_required_field_is_rejected(missing: str) -> None:
    xml = wechat_xml(Content="<![CDATA[hi]]>", **{missing: None})  # type: ignore[arg-type]
    with pytest.raises(ChannelError, match=missing):
        wechat_xml_to_event(xml, tenant_id="acme")


def test_wechat_non_numeric_create_time_is_rejected() -> None:
    with pytest.raises(ChannelError, match="CreateTime"):
        wechat_xml_to_event(wechat_xml(CreateTime="yesterday", Content="hi"), tenant_id="acme")


def test_wechat_oversized_callback_is_rejected() -> None:
    with pytest.raises(ChannelError, match="larger"):
        wechat_xml_to_event(wechat_xml(Content="x" * 70_000), tenant_id="acme")


def test_wechat_signature_matches_sha1_of_sorted_token_timestamp_and_nonce() -> None:
    token, timestamp, nonce = "kefu-token", "1700000000", "93847561"
    # WeChat's documented algorithm, computed here independently: sort, concatenate, SHA-1 hex.
    expected = hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()
    assert "".join(sorted([token, timestamp, nonce])) == "170000000093847561kefu-token"
    assert verify_wechat_signature(token, expected, timestamp, nonce)


def test_wechat_signature_with_wrong_token_or_tampered_nonce_fails() -> None:
    token, timestamp, nonce = "kefu-token", "1700000000", "93847561"
    signature = hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()
    assert not verify_wechat_signature("other-token", signature, timestamp, nonce)
    assert not verify_wechat_signature(token, signature, timestamp, "93847562")
    assert not verify_wechat_signature(token, "", timestamp, nonce)


def test_a_non_ascii_wechat_signature_is_refused_not_an_error() -> None:
    # found by fuzzing the API from its OpenAPI document: hmac.compare_digest raised TypeError, a 500
    assert not verify_wechat_signature("kefu-token", "Eà签名", "1700000000", "93847561")
    assert not verify_wechat_signature("kefu-token", "\udc80", "1700000000", "\udc80")


# -- e-mail ------------------------------------------------------------------------------------------------------

SENDER = "lilei@example.com"


def email(
    body: str,
    *,
    subtype: str = "plain",
    message_id: str = "<a1@mail.example.com>",
    references: str | None = None,
    in_reply_to: str | None = None,
    sender: str | None = f"Li Lei <{SENDER}>",
    attachment: tuple[bytes, str, str] | None = None,
    subject: str | None = "退款 refund",
) -> bytes:
    message = EmailMessage()
    if sender is not None:
        message["From"] = sender
    message["To"] = "support@shop.example"
    if subject is not None:
        message["Subject"] = subject
    message["Message-ID"] = message_id
    message["Date"] = "Tue, 14 Nov 2023 22:13:20 +0000"
    if references:
        message["References"] = references
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    message.set_content(body, subtype=subtype)
    if attachment is not None:
        data, maintype_subtype, filename = attachment
        maintype, _, sub = maintype_subtype.partition("/")
        message.add_attachment(data, maintype=maintype, subtype=sub, filename=filename)
    return message.as_bytes()


def test_plain_email_becomes_a_customer_event() -> None:
    datum = valid(email_to_event(email("Where is my refund?\n"), tenant_id="acme"))
    assert datum["text"] == "Where is my refund?"
    assert (datum["channel"], datum["role"], datum["tenant_id"]) == ("email", "customer", "acme")
    assert datum["ts"] == 1_700_000_000_000
    assert datum["metadata"] == {"subject": "退款 refund"}
    assert datum["attachments"] is None


def test_html_only_email_is_reduced_to_text() -> None:
    html = (
        "<html><head><style>p {color: red}</style></head><body><p>Where is my <b>refund</b>?</p>"
        "<p>&lt;order 42&gt;</p></body></html>"
    )
    datum = valid(email_to_event(email(html, subtype="html"), tenant_id="acme"))
    assert "<" not in datum["text"].replace("<order 42>", "")
    assert "color" not in datum["text"]
    assert " ".join(datum["text"].split()) == "Where is my refund ? <order 42>"


def test_multipart_email_with_attachment_lists_it_by_reference() -> None:
    raw = email("See the photo.\n", attachment=(b"\xff\xd8\xff\xe0jpeg", "image/jpeg", "broken.jpg"))
    datum = valid(email_to_event(raw, tenant_id="acme"))
    assert datum["text"] == "See the photo."
    assert datum["attachments"] == [
        {"url": "email-part:0", "mime_type": "image/jpeg", "name": "broken.jpg", "size_bytes": None}
    ]


def test_quoted_reply_is_stripped_for_english_clients() -> None:
    body = f"Still waiting.\n\nOn Tue, 14 Nov 2023 at 22:13, Li Lei <{SENDER}> wrote:\n> Where is my refund?\n"
    assert email_to_event(email(body), tenant_id="acme")["text"] == "Still waiting."


def test_quoted_reply_is_stripped_for_outlook_original_message() -> None:
    body = "Any news?\n\n-----Original Message-----\nFrom: Support\nSent: Tuesday\n\nWe are on it.\n"
    assert email_to_event(email(body), tenant_id="acme")["text"] == "Any news?"


def test_quoted_reply_is_stripped_for_chinese_clients() -> None:
    body = f"还没收到退款\n\n在 2023年11月14日 22:13，李雷 <{SENDER}> 写道：\n> 退款什么时候到？\n"
    assert email_to_event(email(body), tenant_id="acme")["text"] == "还没收到退款"


def test_quoted_reply_is_stripped_for_foxmail_sender_header() -> None:
    body = f"还没收到退款\n\n发件人：李雷 <{SENDER}>\n发送时间：2023年11月14日\n退款什么时候到？\n"
    assert email_to_event(email(body), tenant_id="acme")["text"] == "还没收到退款"


def test_quoted_reply_is_stripped_for_qq_mail_separator() -> None:
    body = f'还没收到退款\n\n------------------ 原始邮件 ------------------\n发件人: "李雷"<{SENDER}>\n退款？\n'
    assert email_to_event(email(body), tenant_id="acme")["text"] == "还没收到退款"


def test_reply_lands_in_the_same_conversation_through_references() -> None:
    first = email_to_event(email("Where is my refund?\n", message_id="<a1@mail.example.com>"), "acme")
    reply = email_to_event(
        email(
            "Still waiting.\n",
            message_id="<a3@mail.example.com>",
            references="<a1@mail.example.com> <a2@shop.example>",
            in_reply_to="<a2@shop.example>",
        ),
        "acme",
    )
    only_in_reply_to = email_to_event(
        email("Hello?\n", message_id="<a4@mail.example.com>", in_reply_to="<a1@mail.example.com>"), "acme"
    )
    assert reply["conversation_id"] == first["conversation_id"] == only_in_reply_to["conversation_id"]
    assert len({first["event_id"], reply["event_id"], only_in_reply_to["event_id"]}) == 3


def test_unrelated_email_starts_another_conversation() -> None:
    first = email_to_event(email("a\n", message_id="<a1@mail.example.com>"), "acme")
    other = email_to_event(email("b\n", message_id="<b1@mail.example.com>"), "acme")
    assert first["conversation_id"] != other["conversation_id"]


@pytest.mark.parametrize(
    "body",
    [
        "Where is my refund?\n",
        f"Still waiting.\n\nOn Tue, 14 Nov 2023 at 22:13, Li Lei <{SENDER}> wrote:\n> Where is my refund?\n",
        f"还没收到退款\n\n在 2023年11月14日 22:13，李雷 <{SENDER}> 写道：\n> 退款呢\n",
    ],
)
def test_sender_address_appears_nowhere_in_the_event(body: str) -> None:
    event = email_to_event(email(body, sender=f"Li Lei <{SENDER.upper()}>"), tenant_id="acme")
    dumped = json.dumps(event, ensure_ascii=False).lower()
    assert SENDER not in dumped
    assert "lilei" not in dumped
    # The pseudonym is stable whatever the address' case, so one customer stays one user.
    assert event["user_id"] == email_to_event(email("x\n", sender=SENDER), tenant_id="acme")["user_id"]


def test_the_sender_is_named_by_the_platforms_keyed_pseudonym_of_the_address() -> None:
    pseudonyms = IdentifierPseudonymizer(b"a platform key of at least 16 bytes")
    event = email_to_event(email("Where is my refund?\n", sender=SENDER), "acme", pseudonyms)
    assert event["user_id"] == pseudonyms.pseudonym("acme", SENDER) == pseudonyms("acme", SENDER)
    assert event["user_id"].startswith("pii:")  # and the enrichment stage leaves it as it is
    assert pseudonyms("acme", event["user_id"]) == event["user_id"]
    assert (
        email_to_event(email("x\n", sender=SENDER), "acme", IdentifierPseudonymizer(b"x" * 32))["user_id"]
        != (event["user_id"])
    )  # without the key, a guessed address cannot be checked against the id


def test_sender_address_is_not_leaked_by_a_wrapped_quote_attribution() -> None:
    body = f"Still waiting.\n\nOn Tue, 14 Nov 2023 at 22:13, Li Lei <\n{SENDER}> wrote:\n> Where is my refund?\n"
    event = email_to_event(email(body), tenant_id="acme")
    assert SENDER not in json.dumps(event, ensure_ascii=False)


@pytest.mark.parametrize("sender", [None, "Li Lei <>", "undisclosed-recipients:;"])
def test_email_without_a_sender_address_is_rejected(sender: str | None) -> None:
    with pytest.raises(ChannelError, match="From"):
        email_to_event(email("hi\n", sender=sender), tenant_id="acme")


@pytest.mark.parametrize("body", ["", " \n\n", "<html><body><p> </p></body></html>"])
def test_an_email_without_a_body_is_its_subject(body: str) -> None:
    subtype = "html" if body.startswith("<") else "plain"
    datum = valid(email_to_event(email(body, subtype=subtype, subject=" 耳机坏了怎么退货？ "), tenant_id="acme"))
    assert datum["text"] == "耳机坏了怎么退货？"


def test_a_body_takes_precedence_over_the_subject() -> None:
    assert email_to_event(email("Where is my refund?\n", subject="order 42"), tenant_id="acme")["text"] == (
        "Where is my refund?"
    )


@pytest.mark.parametrize(
    ("body", "subject"),
    [
        ("", None),
        ("\n", "  "),
        (f"\nOn Tue, 14 Nov 2023 at 22:13, Li Lei <{SENDER}> wrote:\n> Where is my refund?\n", "Re: refund"),
    ],
)
def test_an_email_with_nothing_new_to_say_has_empty_text(body: str, subject: str | None) -> None:
    """Neither body nor subject, or a reply that only quotes: the ingest refuses it as empty text."""
    assert email_to_event(email(body, subject=subject), tenant_id="acme")["text"] == ""


def test_oversized_email_is_rejected() -> None:
    with pytest.raises(ChannelError, match="larger"):
        email_to_event(email("x" * (3 * 2**20)), tenant_id="acme")
