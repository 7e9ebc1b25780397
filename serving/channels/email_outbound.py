"""Answers to e-mail customers: a plain-text reply in the customer's thread, sent over SMTP.

The answer quotes the thread (``In-Reply-To`` the customer's latest message, ``References`` the chain), so mail
clients show it in the conversation, and its ``Message-ID`` is derived from the reply's event id. SMTP runs in a
thread (``smtplib``), with STARTTLS or implicit TLS and a login when configured; a failed send raises
:class:`EmailSendError` for the caller to count.
"""

from __future__ import annotations

import asyncio
import hashlib
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, parseaddr

from kefu.settings import Settings
from serving.channels.email import EmailContact

__all__ = ["EmailSendError", "SmtpSender", "answer_email", "smtp_sender"]


class EmailSendError(Exception):
    """The SMTP server could not be reached or refused the message."""


def answer_email(contact: EmailContact, text: str, *, sender: str, message_key: str) -> EmailMessage:
    """The e-mail that answers ``contact``'s thread with ``text``.

    >>> mail = answer_email(EmailContact("li@example.com", "退款", ("<a1@x>", "<a2@x>")), "您好",
    ...                     sender="客服 <kefu@shop.example>", message_key="reply-1")
    >>> mail["To"], mail["Subject"], mail["In-Reply-To"], mail["References"]
    ('li@example.com', 'Re: 退款', '<a2@x>', '<a1@x> <a2@x>')
    >>> mail["Message-ID"].endswith("@shop.example>"), mail.get_content().strip()
    (True, '您好')
    """
    subject = contact.subject or "您的咨询"
    domain = parseaddr(sender)[1].rpartition("@")[2] or "kefu.local"
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = contact.address
    mail["Subject"] = subject if subject.lower().startswith(("re:", "回复:", "回复：")) else f"Re: {subject}"
    mail["Date"] = formatdate(localtime=False)
    mail["Message-ID"] = f"<{hashlib.sha256(message_key.encode()).hexdigest()[:32]}@{domain}>"
    if contact.message_ids:
        mail["In-Reply-To"] = contact.message_ids[-1]
        mail["References"] = " ".join(contact.message_ids)
    mail.set_content(text, charset="utf-8")
    return mail


class SmtpSender:
    """Sends messages through one SMTP server (a connection per message: answers are few and far between)."""

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        *,
        username: str | None = None,
        password: str | None = None,
        security: str = "starttls",
        timeout_s: float = 30.0,
    ) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.username, self.password = username, password
        self.security, self.timeout_s = security, timeout_s

    async def send(self, mail: EmailMessage) -> None:
        await asyncio.to_thread(self._send, mail)

    def _send(self, mail: EmailMessage) -> None:
        try:
            if self.security == "tls":
                client: smtplib.SMTP = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout_s, context=ssl.create_default_context()
                )
            else:
                client = smtplib.SMTP(self.host, self.port, timeout=self.timeout_s)
            with client:
                if self.security == "starttls":
                    client.starttls(context=ssl.create_default_context())
                if self.username:
                    client.login(self.username, self.password or "")
                client.send_message(mail)
        except (OSError, smtplib.SMTPException) as error:
            raise EmailSendError(f"SMTP {self.host}:{self.port}: {describe(error)}") from error


def describe(error: BaseException) -> str:
    """What went wrong, without the addresses smtplib puts in some of its errors (logs carry no PII).

    >>> describe(smtplib.SMTPRecipientsRefused({"li@example.com": (550, b"no such user")}))
    'SMTPRecipientsRefused: recipient refused (550)'
    >>> describe(ConnectionRefusedError(111, "Connection refused"))
    'ConnectionRefusedError: [Errno 111] Connection refused'
    """
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = ", ".join(str(code) for code, _ in error.recipients.values())
        return f"{type(error).__name__}: recipient refused ({codes})"
    if isinstance(error, smtplib.SMTPSenderRefused):
        return f"{type(error).__name__}: sender refused ({error.smtp_code})"
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{type(error).__name__}: {error.smtp_code}"
    return f"{type(error).__name__}: {error}"


def smtp_sender(settings: Settings) -> SmtpSender | None:
    """The configured sender, or None when ``KEFU_SMTP_HOST`` is unset (answers are then counted, not sent)."""
    if not settings.smtp_host:
        return None
    return SmtpSender(
        settings.smtp_host,
        settings.smtp_port,
        settings.email_from,
        username=settings.smtp_username,
        password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
        security=settings.smtp_security,
        timeout_s=settings.smtp_timeout_s,
    )
