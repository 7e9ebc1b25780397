class ChannelError(ValueError):
    """A channel payload that cannot become a ConversationEvent; the message says why."""
