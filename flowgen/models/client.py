"""The ChatCompletionClient interface every model client implements (AutoGen's signatures)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator, Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel

from flowgen.core import CancellationToken
from flowgen.core.component import Component
from flowgen.errors import ConfigurationError
from flowgen.models.types import CreateResult, HasToolSchema, LLMMessage, ModelInfo, RequestUsage, ToolSchema

ToolChoice = Literal["auto", "required", "none"] | HasToolSchema
JsonOutput = bool | type[BaseModel] | None
Tools = Sequence[HasToolSchema | ToolSchema]


class ChatCompletionClient(ABC, Component[Any]):
    """A model: ``create`` one reply, or ``create_stream`` it as text chunks then the CreateResult."""

    @abstractmethod
    async def create(
        self,
        messages: Sequence[LLMMessage],
        *,
        tools: Tools = (),
        tool_choice: ToolChoice = "auto",
        json_output: JsonOutput = None,
        extra_create_args: Mapping[str, Any] = {},
        cancellation_token: CancellationToken | None = None,
    ) -> CreateResult: ...

    @abstractmethod
    def create_stream(
        self,
        messages: Sequence[LLMMessage],
        *,
        tools: Tools = (),
        tool_choice: ToolChoice = "auto",
        json_output: JsonOutput = None,
        extra_create_args: Mapping[str, Any] = {},
        cancellation_token: CancellationToken | None = None,
    ) -> AsyncGenerator[str | CreateResult, None]: ...

    async def close(self) -> None:
        """Release connections; the default has none to release."""

    @abstractmethod
    def actual_usage(self) -> RequestUsage: ...

    @abstractmethod
    def total_usage(self) -> RequestUsage: ...

    @abstractmethod
    def count_tokens(self, messages: Sequence[LLMMessage], *, tools: Tools = ()) -> int: ...

    @abstractmethod
    def remaining_tokens(self, messages: Sequence[LLMMessage], *, tools: Tools = ()) -> int: ...

    @property
    @abstractmethod
    def model_info(self) -> ModelInfo: ...

    def _telemetry_request(self) -> tuple[str, str | None, Mapping[str, Any]]:
        """The provider name, model and request parameters telemetry reports for a call to this client.

        Network clients override it; others are named for their class (``ReplayChatCompletionClient``
        reports provider ``replay``).
        """
        provider = type(self).__name__.removesuffix("ChatCompletionClient").lower() or "custom"
        return provider, None, {}

    @property
    def capabilities(self) -> ModelInfo:
        """Deprecated alias of ``model_info``, kept for AutoGen code."""
        return self.model_info


def validate_model_info(info: ModelInfo) -> None:
    """Reject a ModelInfo missing a field, naming the field."""
    required = ("vision", "function_calling", "json_output", "family", "structured_output")
    missing = [key for key in required if key not in info]
    if missing:
        raise ConfigurationError(
            f"model_info is missing {', '.join(missing)}; pass a full ModelInfo, e.g. ModelInfo(vision=False, "
            "function_calling=True, json_output=True, family='unknown', structured_output=True)"
        )
