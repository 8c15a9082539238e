"""RemoteParticipant: a team participant built by a factory in its Ray actor, never in the driver.

For an agent that cannot be made in the driver, dumped or pickled (a model held in the actor's
memory, an SDK client bound to the node), give the team a RemoteParticipant: the factory travels to
the actor (pickled with the runtime's directory, like any factory) and makes the agent there, on
first use. The driver knows only what the team needs: the name, the description and the message
types the agent produces.

Example:
    >>> from flowgen.agents import AssistantAgent
    >>> from flowgen.models import ReplayChatCompletionClient
    >>> writer = RemoteParticipant("writer", lambda: AssistantAgent("writer", ReplayChatCompletionClient(["hi"])))
    >>> writer.name, [t.__name__ for t in writer.produced_message_types]
    ('writer', ['TextMessage'])
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable, Sequence

from flowgen.agents.base_chat_agent import BaseChatAgent
from flowgen.base import ChatAgent, Response
from flowgen.core.cancellation import CancellationToken
from flowgen.errors import ConfigurationError
from flowgen.messages import BaseAgentEvent, BaseChatMessage, TextMessage


class RemoteParticipant(BaseChatAgent):
    """Stands in a team for the agent ``factory`` makes in the participant's Ray actor.

    Args:
        name: the participant's name (the agent the factory makes must have it).
        factory: makes the agent, in the actor; must be picklable (a module-level function, or a
            closure over picklable values).
        description: what the agent does, for selectors.
        produced_message_types: the chat message types the agent says (``TextMessage`` by default).
    """

    def __init__(
        self,
        name: str,
        factory: Callable[[], ChatAgent],
        *,
        description: str = "An agent hosted on a Ray cluster.",
        produced_message_types: Sequence[type[BaseChatMessage]] = (TextMessage,),
    ) -> None:
        super().__init__(name, description)
        if not callable(factory):
            raise ConfigurationError(
                f"RemoteParticipant {name!r} needs a factory (a callable), not {factory!r}"
            )
        self.factory = factory
        self._produced = tuple(produced_message_types)

    @property
    def produced_message_types(self) -> Sequence[type[BaseChatMessage]]:
        return self._produced

    def _nowhere(self) -> ConfigurationError:
        return ConfigurationError(
            f"RemoteParticipant {self.name!r} is made in a Ray actor: run its team with "
            "runtime=RayAgentRuntime(...)"
        )

    async def on_messages(
        self, messages: Sequence[BaseChatMessage], cancellation_token: CancellationToken
    ) -> Response:
        raise self._nowhere()

    async def on_messages_stream(
        self, messages: Sequence[BaseChatMessage], cancellation_token: CancellationToken
    ) -> AsyncGenerator[BaseAgentEvent | BaseChatMessage | Response, None]:
        raise self._nowhere()
        yield  # an async generator, as the interface says

    async def on_reset(self, cancellation_token: CancellationToken) -> None:
        return None
