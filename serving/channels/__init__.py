"""Channel adapters: normalise what a channel sends into a ConversationEvent JSON object."""

from serving.channels.email import email_to_event
from serving.channels.errors import ChannelError
from serving.channels.webchat import webchat_to_event
from serving.channels.wechat import verify_wechat_signature, wechat_xml_to_event

__all__ = [
    "ChannelError",
    "email_to_event",
    "verify_wechat_signature",
    "webchat_to_event",
    "wechat_xml_to_event",
]
