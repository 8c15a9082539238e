"""Model clients and the messages they exchange (AutoGen's ``autogen_core.models`` plus the replay client).

The real SDK-backed clients live in ``flowgen.models.openai`` and ``flowgen.models.anthropic`` and are
imported only from there, so the SDKs load only when used. The deterministic clients (replay,
function) load on first use (module ``__getattr__``): a program with its own client skips them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flowgen.lazy_exports import lazy_exports
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


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)


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
