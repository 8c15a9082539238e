"""flowgen messages, tools and output settings as an Anthropic Messages API request body (plain JSON).

Anthropic differs from OpenAI in ways this module absorbs: system text goes in a top-level
``system`` parameter, tool results travel inside a user turn, consecutive turns of one role are
merged into one, and tool calls carry parsed JSON ``input`` rather than a string.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from flowgen.core import FunctionCall, Image
from flowgen.models.anthropic.thinking import ThinkingMemory
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

#: Anthropic has no JSON mode; ``json_output=True`` asks for it in the system prompt instead.
JSON_INSTRUCTION = "Respond with a single valid JSON object and nothing else: no prose, no code fences."


def system_text(messages: Sequence[LLMMessage], json_output: JsonOutput) -> str | None:
    parts = [m.content for m in messages if isinstance(m, SystemMessage)]
    if json_output is True:
        parts.append(JSON_INSTRUCTION)
    return "\n\n".join(parts) if parts else None


def to_messages(
    messages: Sequence[LLMMessage], *, add_name_prefixes: bool = False, thinking: ThinkingMemory | None = None
) -> list[Json]:
    """The ``messages`` array: user/assistant turns of content blocks, same-role neighbours merged.

    A tool-calling turn this client produced with thinking on gets its signed thinking blocks back
    from ``thinking``.
    """
    turns: list[Json] = []
    for message in messages:
        if isinstance(message, SystemMessage):
            continue
        role, blocks = _blocks(message, add_name_prefixes, thinking)
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": role, "content": blocks})
    return turns


def _blocks(
    message: LLMMessage, add_name_prefixes: bool, thinking: ThinkingMemory | None
) -> tuple[str, list[Json]]:
    if isinstance(message, UserMessage):
        prefix = f"{message.source} said:\n" if add_name_prefixes else ""
        parts = [message.content] if isinstance(message.content, str) else message.content
        blocks = [_part(p) for p in parts]
        if prefix:
            blocks.insert(0, _text(prefix))
        return "user", blocks
    if isinstance(message, AssistantMessage):
        if isinstance(message.content, str):
            return "assistant", [_text(message.content)]
        signed = thinking.recall(message.content[0].id) if thinking and message.content else None
        if signed is not None:
            blocks = list(signed)
        else:
            blocks = [_text(message.thought)] if message.thought else []
        blocks += [_tool_use(call) for call in message.content]
        return "assistant", blocks
    if isinstance(message, FunctionExecutionResultMessage):
        return "user", [
            {
                "type": "tool_result",
                "tool_use_id": r.call_id,
                "content": r.content,
                "is_error": bool(r.is_error),
            }
            for r in message.content
        ]
    raise TypeError(f"cannot send {type(message).__name__} to Anthropic")


def _text(text: str) -> Json:
    # The API rejects blank text blocks; a visible marker keeps the turn (and the alternation).
    return {"type": "text", "text": text if text.strip() else "(empty)"}


def _part(part: str | Image) -> Json:
    if isinstance(part, Image):
        return {
            "type": "image",
            "source": {"type": "base64", "media_type": part.mime_type, "data": part.data_base64},
        }
    return _text(part)


def _tool_use(call: FunctionCall) -> Json:
    try:
        arguments = json.loads(call.arguments) if call.arguments.strip() else {}
    except json.JSONDecodeError:
        arguments = {}  # the model produced malformed JSON earlier; the API only accepts an object
    if not isinstance(arguments, dict):
        arguments = {}
    return {"type": "tool_use", "id": call.id, "name": call.name, "input": arguments}


def to_tools(tools: Tools) -> list[Json]:
    out: list[Json] = []
    for tool in tools:
        schema = tool_schema(tool)
        entry: Json = {
            "name": schema["name"],
            "input_schema": dict(schema.get("parameters") or {"type": "object", "properties": {}}),
        }
        if "description" in schema:
            entry["description"] = schema["description"]
        out.append(entry)
    return out


def to_tool_choice(choice: ToolChoice, parallel_tool_calls: bool | None) -> Json:
    if isinstance(choice, str):
        out: Json = {"type": {"auto": "auto", "required": "any", "none": "none"}[choice]}
    else:
        out = {"type": "tool", "name": choice.schema["name"]}
    if parallel_tool_calls is False and out["type"] != "none":
        out["disable_parallel_tool_use"] = True
    return out


def build_body(
    *,
    model: str,
    messages: Sequence[LLMMessage],
    tools: Tools,
    tool_choice: ToolChoice,
    json_output: JsonOutput,
    create_args: Json,
    add_name_prefixes: bool,
    thinking: ThinkingMemory | None = None,
) -> Json:
    """The whole request body: configured create arguments, then this call's messages and options."""
    body: Json = dict(create_args)
    parallel = body.pop("parallel_tool_calls", None)
    body["model"] = model
    body["messages"] = to_messages(messages, add_name_prefixes=add_name_prefixes, thinking=thinking)
    system = system_text(messages, json_output)
    if system is not None:
        body["system"] = system
    if tools:
        body["tools"] = to_tools(tools)
        if tool_choice != "auto" or parallel is False:
            body["tool_choice"] = to_tool_choice(tool_choice, parallel)
    if isinstance(json_output, type):
        # Native structured output: the API constrains the reply to this schema.
        output_config = dict(body.get("output_config") or {})
        output_config["format"] = {"type": "json_schema", "schema": strict_json_schema(json_output)}
        body["output_config"] = output_config
    return body
