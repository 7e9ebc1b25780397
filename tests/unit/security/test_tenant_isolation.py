"""Tenants share the conversation-id space, never state: dedupe memory, dialogue state, enriched metadata."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from processors.dedupe import Deduplicator, Duplicate
from processors.dialogue import DialogueState
from streams.responder.state_store import DialogueStore


def message(tenant: str, event_id: str = "e1", text: str = "我要退货") -> dict[str, object]:
    return {
        "event_id": event_id,
        "conversation_id": "c1",
        "tenant_id": tenant,
        "role": "customer",
        "text": text,
        "ts": 1,
    }


def test_another_tenant_cannot_suppress_a_message_by_sending_its_id_or_text_first() -> None:
    dedupe = Deduplicator(clock=lambda: 0.0)
    assert dedupe.check(message("mallory", "e1")) is None
    assert dedupe.check(message("acme", "e1")) is None  # same conversation id, same event id, other tenant
    assert dedupe.check(message("acme", "e1")) is Duplicate.EXACT  # within one tenant it still dedupes


def test_a_conversation_of_tenant_a_is_neither_read_nor_overwritten_by_tenant_b(tmp_path: Path) -> None:
    store = DialogueStore(tmp_path / "state.db")
    store.save(DialogueState(conversation_id="c1", tenant_id="acme", turn_count=5, summary="acme's secret order"))
    store.save(DialogueState(conversation_id="c1", tenant_id="mallory", turn_count=1))

    assert store.load("c1", tenant_id="acme").turn_count == 5
    assert store.load("c1", tenant_id="acme").summary == "acme's secret order"
    assert store.load("c1", tenant_id="mallory").summary != "acme's secret order"
    assert store.load("c1", tenant_id="globex").turn_count == 0


def test_states_written_by_the_first_schema_are_kept_on_upgrade(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    old = sqlite3.connect(path)
    old.execute(
        "CREATE TABLE dialogue_state (conversation_id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL,"
        " state TEXT NOT NULL, updated_at REAL NOT NULL)"
    )
    state = DialogueState(conversation_id="c9", tenant_id="acme", turn_count=7)
    import json

    old.execute("INSERT INTO dialogue_state VALUES ('c9', 'acme', ?, 0)", (json.dumps(state.to_dict()),))
    old.commit()
    old.close()

    assert DialogueStore(path).load("c9", tenant_id="acme").turn_count == 7
    assert DialogueStore(path).load("c9", tenant_id="acme").turn_count == 7  # a second open migrates nothing
