"""Answering e-mail customers: the contact read from an e-mail, its encrypted keeping, and the answer's headers."""

from __future__ import annotations

import stat
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from serving.channels import EmailContact, read_email
from serving.channels.email_contacts import EmailContacts, contact_key
from serving.channels.email_outbound import answer_email
from tests.unit.test_channels import SENDER, email

CONTACT = EmailContact("lilei@example.com", "退款 refund", ("<a0@mail.example.com>", "<a1@mail.example.com>"))


def test_the_contact_answers_the_thread_at_the_senders_address() -> None:
    raw = email("还没收到退款\n", message_id="<a2@mail.example.com>", references="<a0@mail.example.com> <a1@x>")
    event, contact = read_email(raw, "acme")
    assert contact == EmailContact(SENDER, "退款 refund", ("<a0@mail.example.com>", "<a1@x>", "<a2@mail.example.com>"))
    assert SENDER not in str(event)  # the event names the sender by a pseudonym only


def test_reply_to_wins_over_from() -> None:
    raw = email("hi\n").replace(b"From:", b"Reply-To: orders@example.com\nFrom:", 1)
    assert read_email(raw, "acme")[1].address == "orders@example.com"


def test_addresses_are_encrypted_at_rest(tmp_path: Path) -> None:
    path = tmp_path / "contacts.sqlite"
    book = EmailContacts(path, Fernet.generate_key())
    book.remember("acme", "email:c1", CONTACT)
    stored = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert b"lilei" not in stored and "退款".encode() not in stored and b"mail.example.com" not in stored
    assert book.recall("acme", "email:c1") == CONTACT
    assert EmailContacts(path, Fernet.generate_key()).recall("acme", "email:c1") is None  # another key reads nothing


def test_contacts_are_kept_per_tenant_and_the_latest_email_wins() -> None:
    book = EmailContacts(Path(":memory:"), Fernet.generate_key())
    book.remember("acme", "email:c1", CONTACT)
    later = EmailContact("lilei@example.com", "Re: 退款 refund", (*CONTACT.message_ids, "<a3@x>"))
    book.remember("acme", "email:c1", later)
    assert book.recall("acme", "email:c1") == later
    assert book.recall("globex", "email:c1") is None


def test_contacts_and_sent_marks_are_forgotten_after_their_retention() -> None:
    book = EmailContacts(Path(":memory:"), Fernet.generate_key())
    book.remember("acme", "email:c1", CONTACT)
    book.mark_sent("acme", "reply-1")
    assert book.forget_older_than(3600) == 0
    assert book.forget_older_than(-1) == 1  # everything is older than a second from now
    assert book.recall("acme", "email:c1") is None
    assert not book.was_sent("acme", "reply-1")


def test_the_key_file_is_created_once_readable_by_its_owner_only(tmp_path: Path) -> None:
    key_file = tmp_path / "data" / "email_contacts.key"
    key = contact_key(None, key_file)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert contact_key(None, key_file) == key
    Fernet(key)  # a valid Fernet key
    configured = Fernet.generate_key().decode()
    assert contact_key(configured, key_file) == configured.encode()


@pytest.mark.parametrize(
    ("subject", "expected"), [("退款 refund", "Re: 退款 refund"), ("Re: 退款", "Re: 退款"), ("", "Re: 您的咨询")]
)
def test_the_answer_is_a_reply_in_the_customers_thread(subject: str, expected: str) -> None:
    contact = EmailContact("lilei@example.com", subject, CONTACT.message_ids)
    mail = answer_email(contact, "您好，退款已在处理中。", sender="客服 <kefu@shop.example>", message_key="r-1")
    parsed = message_from_bytes(mail.as_bytes(), policy=policy.default)  # as it travels: encoded headers, UTF-8
    assert parsed["Subject"] == expected
    assert parsed["To"] == "lilei@example.com"
    assert parsed["In-Reply-To"] == "<a1@mail.example.com>"
    assert parsed["References"] == "<a0@mail.example.com> <a1@mail.example.com>"
    assert parsed.get_content().strip() == "您好，退款已在处理中。"  # type: ignore[attr-defined]
    assert (
        parsed["Message-ID"] == answer_email(contact, "x", sender="kefu@shop.example", message_key="r-1")["Message-ID"]
    )  # derived from the reply id: the same answer always has the same id
