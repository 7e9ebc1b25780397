"""Web chat, feedback, agents' replies and WeChat answers: the pure parts, with plain calls."""

from __future__ import annotations

import asyncio
from xml.etree import ElementTree

import pytest
from fastapi import HTTPException

from serving.api.conversation_feed import AgentMessageFeed
from serving.api.deps import chat_caller
from serving.api.pages import bundled_page
from serving.api.recent_answers import RecentAnswers
from serving.api.replies import ReplyWaiter
from serving.api.webchat import chat_page_html
from serving.api.wechat import WeChatReplies
from serving.auth import ApiKeys, hash_key
from serving.channels import (
    ChannelError,
    FeedbackForbidden,
    agent_reply_to_event,
    feedback_to_record,
    wechat_text_reply,
    wechat_xml_to_event,
)
from serving.channels.wechat import MAX_REPLY_BYTES
from serving.principal import Authenticator

NOW = 1_795_000_000_000


def feedback(payload: dict[str, object], tenant: str = "acme", agent_allowed: bool = False) -> dict[str, object]:
    return feedback_to_record(payload, tenant=tenant, agent_allowed=agent_allowed, now_ms=NOW)


def test_customer_feedback_becomes_a_feedback_record_of_the_keys_tenant() -> None:
    record = feedback({"conversation_id": "c1", "reply_id": "r-1", "thumbs": "down", "tenant_id": "other"})
    assert record["tenant_id"] == "acme"  # the key decides, not the body
    assert (record["source"], record["thumbs"], record["reply_id"], record["csat"]) == ("customer", "down", "r-1", None)
    assert record["ts"] == NOW and str(record["event_id"]).startswith("fb-")


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        ({"conversation_id": "c1", "csat": 6}, "csat"),
        ({"conversation_id": "c1", "csat": True}, "csat"),
        ({"conversation_id": "c1", "thumbs": "sideways"}, "thumbs"),
        ({"conversation_id": "c1"}, "no feedback given"),
        ({"csat": 3}, "conversation_id"),
        ({"conversation_id": "c1", "corrected_intent": "refund", "message_id": "m1"}, "only agents"),
        ({"conversation_id": "c1", "corrected_polarity": "negative", "message_id": "m1"}, "only agents"),
        ({"conversation_id": "c1", "corrected_polarity": "angry", "message_id": "m1"}, "corrected_polarity: expected"),
        ({"conversation_id": "c1", "corrected_polarity": 1}, "corrected_polarity: expected"),
        ([1, 2], "JSON object"),
    ],
)
def test_invalid_feedback_is_refused_naming_the_field(payload: object, error: str) -> None:
    with pytest.raises(ChannelError, match=error):
        feedback_to_record(payload, tenant="acme", agent_allowed=False, now_ms=NOW)


def test_a_web_chat_key_cannot_give_agent_feedback_but_a_full_key_can() -> None:
    correction = {"conversation_id": "c1", "source": "agent", "message_id": "web:m1", "corrected_intent": "refund"}
    with pytest.raises(FeedbackForbidden):
        feedback(correction)
    record = feedback({**correction, "user_id": "agent-7"}, agent_allowed=True)
    assert (record["corrected_intent"], record["message_id"], record["user_id"]) == ("refund", "web:m1", "agent-7")
    with pytest.raises(ChannelError, match="message_id"):
        feedback({**correction, "message_id": None}, agent_allowed=True)


def test_an_agent_corrects_a_messages_polarity_alone_or_with_its_intent() -> None:
    correction = {"conversation_id": "c1", "source": "agent", "message_id": "web:m1", "corrected_polarity": "neutral"}
    record = feedback(correction, agent_allowed=True)
    assert (record["corrected_polarity"], record["corrected_intent"], record["csat"]) == ("neutral", None, None)
    both = feedback({**correction, "corrected_intent": "refund"}, agent_allowed=True)
    assert (both["corrected_polarity"], both["corrected_intent"]) == ("neutral", "refund")
    with pytest.raises(ChannelError, match="message_id: required with corrected_polarity"):
        feedback({**correction, "message_id": None}, agent_allowed=True)


def test_feedback_comments_are_masked_and_client_ids_make_retries_idempotent() -> None:
    payload = {"conversation_id": "c1", "comment": "请打我电话13812345678", "feedback_id": "click-1"}
    first, again = feedback(payload), feedback(payload)
    assert "13812345678" not in str(first["comment"]) and "[PHONE_1]" in str(first["comment"])
    assert first["event_id"] == again["event_id"]
    assert feedback(payload, tenant="other")["event_id"] != first["event_id"]  # ids are per tenant


def test_an_operator_key_must_name_the_tenant() -> None:
    with pytest.raises(ChannelError, match="tenant_id"):
        feedback({"conversation_id": "c1", "csat": 4}, tenant="*")
    assert feedback({"conversation_id": "c1", "csat": 4, "tenant_id": "acme"}, tenant="*")["tenant_id"] == "acme"


def test_agent_replies_are_agent_events_with_idempotent_ids() -> None:
    event = agent_reply_to_event(
        {"text": "您好，我来帮您处理", "agent_id": "a7", "message_id": "m1"},
        conversation_id="c1",
        tenant="acme",
        channel="wechat",
        now_ms=NOW,
    )
    assert (event["role"], event["user_id"], event["channel"], event["ts"]) == ("agent", "a7", "wechat", NOW)
    assert event["event_id"] == "agent:acme:m1"
    for bad in ({"text": None, "agent_id": "a7"}, {"text": "hi"}, "hi"):
        with pytest.raises(ChannelError):
            agent_reply_to_event(bad, conversation_id="c1", tenant="acme", channel="web", now_ms=NOW)


