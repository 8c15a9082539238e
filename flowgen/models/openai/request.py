"""flowgen messages, tools and output settings as an OpenAI Chat Completions request body (plain JSON)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from flowgen.core import FunctionCall, Image
from flowgen.models.client import JsonOutput, ToolChoice, Tools
from flowgen.models.structured import strict_json_schema
from flowgen.models.types import (
    AssistantMessage,
    FunctionExecutionResultMessage,
    LLMMessage,
    SystemMessage,
    UserMessage,
    tool_schema,
)

Json = dict[str, Any]

_NAME_UNSAFE = re.compile(r"[^a-zA-Z0-9_-]")


def safe_name(source: str) -> str:
    """A message ``name`` the API accepts: letters, digits, ``_`` and ``-``, at most 64 characters."""
    return _NAME_UNSAFE.sub("_", source)[:64] or "_"


def to_messages(
    messages: Sequence[LLMMessage], *, include_name: bool = True, add_name_prefixes: bool = False
) -> list[Json]:
    """The ``messages`` array. Each function result becomes its own ``tool`` message."""
    out: list[Json] = []
    for message in messages:
        if isinstance(message, SystemMessage):
            out.append({"role": "system", "content": message.content})
        elif isinstance(message, UserMessage):
            out.append(_user(message, include_name, add_name_prefixes))
        elif isinstance(message, AssistantMessage):
            out.append(_assistant(message, include_name))
        elif isinstance(message, FunctionExecutionResultMessage):
            out.extend(
                {"role": "tool", "tool_call_id": r.call_id, "content": r.content} for r in message.content
            )
    return out


def _user(message: UserMessage, include_name: bool, add_name_prefixes: bool) -> Json:
    prefix = f"{message.source} said:\n" if add_name_prefixes else ""
    content: str | list[Json]
    if isinstance(message.content, str):
        content = prefix + message.content
    else:
        content = [] if not prefix else [{"type": "text", "text": prefix}]
        for part in message.content:
            if isinstance(part, Image):
                content.append({"type": "image_url", "image_url": {"url": part.data_uri}})
            else:
                content.append({"type": "text", "text": part})
    out: Json = {"role": "user", "content": content}
    if include_name:
        out["name"] = safe_name(message.source)
    return out


def _assistant(message: AssistantMessage, include_name: bool) -> Json:
    out: Json = {"role": "assistant"}
    if isinstance(message.content, str):
        out["content"] = message.content
    else:
        out["tool_calls"] = [_tool_call(call) for call in message.content]
        if message.thought:
            out["content"] = message.thought
    if include_name:
        out["name"] = safe_name(message.source)
    return out


def _tool_call(call: FunctionCall) -> Json:
    return {"id": call.id, "type": "function", "function": {"name": call.name, "arguments": call.arguments}}


def to_tools(tools: Tools) -> list[Json]:
    out: list[Json] = []
    for tool in tools:
        schema = tool_schema(tool)
        function: Json = {
            "name": schema["name"],
            "parameters": dict(schema.get("parameters") or {"type": "object", "properties": {}}),
        }
        if "description" in schema:
            function["description"] = schema["description"]
        if "strict" in schema:
            function["strict"] = schema["strict"]
        out.append({"type": "function", "function": function})
    return out


def to_tool_choice(choice: ToolChoice) -> str | Json:
    if isinstance(choice, str):
        return choice
    return {"type": "function", "function": {"name": choice.schema["name"]}}


def to_response_format(json_output: JsonOutput) -> Json | None:
    """JSON mode for ``True``; a strict JSON schema for a pydantic model; nothing otherwise."""
    if json_output is True:
        return {"type": "json_object"}
    if isinstance(json_output, type):
        return {
            "type": "json_schema",
            "json_schema": {
                "name": safe_name(json_output.__name__),
                "schema": strict_json_schema(json_output),
                "strict": True,
            },
        }
    return None


def build_body(
    *,
    model: str,
    messages: Sequence[LLMMessage],
    tools: Tools,
    tool_choice: ToolChoice,
    json_output: JsonOutput,
    create_args: Json,
    include_name: bool,
    add_name_prefixes: bool,
) -> Json:
    """The whole request body: configured create arguments, then this call's messages and options."""
    body: Json = {k: v for k, v in create_args.items() if k not in ("stream", "stream_options")}
    body["model"] = model
    body["messages"] = to_messages(messages, include_name=include_name, add_name_prefixes=add_name_prefixes)
    if tools:
        body["tools"] = to_tools(tools)
        if tool_choice != "auto":  # the API's default; some compatible servers reject it explicitly
            body["tool_choice"] = to_tool_choice(tool_choice)
    else:
        body.pop("parallel_tool_calls", None)  # the API rejects it without tools
    response_format = to_response_format(json_output)
    if response_format is not None:
        body["response_format"] = response_format
    return body
