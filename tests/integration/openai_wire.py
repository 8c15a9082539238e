"""OpenAI Chat Completions payloads, shaped as the API sends them, for the scripted server."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from provider_server import Event, Reply, Stream

MODEL = "gpt-4o-mini"


def tool_call(call_id: str, name: str, arguments: str) -> dict[str, Any]:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def completion(
    text: str | None = None,
    *,
    tool_calls: Sequence[dict[str, Any]] = (),
    finish_reason: str | None = None,
    usage: tuple[int, int] = (11, 7),
    extra_message: dict[str, Any] | None = None,
) -> Reply:
    message: dict[str, Any] = {"role": "assistant", "content": text, **(extra_message or {})}
    if tool_calls:
        message["tool_calls"] = list(tool_calls)
    reason = finish_reason or ("tool_calls" if tool_calls else "stop")
    return Reply(
        {
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "created": 1_700_000_000,
            "model": MODEL,
            "choices": [{"index": 0, "message": message, "finish_reason": reason, "logprobs": None}],
            "usage": {
                "prompt_tokens": usage[0],
                "completion_tokens": usage[1],
                "total_tokens": usage[0] + usage[1],
            },
        }
    )


def _chunk(delta: dict[str, Any] | None, finish_reason: str | None = None, usage: Any = None) -> Event:
    choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish_reason}]
    return Event(
        {
            "id": "chatcmpl-test",
            "object": "chat.completion.chunk",
            "created": 1_700_000_000,
            "model": MODEL,
            "choices": choices,
            "usage": usage,
        }
    )


def stream(
    pieces: Sequence[str] = (),
    *,
    tool_calls: Sequence[dict[str, Any]] = (),
    argument_pieces: int = 3,
    finish_reason: str | None = None,
    usage: tuple[int, int] | None = (11, 7),
    hold_after: int | None = None,
) -> Stream:
    """Text deltas, then each tool call streamed as name-first then its arguments in pieces, then usage."""
    events = [_chunk({"role": "assistant", "content": ""})]
    events += [_chunk({"content": piece}) for piece in pieces]
    for index, call in enumerate(tool_calls):
        head = {"index": index, "id": call["id"], "type": "function"}
        events.append(_chunk({"tool_calls": [{**head, "function": {"name": call["function"]["name"]}}]}))
        args = call["function"]["arguments"]
        size = max(1, -(-len(args) // argument_pieces))
        for start in range(0, len(args), size):
            piece = {"index": index, "function": {"arguments": args[start : start + size]}}
            events.append(_chunk({"tool_calls": [piece]}))
    reason = finish_reason or ("tool_calls" if tool_calls else "stop")
    events.append(_chunk({}, finish_reason=reason))
    if usage is not None:
        total = {"prompt_tokens": usage[0], "completion_tokens": usage[1], "total_tokens": sum(usage)}
        events.append(_chunk(None, usage=total))
    events.append(Event("[DONE]"))
    return Stream(events, hold_after=hold_after)


def error(status: int, message: str, *, headers: dict[str, str] | None = None) -> Reply:
    kind = {429: "rate_limit_error", 500: "server_error", 401: "invalid_request_error"}.get(status, "error")
    return Reply(
        {"error": {"message": message, "type": kind, "param": None, "code": None}},
        status=status,
        headers=headers or {},
    )
