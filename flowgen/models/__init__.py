"""Model clients and the messages they exchange (AutoGen's ``autogen_core.models`` plus the replay client).

The real SDK-backed clients live in ``flowgen.models.openai`` and ``flowgen.models.anthropic`` and are
imported only from there, so the SDKs load only when used. The deterministic clients (replay,
function) load on first use (module ``__getattr__``): a program with its own client skips them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flowgen.models.client import ChatCompletionClient, validate_model_info
from flowgen.models.types import (
    AssistantMessage,
    ChatCompletionTokenLogprob,
    CreateResult,
    FinishReasons,
    FunctionExecutionResult,
    FunctionExecutionResultMessage,
    LLMMessage,
    ModelFamily,
    ModelInfo,
    RequestUsage,
    SystemMessage,
    ToolSchema,
    TopLogprob,
    UserMessage,
)

if TYPE_CHECKING:
    from flowgen.models.function import CallInfo, FunctionChatCompletionClient
    from flowgen.models.replay import ReplayChatCompletionClient

_LAZY = {
    "CallInfo": "flowgen.models.function",
    "FunctionChatCompletionClient": "flowgen.models.function",
    "ReplayChatCompletionClient": "flowgen.models.replay",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'flowgen.models' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])


__all__ = [
    "AssistantMessage",
    "CallInfo",
    "ChatCompletionClient",
    "ChatCompletionTokenLogprob",
    "CreateResult",
    "FinishReasons",
    "FunctionChatCompletionClient",
    "FunctionExecutionResult",
    "FunctionExecutionResultMessage",
    "LLMMessage",
    "ModelFamily",
    "ModelInfo",
    "ReplayChatCompletionClient",
    "RequestUsage",
    "SystemMessage",
    "ToolSchema",
    "TopLogprob",
    "UserMessage",
    "validate_model_info",
]
