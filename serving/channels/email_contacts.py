"""The e-mail channel's contact book: where to send the answer of each e-mail conversation, encrypted at rest.

An e-mail customer can only be answered at their address, which is PII: events carry a pseudonym
(``serving.channels.email``), and the address, subject and thread ids live here alone, each row encrypted with
Fernet (AES-128-CBC + HMAC-SHA256) under a key kept apart from the data (``KEFU_EMAIL_CONTACT_KEY``, or a key
file of its own beside the contacts file, mode 0600). The API writes a row when an e-mail arrives; the workers read
it to send the bot's and agents' answers, and record each answer sent so a redelivered reply is not mailed twice.
Rows are forgotten after ``KEFU_EMAIL_CONTACT_RETENTION_DAYS``. SQLite in WAL mode, as the dialogue states: the API
and the workers of one machine share the file (``KEFU_EMAIL_CONTACTS_FILE`` on a volume they all mount). Its calls
take ~0.3 ms (a few ms when a write is synced) and are made only for e-mail conversations, so they run on the
caller's event loop.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from kefu.key_files import key_from_file
from kefu.settings import Settings
from serving.channels.email import EmailContact

__all__ = ["EmailContacts", "contact_key", "open_email_contacts"]
PURGE_EVERY_S = 3600.0


def contact_key(configured: str | None, key_file: Path) -> bytes:
    """The Fernet key: the configured one, else the one in ``key_file``, created (mode 0600) on first use."""
    return key_from_file(configured, key_file, Fernet.generate_key)


class EmailContacts:
    """Encrypted contacts by (tenant, conversation), and the answers already sent.

    >>> book = EmailContacts(Path(":memory:"), Fernet.generate_key())
    >>> book.remember("acme", "email:c1", EmailContact("li@example.com", "退款", ("<a1@example.com>",)))
    >>> book.recall("acme", "email:c1").address, book.recall("other", "email:c1")
    ('li@example.com', None)
    >>> book.was_sent("acme", "reply-1"), book.mark_sent("acme", "reply-1"), book.was_sent("acme", "reply-1")
    (False, None, True)
    """

    def __init__(self, path: Path, key: bytes | Callable[[], bytes], retention_s: float = 30 * 86400.0) -> None:
        """``key`` or a function that gives it: the file and the key are only touched when first needed (most
        deployments never see an e-mail)."""
        self.path, self.retention_s = path, retention_s
        self._key = key
        self._lock = threading.Lock()
        self._purged_at = 0.0
        self._opened: tuple[sqlite3.Connection, Fernet] | None = None

    def _open(self) -> tuple[sqlite3.Connection, Fernet]:
        """The connection and the cipher (call with the lock held)."""
        if self._opened is None:
            if str(self.path) != ":memory:":
                self.path.parent.mkdir(parents=True, exist_ok=True)
            fernet = Fernet(self._key() if callable(self._key) else self._key)
            db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None, timeout=30)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(
                "CREATE TABLE IF NOT EXISTS email_contacts (tenant_id TEXT NOT NULL, conversation_id TEXT NOT NULL,"
                " sealed BLOB NOT NULL, updated_at REAL NOT NULL, PRIMARY KEY (tenant_id, conversation_id))"
            )
            db.execute(
                "CREATE TABLE IF NOT EXISTS email_sent (tenant_id TEXT NOT NULL, message_key TEXT NOT NULL,"
                " sent_at REAL NOT NULL, PRIMARY KEY (tenant_id, message_key))"
            )
            self._opened = (db, fernet)
        return self._opened

    def remember(self, tenant_id: str, conversation_id: str, contact: EmailContact) -> None:
        """Where the conversation's answers go from now on (the latest e-mail of a thread wins); rows past their
        retention are deleted on the way, at most hourly."""
        if time.time() - self._purged_at > PURGE_EVERY_S:
            self.forget_older_than(self.retention_s)
            self._purged_at = time.time()
        plain = {"address": contact.address, "subject": contact.subject, "message_ids": list(contact.message_ids)}
        with self._lock:
            db, fernet = self._open()
            sealed = fernet.encrypt(json.dumps(plain, ensure_ascii=False).encode())
            db.execute(
                "INSERT OR REPLACE INTO email_contacts VALUES (?, ?, ?, ?)",
                (tenant_id, conversation_id, sealed, time.time()),
            )

    def recall(self, tenant_id: str, conversation_id: str) -> EmailContact | None:
        """The conversation's contact; None if there is none, or it was sealed under another key."""
        with self._lock:
            db, fernet = self._open()
            row = db.execute(
                "SELECT sealed FROM email_contacts WHERE tenant_id = ? AND conversation_id = ?",
                (tenant_id, conversation_id),
            ).fetchone()
        if row is None:
            return None
        try:
            plain = json.loads(fernet.decrypt(row[0]))
        except InvalidToken:
            return None
        return EmailContact(plain["address"], plain["subject"], tuple(plain["message_ids"]))

    def was_sent(self, tenant_id: str, message_key: str) -> bool:
        with self._lock:
            db, _ = self._open()
            row = db.execute(
                "SELECT 1 FROM email_sent WHERE tenant_id = ? AND message_key = ?", (tenant_id, message_key)
            ).fetchone()
        return row is not None

    def mark_sent(self, tenant_id: str, message_key: str) -> None:
        with self._lock:
            db, _ = self._open()
            db.execute("INSERT OR IGNORE INTO email_sent VALUES (?, ?, ?)", (tenant_id, message_key, time.time()))

    def forget_older_than(self, seconds: float) -> int:
        """Delete contacts not written to, and sent marks older than, ``seconds``; returns the contacts deleted."""
        cutoff = time.time() - seconds
        with self._lock:
            db, _ = self._open()
            deleted = db.execute("DELETE FROM email_contacts WHERE updated_at < ?", (cutoff,)).rowcount
            db.execute("DELETE FROM email_sent WHERE sent_at < ?", (cutoff,))
        return int(deleted)


def open_email_contacts(settings: Settings) -> EmailContacts:
    """The contact book of the data dir, under the configured key or the data dir's key file."""
    configured = settings.email_contact_key.get_secret_value() if settings.email_contact_key else None
    path = settings.email_contacts_path
    return EmailContacts(
        path,
        lambda: contact_key(configured, path.with_name(path.name + ".key")),
        retention_s=settings.email_contact_retention_days * 86400,
    )