WECHAT_XML = (
    b"<xml><ToUserName><![CDATA[gh_shop]]></ToUserName><FromUserName><![CDATA[oCustomer]]></FromUserName>"
    b"<CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType>"
    b"<Content><![CDATA[hi]]></Content><MsgId>99</MsgId></xml>"
)


def test_the_wechat_passive_reply_goes_back_to_the_sender_and_keeps_any_text() -> None:
    event = wechat_xml_to_event(WECHAT_XML, tenant_id="acme")
    text = "退货请在订单页申请 ]]> <b>&amp;"
    root = ElementTree.fromstring(wechat_text_reply(event, text, 1700000005))
    fields = {child.tag: child.text for child in root}
    assert fields == {
        "ToUserName": "oCustomer",
        "FromUserName": "gh_shop",
        "CreateTime": "1700000005",
        "MsgType": "text",
        "Content": text,
    }
    long_reply = ElementTree.fromstring(wechat_text_reply(event, "长" * 2000, 0)).findtext("Content") or ""
    assert len(long_reply.encode()) <= MAX_REPLY_BYTES and set(long_reply) == {"长"}  # cut on a character


async def test_wechat_retries_share_one_wait_and_are_forgotten_after_keep_s() -> None:
    replies = WeChatReplies(ReplyWaiter("127.0.0.1:9", "conversations.replies", None), keep_s=10)  # type: ignore[arg-type]
    future, first = replies.claim("wechat:1", now=0.0)
    again, first_again = replies.claim("wechat:1", now=1.0)
    assert first and not first_again and again is future
    assert await replies.wait("wechat:1", 0.01) is None  # not yet: the callback answers "success"
    assert not future.cancelled()  # the wait goes on for WeChat's retry
    future.set_result({"text": "答复", "in_reply_to": "wechat:1"})
    assert await replies.wait("wechat:1", 0.01) == {"text": "答复", "in_reply_to": "wechat:1"}
    assert await replies.wait("wechat:1", 0.01) is None  # delivered once

    unanswered, _ = replies.claim("wechat:2", now=2.0)
    replies.prune(now=100.0)
    assert unanswered.cancelled()
    assert replies.claim("wechat:1", now=100.0)[1]  # forgotten after keep_s: a new message id again
    await asyncio.sleep(0)


def enriched(event_id: str, role: str, ts: int, tenant: str = "acme", conversation: str = "c1") -> dict[str, object]:
    return {"event_id": event_id, "conversation_id": conversation, "tenant_id": tenant, "role": role,
            "user_id": "a7", "text": f"text of {event_id}", "ts": ts}  # fmt: skip


async def test_the_agent_feed_keeps_agent_messages_per_conversation_and_tenant() -> None:
    feed = AgentMessageFeed("127.0.0.1:9", "conversations.enriched", None)  # type: ignore[arg-type]
    feed.add(enriched("m1", "customer", 1))
    feed.add(enriched("a1", "agent", 2))
    feed.add(enriched("a1", "agent", 2))  # a redelivered record
    feed.add(enriched("a2", "agent", 3))
    feed.add(enriched("x1", "agent", 4, tenant="other", conversation="c2"))
    assert [m["event_id"] for m in feed.since("c1", "acme", 0)] == ["a1", "a2"]
    assert [m["event_id"] for m in feed.since("c1", "acme", 2)] == ["a2"]
    assert feed.since("c2", "acme", 0) == [] and len(feed.since("c2", "*", 0)) == 1
    assert await feed.wait("c1", "acme", 3, timeout_s=0.05) == []


def test_the_agent_feed_tells_the_hold_memory_who_answered_whichever_process_accepted_it() -> None:
    recent = RecentAnswers(window_s=10.0)
    feed = AgentMessageFeed("127.0.0.1:9", "conversations.enriched", None, recent=recent)  # type: ignore[arg-type]
    feed.add(enriched("m1", "customer", 1))
    assert recent.holder("acme", "c1") is None  # a customer's message holds nothing
    feed.add(enriched("a1", "agent", 2))
    assert recent.holder("acme", "c1") == ("a7",)
    feed.add({**enriched("a2", "agent", 3), "metadata": {"source": "agent_api", "action": "release"}})
    assert recent.holder("acme", "c1") == ()  # given back to the bot just now
    assert recent.holder("other", "c1") is None


def test_web_chat_keys_are_told_apart_from_full_keys() -> None:
    caller_of = chat_caller(Authenticator(ApiKeys({hash_key("full"): "*"})), ApiKeys({hash_key("public"): "acme"}))
    assert caller_of(x_api_key="full").webchat is False
    public = caller_of(authorization="Bearer public")
    assert (public.tenant, public.webchat) == ("acme", True)
    with pytest.raises(HTTPException) as refused:
        caller_of(x_api_key="nope")
    assert refused.value.status_code == 401


def test_the_agent_console_is_one_self_contained_document() -> None:
    html = bundled_page("serving", "agent_page", "agent")
    assert "/*__AGENT_" not in html and "/v1/handoffs" in html and "/agent-replies" in html and "/v1/feedback" in html
    assert 'lang="zh-CN"' in html and "<script src" not in html and "<link" not in html  # no network
    assert "innerHTML" not in html  # customer text is inserted as text, never as markup


def test_the_chat_page_is_one_self_contained_document() -> None:
    html = chat_page_html()
    assert "/*__CHAT_" not in html and "/v1/chat/completions" in html and "/v1/feedback" in html
    assert 'lang="zh-CN"' in html and "<script src" not in html and "<link" not in html  # no network
