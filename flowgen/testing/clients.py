"""A model that exercises tools: it calls every offered tool with arguments made from the tool's schema.

Use it to test that an agent's tools survive whatever arguments a model may send (within the schema):
each reply that is offered tools calls all of them at once; the reply after the tool results answers
with text from the script (or with JSON made from the output schema when structured output is asked
for). Arguments are deterministic for a given ``seed``.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Sequence

from flowgen.core import FunctionCall
from flowgen.errors import ReplayExhaustedError, UnusedRepliesError
from flowgen.models.function import CallInfo, FunctionChatCompletionClient
from flowgen.models.scripted import count_words
from flowgen.models.types import (
    CreateResult,
    FunctionExecutionResultMessage,
    LLMMessage,
    ModelInfo,
    RequestUsage,
    ToolSchema,
)
from flowgen.testing.schema_values import RandomChooser, generate

ToolFilter = Callable[[ToolSchema], bool]


class SchemaChatCompletionClient(FunctionChatCompletionClient):
    """Calls every offered tool once with schema-generated arguments, then answers with scripted text.

    Args:
        replies: the text answers, in order, one per answer turn. ``None`` answers ``default_reply``
            forever (or JSON generated from the output schema when ``json_output`` is a model type).
        seed: seeds the argument generator; the same seed and calls give the same arguments.
        strict: when True, asking for an answer after ``replies`` ran out raises
            ReplayExhaustedError; when False the script starts again from its first reply.
        tool_filter: which offered tools to call (default: all of them). Handoff tools
            (``transfer_to_...``) are tools too; filter them out to keep a Swarm agent in place.
        default_reply: the answer when there is no script.
        model_info: what the model claims to support (by default, everything).

    Example:
        >>> import asyncio
        >>> from flowgen.models import UserMessage
        >>> tool = {"name": "add", "parameters": {"type": "object",
        ...         "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}}, "required": ["a", "b"]}}
        >>> client = SchemaChatCompletionClient(["the sum is ready"], seed=1)
        >>> first = asyncio.run(client.create([UserMessage(content="add", source="user")], tools=[tool]))
        >>> [call.name for call in first.content]
        ['add']
        >>> sorted(json.loads(first.content[0].arguments))
        ['a', 'b']
        >>> client.assert_complete()
        Traceback (most recent call last):
        ...
        flowgen.errors.UnusedRepliesError: 1 of 1 scripted replies were never used (next: 'the sum is ready')
    """

    def __init__(
        self,
        replies: Sequence[str] | None = None,
        *,
        seed: int = 0,
        strict: bool = True,
        tool_filter: ToolFilter | None = None,
        default_reply: str = "done",
        model_info: ModelInfo | None = None,
    ) -> None:
        super().__init__(self._answer, model_info)
        self.replies = None if replies is None else list(replies)
        self.seed = seed
        self.strict = strict
        self.default_reply = default_reply
        self._tool_filter = tool_filter
        self._chooser = RandomChooser(random.Random(seed))
        self._next_reply = 0
        self._call_counter = 0

    def _answer(self, messages: Sequence[LLMMessage], info: CallInfo) -> CreateResult:
        tools = self._tools_to_call(messages, info)
        prompt_tokens = count_words(messages)
        if tools:
            calls = [self._call(tool) for tool in tools]
            completion = sum(len(c.arguments.split()) + 1 for c in calls)
            return CreateResult(
                finish_reason="function_calls", content=calls, usage=RequestUsage(prompt_tokens, completion)
            )
        text = self._text(info)
        return CreateResult(
            finish_reason="stop", content=text, usage=RequestUsage(prompt_tokens, count_words(text))
        )

    def _tools_to_call(self, messages: Sequence[LLMMessage], info: CallInfo) -> list[ToolSchema]:
        # After the tool results come back the model answers; "none" forbids calls; a named choice forces one.
        if info.tool_choice == "none" or (
            messages and isinstance(messages[-1], FunctionExecutionResultMessage)
        ):
            return []
        tools = [t for t in info.tools if self._tool_filter is None or self._tool_filter(t)]
        if info.tool_choice not in ("auto", "required"):
            tools = [t for t in info.tools if t["name"] == info.tool_choice]
        return tools

    def _call(self, tool: ToolSchema) -> FunctionCall:
        parameters = tool.get("parameters", {"type": "object", "properties": {}})
        arguments = generate(dict(parameters), self._chooser)
        self._call_counter += 1
        return FunctionCall(
            id=f"call_{self.seed}_{self._call_counter}", name=tool["name"], arguments=json.dumps(arguments)
        )

    def _text(self, info: CallInfo) -> str:
        if self.replies is None:
            schema = info.output_schema
            return json.dumps(generate(schema, self._chooser)) if schema is not None else self.default_reply
        if self._next_reply >= len(self.replies):
            if self.strict or not self.replies:
                raise ReplayExhaustedError(
                    f"SchemaChatCompletionClient was asked for answer {self._next_reply + 1} but its script "
                    f"holds {len(self.replies)}; add replies, pass strict=False to cycle through them, or "
                    "stop the run earlier"
                )
            self._next_reply = 0
        reply = self.replies[self._next_reply]
        self._next_reply += 1
        return reply

    @property
    def remaining_replies(self) -> int:
        """Scripted answers not yet given (0 without a script)."""
        return 0 if self.replies is None else max(len(self.replies) - self._next_reply, 0)

    def assert_complete(self) -> None:
        """Fail when scripted answers were left unused: the run stopped earlier than the script expected."""
        if self.remaining_replies and self.replies is not None:
            unused = self.replies[self._next_reply :]
            preview = ", ".join(repr(r)[:60] for r in unused[:3])
            raise UnusedRepliesError(
                f"{len(unused)} of {len(self.replies)} scripted replies were never used (next: {preview})"
            )

    def reset(self) -> None:
        """Start again: first scripted answer, the seed's first arguments, no usage."""
        self._usage.reset()
        self._chooser = RandomChooser(random.Random(self.seed))
        self._next_reply = 0
        self._call_counter = 0
        self.calls.clear()


__all__ = ["SchemaChatCompletionClient", "ToolFilter"]
