"""Replies that miss WeChat's 5 s callback window go out through WeChat's customer-service message API, once."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from serving.api.replies import ReplyWaiter
from serving.api.wechat import WeChatReplies
from serving.channels.wechat import MAX_REPLY_BYTES
from serving.channels.wechat_api import WeChatApiError, WeChatMessenger
from tests.wechat_api_stub import wechat_api_stub


def messenger(url: str, secret: str = "s3cret") -> WeChatMessenger:
    return WeChatMessenger("wx-app", secret, url, timeout_s=2.0, backoff_s=0.01)


async def test_a_text_goes_to_the_openid_as_utf8_and_the_token_is_reused() -> None:
    with wechat_api_stub() as stub:
        sender = messenger(stub.url)
        await sender.send_text("oCustomer", "退货运费由买家承担。[1]")
        await sender.send_text("oCustomer", "还有" + "长" * 1000)
        assert stub.tokens_issued == 1
        assert stub.sent[0] == {
            "touser": "oCustomer",
            "msgtype": "text",
            "text": {"content": "退货运费由买家承担。[1]"},
        }
        assert "退货".encode() in stub.raw_bodies[0]  # raw UTF-8: WeChat shows \\u escapes literally
        content = stub.sent[1]["text"]["content"]
        assert len(content.encode()) <= MAX_REPLY_BYTES and content.startswith("还有长")


async def test_an_expired_token_is_renewed_and_a_busy_wechat_is_retried() -> None:
    with wechat_api_stub() as stub:
        sender = messenger(stub.url)
        await sender.send_text("o1", "first")
        stub.tokens_issued += 1  # WeChat revoked the token the messenger holds: it answers 40001
        stub.send_errors = [-1, -1]  # then "system busy" twice
        await sender.send_text("o1", "second")
        assert [m["text"]["content"] for m in stub.sent] == ["first", "second"]
        assert stub.tokens_issued == 3


async def test_refusals_and_an_unreachable_api_raise_with_the_reason() -> None:
    with wechat_api_stub() as stub:
        stub.send_errors = [45015]  # the customer's 48-hour window is over: not retried
        with pytest.raises(WeChatApiError) as refused:
            await messenger(stub.url).send_text("o1", "hello")
        assert refused.value.errcode == 45015 and stub.sent == []
        with pytest.raises(WeChatApiError, match="40013"):
            await messenger(stub.url, secret="wrong").send_text("o1", "hello")
        url = stub.url
    with pytest.raises(WeChatApiError, match="unreachable"):
        await messenger(url).send_text("o1", "hello")


async def gave_up(event_id: str) -> tuple[WeChatReplies, asyncio.Future[dict[str, Any]], list[str]]:
    """A message whose callback answered ``success``, its late reply registered to land in the returned list."""
    replies = WeChatReplies(ReplyWaiter("127.0.0.1:9", "conversations.replies", None), keep_s=10, late_keep_s=60)  # type: ignore[arg-type]
    sent: list[str] = []

    async def send_late(reply: dict[str, Any]) -> None:
        sent.append(reply["text"])

    future, _ = replies.claim(event_id, now=0.0)
    assert await replies.wait(event_id, 0.01) is None
    replies.send_when_it_comes(event_id, send_late, now=0.0)
    replies.send_when_it_comes(event_id, send_late, now=0.0)  # registering twice changes nothing
    return replies, future, sent


async def test_a_reply_after_the_callback_gave_up_is_sent_late_exactly_once() -> None:
    replies, future, sent = await gave_up("wechat:1")
    replies.prune(now=30.0)  # past keep_s, within late_keep_s: still waiting for the reply
    future.set_result({"text": "答复"})
    await asyncio.sleep(0.01)
    assert sent == ["答复"]
    assert await replies.wait("wechat:1", 0.01) is None  # a retry now gets nothing: it was delivered


async def test_a_reply_that_comes_while_a_retry_waits_goes_to_the_retry_not_the_api() -> None:
    replies, future, sent = await gave_up("wechat:2")
    retry = asyncio.create_task(replies.wait("wechat:2", 1.0))  # WeChat retried: this callback waits
    await asyncio.sleep(0.01)
    future.set_result({"text": "答复"})
    assert await retry == {"text": "答复"}
    await asyncio.sleep(0.01)
    assert sent == []
