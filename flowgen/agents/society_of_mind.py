"""SocietyOfMindAgent: an agent whose thinking is a whole team, summarised by a model into one answer.

Each turn it runs its inner team on the new messages (streaming the team's messages out as its own
inner events), then asks its model for a standalone answer from the team's transcript, and resets
the team for the next turn. Earlier turns reach the team as the context of a HandoffMessage, as
AutoGen does.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping, Sequence
from contextlib import aclosing
from typing import Any

from pydantic import Field

from flowgen.agents.base_chat_agent import BaseChatAgent, final_response
from flowgen.agents.savepoint import Savepoints, context_savepoint
from flowgen.agents.state import BaseState
from flowgen.base import Response, Savepoint, TaskResult, Team
from flowgen.core import CancellationToken
from flowgen.errors import ConfigurationError
from flowgen.messages import (
    BaseAgentEvent,
    BaseChatMessage,
    HandoffMessage,
    ModelClientStreamingChunkEvent,
    TextMessage,
)
from flowgen.model_context import ChatCompletionContext, UnboundedChatCompletionContext
from flowgen.models.client import ChatCompletionClient
from flowgen.models.types import LLMMessage, SystemMessage, UserMessage
from flowgen.telemetry import hooks


class SocietyOfMindAgentState(BaseState):
    """A SocietyOfMindAgent's state: its inner team's state."""

    type: str = "SocietyOfMindAgentState"
    inner_team_state: Mapping[str, Any] = Field(default_factory=dict)


class SocietyOfMindAgent(BaseChatAgent):
    """An agent that answers by running an inner team and having a model sum up what the team said.

    Args:
        name: the agent's name.
        team: the inner team, run once per turn and reset afterwards.
        model_client: the model that writes the answer from the team's transcript.
        description: what the agent does (for selectors).
        instruction: put before the transcript (as a system message when the model takes several).
        response_prompt: put after the transcript, asking for the final answer.
        model_context: keeps the messages of earlier turns, passed on to the team (cleared on reset).

    Example:
        >>> import asyncio
        >>> from flowgen.models import ReplayChatCompletionClient
        >>> from flowgen.teams import RoundRobinGroupChat
        >>> from flowgen.testing import ScriptedAgent
        >>> inner = RoundRobinGroupChat([ScriptedAgent("writer", ["a draft"])], max_turns=1)
        >>> agent = SocietyOfMindAgent("mind", inner, ReplayChatCompletionClient(["The answer."]))
        >>> [m.to_text() for m in asyncio.run(agent.run(task="write")).messages]
        ['write', 'The answer.']
    """

    DEFAULT_INSTRUCTION = (
        "Earlier you were given a request, and you and your team worked on it together. "
        "This is the transcript of that work:"
    )
    DEFAULT_RESPONSE_PROMPT = (
        "Now give a standalone answer to the original request, without referring to the discussion "
        "that led to it."
    )
    DEFAULT_DESCRIPTION = "An agent that answers by running an inner team of agents."

    def __init__(
        self,
        name: str,
        team: Team,
        model_client: ChatCompletionClient,
        *,
        description: str = DEFAULT_DESCRIPTION,
        instruction: str = DEFAULT_INSTRUCTION,
        response_prompt: str = DEFAULT_RESPONSE_PROMPT,
        model_context: ChatCompletionContext | None = None,
    ) -> None:
        super().__init__(name, description)
        if not isinstance(team, Team):
            raise ConfigurationError(
                f"SocietyOfMindAgent {name!r} needs a team (e.g. RoundRobinGroupChat), not {type(team).__name__}"
            )
        self._team = team
        self._model_client = model_client
        self._instruction = instruction
        self._response_prompt = response_prompt
        self._model_context = model_context if model_context is not None else UnboundedChatCompletionContext()

    @property
    def team(self) -> Team:
        """The inner team."""
        return self._team

    @property
    def produced_message_types(self) -> Sequence[type[BaseChatMessage]]:
        return (TextMessage,)

    @property
    def model_context(self) -> ChatCompletionContext:
        return self._model_context

    async def on_messages(
        self, messages: Sequence[BaseChatMessage], cancellation_token: CancellationToken
    ) -> Response:
        return await final_response(self.on_messages_stream(messages, cancellation_token))

    async def on_messages_stream(
        self, messages: Sequence[BaseChatMessage], cancellation_token: CancellationToken
    ) -> AsyncGenerator[BaseAgentEvent | BaseChatMessage | Response, None]:
        task = await self._task(messages)
        transcript: list[BaseAgentEvent | BaseChatMessage] = []
        stream = self._team.run_stream(
            task=task or None, cancellation_token=cancellation_token, output_task_messages=False
        )
        async with aclosing(stream) as items:
            async for item in items:
                if isinstance(item, TaskResult):
                    continue
                yield item
                if not isinstance(item, ModelClientStreamingChunkEvent):
                    transcript.append(item)
        if transcript:
            yield Response(
                chat_message=await self._summary(transcript, cancellation_token), inner_messages=[]
            )
        else:
            yield Response(
                chat_message=TextMessage(source=self.name, content="No response."), inner_messages=[]
            )
        for message in messages:
            if isinstance(message, HandoffMessage):
                for carried in message.context:
                    await self._model_context.add_message(carried)
            await self._model_context.add_message(message.to_model_message())
        await self._team.reset()

    async def _task(self, messages: Sequence[BaseChatMessage]) -> list[BaseChatMessage]:
        """The new messages, after the earlier turns' messages carried as a HandoffMessage's context."""
        earlier = await self._model_context.get_messages()
        if not earlier:
            return list(messages)
        carry = HandoffMessage(
            content="relevant previous messages", source=self.name, target="", context=earlier
        )
        return [carry, *messages]

    async def _summary(
        self, transcript: Sequence[BaseAgentEvent | BaseChatMessage], cancellation_token: CancellationToken
    ) -> TextMessage:
        several_system = bool(self._model_client.model_info.get("multiple_system_messages", False))

        def framing(text: str) -> LLMMessage:
            # Models that take one system message get the framing as user messages instead.
            return SystemMessage(content=text) if several_system else UserMessage(content=text, source="user")

        prompt: list[LLMMessage] = [framing(self._instruction)]
        prompt.extend(m.to_model_message() for m in transcript if isinstance(m, BaseChatMessage))
        prompt.append(framing(self._response_prompt))
        client = self._model_client
        if hooks.observer is not None:
            client = hooks.observer.model(client, self.name)
        result = await client.create(prompt, cancellation_token=cancellation_token)
        if not isinstance(result.content, str):
            raise TypeError(
                f"SocietyOfMindAgent {self.name!r} expected text from its model, got {type(result.content).__name__}; "
                "use a model client that answers in text (no tools are offered)"
            )
        return TextMessage(source=self.name, content=result.content, models_usage=result.usage)

    async def on_reset(self, cancellation_token: CancellationToken) -> None:
        await self._team.reset()
        await self._model_context.clear()

    async def savepoint(self) -> Savepoint:
        """The inner team's savepoint and the model context's: a turn runs the one and adds to the other."""
        return Savepoints([await self._team.savepoint(), await context_savepoint(self._model_context)])

    async def save_state(self) -> Mapping[str, Any]:
        team_state = await self._team.save_state()
        return SocietyOfMindAgentState(inner_team_state=dict(team_state)).model_dump()

    async def load_state(self, state: Mapping[str, Any]) -> None:
        saved = SocietyOfMindAgentState.model_validate(state)
        await self._team.load_state(saved.inner_team_state)
