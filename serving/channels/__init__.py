"""Channel adapters: normalise what a channel sends into a ConversationEvent JSON object."""

from serving.channels.agent import agent_reply_to_event
from serving.channels.email import EmailContact, email_to_event, read_email
from serving.channels.errors import ChannelError
from serving.channels.feedback import FeedbackForbidden, feedback_to_record
from serving.channels.webchat import webchat_to_event
from serving.channels.wechat import (
    verify_wechat_signature,
    wechat_text_reply,
    wechat_xml_to_event,
)

__all__ = [
    "ChannelError",
    "EmailContact",
    "FeedbackForbidden",
    "agent_reply_to_event",
    "email_to_event",
    "feedback_to_record",
    "read_email",
    "verify_wechat_signature",
    "webchat_to_event",
    "wechat_text_reply",
    "wechat_xml_to_event",
]
