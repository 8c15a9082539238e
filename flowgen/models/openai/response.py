"""OpenAI Chat Completions replies (whole, or streamed chunk by chunk) as flowgen CreateResults."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from openai.types.chat import ChatCompletion, ChatCompletionChunk
from openai.types.chat.chat_completion_token_logprob import (
    ChatCompletionTokenLogprob as SdkTokenLogprob,
)

from flowgen.core import FunctionCall
from flowgen.models.types import (
    ChatCompletionTokenLogprob,
    CreateResult,
    FinishReasons,
    RequestUsage,
    TopLogprob,
)

_FINISH: dict[str, FinishReasons] = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "function_calls",
    "function_call": "function_calls",
    "content_filter": "content_filter",
}

_THINK = re.compile(r"^\s*<think>(.*?)</think>\s*", re.DOTALL)


def finish_reason(raw: str | None, has_calls: bool) -> FinishReasons:
    # Some compatible servers say "stop" even when they return tool calls.
    if has_calls:
        return "function_calls"
    return _FINISH.get(raw or "", "unknown")


def split_think(text: str) -> tuple[str | None, str]:
    """Separate a leading ``<think>...</think>`` block (R1-style reasoning models) from the answer."""
    match = _THINK.match(text)
    if match is None:
        return None, text
    return match.group(1).strip(), text[match.end() :]


def _reasoning(extra: dict[str, object] | None) -> str | None:
    # vLLM, DeepSeek and others put reasoning in a non-standard field next to content.
    if not extra:
        return None
    for key in ("reasoning_content", "reasoning"):
        value = extra.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def _logprobs(items: list[SdkTokenLogprob] | None) -> list[ChatCompletionTokenLogprob] | None:
    if items is None:
        return None
    return [
        ChatCompletionTokenLogprob(
            token=item.token,
            logprob=item.logprob,
            bytes=item.bytes,
            top_logprobs=[TopLogprob(logprob=t.logprob, bytes=t.bytes) for t in item.top_logprobs],
        )
        for item in items
    ]


def assemble(
    *,
    text: str,
    calls: list[FunctionCall],
    raw_finish: str | None,
    usage: RequestUsage,
    reasoning: str | None,
    parse_think: bool,
    logprobs: list[ChatCompletionTokenLogprob] | None = None,
) -> CreateResult:
    """One CreateResult: function calls (text beside them becomes the thought) or text."""
    thought = reasoning
    if parse_think:
        think, text = split_think(text)
        thought = think or thought
    content: str | list[FunctionCall]
    if calls:
        content = calls
        if text.strip():
            thought = f"{thought}\n{text}" if thought else text
    else:
        content = text
    return CreateResult(
        finish_reason=finish_reason(raw_finish, bool(calls)),
        content=content,
        usage=usage,
        cached=False,
        logprobs=logprobs,
        thought=thought,
    )


def from_completion(completion: ChatCompletion, *, parse_think: bool) -> CreateResult:
    choice = completion.choices[0]
    message = choice.message
    calls = [
        FunctionCall(id=call.id, name=call.function.name, arguments=call.function.arguments)
        for call in message.tool_calls or []
        if call.type == "function"
    ]
    usage = completion.usage
    return assemble(
        text=message.content or "",
        calls=calls,
        raw_finish=choice.finish_reason,
        usage=RequestUsage(usage.prompt_tokens, usage.completion_tokens) if usage else RequestUsage(0, 0),
        reasoning=_reasoning(message.model_extra),
        parse_think=parse_think,
        logprobs=_logprobs(choice.logprobs.content) if choice.logprobs else None,
    )


@dataclass
class _PartialCall:
    id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)


@dataclass
class StreamAccumulator:
    """Collects streamed chunks; :meth:`add` returns the text to pass on, :meth:`result` the final reply."""

    parse_think: bool = False
    text: list[str] = field(default_factory=list)
    reasoning: list[str] = field(default_factory=list)
    calls: dict[int, _PartialCall] = field(default_factory=dict)
    raw_finish: str | None = None
    usage: RequestUsage | None = None
    logprobs: list[ChatCompletionTokenLogprob] | None = None
    response_id: str | None = None
    response_model: str | None = None

    def add(self, chunk: ChatCompletionChunk) -> str:
        self.response_id = chunk.id or self.response_id
        self.response_model = chunk.model or self.response_model
        if chunk.usage is not None:
            self.usage = RequestUsage(chunk.usage.prompt_tokens, chunk.usage.completion_tokens)
        if not chunk.choices:
            return ""
        choice = chunk.choices[0]
        if choice.finish_reason is not None:
            self.raw_finish = choice.finish_reason
        if choice.logprobs is not None and choice.logprobs.content:
            self.logprobs = (self.logprobs or []) + (_logprobs(choice.logprobs.content) or [])
        delta = choice.delta
        reasoning = _reasoning(delta.model_extra)
        if reasoning:
            self.reasoning.append(reasoning)
        for call in delta.tool_calls or []:
            partial = self.calls.setdefault(call.index, _PartialCall())
            partial.id = call.id or partial.id
            if call.function is not None:
                partial.name += call.function.name or ""
                partial.arguments.append(call.function.arguments or "")
        if delta.content:
            self.text.append(delta.content)
            return delta.content
        return ""

    @property
    def complete(self) -> bool:
        """Whether the final chunk (the one carrying a finish reason) has arrived."""
        return self.raw_finish is not None

    def result(self) -> CreateResult:
        calls = [
            FunctionCall(id=p.id, name=p.name, arguments="".join(p.arguments))
            for _, p in sorted(self.calls.items())
        ]
        return assemble(
            text="".join(self.text),
            calls=calls,
            raw_finish=self.raw_finish,
            usage=self.usage or RequestUsage(0, 0),
            reasoning="".join(self.reasoning) or None,
            parse_think=self.parse_think,
            logprobs=self.logprobs,
        )
