"""Two API processes on one platform: an agent's reply accepted by one holds the conversation in the other as soon
as the other reads it from the stream, before the store has it; a release frees it the same way."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.integration.conftest import Platform, eventually
from tests.integration.smtp_inbox import free_port

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def second_api(platform: Platform) -> Iterator[str]:
    """Another `kefu api` process beside the platform's, on the same broker, store and keys."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "kefu", "api"],
        env={**platform.env, "KEFU_HTTP_PORT": str(port)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        try:
            return httpx.get(f"{url}/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        assert eventually(healthy, timeout_s=120, every_s=0.5), "the second API never answered /health"
        time.sleep(2)  # its stream followers start from the topics' end; let them be assigned first
        yield url
    finally:
        process.terminate()
        process.wait(30)


def test_a_reply_accepted_by_one_api_holds_the_conversation_in_the_other(platform: Platform, second_api: str) -> None:
    first = platform.status["http"]
    headers = {"Authorization": f"Bearer {platform.status['api_key']}"}
    conversation = f"two-apis-{uuid.uuid4().hex[:8]}"
    customer = {
        "event_id": f"{conversation}-m1", "conversation_id": conversation, "tenant_id": "default",
        "channel": "web", "user_id": "u1", "role": "customer", "text": "我要找人工", "ts": int(time.time() * 1000),
    }  # fmt: skip
    assert httpx.post(f"{first}/v1/events", headers=headers, json=[customer], timeout=30).status_code == 202
    transcript = f"{first}/v1/conversations/{conversation}/transcript"
    assert eventually(lambda: httpx.get(transcript, headers=headers, timeout=30).status_code == 200, every_s=0.1), (
        "never stored"
    )

    def reply(api: str, agent: str, n: int, **extra: Any) -> httpx.Response:
        # a different text each time: the same text again within seconds is dropped as a near-duplicate
        body = {"text": f"{agent}的第{n}条回答", "agent_id": agent, "message_id": f"{agent}-{n}", **extra}
        url = f"{api}/v1/conversations/{conversation}/agent-replies"
        return httpx.post(url, headers=headers, json=body, timeout=30)

    def seen_by_second_api(event_id: str) -> bool:
        messages = httpx.get(
            f"{second_api}/v1/conversations/{conversation}/messages", headers=headers, params={"after": 0}, timeout=30
        ).json()["messages"]
        return any(m["event_id"] == event_id for m in messages)

    held = reply(first, "agent-7", 1)
    assert held.status_code == 202, held.text
    assert eventually(lambda: seen_by_second_api(held.json()["results"][0]["event_id"]), timeout_s=15, every_s=0.1)
    raced = reply(second_api, "agent-9", 1)  # the second API has read agent-7's reply from the stream
    assert (raced.status_code, raced.json().get("held_by")) == (409, "agent-7")

    released = reply(first, "agent-7", 2, release=True)
    assert released.status_code == 202, released.text
    assert eventually(lambda: seen_by_second_api(released.json()["results"][0]["event_id"]), timeout_s=15, every_s=0.1)
    taken = reply(second_api, "agent-9", 2)  # given back to the bot: anyone may answer
    assert taken.status_code == 202, taken.text


def test_both_apis_route_fresh_handoffs_to_the_agents_present_at_either(platform: Platform, second_api: str) -> None:
    first = platform.status["http"]
    headers = {"Authorization": f"Bearer {platform.status['api_key']}"}
    tenant = f"presence-{uuid.uuid4().hex[:8]}"  # its own tenant: no other test's hand-offs in this queue
    now = int(time.time() * 1000)
    handoffs = [
        {"event_id": f"{tenant}-h{n}", "conversation_id": f"{tenant}-c{n}", "tenant_id": tenant, "channel": "web",
         "reason": "customer_request", "ts": now + n}
        for n in range(4)
    ]  # fmt: skip
    produced = platform.kefu("produce", "--topic", "conversations.handoffs", stdin="\n".join(map(json.dumps, handoffs)))
    assert produced.returncode == 0, produced.stderr

    def queue(api: str, agent: str | None = None) -> list[dict[str, Any]]:
        params = {"tenant": tenant, **({"agent_id": agent} if agent else {})}
        listed = httpx.get(f"{api}/v1/handoffs", headers=headers, params=params, timeout=30)
        assert listed.status_code == 200, listed.text
        return list(listed.json()["handoffs"])

    assert eventually(lambda: len(queue(first)) == 4, every_s=0.1), "the hand-offs never reached the store"
    queue(first, "ann")  # ann's console polls the platform's API, bob's the second one
    queue(second_api, "bob")

    def routing(api: str) -> dict[str, str | None]:
        return {item["conversation_id"]: item["routed_to"] for item in queue(api)}

    def agreed() -> dict[str, str | None] | None:
        here, there = routing(first), routing(second_api)
        return here if here == there and set(here.values()) == {"ann", "bob"} else None

    shared = eventually(agreed, timeout_s=15, every_s=0.5)
    assert shared, f"the APIs route differently: {routing(first)} vs {routing(second_api)}"
    assert sorted(shared.values()) == ["ann", "ann", "bob", "bob"]  # two each: neither holds any yet
