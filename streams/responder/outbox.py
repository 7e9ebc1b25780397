"""Answers pushed to channels whose customers cannot fetch them: WeChat (agents' messages) and e-mail (the bot's
replies and agents' messages).

The web chat page and ``kefu chat`` fetch replies and agents' messages themselves; a WeChat customer can only be
written to through WeChat's customer-service message API (the bot's replies go back in the callback, or from the
API when late), and an e-mail customer only by mail. The responder stage sees every customer and agent message of a
conversation in its partition, so one worker sends each answer, after it is in the stream.

E-mail answers go to the address the channel's encrypted contact book keeps for the conversation
(``serving.channels.email_contacts``), and each one sent is recorded there, so a redelivered message is not mailed
twice (a worker that dies between the send and the record mails it again: at least once). A send that fails is
logged and counted, not retried; without ``KEFU_SMTP_HOST`` answers are counted as ``not_configured``.
"""

from __future__ import annotations

import logging
from typing import Any

from serving.channels.email_contacts import EmailContacts
from serving.channels.email_outbound import EmailSendError, SmtpSender, answer_email
from serving.channels.wechat import wechat_openid
from serving.channels.wechat_api import WeChatMessenger, send_counted
from streams import metrics

__all__ = ["ChannelOutbox"]

log = logging.getLogger(__name__)


class ChannelOutbox:
    """Sends answers to WeChat and e-mail customers (a channel's sender None: counted as not sent)."""

    def __init__(self, wechat: WeChatMessenger | None, smtp: SmtpSender | None, contacts: EmailContacts) -> None:
        self.wechat, self.smtp, self.contacts = wechat, smtp, contacts

    async def deliver_agent_message(self, event: dict[str, Any]) -> None:
        """A human agent's message (an enriched event, masked like every message)."""
        if not event.get("text"):
            return
        if event.get("channel") == "email":
            outcome = await self._mail(event, str(event["text"]), str(event["event_id"]))
            metrics.AGENT_PUSHES.labels("email", outcome).inc()
        elif event.get("channel") == "wechat":
            await self._wechat(event)

    async def deliver_reply(self, event: dict[str, Any], reply: dict[str, Any]) -> None:
        """The bot's ``reply`` to the customer message ``event``, where the channel needs it pushed."""
        if event.get("channel") == "email" and reply.get("text"):
            outcome = await self._mail(event, str(reply["text"]), str(reply["event_id"]))
            metrics.BOT_REPLIES_MAILED.labels(outcome).inc()

    async def _mail(self, event: dict[str, Any], text: str, message_key: str) -> str:
        tenant, conversation = str(event["tenant_id"]), str(event["conversation_id"])
        if self.contacts.was_sent(tenant, message_key):
            return "duplicate"
        contact = self.contacts.recall(tenant, conversation)
        if contact is None:
            log.warning("answer %s: no e-mail contact kept for conversation %s", message_key, conversation)
            return "no_recipient"
        if self.smtp is None:
            return "not_configured"
        try:
            await self.smtp.send(answer_email(contact, text, sender=self.smtp.sender, message_key=message_key))
        except EmailSendError as error:
            log.warning("answer %s not mailed: %s", message_key, error)
            return "failed"
        self.contacts.mark_sent(tenant, message_key)
        return "sent"

    async def _wechat(self, event: dict[str, Any]) -> None:
        openid = wechat_openid(str(event["conversation_id"]))
        if openid is None:
            metrics.AGENT_PUSHES.labels("wechat", "no_recipient").inc()
            log.warning("agent message %s: conversation id names no WeChat user", event["event_id"])
            return
        await send_counted(
            self.wechat,
            openid,
            str(event["text"]),
            count=lambda outcome: metrics.AGENT_PUSHES.labels("wechat", outcome).inc(),
            what=f"agent message {event['event_id']}",
        )
