"""Chat channels on the real embedded platform (responder on, models off, sample KB): feedback, the agents' API,
WeChat passive replies and ``kefu chat --once``.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
import uuid
from typing import Any
from xml.etree import ElementTree

import httpx
import pytest

from jobs.retrain import corrections
from kefu.settings import Settings
from processors.responder import without_citation_markers
from schemas.catalog import schema
from schemas.wire import AvroCodec, registry_client
from streams.store import StoreClient
from tests.integration.conftest import KB_QUESTION, WECHAT_TOKEN, Platform, eventually, read_topic

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1500)]  # platform start + models on a busy machine


@pytest.fixture
def channels(responder_platform: Platform) -> Platform:
    return responder_platform


def headers(key: str, conversation: str | None = None) -> dict[str, str]:
    return {"X-API-Key": key, **({"X-Conversation-Id": conversation} if conversation else {})}


def chat(platform: Platform, conversation: str, text: str) -> httpx.Response:
    return httpx.post(
        f"{platform.status['http']}/v1/chat/completions",
        headers=headers(platform.status["api_key"], conversation),
        json={"model": "kefu", "messages": [{"role": "user", "content": text}]},
        timeout=300,
    )


def store_rows(platform: Platform, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    store = StoreClient.connect(Settings(data_dir=platform.data_dir))
    rows: list[dict[str, Any]] = store.query(sql, params).to_pylist()
    return rows


def decode(platform: Platform, record: str, value: bytes) -> dict[str, Any]:
    return AvroCodec(registry_client(platform.status["schema_registry"]), schema(record)).decode(value)


def test_web_chat_feedback_reaches_the_topic_and_clickhouse_and_the_key_is_limited(channels: Platform) -> None:
    http, public = channels.status["http"], channels.status["webchat_key"]
    conversation = f"fb-{uuid.uuid4().hex[:8]}"
    answer = chat(channels, conversation, KB_QUESTION).json()["kefu"]
    for body in ({"reply_id": answer["reply_id"], "thumbs": "up"}, {"csat": 4, "comment": "客服很好，电话13812345678"}):
        response = httpx.post(
            f"{http}/v1/feedback", headers=headers(public), json={"conversation_id": conversation, **body}
        )
        assert response.status_code == 202, response.text

    records = [
        decode(channels, "Feedback", m.value())
        for m in read_topic(channels.status["kafka"], "conversations.feedback", conversation.encode(), 2)
    ]
    assert sorted((r["thumbs"] or "", r["csat"] or 0, r["source"], r["tenant_id"]) for r in records) == [
        ("", 4, "customer", "default"),
        ("up", 0, "customer", "default"),
    ]
    assert all("13812345678" not in (r["comment"] or "") for r in records)
    stored = eventually(
        lambda: store_rows(
            channels,
            "SELECT thumbs, csat, reply_id FROM kefu.feedback FINAL WHERE conversation_id = {c:String}",
            {"c": conversation},
        )
    )
    assert sorted(str(r["csat"]) for r in stored) == ["4", "None"] and answer["reply_id"] in {
        r["reply_id"] for r in stored
    }

    # the public key is for the chat only: no agent feedback, no ingest, no hand-off queue
    agentish = {"conversation_id": conversation, "source": "agent", "message_id": "x", "corrected_intent": "refund"}
    assert httpx.post(f"{http}/v1/feedback", headers=headers(public), json=agentish).status_code == 403
    queue = httpx.get(f"{http}/v1/handoffs", headers=headers(public))
    assert queue.status_code == 403 and "public web-chat key" in queue.text  # valid, but not for this route
    assert httpx.post(f"{http}/v1/events", headers=headers(public), json={}).status_code == 403
    assert (
        httpx.post(
            f"{http}/v1/feedback", headers=headers(public), json={"conversation_id": conversation, "csat": 9}
        ).status_code
        == 422
    )


def test_an_agent_takes_a_handoff_replies_and_corrects_an_intent_and_a_polarity(channels: Platform) -> None:
    http, key, kafka = channels.status["http"], channels.status["api_key"], channels.status["kafka"]
    assert (channels.status["agents"], channels.status["kpi"]) == (f"{http}/agent#key={key}", f"{http}/kpi#key={key}")
    conversation = f"ho-{uuid.uuid4().hex[:8]}"
    assert (
        chat(channels, conversation, "我要转人工，电话13812345678").json()["kefu"]["handoff"]["reason"]
        == "customer_request"
    )

    def waiting() -> list[dict[str, Any]]:
        listed = httpx.get(f"{http}/v1/handoffs", headers=headers(key), params={"tenant": "default"}, timeout=30)
        assert listed.status_code == 200, listed.text
        return [h for h in listed.json()["handoffs"] if h["conversation_id"] == conversation]

    queued = eventually(waiting)
    assert queued, "the hand-off never showed in GET /v1/handoffs"
    handoff = queued[0]
    assert handoff["reason"] == "customer_request" and handoff["transcript"]
    assert all("13812345678" not in turn["text"] for turn in handoff["transcript"])
    customer_message = handoff["customer_messages"][0]
    assert "[PHONE_1]" in customer_message["text"] and customer_message["event_id"].startswith("api:")

    # the customer's page long-polls agents' messages with the public key while the agent answers
    polled: list[httpx.Response] = []
    poller = threading.Thread(target=lambda: polled.append(httpx.get(
        f"{http}/v1/conversations/{conversation}/messages", headers=headers(channels.status["webchat_key"]),
        params={"after": 0, "wait": 20}, timeout=30)))  # fmt: skip
    poller.start()
    time.sleep(0.5)
    reply = httpx.post(
        f"{http}/v1/conversations/{conversation}/agent-replies",
        headers=headers(key),
        json={"text": "您好，我是客服小王，已为您登记，回电号码13900001111", "agent_id": "agent-7", "message_id": "m1"},
        timeout=30,
    )
    assert reply.status_code == 202, reply.text
    agent_event_id = reply.json()["results"][0]["event_id"]
    at_once = {"text": "我也来回答", "agent_id": "agent-9", "message_id": "m-race"}  # before the store has agent-7's
    raced = httpx.post(f"{http}/v1/conversations/{conversation}/agent-replies", headers=headers(key), json=at_once)
    assert (raced.status_code, raced.json().get("held_by")) == (409, "agent-7")
    poller.join(30)
    delivered = polled[0].json()["messages"]
    assert [m["event_id"] for m in delivered] == [agent_event_id]
    assert "[PHONE_1]" in delivered[0]["text"] and "13900001111" not in delivered[0]["text"]  # masked like all

    enriched = [
        decode(channels, "EnrichedEvent", m.value())
        for m in read_topic(kafka, "conversations.enriched", agent_event_id.encode(), 1)
    ]
    assert [(e["role"], e["user_id"]) for e in enriched] == [("agent", "agent-7")]
    assert read_topic(kafka, "conversations.replies", agent_event_id.encode(), 1, timeout_s=5) == []  # no bot reply
    assert eventually(lambda: not waiting()), "an answered hand-off still waits for an agent"
    other = {"text": "我来接手", "agent_id": "agent-8", "message_id": "m-other"}
    refused = httpx.post(f"{http}/v1/conversations/{conversation}/agent-replies", headers=headers(key), json=other)
    assert (refused.status_code, refused.json().get("held_by")) == (409, "agent-7")  # agent-7 holds it now
    stored = httpx.get(f"{http}/v1/conversations/{conversation}/transcript", headers=headers(key), timeout=30)
    assert stored.status_code == 200, stored.text
    turns = stored.json()["messages"]  # what the console shows: the whole conversation as stored, masked
    assert {t["role"] for t in turns} == {"customer", "bot", "handoff", "agent"} and turns[0]["role"] == "customer"
    assert turns[-1]["event_id"] == agent_event_id and turns[-1]["user_id"] == "agent-7"
    assert "13812345678" not in stored.text and "13900001111" not in stored.text
    assert (
        httpx.post(
            f"{http}/v1/conversations/nope-{conversation}/agent-replies",
            headers=headers(key),
            json={"text": "x", "agent_id": "a"},
        ).status_code
        == 404
    )
    corrections_reach_the_retrain_loop(channels, conversation, customer_message)


def corrections_reach_the_retrain_loop(channels: Platform, conversation: str, customer_message: dict[str, Any]) -> None:
    """An agent's corrected intent and an analyst's corrected polarity, read back as the retrain agent reads them."""
    http, key = channels.status["http"], channels.status["api_key"]
    correction = {"conversation_id": conversation, "source": "agent", "user_id": "agent-7", "tenant_id": "default",
                  "message_id": customer_message["event_id"], "corrected_intent": "transfer_to_human"}  # fmt: skip
    assert httpx.post(f"{http}/v1/feedback", headers=headers(key), json=correction).status_code == 202
    store = StoreClient.connect(Settings(data_dir=channels.data_dir))
    table = eventually(lambda: corrections(store.query, "intent", tenant="default").to_pylist())
    rows = [r for r in table if r["example_id"] == customer_message["event_id"]]
    assert [(r["label"], r["source"], r["text"]) for r in rows] == [
        ("transfer_to_human", "agent_correction", customer_message["text"])
    ]
    polarity = {**correction, "corrected_intent": None, "corrected_polarity": "negative", "source": "analyst"}
    assert httpx.post(f"{http}/v1/feedback", headers=headers(key), json=polarity).status_code == 202
    polarities = eventually(lambda: corrections(store.query, "sentiment", tenant="default").to_pylist())
    rows = [r for r in polarities if r["example_id"] == customer_message["event_id"]]
    assert [(r["label"], r["source"], r["text"]) for r in rows] == [
        ("negative", "analyst_correction", customer_message["text"])
    ]


def test_the_bot_stays_silent_while_an_agent_holds_the_conversation_until_released(channels: Platform) -> None:
    http, key = channels.status["http"], channels.status["api_key"]
    conversation = f"hold-{uuid.uuid4().hex[:8]}"
    assert chat(channels, conversation, "我要转人工").json()["kefu"]["handoff"]["reason"] == "customer_request"
    held = chat(channels, conversation, KB_QUESTION).json()
    assert (held["choices"][0]["message"]["content"], held["kefu"]["model_profile"]) == ("", "agent")
    assert held["kefu"]["handoff"] is None  # no second hand-off: the conversation is already with a human

    def release() -> bool:  # the conversation must be in the store before an agent can answer it
        answer = httpx.post(
            f"{http}/v1/conversations/{conversation}/agent-replies",
            headers=headers(key),
            json={"text": "问题已处理，祝您愉快", "agent_id": "agent-7", "message_id": "bye", "release": True},
            timeout=30,
        )
        return answer.status_code == 202

    assert eventually(release), "the agent's release was not accepted"
    tries = iter(range(1000))

    def answer() -> str:  # each try is a new customer message: silent until the release reached the responder
        response = chat(channels, conversation, f"请问{next(tries)}：{KB_QUESTION}")  # not a near-duplicate
        if response.status_code != 200:  # e.g. 429: this conversation's rate limit
            time.sleep(3)
            return ""
        return str(response.json()["choices"][0]["message"]["content"])

    assert eventually(answer, timeout_s=120), "the bot did not take the conversation back after the release"

    store = StoreClient.connect(Settings(data_dir=channels.data_dir))

    def stored() -> list[dict[str, Any]]:
        sql = "SELECT model_profile FROM bot_replies WHERE conversation_id = {c:String} AND text != ''"
        rows: list[dict[str, Any]] = store.query(sql, {"c": conversation}).to_pylist()
        return rows if len(rows) >= 2 else []

    assert eventually(stored), "the hand-off notice and the answer after the release were not both stored"
    silent = store.query(
        "SELECT count() AS n FROM bot_replies WHERE conversation_id = {c:String} AND model_profile = 'agent'",
        {"c": conversation},
    ).to_pylist()
    assert silent == [{"n": 0}]  # silent replies are not bot replies: not stored, not in the KPIs


def signed(params: dict[str, str] | None = None) -> dict[str, str]:
    timestamp, nonce = str(int(time.time())), uuid.uuid4().hex[:8]
    signature = hashlib.sha1("".join(sorted([WECHAT_TOKEN, timestamp, nonce])).encode()).hexdigest()
    return {"signature": signature, "timestamp": timestamp, "nonce": nonce, **(params or {})}


def test_wechat_is_answered_in_passive_reply_xml_and_a_retry_is_not_ingested_twice(channels: Platform) -> None:
    http, kafka = channels.status["http"], channels.status["kafka"]
    msg_id, user = str(int(time.time() * 1000)), f"oUser{uuid.uuid4().hex[:6]}"
    xml = (f"<xml><ToUserName><![CDATA[gh_shop]]></ToUserName><FromUserName><![CDATA[{user}]]></FromUserName>"
           f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
           f"<Content><![CDATA[{KB_QUESTION}]]></Content><MsgId>{msg_id}</MsgId></xml>").encode()  # fmt: skip
    url = f"{http}/v1/channels/wechat"
    assert httpx.post(url, params={**signed(), "signature": "0" * 40}, content=xml).status_code == 403
    started = time.monotonic()
    first = httpx.post(url, params=signed(), content=xml, timeout=30)
    waited = time.monotonic() - started
    retry = httpx.post(url, params=signed(), content=xml, timeout=30)  # WeChat's retry of the same MsgId
    assert first.status_code == retry.status_code == 200
    assert waited < 5.0  # WeChat gives up after 5 s

    replies = [
        decode(channels, "BotReply", m.value())
        for m in read_topic(kafka, "conversations.replies", f"wechat:{msg_id}".encode(), 1)
    ]
    assert len(replies) == 1 and replies[0]["channel"] == "wechat"
    answered = [r for r in (first, retry) if r.text != "success"]
    assert answered, "neither the callback nor its retry got the reply"
    fields = {child.tag: child.text for child in ElementTree.fromstring(answered[0].content)}
    assert (fields["ToUserName"], fields["FromUserName"], fields["MsgType"]) == (user, "gh_shop", "text")
    assert re.search(r"\[\d\]", replies[0]["text"]), replies[0]["text"]  # an answer cites its source...
    assert fields["Content"] == without_citation_markers(replies[0]["text"])
    assert not re.search(r"\[\d\]", fields["Content"])  # ...which WeChat cannot show: no markers pointing at it
    assert len(read_topic(kafka, "conversations.inbound", f"wechat:{msg_id}".encode(), 2, timeout_s=3)) == 1


def test_kefu_chat_once_streams_the_answer_with_its_citation(channels: Platform) -> None:
    shown = channels.kefu("chat", "--once", KB_QUESTION, timeout=120)
    assert shown.returncode == 0, shown.stderr
    assert "[1] " in shown.stdout and "运费" in shown.stdout
    as_json = channels.kefu("chat", "--once", "我要转人工", "--json", timeout=120)
    assert as_json.returncode == 0, as_json.stderr
    answer = json.loads(as_json.stdout)
    assert answer["kefu"]["handoff"]["reason"] == "customer_request" and answer["text"]
    refused = channels.kefu("chat", "--once", "hi", "--api-key", "wrong", timeout=60)
    assert refused.returncode == 1 and "401" in refused.stderr
