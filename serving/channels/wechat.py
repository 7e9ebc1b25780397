"""WeChat Official Account callbacks (XML) -> ConversationEvent, and the callback signature check.

WeChat retries a callback up to three times with the same ``MsgId``, so the event id derives from it and the
dedupe step drops the retries.

Examples
--------
>>> xml = (b"<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[oUser]]></FromUserName>"
...        b"<CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType>"
...        b"<Content><![CDATA[\\xe4\\xbd\\xa0\\xe5\\xa5\\xbd]]></Content><MsgId>42</MsgId></xml>")
>>> event = wechat_xml_to_event(xml, tenant_id="acme")
>>> event["event_id"], event["text"], event["ts"], event["conversation_id"]
('wechat:42', '你好', 1700000000000, 'wechat:gh_1:oUser')
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any
from xml.etree import ElementTree

from processors.validation import is_blank_text
from serving.channels.errors import ChannelError

MAX_XML_BYTES = 64 * 1024
TEXT_OF_TYPE = {
    "image": "[图片]",
    "voice": "[语音]",
    "video": "[视频]",
    "location": "[位置]",
    "link": "[链接]",
}


def verify_wechat_signature(token: str, signature: str, timestamp: str, nonce: str) -> bool:
    """WeChat's check: sha1 of the sorted token, timestamp and nonce equals ``signature``."""
    signed = "".join(sorted([token, timestamp, nonce])).encode("utf-8", "replace")  # any text the caller sends
    digest = hashlib.sha1(signed).hexdigest()
    # bytes: compare_digest raises TypeError on a str with non-ASCII characters
    return hmac.compare_digest(digest.encode(), signature.encode("utf-8", "replace"))


def _parse(xml: bytes) -> dict[str, str]:
    if len(xml) > MAX_XML_BYTES:
        raise ChannelError(f"WeChat callback larger than {MAX_XML_BYTES} bytes")
    try:
        text = xml.decode("utf-8")  # WeChat sends UTF-8; checking decoded text also catches a UTF-16 DTD
    except UnicodeDecodeError:
        raise ChannelError("WeChat callback is not UTF-8") from None
    if "<!DOCTYPE" in text.upper() or "<!ENTITY" in text.upper():
        raise ChannelError("WeChat callback must not contain a DTD")  # no entity expansion attacks
    try:
        root = ElementTree.fromstring(xml)
    except ElementTree.ParseError as error:
        raise ChannelError(f"WeChat callback is not well-formed XML: {error}") from None
    return {child.tag: (child.text or "").strip() for child in root}


def wechat_xml_to_event(xml: bytes, tenant_id: str) -> dict[str, Any]:
    fields = _parse(xml)
    for name in ("ToUserName", "FromUserName", "CreateTime", "MsgType"):
        if not fields.get(name):
            raise ChannelError(f"WeChat callback is missing <{name}>")
    msg_type = fields["MsgType"]
    if msg_type == "event":
        raise ChannelError(f"WeChat event callbacks ({fields.get('Event', '?')}) carry no customer message")
    text = fields.get("Content", "") if msg_type == "text" else TEXT_OF_TYPE.get(msg_type, f"[{msg_type}]")
    if is_blank_text(text):  # refused here, not by the ingest's 422: WeChat would retry that
        raise ChannelError("WeChat text message has an empty <Content>")
    msg_id = fields.get("MsgId") or hashlib.sha256(xml).hexdigest()[:24]
    try:
        ts = int(fields["CreateTime"]) * 1000
    except ValueError:
        raise ChannelError("<CreateTime> is not a Unix timestamp") from None
    metadata = {"msg_type": msg_type, "official_account": fields["ToUserName"]}
    for key in ("MediaId", "PicUrl", "Url", "Title"):
        if fields.get(key):
            metadata[key.lower()] = fields[key]
    return {
        "event_id": f"wechat:{msg_id}",
        "conversation_id": wechat_conversation_id(fields["ToUserName"], fields["FromUserName"]),
        "tenant_id": tenant_id,
        "channel": "wechat",
        "user_id": fields["FromUserName"],
        "role": "customer",
        "text": text,
        "ts": ts,
        "locale": "zh-CN",
        "metadata": metadata,
    }


def wechat_conversation_id(official_account: str, openid: str) -> str:
    """The conversation id of a WeChat customer with an Official Account (read back by :func:`wechat_openid`)."""
    return f"wechat:{official_account}:{openid}"


def wechat_openid(conversation_id: str) -> str | None:
    """The customer's openid in a WeChat conversation id (``wechat:<official account>:<openid>``), else None.

    >>> wechat_openid("wechat:gh_1:oUser"), wechat_openid("web-42")
    ('oUser', None)
    """
    kind, _, rest = conversation_id.partition(":")
    account, _, openid = rest.partition(":")
    return openid if kind == "wechat" and account and openid else None


# WeChat does not document a size for a passive text reply; 2048 bytes is the limit commonly reported.
MAX_REPLY_BYTES = 2048


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def truncate_utf8(text: str, max_bytes: int) -> str:
    encoded = text.encode("utf-8")
    return text if len(encoded) <= max_bytes else encoded[:max_bytes].decode("utf-8", errors="ignore")


def wechat_text_reply(event: dict[str, Any], content: str, now_s: int) -> str:
    """WeChat's passive reply to the callback that became ``event``: a text message back to the customer.

    >>> event = wechat_xml_to_event(b"<xml><ToUserName>gh_1</ToUserName><FromUserName>oUser</FromUserName>"
    ...     b"<CreateTime>1700000000</CreateTime><MsgType>text</MsgType><Content>hi</Content>"
    ...     b"<MsgId>7</MsgId></xml>", tenant_id="acme")
    >>> reply = wechat_text_reply(event, "hello ]]> there", 1700000001)
    >>> reply[:60]
    '<xml><ToUserName><![CDATA[oUser]]></ToUserName><FromUserName'
    >>> ElementTree.fromstring(reply).findtext("Content")
    'hello ]]> there'
    """
    return (
        f"<xml><ToUserName>{_cdata(str(event['user_id']))}</ToUserName>"
        f"<FromUserName>{_cdata(str(event['metadata']['official_account']))}</FromUserName>"
        f"<CreateTime>{int(now_s)}</CreateTime><MsgType>{_cdata('text')}</MsgType>"
        f"<Content>{_cdata(truncate_utf8(content, MAX_REPLY_BYTES))}</Content></xml>"
    )
