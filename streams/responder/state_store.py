"""Dialogue state that survives a worker restart: one SQLite row per conversation (JSON of DialogueState).

SQLite in WAL mode lets several worker processes on one machine share the file; each conversation is handled
by one worker at a time because the enriched topic is keyed by conversation id.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path

from processors.dialogue import DialogueState


class DialogueStore:
    """Load and save :class:`DialogueState` by conversation id.

    >>> store = DialogueStore(Path(":memory:"))
    >>> state = store.load("c1", tenant_id="acme", locale="en")
    >>> state.turn_count, state.locale
    (0, 'en')
    >>> store.save(DialogueState(conversation_id="c1", tenant_id="acme", turn_count=3))
    >>> store.load("c1", tenant_id="acme").turn_count
    3
    """

    def __init__(self, path: Path) -> None:
        if str(path) != ":memory:":
            path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=30)
        self._lock = threading.Lock()
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        # Keyed by tenant AND conversation: conversation ids come from callers, so two tenants may use the same
        # one, and neither may read or overwrite the other's state. (The first schema keyed by conversation only.)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS dialogue_states (tenant_id TEXT NOT NULL, conversation_id TEXT NOT NULL,"
            " state TEXT NOT NULL, updated_at REAL NOT NULL, PRIMARY KEY (tenant_id, conversation_id))"
        )
        self._db.execute("BEGIN IMMEDIATE")  # several workers may open the file at once: one migrates
        if self._db.execute("SELECT 1 FROM sqlite_master WHERE name = 'dialogue_state'").fetchone():
            self._db.execute(
                "INSERT OR IGNORE INTO dialogue_states SELECT tenant_id, conversation_id, state, updated_at"
                " FROM dialogue_state"
            )
            self._db.execute("DROP TABLE dialogue_state")
        self._db.execute("COMMIT")

    def load(self, conversation_id: str, *, tenant_id: str, locale: str = "zh-CN") -> DialogueState:
        """The stored state, or a fresh one. A state stored under another tenant is never returned."""
        with self._lock:
            row = self._db.execute(
                "SELECT state FROM dialogue_states WHERE conversation_id = ? AND tenant_id = ?",
                (conversation_id, tenant_id),
            ).fetchone()
        if row is None:
            return DialogueState(conversation_id=conversation_id, tenant_id=tenant_id, locale=locale)
        return DialogueState.from_dict(json.loads(row[0]))

    def save(self, state: DialogueState) -> None:
        payload = json.dumps(state.to_dict(), ensure_ascii=False)
        with self._lock:
            self._db.execute(
                "INSERT INTO dialogue_states VALUES (?, ?, ?, ?) ON CONFLICT(tenant_id, conversation_id) DO UPDATE SET"
                " state = excluded.state, updated_at = excluded.updated_at",
                (state.tenant_id, state.conversation_id, payload, time.time()),
            )

    def close(self) -> None:
        with self._lock:
            self._db.close()
