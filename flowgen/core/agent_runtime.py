"""The AgentRuntime protocol: what every runtime (single-threaded, distributed) offers its agents."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

from flowgen.core.cancellation import CancellationToken
from flowgen.core.ids import AgentId, AgentMetadata, AgentType, TopicId

if TYPE_CHECKING:
    from flowgen.core.agent import Agent
    from flowgen.core.serialization import MessageSerializer
    from flowgen.core.subscriptions import Subscription

T = TypeVar("T", bound="Agent")


@runtime_checkable
class AgentRuntime(Protocol):
    """Delivers messages between agents addressed by id, and publishes to topics."""

    async def send_message(
        self,
        message: Any,
        recipient: AgentId,
        *,
        sender: AgentId | None = None,
        cancellation_token: CancellationToken | None = None,
        message_id: str | None = None,
    ) -> Any: ...

    async def publish_message(
        self,
        message: Any,
        topic_id: TopicId,
        *,
        sender: AgentId | None = None,
        cancellation_token: CancellationToken | None = None,
        message_id: str | None = None,
    ) -> None: ...

    async def register_factory(
        self,
        type: str | AgentType,
        agent_factory: Callable[[], T | Awaitable[T]],
        *,
        expected_class: type[T] | None = None,
    ) -> AgentType: ...

    async def register_agent_instance(self, agent_instance: Agent, agent_id: AgentId) -> AgentId: ...

    async def try_get_underlying_agent_instance(self, id: AgentId, type: type[T] = ...) -> T: ...

    async def get(
        self, id_or_type: AgentId | AgentType | str, /, key: str = "default", *, lazy: bool = True
    ) -> AgentId: ...

    async def save_state(self) -> Mapping[str, Any]: ...

    async def load_state(self, state: Mapping[str, Any]) -> None: ...

    async def agent_metadata(self, agent: AgentId) -> AgentMetadata: ...

    async def agent_save_state(self, agent: AgentId) -> Mapping[str, Any]: ...

    async def agent_load_state(self, agent: AgentId, state: Mapping[str, Any]) -> None: ...

    async def add_subscription(self, subscription: Subscription) -> None: ...

    async def remove_subscription(self, id: str) -> None: ...

    def add_message_serializer(
        self, serializer: MessageSerializer[Any] | Sequence[MessageSerializer[Any]]
    ) -> None: ...
