"""E-mail (RFC 822 / MIME) -> ConversationEvent: the plain-text body, quoted history removed.

The conversation is the thread: the first Message-ID of ``References`` (or ``In-Reply-To``, or the message's own
id), so replies land in the same conversation. The event names the sender by a pseudonym; :func:`read_email` also
returns where a reply goes (:class:`EmailContact`), which only the channel's encrypted contact book keeps
(``serving.channels.email_contacts``).

Examples
--------
>>> raw = (b"From: Li Lei <lilei@example.com>\\r\\nTo: support@shop.example\\r\\nSubject: refund\\r\\n"
...        b"Message-ID: <a1@example.com>\\r\\nDate: Tue, 14 Nov 2023 22:13:20 +0000\\r\\n"
...        b"Content-Type: text/plain; charset=utf-8\\r\\n\\r\\nWhere is my refund?\\r\\n\\r\\n> old quoted text\\r\\n")
>>> event = email_to_event(raw, tenant_id="acme")
>>> event["text"], event["ts"], event["metadata"]["subject"]
('Where is my refund?', 1700000000000, 'refund')
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parseaddr, parsedate_to_datetime
from html import unescape
from typing import Any

from processors.pii import IdentifierPseudonymizer, process_pseudonyms
from processors.validation import is_blank_text
from serving.channels.errors import ChannelError

MAX_EMAIL_BYTES = 2 * 2**20
# Lines that start the quoted history in common clients (Gmail, Outlook, Foxmail, QQ Mail).
QUOTE_START = re.compile(
    r"^(>|On .+ wrote:|在.+写道[:：]|-{5,}\s*Original Message|-{5,}\s*原始邮件|发件人[:：]|From:\s)"
)


def _body_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, UnicodeDecodeError):  # unknown charset or broken bytes: decode leniently
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else ""
    if part.get_content_subtype() == "html":
        content = unescape(re.sub(r"<[^>]+>", " ", re.sub(r"(?is)<(script|style).*?</\1>", " ", content)))
    return str(content)


def _strip_quoted(text: str) -> str:
    kept: list[str] = []
    lines = text.replace("\r\n", "\n").split("\n")
    for i, line in enumerate(lines):
        # Clients wrap long attributions ("On ..., Li Lei <" / "lilei@example.com> wrote:"): try the pair too.
        joined = f"{line.strip()} {lines[i + 1].strip()}" if i + 1 < len(lines) else line.strip()
        if QUOTE_START.match(line.strip()) or (line.startswith("On ") and QUOTE_START.match(joined)):
            break
        kept.append(line)
    return "\n".join(kept).strip()


def _text(message: EmailMessage) -> str:
    """The body without its quoted history; the subject only when there is no body at all (a question written in
    the subject line). A reply that adds nothing to the quoted history stays empty, and is refused as empty text."""
    body = _body_text(message)
    if is_blank_text(body):
        return str(message.get("Subject", "")).strip()
    return _strip_quoted(body)


def _message_ids(value: str | None) -> list[str]:
    return re.findall(r"<[^<>]+>", value or "")


@dataclass(frozen=True)
class EmailContact:
    """Where and how to answer an e-mail: raw PII, never put on an event."""

    address: str
    """``Reply-To``, else ``From``."""
    subject: str
    message_ids: tuple[str, ...]
    """The thread so far (``References``, then this message's id): the answer's ``References``; the last one is
    its ``In-Reply-To``."""


def email_to_event(raw: bytes, tenant_id: str, pseudonyms: IdentifierPseudonymizer | None = None) -> dict[str, Any]:
    return read_email(raw, tenant_id, pseudonyms)[0]


def read_email(
    raw: bytes, tenant_id: str, pseudonyms: IdentifierPseudonymizer | None = None
) -> tuple[dict[str, Any], EmailContact]:
    """The ConversationEvent of an e-mail and the contact to answer it; raises ChannelError.

    The sender is named by ``pseudonyms.pseudonym`` of the address (the API passes the platform's, so the customer
    has the id the enrichment stage and their feedback give them); None: a key of this process alone.
    """
    try:
        return _read_email(raw, tenant_id, pseudonyms)
    except ChannelError:
        raise
    except Exception as error:  # the standard library's lazy header parsers raise IndexError, ValueError... on
        # malformed input (a cut "From: Li <li@", a NUL byte); the message is not quoted: it may hold an address
        raise ChannelError(f"malformed e-mail: the parser failed with {type(error).__name__}") from None


def _read_email(
    raw: bytes, tenant_id: str, pseudonyms: IdentifierPseudonymizer | None
) -> tuple[dict[str, Any], EmailContact]:
    if len(raw) > MAX_EMAIL_BYTES:
        raise ChannelError(f"e-mail larger than {MAX_EMAIL_BYTES} bytes")
    message = message_from_bytes(raw, policy=policy.default)
    if not isinstance(message, EmailMessage) or not message.get("From"):
        raise ChannelError("not an RFC 822 message: From header is missing")
    sender = parseaddr(str(message["From"]))[1]
    if not sender:
        raise ChannelError("From header has no address")
    own_id = (_message_ids(message.get("Message-ID")) or ["<" + hashlib.sha256(raw).hexdigest() + ">"])[0]
    thread = (_message_ids(message.get("References")) or _message_ids(message.get("In-Reply-To")) or [own_id])[0]
    try:
        date = message.get("Date")
        ts = int(parsedate_to_datetime(str(date)).timestamp() * 1000) if date else None
    except (TypeError, ValueError):
        ts = None
    attachments = [
        {"url": f"email-part:{i}", "mime_type": part.get_content_type(), "name": part.get_filename()}
        for i, part in enumerate(message.iter_attachments())
    ]
    history = _message_ids(message.get("References")) or _message_ids(message.get("In-Reply-To"))
    contact = EmailContact(
        address=parseaddr(str(message.get("Reply-To") or ""))[1] or sender,
        subject=str(message.get("Subject", "")).strip(),
        message_ids=(*[i for i in history if i != own_id], own_id)[-20:],  # clients cut long chains too
    )
    event = {
        "event_id": "email:" + hashlib.sha256(own_id.encode()).hexdigest()[:32],
        "conversation_id": "email:" + hashlib.sha256(thread.encode()).hexdigest()[:32],
        "tenant_id": tenant_id,
        "channel": "email",
        # The address is PII: the event carries a pseudonym; delivery resolves it from the channel's own store.
        "user_id": (pseudonyms or process_pseudonyms()).pseudonym(tenant_id, sender.lower()),
        "role": "customer",
        "text": _text(message),
        "ts": ts if ts is not None else int(time.time() * 1000),
        "locale": "zh-CN",
        "metadata": {"subject": str(message.get("Subject", ""))[:500]},
        "attachments": attachments or None,
    }
    return event, contact
