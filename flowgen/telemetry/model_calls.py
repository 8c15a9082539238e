"""ObservedModel: an agent's model client, seen through telemetry for the length of its calls."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping, Sequence
from contextlib import aclosing
from time import perf_counter
from typing import TYPE_CHECKING, Any

from flowgen.models.client import ChatCompletionClient, JsonOutput, ToolChoice, Tools
from flowgen.models.types import CreateResult, LLMMessage
from flowgen.models.wrapped_client import WrappedChatCompletionClient

if TYPE_CHECKING:
    from flowgen.core import CancellationToken
    from flowgen.telemetry.observer import Telemetry


class ObservedModel(WrappedChatCompletionClient):
    """Delegates to ``inner``; each create / create_stream is a ``chat`` span, metrics and a log line.

    Made per call by the agent when telemetry is on, so the client the user built stays untouched.
    """

    def __init__(self, inner: ChatCompletionClient, telemetry: Telemetry, agent: str) -> None:
        super().__init__(inner)
        self._telemetry = telemetry
        self._agent = agent

    async def create(
        self,
        messages: Sequence[LLMMessage],
        *,
        tools: Tools = (),
        tool_choice: ToolChoice = "auto",
        json_output: JsonOutput = None,
        extra_create_args: Mapping[str, Any] = {},
        cancellation_token: CancellationToken | None = None,
    ) -> CreateResult:
        telemetry = self._telemetry
        call = telemetry.model_started(self.client, self._agent, messages, streaming=False)
        try:
            result = await self.client.create(
                messages,
                tools=tools,
                tool_choice=tool_choice,
                json_output=json_output,
                extra_create_args=extra_create_args,
                cancellation_token=cancellation_token,
            )
        except BaseException as exc:
            telemetry.model_finished(call, None, exc)
            raise
        telemetry.model_finished(call, result, None)
        return result

    async def create_stream(
        self,
        messages: Sequence[LLMMessage],
        *,
        tools: Tools = (),
        tool_choice: ToolChoice = "auto",
        json_output: JsonOutput = None,
        extra_create_args: Mapping[str, Any] = {},
        cancellation_token: CancellationToken | None = None,
    ) -> AsyncGenerator[str | CreateResult, None]:
        telemetry = self._telemetry
        call = telemetry.model_started(self.client, self._agent, messages, streaming=True)
        result: CreateResult | None = None
        stream = self.client.create_stream(
            messages,
            tools=tools,
            tool_choice=tool_choice,
            json_output=json_output,
            extra_create_args=extra_create_args,
            cancellation_token=cancellation_token,
        )
        try:
            async with aclosing(stream) as chunks:
                async for chunk in chunks:
                    if isinstance(chunk, CreateResult):
                        result = chunk
                    elif call.first_chunk is None:
                        call.first_chunk = perf_counter()
                    yield chunk
        except BaseException as exc:
            telemetry.model_finished(call, None, exc)
            raise
        telemetry.model_finished(call, result, None)
