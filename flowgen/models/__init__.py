"""Model clients and the messages they exchange (AutoGen's ``autogen_core.models`` plus the replay client).

The real SDK-backed clients live in ``flowgen.models.openai`` and ``flowgen.models.anthropic`` and are
imported only from there, so the SDKs load only when used.
"""

from flowgen.models.client import ChatCompletionClient, validate_model_info
from flowgen.models.function import CallInfo, FunctionChatCompletionClient
from flowgen.models.replay import ReplayChatCompletionClient
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
