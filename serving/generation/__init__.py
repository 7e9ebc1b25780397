"""Text generation: the local llama.cpp generator, the OpenAI-compatible endpoint, and the profile factory."""

from serving.generation.chat_template import render_chatml
from serving.generation.factory import build_generator
from serving.generation.llama import LlamaGenerator
from serving.generation.openai_chat import OpenAIChatGenerator

__all__ = ["LlamaGenerator", "OpenAIChatGenerator", "build_generator", "render_chatml"]
