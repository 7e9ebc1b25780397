"""Drive N concurrent simulated conversations through ``POST /v1/chat/completions`` for a bounded time.

Each simulated customer waits for the reply before its next turn (with a random think time), starts a new
conversation after its last turn, and starts no turn after the deadline (turns in flight are finished). Message
ids are the client's (``X-Message-Id``), so the run can be reconciled against ClickHouse by event id.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from processors.dialogue.agent_hold import is_silent_reply
from serving.api.chat import chat_event_id
from serving.loadtest.reconcile import dead_letters_since, reconcile
from serving.loadtest.scripts import conversation_turns
from serving.loadtest.stats import Turn, summarize
from streams.store.client import StoreClient

ACCEPTED_STATUSES = (200, 504)  # the API produced the message (504: the reply came after the API stopped waiting)


@dataclass(frozen=True)
class LoadConfig:
    conversations: int
    duration_s: float
    turns: int = 4
    think_s: float = 1.0
    tenant: str = "default"
    seed: int = 0
    request_timeout_s: float = 120.0
    settle_s: float = 30.0


@dataclass
class _Run:
    config: LoadConfig
    run_id: str
    deadline: float
    turns: list[Turn]
    conversations_started: int = 0
    conversations_completed: int = 0

    def message_id(self, customer: int, conversation: int, turn: int) -> str:
        return f"load-{self.run_id}-{customer}-{conversation}-{turn}"


async def _send(
    client: httpx.AsyncClient, run: _Run, conversation_id: str, message_id: str, history: list[Any]
) -> Turn:
    started = time.perf_counter()
    headers = {"X-Conversation-Id": conversation_id, "X-Message-Id": message_id, "X-Tenant-Id": run.config.tenant}
    body = {"model": "kefu", "user": conversation_id, "messages": history}
    try:
        response = await client.post("/v1/chat/completions", headers=headers, json=body)
    except httpx.HTTPError:
        return Turn(message_id, 0, (time.perf_counter() - started) * 1000, False)
    latency_ms = (time.perf_counter() - started) * 1000
    handoff = silent = False
    if response.status_code == 200:
        reply = response.json()
        handoff = reply["kefu"]["handoff"] is not None
        silent = is_silent_reply(reply["kefu"])
        history.append(reply["choices"][0]["message"])
    return Turn(message_id, response.status_code, latency_ms, handoff, silent)


async def _customer(client: httpx.AsyncClient, run: _Run, customer: int) -> None:
    rng = random.Random(run.config.seed * 1_000_003 + customer)
    conversation = 0
    while time.monotonic() < run.deadline:
        conversation_id = f"load-{run.run_id}-{customer}-{conversation}"
        run.conversations_started += 1
        history: list[Any] = []
        for n, text in enumerate(conversation_turns(rng, run.config.turns)):
            if time.monotonic() >= run.deadline:
                return
            history.append({"role": "user", "content": text})
            turn = await _send(client, run, conversation_id, run.message_id(customer, conversation, n), history)
            run.turns.append(turn)
            await asyncio.sleep(rng.uniform(0, 2 * run.config.think_s))
        run.conversations_completed += 1
        conversation += 1


async def _drive(run: _Run, http: str, api_key: str | None) -> float:
    limits = httpx.Limits(max_connections=run.config.conversations + 8)
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    async with httpx.AsyncClient(
        base_url=http, headers=headers, limits=limits, timeout=run.config.request_timeout_s
    ) as client:
        started = time.monotonic()
        await asyncio.gather(*(_customer(client, run, n) for n in range(run.config.conversations)))
        return time.monotonic() - started


def run_load(config: LoadConfig, http: str, api_key: str | None, store: StoreClient) -> dict[str, Any]:
    """Run the load, then reconcile with the store; the report as a JSON-ready dict."""
    since_ms = int(time.time() * 1000)
    run = _Run(config, uuid.uuid4().hex[:10], time.monotonic() + config.duration_s, [])
    elapsed = asyncio.run(_drive(run, http, api_key))
    accepted = [chat_event_id(config.tenant, t.message_id) for t in run.turns if t.status in ACCEPTED_STATUSES]
    # silent replies (a human agent held the conversation) are not stored as bot replies
    answered = [chat_event_id(config.tenant, t.message_id) for t in run.turns if t.status == 200 and not t.silent]
    reconciliation = reconcile(
        store,
        tenant=config.tenant,
        event_prefix=chat_event_id(config.tenant, f"load-{run.run_id}-"),
        accepted=accepted,
        answered=answered,
        settle_s=config.settle_s,
    )
    return {
        "run_id": run.run_id,
        "conversations": config.conversations,
        "duration_s": config.duration_s,
        "elapsed_s": round(elapsed, 1),
        "turns_per_conversation": config.turns,
        "think_s": config.think_s,
        "conversations_started": run.conversations_started,
        "conversations_completed": run.conversations_completed,
        **summarize(run.turns, elapsed),
        "dead_letters_during_run": dead_letters_since(store, since_ms),
        "reconciliation": reconciliation,
    }
