"""The agents' console (`GET /agent`) in headless Chromium over the real API and a real (chDB) store.

The queue and the open conversation's live transcript come from `GET /v1/handoffs` and
`GET /v1/conversations/{id}/transcript` on records written by the store's own sink; the page's two writes
(a corrected intent to `POST /v1/feedback`, a reply to `POST /v1/conversations/{id}/agent-replies`) are
intercepted in the browser and checked field by field: the routes themselves, with Kafka behind them, are
tested on the running platform in `tests/integration/test_chat_channels.py`.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kefu.settings import Settings
from serving.api import create_api
from serving.api.kpi_sql import clickhouse_query
from streams.store.sink import ClickHouseSink
from tests.browser import CHROMIUM_FLAGS, REPO, chromium, served
from tests.kpi_rows import KEYS, OPERATOR_KEY, TENANT_KEY
from tests.store.conftest import enriched, fresh_store, handoff, reply

pytestmark = pytest.mark.slow  # a browser, a server and a store

NOW = int(time.time() * 1000)
MINUTE = 60_000
PRAISED = {"polarity": "positive", "score": 0.6, "emotion": "neutral", "emotion_confidence": 0.5}  # a wrong reading


def _store_with_handoffs() -> Any:
    """Two conversations waiting (one urgent), one an agent already answered; the store's own sink writes them.

    The refund conversation has a bot reply, and a customer message written after its hand-off.
    """
    client = fresh_store()
    sink = ClickHouseSink(client)
    for record in [
        enriched("m1", "c-refund", text="耳机坏了，订单KF2025，我要退款", intent="return_refund", ts=NOW - 9 * MINUTE),
        enriched("m2", "c-refund", text="电话是[PHONE_1]", intent="unknown", ts=NOW - 8 * MINUTE),
        enriched("m3", "c-fire", channel="email", text="充电器冒烟了！", intent="product_quality", ts=NOW - 3 * MINUTE),
        enriched("m4", "c-done", text="转人工", intent="ask_human", ts=NOW - 30 * MINUTE),
        enriched("a1", "c-done", role="agent", text="您好，我来处理。", ts=NOW - 20 * MINUTE),
        enriched("m5", "c-again", text="发票怎么开？", intent="invoice", ts=NOW - 40 * MINUTE),
        enriched("a2", "c-again", role="agent", user_id="agent-3", text="请提供抬头。", ts=NOW - 10 * MINUTE),
        enriched("m6", "c-again", text="抬头是某某公司", intent="invoice", ts=NOW - 5 * MINUTE),
        enriched("m7", "c-refund", text="我等了好久了", intent="complaint", ts=NOW - 1 * MINUTE, sentiment=PRAISED),
    ]:
        sink.add("events", record)
    sink.add("bot_replies", reply("b1", "m1", "c-refund", text="请问耳机是什么问题？", ts=NOW - 9 * MINUTE + 2000))
    transcript = [
        {"role": "customer", "text": "耳机坏了，订单KF2025，我要退款", "ts": NOW - 9 * MINUTE},
        {"role": "bot", "text": "请问耳机是什么问题？", "ts": NOW - 9 * MINUTE + 2000},
        {"role": "customer", "text": "电话是[PHONE_1]", "ts": NOW - 8 * MINUTE},
    ]
    sink.add(
        "handoffs",
        handoff(
            "h-refund", "c-refund", reason="low_confidence", summary="客户要为坏耳机退款", priority=3,
            slots={"order_id": "KF2025", "phone": "[PHONE_1]"}, transcript=transcript, ts=NOW - 8 * MINUTE + 3000,
        ),
    )  # fmt: skip
    sink.add(
        "handoffs",
        handoff("h-fire", "c-fire", channel="email", reason="must_escalate_topic", priority=1, ts=NOW - 3 * MINUTE),
    )
    sink.add("handoffs", handoff("h-done", "c-done", summary="要人工", ts=NOW - 29 * MINUTE))
    sink.add("handoffs", handoff("h-again", "c-again", summary="开发票", ts=NOW - 39 * MINUTE))
    sink.flush()
    return client


@pytest.fixture(scope="module")
def served_store() -> Iterator[tuple[str, Any]]:
    store = _store_with_handoffs()
    app = create_api(Settings(), "127.0.0.1:9", f"mock://agent-{uuid.uuid4()}", KEYS, kpi_query=clickhouse_query(store))
    with served(app) as url:
        yield url, store


REPLY = "您好，退款已为您登记，1-3个工作日原路退回。"


def customer_writes_again(store: Any) -> None:
    sink = ClickHouseSink(store)
    sink.add("events", enriched("m8", "c-refund", text="还在吗？", intent="unknown", ts=int(time.time() * 1000)))
    sink.flush()


def correct_two_messages(page: Any, seen: dict[str, Any]) -> None:
    """m2's intent, then m7's polarity alone; a click with nothing changed (m1) sends nothing."""
    page.click('#messages tr[data-message="m1"] button')
    unknown = '#messages tr[data-message="m2"]'
    page.fill(f"{unknown} input", "return_refund")
    page.click(f"{unknown} button")
    page.wait_for_selector(f'{unknown}[data-corrected="return_refund"]')
    waited = '#messages tr[data-message="m7"]'
    seen["predicted_m7"] = page.inner_text(f"{waited} td:nth-child(2)")
    page.select_option(f"{waited} select", "negative")
    page.click(f"{waited} button")  # the intent stays as predicted: only the polarity is sent
    page.wait_for_selector(f'{waited}[data-corrected-polarity="negative"]')
    seen["corrected_m7"] = page.inner_text(f"{waited} .corrected")


def drive_the_console(
    server: str, store: Any, profile: Path, posted: dict[str, list[dict[str, Any]]]
) -> dict[str, Any]:
    """An agent's session in Chromium; returns what the page showed. The two POSTs land in ``posted``."""
    from playwright.sync_api import Route, sync_playwright

    def capture(kind: str) -> Any:
        def handle(route: Route) -> None:
            sent = json.loads(route.request.post_data or "{}")
            posted[kind].append({"url": route.request.url, **sent})
            stored = {"index": 0, "event_id": f"agent:acme:{sent.get('message_id')}", "status": "accepted"}
            body = json.dumps({"accepted": 1, "results": [stored]})
            route.fulfill(status=202, content_type="application/json", body=body)

        return handle

    seen: dict[str, Any] = {"errors": []}
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=chromium(), headless=True, args=CHROMIUM_FLAGS,
            viewport={"width": 1300, "height": 900},
        )  # fmt: skip
        try:
            page = context.new_page()
            page.on("pageerror", lambda error: seen["errors"].append(error))  # noqa: PLW0108  # playwright rejects builtins
            page.route("**/v1/feedback", capture("feedback"))
            page.route("**/agent-replies", capture("reply"))
            page.goto(f"{server}/agent#key={TENANT_KEY}")
            page.wait_for_selector('body[data-state="ready"]', timeout=20_000)
            seen["queue"] = page.eval_on_selector_all("#queue li", "items => items.map(i => i.dataset.conversation)")
            seen["wrote_again"], seen["assigned"] = (
                page.inner_text(f'#queue li[data-conversation="c-again"] .badge.{badge}')
                for badge in ("new", "assigned")
            )
            seen["url"] = page.url

            page.click('#queue li[data-conversation="c-refund"]')
            page.wait_for_selector("#detail:not([hidden])")
            seen["summary"], seen["slots"] = page.inner_text("#d-summary"), page.inner_text("#d-slots")
            seen["web_note_hidden"] = page.is_hidden("#d-channel-note")
            page.wait_for_selector('#transcript .msg[data-event="m7"]')  # the stored transcript replaced the snapshot
            seen["turns"] = page.eval_on_selector_all("#transcript .msg", "ms => ms.map(m => m.className)")
            seen["messages"] = page.eval_on_selector_all(
                "#messages tr[data-message]", "rs => rs.map(r => r.dataset.message)"
            )
            customer_writes_again(store)  # while the agent has the conversation open
            page.wait_for_selector('#transcript .msg[data-event="m8"]', timeout=15_000)
            page.wait_for_selector('#messages tr[data-message="m8"]')

            correct_two_messages(page, seen)

            page.fill("#reply-text", REPLY)
            page.click("#send")  # no agent id yet: refused on the page, nothing sent
            seen["refused"] = page.inner_text("#status")
            page.fill("#agent-id", "agent-7")
            page.check("#release")
            page.click("#send")
            page.wait_for_selector('body[data-sent="1"]')
            seen["transcript"] = page.inner_text("#transcript")
            page.screenshot(path=str(profile.parent / "agent-console.png"), full_page=True)
            routed = '#queue li[data-conversation="c-fire"] .badge.routed'  # polled as agent-7 since: present
            seen["routed"] = page.inner_text(routed, timeout=25_000)
            page.click('#queue li[data-conversation="c-fire"]')  # an e-mail customer, and no SMTP server
            seen["email_note"] = page.inner_text("#d-channel-note")
        finally:
            context.close()
    return seen


