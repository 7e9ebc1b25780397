"""The web chat page in headless Chromium against a real platform (responder on, models off, sample KB).

A customer types a question and sees the streamed answer with its citation, rates it (thumbs, CSAT 1-5): the
Feedback records arrive on conversations.feedback and in ClickHouse. Then the customer asks for a human: the
hand-off banner shows, an agent answers through the API and the agent's (masked) message appears on the page.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from kefu.settings import Settings
from schemas.catalog import schema
from schemas.wire import AvroCodec, registry_client
from streams.store import StoreClient
from tests.browser import CHROMIUM_FLAGS, chromium
from tests.integration.conftest import KB_QUESTION, Platform, read_topic

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1500)]  # platform start + models on a busy machine


AGENT_TEXT = "您好，我是人工客服小李，请问有什么可以帮您？"


def agent_answers(status: dict[str, Any], conversation: str, text: str) -> None:
    """An agent's reply through the API; retried while the sink has not stored the conversation yet (404)."""
    deadline = time.monotonic() + 60
    while True:
        reply = httpx.post(
            f"{status['http']}/v1/conversations/{conversation}/agent-replies",
            headers={"X-API-Key": status["api_key"]},
            json={"text": text, "agent_id": "agent-li", "message_id": "hello"},
            timeout=30,
        )
        if reply.status_code != 404 or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert reply.status_code == 202, reply.text


def stored_feedback(platform: Platform, conversation: str) -> list[dict[str, Any]]:
    store = StoreClient.connect(Settings(data_dir=platform.data_dir))
    deadline = time.monotonic() + 30
    while True:
        rows: list[dict[str, Any]] = store.query(
            "SELECT thumbs, csat, reply_id, source FROM kefu.feedback FINAL WHERE conversation_id = {c:String}",
            {"c": conversation},
        ).to_pylist()
        if len(rows) >= 2 or time.monotonic() > deadline:
            return rows
        time.sleep(0.5)


def test_a_customer_chats_rates_and_is_handed_to_an_agent_in_the_browser(
    responder_platform: Platform, tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    status = responder_platform.status
    executable = chromium()
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=executable, headless=True, args=CHROMIUM_FLAGS,
            viewport={"width": 900, "height": 900},
        )  # fmt: skip
        try:
            page = context.new_page()
            errors: list[Any] = []
            page.on("pageerror", lambda error: errors.append(error))  # noqa: PLW0108  # playwright rejects builtins
            page.goto(status["chat"])  # <http>/chat#key=<web-chat key>
            page.wait_for_selector('body[data-state="ready"]', timeout=30_000)
            assert "#key=" not in page.url, "the key must not stay in the address bar"
            conversation = page.evaluate("sessionStorage.getItem('kefu-chat-conversation')") or ""

            page.fill("#input", KB_QUESTION)
            page.press("#input", "Enter")
            page.wait_for_selector('.msg.bot[data-done="true"]', timeout=300_000)
            bot = page.locator(".msg.bot").first
            answer = bot.locator(".text").inner_text()
            citations = bot.locator(".citations li").all_inner_texts()
            reply_id = bot.get_attribute("data-reply-id")
            bot.locator('button[data-thumbs="up"]').click()
            page.wait_for_selector('button[data-thumbs="up"][aria-pressed="true"]', timeout=20_000)
            page.locator('#csat button[data-csat="5"]').click()
            page.wait_for_selector('#csat button[data-csat="5"][aria-pressed="true"]', timeout=20_000)
            conversation = page.evaluate("sessionStorage.getItem('kefu-chat-conversation')") or conversation
            page.screenshot(path=str(tmp_path / "chat-page.png"), full_page=True)

            page.fill("#input", "我要转人工")
            page.press("#input", "Enter")
            page.wait_for_selector("#handoff:not([hidden])", timeout=240_000)
            reason = page.get_attribute("#handoff", "data-reason")
            banner = page.inner_text("#handoff")
            agent_answers(status, conversation, AGENT_TEXT)
            page.wait_for_selector(".msg.agent", timeout=60_000)
            agent_text = page.locator(".msg.agent .text").first.inner_text()
        finally:
            context.close()

    assert errors == []
    assert conversation.startswith("web-")
    assert "运费" in answer and citations and "faq.jsonl" in citations[0]
    assert reason == "customer_request" and banner == "正在为您转接人工客服，请稍候。"  # no English detail inside
    assert agent_text == AGENT_TEXT

    codec = AvroCodec(registry_client(status["schema_registry"]), schema("Feedback"))
    records = [
        codec.decode(m.value()) for m in read_topic(status["kafka"], "conversations.feedback", conversation.encode(), 2)
    ]
    assert sorted((r["thumbs"] or "", r["csat"] or 0, r["reply_id"] or "") for r in records) == [
        ("", 5, ""),
        ("up", 0, reply_id),
    ]
    assert {(r["tenant_id"], r["source"]) for r in records} == {("default", "customer")}
    stored = stored_feedback(responder_platform, conversation)
    assert sorted((r["thumbs"] or "", r["csat"] or 0) for r in stored) == [("", 5), ("up", 0)]
