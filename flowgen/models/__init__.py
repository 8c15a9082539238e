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
    from flowgen.models.circuit_breaker import BreakerPolicy
    from flowgen.models.fallback import FallbackChatCompletionClient
    from flowgen.models.function import CallInfo, FunctionChatCompletionClient
    from flowgen.models.replay import ReplayChatCompletionClient
    from flowgen.models.request_limits import RequestLimiter, RequestLimits

_LAZY = {
    "BreakerPolicy": "flowgen.models.circuit_breaker",
    "CallInfo": "flowgen.models.function",
    "FallbackChatCompletionClient": "flowgen.models.fallback",
    "RequestLimiter": "flowgen.models.request_limits",
    "RequestLimits": "flowgen.models.request_limits",
    "FunctionChatCompletionClient": "flowgen.models.function",
    "ReplayChatCompletionClient": "flowgen.models.replay",
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)


__all__ = [
    "AssistantMessage",
    "BreakerPolicy",
    "CallInfo",
    "ChatCompletionClient",
    "ChatCompletionTokenLogprob",
    "CreateResult",
    "FallbackChatCompletionClient",
    "FinishReasons",
    "FunctionChatCompletionClient",
    "FunctionExecutionResult",
    "FunctionExecutionResultMessage",
    "LLMMessage",
    "ModelFamily",
    "ModelInfo",
    "ReplayChatCompletionClient",
    "RequestLimiter",
    "RequestLimits",
    "RequestUsage",
    "SystemMessage",
    "ToolSchema",
    "TopLogprob",
    "UserMessage",
    "validate_model_info",
]
