"""WrappedChatCompletionClient: a client that adds behaviour around another and is otherwise that client.

A cache, a telemetry view of one call, and any wrapper a user writes answer usage, token counts,
``model_info`` and ``close`` exactly as the client they wrap; subclasses override ``create`` and
``create_stream`` only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flowgen.models.client import ChatCompletionClient, Tools
from flowgen.models.types import LLMMessage, ModelInfo, RequestUsage


class WrappedChatCompletionClient(ChatCompletionClient):
    """Delegates everything but ``create`` / ``create_stream`` to ``client``."""

    def __init__(self, client: ChatCompletionClient) -> None:
        self.client = client

    async def close(self) -> None:
        await self.client.close()

    def actual_usage(self) -> RequestUsage:
        return self.client.actual_usage()

    def total_usage(self) -> RequestUsage:
        return self.client.total_usage()

    def count_tokens(self, messages: Sequence[LLMMessage], *, tools: Tools = ()) -> int:
        return self.client.count_tokens(messages, tools=tools)

    def remaining_tokens(self, messages: Sequence[LLMMessage], *, tools: Tools = ()) -> int:
        return self.client.remaining_tokens(messages, tools=tools)

    @property
    def model_info(self) -> ModelInfo:
        return self.client.model_info

    def _telemetry_request(self) -> tuple[str, str | None, Mapping[str, Any]]:
        return self.client._telemetry_request()
