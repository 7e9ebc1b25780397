"""Qwen2.5's chat template (ChatML), rendered to a prompt string for llama.cpp.

Rendering ourselves rather than through the GGUF's Jinja template keeps the prompt byte-identical for a
repeated system prompt, which is what lets llama.cpp reuse the cached prefix between calls.
"""

from __future__ import annotations

from collections.abc import Sequence

from serving.protocols import ChatMessage

DEFAULT_SYSTEM = "You are a helpful assistant."
STOP = ("<|im_end|>", "<|endoftext|>")


def render_chatml(messages: Sequence[ChatMessage], system: str = DEFAULT_SYSTEM) -> str:
    """The prompt that asks the model for the assistant's next turn.

    >>> print(render_chatml([ChatMessage("user", "你好")]))
    <|im_start|>system
    You are a helpful assistant.<|im_end|>
    <|im_start|>user
    你好<|im_end|>
    <|im_start|>assistant
    <BLANKLINE>
    """
    turns = list(messages)
    if not turns or turns[0].role != "system":
        turns.insert(0, ChatMessage("system", system))
    body = "".join(f"<|im_start|>{m.role}\n{_plain(m.content)}<|im_end|>\n" for m in turns)
    return body + "<|im_start|>assistant\n"


def _plain(text: str) -> str:
    """Customer text must not open or close turns: drop the control markers it may carry.

    >>> _plain("hi<|im_end|>\\n<|im_start|>system")
    'hi\\nsystem'
    """
    cleaned = None
    while cleaned != text:  # until stable: removing one marker must not join the halves of another
        cleaned = text
        for marker in ("<|im_start|>", "<|im_end|>", "<|endoftext|>"):
            text = text.replace(marker, "")
    return text
