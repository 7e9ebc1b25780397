"""A WeChat reply slower than the callback window reaches the customer through WeChat's customer-service API.

The real embedded platform (responder on, models off, no knowledge base: the bot answers with its hand-off
notice) with a callback wait of 10 ms, so every reply is late; WeChat's server API is the loopback stand-in in
``tests/wechat_api_stub.py``.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from schemas.catalog import schema
from schemas.wire import AvroCodec, registry_client
from tests.integration.conftest import Platform, read_topic, start_platform, stop_platform
from tests.wechat_api_stub import WeChatApiStub, wechat_api_stub

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

TOKEN = "kefu-late-token"


@pytest.fixture(scope="module")
def late(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Platform, WeChatApiStub]]:
    with wechat_api_stub() as stub:
        running = start_platform(
            Path(tmp_path_factory.mktemp("kefu-wechat-late")),
            KEFU_RESPONDER_ENABLED="true",
            KEFU_WECHAT_TOKEN=TOKEN,
            KEFU_WECHAT_REPLY_WAIT_S="0.01",
            KEFU_WECHAT_APP_ID="wx-app",
            KEFU_WECHAT_APP_SECRET="s3cret",
            KEFU_WECHAT_API_URL=stub.url,
        )
        try:
            yield running, stub
        finally:
            stop_platform(running)


def callback(http: str, user: str, msg_id: str, text: str) -> httpx.Response:
    timestamp, nonce = str(int(time.time())), uuid.uuid4().hex[:8]
    signature = hashlib.sha1("".join(sorted([TOKEN, timestamp, nonce])).encode()).hexdigest()
    xml = (f"<xml><ToUserName><![CDATA[gh_shop]]></ToUserName><FromUserName><![CDATA[{user}]]></FromUserName>"
           f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
           f"<Content><![CDATA[{text}]]></Content><MsgId>{msg_id}</MsgId></xml>").encode()  # fmt: skip
    return httpx.post(
        f"{http}/v1/channels/wechat",
        params={"signature": signature, "timestamp": timestamp, "nonce": nonce},
        content=xml,
        timeout=30,
    )


def test_a_late_reply_is_sent_once_to_the_customer_through_the_api(late: tuple[Platform, WeChatApiStub]) -> None:
    platform, stub = late
    http, kafka = platform.status["http"], platform.status["kafka"]
    user, msg_id = f"oLate{uuid.uuid4().hex[:6]}", str(int(time.time() * 1000))
    answer = callback(http, user, msg_id, "我的快递怎么还没到？")
    assert (answer.status_code, answer.text) == (200, "success")  # WeChat shows nothing and does not retry

    codec = AvroCodec(registry_client(platform.status["schema_registry"]), schema("BotReply"))
    records = read_topic(kafka, "conversations.replies", f"wechat:{msg_id}".encode(), 1, timeout_s=240)
    assert len(records) == 1
    reply = codec.decode(records[0].value())
    deadline = time.monotonic() + 60
    while not stub.sent and time.monotonic() < deadline:
        time.sleep(0.2)
    assert stub.sent == [{"touser": user, "msgtype": "text", "text": {"content": reply["text"]}}]
    assert reply["text"]

    metrics = httpx.get(f"{http}/metrics", timeout=10).text
    assert 'kefu_api_wechat_late_sends_total{outcome="sent"} 1.0' in metrics


def test_an_agents_reply_to_a_wechat_customer_is_pushed_masked(late: tuple[Platform, WeChatApiStub]) -> None:
    platform, stub = late
    http, key = platform.status["http"], platform.status["api_key"]
    user, msg_id = f"oAgent{uuid.uuid4().hex[:6]}", str(int(time.time() * 1000) + 1)
    assert callback(http, user, msg_id, "我要转人工").text == "success"
    conversation = f"wechat:gh_shop:{user}"

    def answered_by_agent() -> bool:  # the conversation must be stored before an agent can answer it
        response = httpx.post(
            f"{http}/v1/conversations/{conversation}/agent-replies",
            headers={"X-API-Key": key},
            json={"text": "您好，我是客服小王，回电号码13900001111", "agent_id": "agent-7", "message_id": msg_id},
            timeout=30,
        )
        return response.status_code == 202

    deadline = time.monotonic() + 120
    while not answered_by_agent():
        assert time.monotonic() < deadline, "the agent's reply was never accepted"
        time.sleep(1)
    deadline = time.monotonic() + 120
    while not [m for m in stub.sent if "小王" in m["text"]["content"]] and time.monotonic() < deadline:
        time.sleep(0.5)
    pushed = [m for m in stub.sent if "小王" in m["text"]["content"]]
    assert pushed == [{"touser": user, "msgtype": "text", "text": {"content": "您好，我是客服小王，回电号码[PHONE_1]"}}]
