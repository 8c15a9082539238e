"""Shared bits for the AssistantAgent tests: a capable model_info and tool-call replies."""

from __future__ import annotations

import json
from typing import Any

from flowgen.core import FunctionCall
from flowgen.models import CreateResult, ModelInfo, RequestUsage

CAPABLE = ModelInfo(
    vision=False, function_calling=True, json_output=True, family="unknown", structured_output=True
)


def call(
    name: str, arguments: dict[str, Any] | str | None = None, call_id: str | None = None
) -> FunctionCall:
    args = arguments if isinstance(arguments, str) else json.dumps(arguments or {})
    return FunctionCall(id=call_id or f"call_{name}", name=name, arguments=args)


def calls(*function_calls: FunctionCall, thought: str | None = None) -> CreateResult:
    return CreateResult(
        finish_reason="function_calls",
        content=list(function_calls),
        usage=RequestUsage(prompt_tokens=5, completion_tokens=3),
        thought=thought,
    )
