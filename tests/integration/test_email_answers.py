"""Answers to e-mail customers through a real SMTP server (aiosmtpd) and the real contact book: sent once into the
customer's thread, counted when they cannot be sent, and the bot's answer to an e-mail on the running platform."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet

from serving.channels import EmailContact
from serving.channels.email_contacts import EmailContacts
from serving.channels.email_outbound import SmtpSender
from streams import metrics
from streams.responder.outbox import ChannelOutbox
from tests.integration.conftest import KB_QUESTION, Platform
from tests.integration.smtp_inbox import Inbox, free_port, start_smtp_server

CONTACT = EmailContact("lilei@example.com", "退款", ("<a1@mail.example.com>",))


@pytest.fixture
def inbox() -> Iterator[tuple[SmtpSender, Inbox]]:
    controller, received = start_smtp_server()
    yield SmtpSender(controller.hostname, controller.port, "客服 <kefu@shop.example>", security="none"), received
    controller.stop()


def outbox_with(tmp_path: Path, smtp: SmtpSender | None) -> ChannelOutbox:
    book = EmailContacts(tmp_path / "contacts.sqlite", Fernet.generate_key())
    book.remember("acme", "email:c1", CONTACT)
    return ChannelOutbox(None, smtp, book)


def customer_event(conversation: str = "email:c1", channel: str = "email") -> dict[str, object]:
    return {"event_id": "e1", "tenant_id": "acme", "conversation_id": conversation, "channel": channel}


def outcomes(name: str) -> float:
    """The bot's replies mailed with outcome ``name`` so far, in this process."""
    samples = [s for m in metrics.BOT_REPLIES_MAILED.collect() for s in m.samples if s.name.endswith("_total")]
    return sum(s.value for s in samples if s.labels["outcome"] == name)


def test_the_bots_reply_is_mailed_into_the_thread_once(tmp_path: Path, inbox: tuple[SmtpSender, Inbox]) -> None:
    smtp, received = inbox
    outbox = outbox_with(tmp_path, smtp)
    reply = {"event_id": "reply-1", "text": "退货运费由买家承担。[1]"}
    duplicates = outcomes("duplicate")
    asyncio.run(outbox.deliver_reply(customer_event(), reply))
    asyncio.run(outbox.deliver_reply(customer_event(), reply))  # the same message redelivered after a restart
    mail = received.wait_for("lilei@example.com", In_Reply_To="<a1@mail.example.com>")
    assert mail["Subject"] == "Re: 退款" and mail["From"] == "客服 <kefu@shop.example>"
    assert isinstance(mail, EmailMessage) and mail.get_content().strip() == "退货运费由买家承担。[1]"
    assert len(received.messages) == 1
    assert outcomes("duplicate") == duplicates + 1


def test_only_email_conversations_are_mailed(tmp_path: Path, inbox: tuple[SmtpSender, Inbox]) -> None:
    smtp, received = inbox
    outbox = outbox_with(tmp_path, smtp)
    asyncio.run(outbox.deliver_reply(customer_event(channel="web"), {"event_id": "r-web", "text": "hi"}))
    missing = outcomes("no_recipient")
    asyncio.run(outbox.deliver_reply(customer_event("email:unknown"), {"event_id": "r-x", "text": "hi"}))
    assert outcomes("no_recipient") == missing + 1
    assert received.messages == []


def test_an_agents_message_to_an_email_customer_is_mailed(tmp_path: Path, inbox: tuple[SmtpSender, Inbox]) -> None:
    smtp, received = inbox
    outbox = outbox_with(tmp_path, smtp)
    message = {**customer_event(), "event_id": "agent-1", "role": "agent", "text": "您好，我是客服小王，已为您退款。"}
    asyncio.run(outbox.deliver_agent_message(message))
    mail = received.wait_for("lilei@example.com")
    assert isinstance(mail, EmailMessage) and "已为您退款" in mail.get_content()


def test_a_failed_send_is_counted_and_tried_again_on_redelivery(
    tmp_path: Path, inbox: tuple[SmtpSender, Inbox]
) -> None:
    smtp, received = inbox
    dead = SmtpSender("127.0.0.1", free_port(), smtp.sender, security="none", timeout_s=2)
    book = EmailContacts(tmp_path / "contacts.sqlite", Fernet.generate_key())
    book.remember("acme", "email:c1", CONTACT)
    failed, unconfigured = outcomes("failed"), outcomes("not_configured")
    reply = {"event_id": "reply-2", "text": "稍后回复您。"}
    asyncio.run(ChannelOutbox(None, dead, book).deliver_reply(customer_event(), reply))
    asyncio.run(ChannelOutbox(None, None, book).deliver_reply(customer_event(), reply))
    assert (outcomes("failed"), outcomes("not_configured")) == (failed + 1, unconfigured + 1)
    asyncio.run(ChannelOutbox(None, smtp, book).deliver_reply(customer_event(), reply))  # the server is back
    assert received.wait_for("lilei@example.com").get_content().strip() == "稍后回复您。"  # type: ignore[attr-defined]


@pytest.mark.slow
def test_an_email_to_the_platform_is_answered_by_email(responder_platform: Platform, smtp_inbox: Inbox) -> None:
    """POST an RFC 822 e-mail to the running platform: the bot's answer comes back to the sender, in the thread."""
    sender = f"customer-{uuid.uuid4().hex[:8]}@example.com"
    message_id = f"<{uuid.uuid4().hex}@mail.example.com>"
    raw = (
        f"From: 李雷 <{sender}>\r\nTo: kefu@shop.example\r\nSubject: 运费\r\nMessage-ID: {message_id}\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n{KB_QUESTION}\r\n"
    ).encode()
    status = responder_platform.status
    accepted = httpx.post(
        f"{status['http']}/v1/channels/email/default",
        headers={"Authorization": f"Bearer {status['api_key']}", "Content-Type": "message/rfc822"},
        content=raw,
        timeout=30,
    )
    assert accepted.status_code == 202, accepted.text
    mail = smtp_inbox.wait_for(sender, timeout_s=180, In_Reply_To=message_id)
    assert mail["Subject"] == "Re: 运费"
    assert isinstance(mail, EmailMessage) and "买家" in mail.get_content()  # the sample FAQ's answer: the buyer pays
    stored = b"".join(p.read_bytes() for p in responder_platform.data_dir.glob("email_contacts*"))
    assert sender.encode() not in stored  # the address is kept, encrypted
    queue = httpx.get(f"{status['http']}/v1/handoffs", headers={"Authorization": f"Bearer {status['api_key']}"})
    assert queue.json()["mails_email_answers"] is True  # the agents' console says their answers are mailed
