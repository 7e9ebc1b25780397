"""`kefu bench serving` sizes its prompt to the requested token count, template included (pure logic)."""

from __future__ import annotations

import pytest

from serving.benchmark import QUESTIONS, count_prompt_tokens, prompt_messages, sized_prompt


def characters(text: str) -> int:
    """A stand-in tokenizer: one token per character."""
    return len(text)


@pytest.mark.parametrize("target", [200, 300, 2000])
def test_the_sized_prompt_is_the_first_length_that_reaches_the_target(target: int) -> None:
    chars = sized_prompt(characters, target)
    assert count_prompt_tokens(characters, prompt_messages(QUESTIONS[0], chars, "会话0。")) == target
    assert count_prompt_tokens(characters, prompt_messages(QUESTIONS[0], chars - 1, "会话0。")) == target - 1


def test_a_target_under_the_bare_template_gets_no_reference_text() -> None:
    assert sized_prompt(characters, 20) == 0


def test_the_token_count_covers_the_whole_chat_template() -> None:
    messages = prompt_messages(QUESTIONS[0], 10)
    counted = count_prompt_tokens(characters, messages)
    assert counted > len(messages[0].content) + len(messages[1].content)
