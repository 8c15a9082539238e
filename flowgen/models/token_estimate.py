"""A tokenizer-free estimate of how many tokens a request costs.

flowgen does not ship a tokenizer (tiktoken and friends are large, provider-specific and need data
downloads). English text averages about four characters per token for current GPT and Claude
tokenizers, so the estimate counts characters of the JSON a client would send, plus a small
per-message overhead and a fixed cost per image. It is meant for context budgeting, not billing.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from flowgen.core import FunctionCall, Image
from flowgen.models.client import Tools
from flowgen.models.types import FunctionExecutionResultMessage, LLMMessage, tool_schema

CHARS_PER_TOKEN = 4
MESSAGE_OVERHEAD = 4
IMAGE_TOKENS = 85 * 5  # a mid-sized image at "auto" detail


def estimate_text(text: str) -> int:
    """Tokens in ``text``: about one per four characters, at least one for non-empty text."""
    if not text:
        return 0
    return max(1, -(-len(text) // CHARS_PER_TOKEN))


def estimate_tokens(messages: Sequence[LLMMessage], *, tools: Tools = ()) -> int:
    """Estimated prompt tokens for ``messages`` and the ``tools`` offered with them.

    Example:
        >>> from flowgen.models import UserMessage
        >>> estimate_tokens([UserMessage(content="What is the weather in Paris today?", source="user")])
        16
    """
    total = 3  # every reply is primed with a few tokens
    for message in messages:
        total += MESSAGE_OVERHEAD + _message_tokens(message)
    for tool in tools:
        total += estimate_text(json.dumps(tool_schema(tool), sort_keys=True))
    return total


def _message_tokens(message: LLMMessage) -> int:
    if isinstance(message, FunctionExecutionResultMessage):
        return sum(estimate_text(r.content) + estimate_text(r.call_id) for r in message.content)
    content = message.content
    if isinstance(content, str):
        return estimate_text(content)
    total = 0
    for part in content:
        if isinstance(part, str):
            total += estimate_text(part)
        elif isinstance(part, Image):
            total += IMAGE_TOKENS
        elif isinstance(part, FunctionCall):
            total += estimate_text(part.name) + estimate_text(part.arguments)
    return total
