"""Human agents' messages to customers on channels that cannot fetch them: WeChat.

The web chat page and ``kefu chat`` fetch agents' messages (``GET /v1/conversations/{id}/messages``); a WeChat
customer can only be written to, through WeChat's customer-service message API. The responder stage sees every
agent message on ``conversations.enriched`` (masked, like every message) in its conversation's partition, so one
worker sends each, after the message is in the stream; a send that fails is logged and counted, not retried forever
(WeChat refuses messages more than 48 hours after the customer's last one).
"""

from __future__ import annotations

import logging
from typing import Any

from serving.channels.wechat import wechat_openid
from serving.channels.wechat_api import WeChatMessenger, send_counted
from streams import metrics

__all__ = ["AgentOutbox"]

log = logging.getLogger(__name__)


class AgentOutbox:
    """Pushes agents' messages of WeChat conversations to the customer (``wechat=None``: counted as not sent)."""

    def __init__(self, wechat: WeChatMessenger | None) -> None:
        self.wechat = wechat

    async def deliver(self, event: dict[str, Any]) -> None:
        if event.get("channel") != "wechat" or not event.get("text"):
            return
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