def test_an_agent_sees_the_queue_follows_the_conversation_corrects_an_intent_and_answers(
    served_store: tuple[str, Any], tmp_path: Path
) -> None:
    posted: dict[str, list[dict[str, Any]]] = {"feedback": [], "reply": []}
    seen = drive_the_console(*served_store, tmp_path / "profile", posted)

    assert seen["errors"] == []
    assert "#key=" not in seen["url"], "the key must not stay in the address bar"
    assert seen["queue"] == ["c-fire", "c-refund", "c-again"]  # most urgent, then longest waiting; c-done answered
    assert seen["wrote_again"] == "客户有新消息"  # answered once, then the customer wrote while the agent held it
    assert seen["assigned"] == "处理中：agent-3"  # and it is that agent's
    assert seen["routed"] == "分配给：agent-7"  # the only agent present gets the fresh hand-offs
    assert seen["summary"] == "客户要为坏耳机退款" and "KF2025" in seen["slots"] and "[PHONE_1]" in seen["slots"]
    assert seen["turns"] == ["msg customer", "msg bot", "msg customer", "msg handoff", "msg customer"]
    assert seen["messages"] == ["m1", "m2", "m7"]  # m7 came after the hand-off: only the stored transcript has it
    assert [{k: v for k, v in f.items() if k != "url"} for f in posted["feedback"]] == [
        {"conversation_id": "c-refund", "source": "agent", "message_id": "m2", "corrected_intent": "return_refund"},
        {"conversation_id": "c-refund", "source": "agent", "message_id": "m7", "corrected_polarity": "negative"},
    ]
    assert seen["predicted_m7"] == "complaint 0.90 · 正面" and seen["corrected_m7"].strip() == "已更正为 负面"
    assert "坐席工号" in seen["refused"] and len(posted["reply"]) == 1
    sent = posted["reply"][0]
    assert sent["url"].endswith("/v1/conversations/c-refund/agent-replies")
    assert (sent["text"], sent["agent_id"], sent["release"]) == (REPLY, "agent-7", True)
    assert str(sent["message_id"]).startswith("console-")  # a retry of the same message is stored once
    assert REPLY in seen["transcript"]
    assert seen["web_note_hidden"] and "不外发邮件" in seen["email_note"]  # no SMTP server here: the agent is told
    if os.environ.get("KEFU_UPDATE_SCREENSHOTS"):  # refresh the README picture on demand, not on every run
        shutil.copyfile(tmp_path / "agent-console.png", REPO / "docs" / "img" / "agent-console.png")


def test_an_operator_key_sees_which_tenant_each_waiting_conversation_belongs_to(
    served_store: tuple[str, Any], tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    server, _ = served_store
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=chromium(), headless=True, args=CHROMIUM_FLAGS
        )
        try:
            page = context.new_page()
            page.goto(f"{server}/agent#key={OPERATOR_KEY}")
            page.wait_for_selector('body[data-state="ready"]', timeout=20_000)
            lines = page.eval_on_selector_all("#queue li .ids", "ds => ds.map(d => d.textContent)")
        finally:
            context.close()
    assert lines and all(line.startswith("acme · ") for line in lines)  # an operator key reads every tenant
