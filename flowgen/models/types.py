"""The messages a model reads and the results it returns (AutoGen's ``autogen_core.models`` names).

Pure data: no clients here, so every layer (chat messages included) may import it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal, NotRequired, Protocol, TypedDict, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from flowgen.core import FunctionCall, Image
from flowgen.shared_fields_set import SharesFieldsSet


class SystemMessage(BaseModel):
    """Instructions for the model."""

    content: str
    type: Literal["SystemMessage"] = "SystemMessage"


class UserMessage(SharesFieldsSet):
    """A message from a user or another agent; ``source`` names who."""

    content: str | list[str | Image]
    source: str
    type: Literal["UserMessage"] = "UserMessage"


class AssistantMessage(SharesFieldsSet):
    """What the model said earlier: text, or the function calls it made."""

    content: str | list[FunctionCall]
    thought: str | None = None
    source: str
    type: Literal["AssistantMessage"] = "AssistantMessage"


class FunctionExecutionResult(BaseModel):
    """The result of one function call, sent back to the model."""

    model_config = ConfigDict(defer_build=True)  # built on first use: a run without tools has none

    content: str
    name: str
    call_id: str
    is_error: bool | None = None


class FunctionExecutionResultMessage(BaseModel):
    """The results of the function calls the model made in its last reply."""

    model_config = ConfigDict(defer_build=True)  # built on first use: a run without tools has none

    content: list[FunctionExecutionResult]
    type: Literal["FunctionExecutionResultMessage"] = "FunctionExecutionResultMessage"


LLMMessage = Annotated[
    SystemMessage | UserMessage | AssistantMessage | FunctionExecutionResultMessage,
    Field(discriminator="type"),
]


def no_llm_messages() -> list[LLMMessage]:
    """An empty history: the default factory for model fields holding LLM messages.

    A function rather than ``list``: pydantic reads a default factory's signature, and reading a
    builtin's parses its text signature with the tokenizer, whose first use costs milliseconds.
    """
    return []


@dataclass(frozen=True, slots=True)
class RequestUsage:
    """Tokens one call consumed."""

    prompt_tokens: int
    completion_tokens: int


FinishReasons = Literal["stop", "length", "function_calls", "content_filter", "unknown"]


class TopLogprob(BaseModel):
    model_config = ConfigDict(defer_build=True)

    logprob: float
    bytes: list[int] | None = None


class ChatCompletionTokenLogprob(BaseModel):
    model_config = ConfigDict(defer_build=True)

    token: str
    logprob: float
    top_logprobs: list[TopLogprob] | None = None
    bytes: list[int] | None = None


class CreateResult(BaseModel):
    """One model reply: text or function calls, with why it finished and what it cost."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    finish_reason: FinishReasons
    content: str | list[FunctionCall]
    usage: RequestUsage
    cached: bool = False
    logprobs: list[ChatCompletionTokenLogprob] | None = None
    thought: str | None = None


class ModelFamily:
    """Known model families (a plain string is accepted anywhere a family is)."""

    GPT_5 = "gpt-5"
    GPT_41 = "gpt-41"
    GPT_4O = "gpt-4o"
    O1 = "o1"
    O3 = "o3"
    O4 = "o4"
    GPT_4 = "gpt-4"
    GPT_35 = "gpt-35"
    R1 = "r1"
    GEMINI_2_0_FLASH = "gemini-2.0-flash"
    GEMINI_2_5_PRO = "gemini-2.5-pro"
    CLAUDE_3_HAIKU = "claude-3-haiku"
    CLAUDE_3_5_SONNET = "claude-3-5-sonnet"
    CLAUDE_3_7_SONNET = "claude-3-7-sonnet"
    CLAUDE_4_SONNET = "claude-4-sonnet"
    CLAUDE_4_OPUS = "claude-4-opus"
    LLAMA_3_3_70B = "llama-3.3-70b"
    UNKNOWN = "unknown"

    ANY = str

    @staticmethod
    def is_openai(family: str) -> bool:
        return family.startswith(("gpt-", "o1", "o3", "o4"))

    @staticmethod
    def is_claude(family: str) -> bool:
        return family.startswith("claude-")


class ModelInfo(TypedDict):
    """What a model can do. Agents check it at construction, before any call."""

    vision: bool
    function_calling: bool
    json_output: bool
    family: str
    structured_output: bool
    multiple_system_messages: NotRequired[bool | None]


class ParametersSchema(TypedDict):
    type: str
    properties: dict[str, Any]
    required: NotRequired[list[str]]
    additionalProperties: NotRequired[bool]


class ToolSchema(TypedDict):
    """The JSON description of a tool that a model is offered."""

    name: str
    description: NotRequired[str]
    parameters: NotRequired[ParametersSchema]
    strict: NotRequired[bool]


@runtime_checkable
class HasToolSchema(Protocol):
    """Anything that describes itself as a tool (``flowgen.tools.BaseTool`` does)."""

    @property
    def schema(self) -> ToolSchema: ...


def tool_schema(tool: HasToolSchema | ToolSchema) -> ToolSchema:
    """The schema of a tool object or a bare schema."""
    if isinstance(tool, dict):
        return tool
    return tool.schema
