"""Anthropic Messages API payloads, shaped as the API sends them, for the scripted server."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from provider_server import Event, Reply, Stream

MODEL = "claude-sonnet-4-6"


def text(value: str) -> dict[str, Any]:
    return {"type": "text", "text": value}


def thinking(value: str) -> dict[str, Any]:
    return {"type": "thinking", "thinking": value, "signature": "sig-test"}


def tool_use(call_id: str, name: str, arguments: dict[str, Any] | str) -> dict[str, Any]:
    """A tool_use block; a str ``arguments`` is streamed verbatim (it may be malformed JSON)."""
    return {"type": "tool_use", "id": call_id, "name": name, "input": arguments}


def _stop(blocks: Sequence[dict[str, Any]], stop_reason: str | None) -> str:
    return stop_reason or ("tool_use" if any(b["type"] == "tool_use" for b in blocks) else "end_turn")


def _message(blocks: list[dict[str, Any]], stop_reason: str | None, usage: tuple[int, int]) -> dict[str, Any]:
    return {
        "id": "msg_test",
        "type": "message",
        "role": "assistant",
        "model": MODEL,
        "content": blocks,
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": {"input_tokens": usage[0], "output_tokens": usage[1]},
    }


def message(
    *blocks: dict[str, Any], stop_reason: str | None = None, usage: tuple[int, int] = (13, 8)
) -> Reply:
    return Reply(_message(list(blocks), _stop(blocks, stop_reason), usage))


def _pieces(value: str, count: int = 3) -> list[str]:
    size = max(1, -(-len(value) // count))
    return [value[i : i + size] for i in range(0, len(value), size)] or [""]


def _block_events(index: int, block: dict[str, Any], text_pieces: Sequence[str] | None) -> list[Event]:
    kind = block["type"]
    start: dict[str, Any]
    if kind == "text":
        start, deltas = (
            {"type": "text", "text": ""},
            [{"type": "text_delta", "text": p} for p in (text_pieces or _pieces(block["text"]))],
        )
    elif kind == "thinking":
        start = {"type": "thinking", "thinking": "", "signature": ""}
        deltas = [{"type": "thinking_delta", "thinking": p} for p in _pieces(block["thinking"])]
        deltas.append({"type": "signature_delta", "signature": block["signature"]})
    else:
        raw = block["input"] if isinstance(block["input"], str) else json.dumps(block["input"])
        start = {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}
        deltas = [{"type": "input_json_delta", "partial_json": p} for p in _pieces(raw)]
    events = [
        Event({"type": "content_block_start", "index": index, "content_block": start}, "content_block_start")
    ]
    events += [
        Event({"type": "content_block_delta", "index": index, "delta": d}, "content_block_delta")
        for d in deltas
    ]
    events.append(Event({"type": "content_block_stop", "index": index}, "content_block_stop"))
    return events


def stream(
    *blocks: dict[str, Any],
    text_pieces: Sequence[str] | None = None,
    stop_reason: str | None = None,
    usage: tuple[int, int] = (13, 8),
    hold_after: int | None = None,
) -> Stream:
    """message_start, each block as start/deltas/stop, message_delta (stop reason, usage), message_stop.

    ``text_pieces`` sets exactly how the (single) text block is split into deltas.
    """
    start = _message([], None, (usage[0], 1))
    events = [Event({"type": "message_start", "message": start}, "message_start")]
    events.append(Event({"type": "ping"}, "ping"))
    for index, block in enumerate(blocks):
        events += _block_events(index, block, text_pieces if block["type"] == "text" else None)
    delta = {
        "type": "message_delta",
        "delta": {"stop_reason": _stop(blocks, stop_reason), "stop_sequence": None},
        "usage": {"output_tokens": usage[1]},
    }
    events.append(Event(delta, "message_delta"))
    events.append(Event({"type": "message_stop"}, "message_stop"))
    return Stream(events, hold_after=hold_after)


def error(status: int, message: str, *, headers: dict[str, str] | None = None) -> Reply:
    kind = {429: "rate_limit_error", 500: "api_error", 529: "overloaded_error"}.get(
        status, "invalid_request_error"
    )
    return Reply(
        {"type": "error", "error": {"type": kind, "message": message}}, status=status, headers=headers or {}
    )
