"""Anthropic Messages replies (whole, or streamed event by event) as flowgen CreateResults."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from anthropic.types import Message, RawContentBlockDelta, RawMessageStreamEvent, Usage

from flowgen.core import FunctionCall
from flowgen.models.anthropic.thinking import Json
from flowgen.models.types import CreateResult, FinishReasons, RequestUsage

_FINISH: dict[str, FinishReasons] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "function_calls",
    "refusal": "content_filter",
}


def finish_reason(raw: str | None, has_calls: bool) -> FinishReasons:
    if has_calls:
        return "function_calls"
    return _FINISH.get(raw or "", "unknown")


def prompt_tokens(usage: Usage) -> int:
    # Cached prompt tokens are still prompt tokens; Anthropic reports them separately.
    return (
        usage.input_tokens + (usage.cache_creation_input_tokens or 0) + (usage.cache_read_input_tokens or 0)
    )


def assemble(
    *,
    texts: list[str],
    thoughts: list[str],
    calls: list[FunctionCall],
    raw_finish: str | None,
    usage: RequestUsage,
) -> CreateResult:
    """One CreateResult: tool calls (with any text beside them as thought) or the text."""
    text = "".join(texts)
    thought_parts = [t for t in thoughts if t]
    content: str | list[FunctionCall]
    if calls:
        content = calls
        if text.strip():
            thought_parts.append(text)
    else:
        content = text
    return CreateResult(
        finish_reason=finish_reason(raw_finish, bool(calls)),
        content=content,
        usage=usage,
        cached=False,
        thought="\n".join(thought_parts) or None,
    )


def from_message(message: Message) -> tuple[CreateResult, list[Json]]:
    """The CreateResult, and the reply's thinking and text blocks as sent (for ThinkingMemory)."""
    texts: list[str] = []
    thoughts: list[str] = []
    calls: list[FunctionCall] = []
    prefix: list[Json] = []
    for block in message.content:
        if block.type == "text":
            texts.append(block.text)
            prefix.append({"type": "text", "text": block.text})
        elif block.type == "thinking":
            thoughts.append(block.thinking)
            prefix.append({"type": "thinking", "thinking": block.thinking, "signature": block.signature})
        elif block.type == "redacted_thinking":
            prefix.append({"type": "redacted_thinking", "data": block.data})
        elif block.type == "tool_use":
            calls.append(FunctionCall(id=block.id, name=block.name, arguments=json.dumps(block.input)))
    result = assemble(
        texts=texts,
        thoughts=thoughts,
        calls=calls,
        raw_finish=message.stop_reason,
        usage=RequestUsage(prompt_tokens(message.usage), message.usage.output_tokens),
    )
    return result, prefix


@dataclass
class _Block:
    kind: str
    parts: list[str] = field(default_factory=list)
    call_id: str = ""
    name: str = ""
    signature: str = ""

    def as_sent(self) -> Json:
        text = "".join(self.parts)
        if self.kind == "thinking":
            return {"type": "thinking", "thinking": text, "signature": self.signature}
        if self.kind == "redacted_thinking":
            return {"type": "redacted_thinking", "data": self.signature}
        return {"type": "text", "text": text}


@dataclass
class StreamAccumulator:
    """Collects stream events; :meth:`add` returns text to pass on, :meth:`result` the final reply.

    Tool-call arguments are kept as the raw concatenated ``input_json`` text, so malformed JSON from
    the model reaches the agent as is (and becomes an error result it can see).
    """

    blocks: dict[int, _Block] = field(default_factory=dict)
    raw_finish: str | None = None
    prompt: int = 0
    completion: int = 0
    response_id: str | None = None
    response_model: str | None = None
    stopped: bool = False

    @property
    def complete(self) -> bool:
        """Whether ``message_stop``, the stream's final event, has arrived."""
        return self.stopped

    def add(self, event: RawMessageStreamEvent) -> str:
        if event.type == "message_start":
            self.response_id, self.response_model = event.message.id, event.message.model
            self.prompt = prompt_tokens(event.message.usage)
            self.completion = event.message.usage.output_tokens
        elif event.type == "content_block_start":
            block = event.content_block
            if block.type == "tool_use":
                self.blocks[event.index] = _Block("tool_use", call_id=block.id, name=block.name)
            elif block.type == "text":
                self.blocks[event.index] = _Block("text", [block.text] if block.text else [])
                return block.text
            elif block.type == "thinking":
                self.blocks[event.index] = _Block(
                    "thinking", [block.thinking] if block.thinking else [], signature=block.signature
                )
            elif block.type == "redacted_thinking":
                self.blocks[event.index] = _Block("redacted_thinking", signature=block.data)
        elif event.type == "content_block_delta":
            return self._delta(event.index, event.delta)
        elif event.type == "message_delta":
            self.raw_finish = event.delta.stop_reason or self.raw_finish
            self.completion = event.usage.output_tokens
            if event.usage.input_tokens is not None:
                self.prompt = max(self.prompt, event.usage.input_tokens)
        elif event.type == "message_stop":
            self.stopped = True
        return ""

    def _delta(self, index: int, delta: RawContentBlockDelta) -> str:
        block = self.blocks.setdefault(index, _Block("text"))
        if delta.type == "text_delta":
            block.parts.append(delta.text)
            return delta.text
        if delta.type == "input_json_delta":
            block.parts.append(delta.partial_json)
        elif delta.type == "thinking_delta":
            block.parts.append(delta.thinking)
        elif delta.type == "signature_delta":
            block.signature += delta.signature
        return ""

    def prefix(self) -> list[Json]:
        """The reply's thinking and text blocks as they would be sent back (for ThinkingMemory)."""
        return [b.as_sent() for _, b in sorted(self.blocks.items()) if b.kind != "tool_use"]

    def result(self) -> CreateResult:
        ordered = [block for _, block in sorted(self.blocks.items())]
        calls = [
            FunctionCall(id=b.call_id, name=b.name, arguments="".join(b.parts) or "{}")
            for b in ordered
            if b.kind == "tool_use"
        ]
        return assemble(
            texts=["".join(b.parts) for b in ordered if b.kind == "text"],
            thoughts=["".join(b.parts) for b in ordered if b.kind == "thinking"],
            calls=calls,
            raw_finish=self.raw_finish,
            usage=RequestUsage(self.prompt, self.completion),
        )
