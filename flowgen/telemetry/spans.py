"""Small span operations shared by the observer: making a span current and back, failing it, contents.

A span is made current by attaching a context and made no longer current by attaching the context
that was current before — never by detaching a token: the engine's run and turn spans open and close
in an async generator that a caller may step through from more than one place, where a token
reset would fail.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from flowgen.telemetry import semconv
from flowgen.telemetry.redaction import Redactor

set_span_in_context = trace.set_span_in_context
CLIENT = SpanKind.CLIENT


def enter(span: Span) -> Context:
    """Make ``span`` current; return the context to go back to."""
    previous = otel_context.get_current()
    otel_context.attach(trace.set_span_in_context(span, previous))
    return previous


def leave(previous: Context | None) -> None:
    if previous is not None:
        otel_context.attach(previous)


def fail(span: Span, error_type: str, description: str, redactor: Redactor) -> None:
    """Mark ``span`` failed: ``error.type`` and an ERROR status whose description is redacted."""
    span.set_attribute(semconv.ERROR_TYPE, error_type)
    span.set_status(Status(StatusCode.ERROR, redactor.redact(description)[:1000]))


def error_type(text: str) -> str:
    """The exception type name at the head of a ``"Type: message"`` error text."""
    head = text.split(":", 1)[0].strip()
    return head if head.isidentifier() else "error"


def _parts(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "content": content}]
    parts: list[dict[str, Any]] = []
    for item in content if isinstance(content, list) else [content]:
        name = getattr(item, "name", None)
        if hasattr(item, "arguments"):  # a FunctionCall
            parts.append({"type": "tool_call", "id": item.id, "name": name, "arguments": item.arguments})
        elif hasattr(item, "call_id"):  # a FunctionExecutionResult
            parts.append({"type": "tool_call_response", "id": item.call_id, "response": item.content})
        else:  # an image or another part: its description, not its bytes
            parts.append({"type": "text", "content": str(item)[:200]})
    return parts


_ROLES = {"SystemMessage": "system", "UserMessage": "user", "AssistantMessage": "assistant"}


def messages_json(messages: Sequence[Any], redactor: Redactor) -> str:
    """LLM messages in the GenAI conventions' message shape (role and parts), as redacted JSON."""
    shaped = [
        {"role": _ROLES.get(type(m).__name__, "tool"), "parts": _parts(getattr(m, "content", ""))}
        for m in messages
    ]
    return redactor.redact(json.dumps(shaped, default=str, ensure_ascii=False))


def output_json(content: Any, finish_reason: str, redactor: Redactor) -> str:
    shaped = [{"role": "assistant", "parts": _parts(content), "finish_reason": finish_reason}]
    return redactor.redact(json.dumps(shaped, default=str, ensure_ascii=False))
