"""MessageFilterAgent: an agent that sees only some of the messages it is given (AutoGen's names).

The wrapper narrows the new messages with a :class:`~flowgen.graph.MessageFilterConfig` — per source,
all of them or the first or last few — and passes the rest to the agent it wraps. In a graph the
same filter can sit on the node instead (``DiGraphBuilder.add_node(agent, sees=...)``), where it is
part of the graph's data (saved, analysed); this wrapper is for AutoGen programs and for agents used alone.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping, Sequence
from typing import Any

from flowgen.agents.base_chat_agent import BaseChatAgent
from flowgen.base import ChatAgent, Response, Savepoint
from flowgen.core import CancellationToken
from flowgen.graph.message_filter import MessageFilterConfig, PerSourceFilter
from flowgen.messages import BaseAgentEvent, BaseChatMessage

__all__ = ["MessageFilterAgent", "MessageFilterConfig", "PerSourceFilter"]


class MessageFilterAgent(BaseChatAgent):
    """Wraps an agent so that it receives only the messages ``filter`` keeps.

    Args:
        name: the wrapper's name (the name the team knows it by).
        wrapped_agent: the agent that answers.
        filter: which sources it hears, and how many of each one's new messages.

    Example:
        >>> import asyncio
        >>> from flowgen.messages import TextMessage
        >>> from flowgen.testing import ScriptedAgent
        >>> inner = ScriptedAgent("a", ["ok"])
        >>> agent = MessageFilterAgent(
        ...     "a", inner, MessageFilterConfig(per_source=[PerSourceFilter(source="b", position="last", count=1)])
        ... )
        >>> new = [TextMessage(source=s, content=c) for s, c in [("user", "task"), ("b", "one"), ("b", "two")]]
        >>> _ = asyncio.run(agent.on_messages(new, CancellationToken()))
        >>> [m.to_text() for m in inner.received[0]]
        ['two']
    """

    def __init__(self, name: str, wrapped_agent: ChatAgent, filter: MessageFilterConfig) -> None:
        super().__init__(name=name, description=f"{wrapped_agent.description} (with message filtering)")
        self._wrapped_agent = wrapped_agent
        self._filter = filter

    @property
    def wrapped_agent(self) -> ChatAgent:
        return self._wrapped_agent

    @property
    def filter(self) -> MessageFilterConfig:
        return self._filter

    @property
    def produced_message_types(self) -> Sequence[type[BaseChatMessage]]:
        return self._wrapped_agent.produced_message_types

    async def on_messages(
        self, messages: Sequence[BaseChatMessage], cancellation_token: CancellationToken
    ) -> Response:
        return await self._wrapped_agent.on_messages(self._filter.apply(messages), cancellation_token)

    async def on_messages_stream(
        self, messages: Sequence[BaseChatMessage], cancellation_token: CancellationToken
    ) -> AsyncGenerator[BaseAgentEvent | BaseChatMessage | Response, None]:
        async for item in self._wrapped_agent.on_messages_stream(
            self._filter.apply(messages), cancellation_token
        ):
            yield item

    async def on_reset(self, cancellation_token: CancellationToken) -> None:
        await self._wrapped_agent.on_reset(cancellation_token)

    async def on_pause(self, cancellation_token: CancellationToken) -> None:
        await self._wrapped_agent.on_pause(cancellation_token)

    async def on_resume(self, cancellation_token: CancellationToken) -> None:
        await self._wrapped_agent.on_resume(cancellation_token)

    async def save_state(self) -> Mapping[str, Any]:
        # The wrapped agent's state: a team saved mid-run resumes with the agent's history intact.
        return await self._wrapped_agent.save_state()

    async def load_state(self, state: Mapping[str, Any]) -> None:
        await self._wrapped_agent.load_state(state)

    async def savepoint(self) -> Savepoint:
        """The wrapped agent's savepoint: a turn changes only the agent it wraps."""
        return await self._wrapped_agent.savepoint()

    async def close(self) -> None:
        await self._wrapped_agent.close()
