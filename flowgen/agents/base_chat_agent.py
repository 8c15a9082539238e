"""BaseChatAgent: the class custom agents subclass, exactly as with AutoGen's."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Mapping, Sequence
from typing import Any

from flowgen.agents.state import BaseState
from flowgen.agents.task import Task, task_messages
from flowgen.base import NO_SAVEPOINT, ChatAgent, Response, Savepoint, TaskResult
from flowgen.core import CancellationToken
from flowgen.errors import ConfigurationError
from flowgen.messages import BaseAgentEvent, BaseChatMessage, ModelClientStreamingChunkEvent
from flowgen.telemetry import hooks


def check_agent_name(name: object) -> str:
    if not isinstance(name, str) or not name.isidentifier():
        raise ConfigurationError(
            f"invalid agent name {name!r}: an agent name must be a valid Python identifier (letters, digits "
            "and '_', not starting with a digit), e.g. 'research_assistant'"
        )
    return name


async def final_response(stream: AsyncIterable[BaseAgentEvent | BaseChatMessage | Response]) -> Response:
    """The Response that ends an agent's ``on_messages_stream``, for agents whose ``on_messages`` reads it.

    The stream is read to its end even after the Response, so that it finishes cleanly.
    """
    response: Response | None = None
    async for item in stream:
        if isinstance(item, Response):
            response = item
    assert response is not None, "on_messages_stream ended without a Response"
    return response


class BaseChatAgent(ChatAgent, ABC):
    """An agent that answers the messages it has not seen yet.

    Subclasses provide :attr:`produced_message_types`, :meth:`on_messages` and :meth:`on_reset`, and
    may override :meth:`on_messages_stream` to report events as they happen. The base class provides
    :meth:`run` and :meth:`run_stream`.

    Example:
        >>> import asyncio
        >>> from flowgen.messages import TextMessage
        >>> class Echo(BaseChatAgent):
        ...     @property
        ...     def produced_message_types(self):
        ...         return (TextMessage,)
        ...     async def on_messages(self, messages, cancellation_token):
        ...         return Response(chat_message=TextMessage(content=messages[-1].to_text(), source=self.name))
        ...     async def on_reset(self, cancellation_token):
        ...         pass
        >>> result = asyncio.run(Echo("echo", "Repeats you.").run(task="hello"))
        >>> [m.to_text() for m in result.messages]
        ['hello', 'hello']
    """

    component_type = "agent"

    def __init__(self, name: str, description: str) -> None:
        self._name = check_agent_name(name)
        self._description = description
        if hooks.observer is not None:
            hooks.observer.agent_created(self._name, type(self).__name__)

    @property
    def name(self) -> str:
        return self._name

    @property
    def description(self) -> str:
        return self._description

    @property
    @abstractmethod
    def produced_message_types(self) -> Sequence[type[BaseChatMessage]]:
        """The chat message types this agent can answer with."""

    @abstractmethod
    async def on_messages(
        self, messages: Sequence[BaseChatMessage], cancellation_token: CancellationToken
    ) -> Response:
        """Answer the new ``messages``; the agent keeps its own history."""

    async def on_messages_stream(
        self, messages: Sequence[BaseChatMessage], cancellation_token: CancellationToken
    ) -> AsyncGenerator[BaseAgentEvent | BaseChatMessage | Response, None]:
        """The inner events, then the Response. By default, what :meth:`on_messages` returns."""
        response = await self.on_messages(messages, cancellation_token)
        for inner in response.inner_messages or ():
            yield inner
        yield response

    async def run(
        self,
        *,
        task: Task = None,
        cancellation_token: CancellationToken | None = None,
        output_task_messages: bool = True,
    ) -> TaskResult:
        """Answer ``task`` once; the result holds the task (optionally), the inner events and the reply."""
        token = cancellation_token if cancellation_token is not None else CancellationToken()
        inputs = task_messages(task)
        output: list[BaseAgentEvent | BaseChatMessage] = list(inputs) if output_task_messages else []
        observer = hooks.observer
        if observer is not None:  # an agent run outside a team (directly, or as a tool) is a turn too
            scope = observer.agent_started(self._name)
            try:
                response = await self.on_messages(inputs, token)
            except BaseException as exc:
                observer.agent_finished(scope, (), exc)
                raise
            observer.agent_finished(scope, [*(response.inner_messages or ()), response.chat_message], None)
        else:
            response = await self.on_messages(inputs, token)
        if response.inner_messages is not None:
            output.extend(response.inner_messages)
        output.append(response.chat_message)
        return _result(output)

    async def run_stream(
        self,
        *,
        task: Task = None,
        cancellation_token: CancellationToken | None = None,
        output_task_messages: bool = True,
    ) -> AsyncGenerator[BaseAgentEvent | BaseChatMessage | TaskResult, None]:
        """Yield the task messages (optionally), each event, the reply, then the TaskResult."""
        token = cancellation_token if cancellation_token is not None else CancellationToken()
        inputs = task_messages(task)
        output: list[BaseAgentEvent | BaseChatMessage] = []
        if output_task_messages:
            for message in inputs:
                yield message
                output.append(message)
        replies: AsyncIterator[BaseAgentEvent | BaseChatMessage | Response] = self.on_messages_stream(
            inputs, token
        )
        observer = hooks.observer
        if observer is not None:
            replies = observer.agent_stream(self._name, replies)
        async for item in replies:
            if isinstance(item, Response):
                yield item.chat_message
                output.append(item.chat_message)
                yield _result(list(output))
                continue
            yield item
            # Chunks are previews of a message that follows in full; the result keeps only the message.
            if not isinstance(item, ModelClientStreamingChunkEvent):
                output.append(item)

    @abstractmethod
    async def on_reset(self, cancellation_token: CancellationToken) -> None:
        """Forget everything, back to the freshly constructed state."""

    async def on_pause(self, cancellation_token: CancellationToken) -> None:
        """Called when the team pauses this agent mid-turn; nothing to do by default."""

    async def on_resume(self, cancellation_token: CancellationToken) -> None:
        """Called when the team resumes this agent; nothing to do by default."""

    async def save_state(self) -> Mapping[str, Any]:
        """The agent's state; stateless agents save only their type."""
        return BaseState().model_dump()

    async def load_state(self, state: Mapping[str, Any]) -> None:
        """Restore what :meth:`save_state` returned."""
        BaseState.model_validate(state)

    async def savepoint(self) -> Savepoint:
        """What undoes a step this agent took part in: its saved state, or nothing for a stateless agent.

        An agent whose class keeps ``BaseChatAgent``'s ``save_state`` saves nothing, so it has nothing
        to restore. An agent that keeps state must save it in ``save_state`` (which ``save_state`` of its
        team needs anyway) or override this with something cheaper.
        """
        if type(self).save_state is BaseChatAgent.save_state:
            return NO_SAVEPOINT
        return await super().savepoint()

    async def close(self) -> None:
        """Release resources; nothing to release by default."""


def _result(messages: list[BaseAgentEvent | BaseChatMessage]) -> TaskResult:
    """The agent's run result, built without validation: its messages are already message objects.

    Validating would build TaskResult's schema, which spans every message type and the run trace.
    """
    return TaskResult.model_construct(messages=messages)
