"""Signed thinking blocks, kept for the tool-use turns they came with.

With extended thinking on, Anthropic requires an assistant turn that called tools to be sent back
with its thinking blocks, signatures included. flowgen's AssistantMessage keeps only the thought
as text, so the client remembers the signed blocks of its own replies, keyed by the first tool
call's id, and restores them when that turn is sent back.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from flowgen.core import FunctionCall

Json = dict[str, Any]

THINKING_TYPES = frozenset({"thinking", "redacted_thinking"})


class ThinkingMemory:
    """The non-tool blocks (thinking, then text) of recent tool-calling replies, by first call id.

    Example:
        >>> memory = ThinkingMemory()
        >>> call = FunctionCall(id="toolu_1", name="f", arguments="{}")
        >>> memory.remember([call], [{"type": "thinking", "thinking": "hm", "signature": "s"}])
        >>> memory.recall("toolu_1")
        [{'type': 'thinking', 'thinking': 'hm', 'signature': 's'}]
    """

    def __init__(self, capacity: int = 256) -> None:
        self._capacity = capacity
        self._turns: OrderedDict[str, list[Json]] = OrderedDict()

    def remember(self, calls: Sequence[FunctionCall], prefix: list[Json]) -> None:
        if not calls or not any(block["type"] in THINKING_TYPES for block in prefix):
            return
        self._turns[calls[0].id] = prefix
        while len(self._turns) > self._capacity:
            self._turns.popitem(last=False)  # the oldest turns are long out of the conversation

    def recall(self, call_id: str) -> list[Json] | None:
        return self._turns.get(call_id)
