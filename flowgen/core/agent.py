"""The Agent protocol and BaseAgent: an addressable actor the runtime creates and delivers to."""

from __future__ import annotations

import builtins
import contextlib
import inspect
import warnings
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeVar, runtime_checkable

from flowgen.core.cancellation import CancellationToken
from flowgen.core.ids import AgentId, AgentMetadata, AgentType, TopicId
from flowgen.core.instantiation import AgentInstantiationContext, SubscriptionInstantiationContext
from flowgen.core.message_context import MessageContext
from flowgen.core.serialization import MessageSerializer, try_get_known_serializers_for_type
from flowgen.core.subscriptions import (
    Subscription,
    TypePrefixSubscription,
    TypeSubscription,
    UnboundSubscription,
)

if TYPE_CHECKING:
    from typing import Self

    from flowgen.core.agent_runtime import AgentRuntime


@runtime_checkable
class Agent(Protocol):
    """What the runtime needs of an agent."""

    @property
    def metadata(self) -> AgentMetadata: ...

    @property
    def id(self) -> AgentId: ...

    async def bind_id_and_runtime(self, id: AgentId, runtime: AgentRuntime) -> None: ...

    async def on_message(self, message: Any, ctx: MessageContext) -> Any: ...

    async def save_state(self) -> Mapping[str, Any]: ...

    async def load_state(self, state: Mapping[str, Any]) -> None: ...

    async def close(self) -> None: ...


_B = TypeVar("_B", bound="BaseAgent")


def handles(
    type: builtins.type[Any], serializer: MessageSerializer[Any] | list[MessageSerializer[Any]] | None = None
) -> Callable[[builtins.type[_B]], builtins.type[_B]]:
    """Declare (for serialization) that the agent class handles ``type``."""

    def decorator(cls: builtins.type[_B]) -> builtins.type[_B]:
        if serializer is None:
            serializers = try_get_known_serializers_for_type(type)
        else:
            serializers = list(serializer) if isinstance(serializer, Sequence) else [serializer]
        if not serializers:
            raise ValueError(f"no serializer is known for {type!r}: pass serializer= explicitly")
        cls.internal_extra_handles_types.append((type, serializers))
        return cls

    return decorator


async def _make_subscriptions(
    agent_type: AgentType, unbound: Sequence[UnboundSubscription]
) -> list[Subscription]:
    made: list[Subscription] = []
    with SubscriptionInstantiationContext.populate_context(agent_type):
        for factory in unbound:
            result = factory()
            made.extend(await result if inspect.isawaitable(result) else result)
    return made


class BaseAgent(ABC):
    """An agent with an id and a runtime; subclasses implement :meth:`on_message_impl`.

    Class decorators (``@default_subscription``, ``@type_subscription``) add subscriptions that
    :meth:`register` makes for the type; :meth:`register` also subscribes the type to direct topics
    (``"<type>:"`` prefixed), as AutoGen does.
    """

    internal_unbound_subscriptions_list: ClassVar[list[UnboundSubscription]] = []
    internal_extra_handles_types: ClassVar[list[tuple[type[Any], list[MessageSerializer[Any]]]]] = []

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # Each class keeps its own lists: a decorator on one class must not reach its siblings.
        cls.internal_unbound_subscriptions_list = []
        cls.internal_extra_handles_types = []

    def __init__(self, description: str) -> None:
        if AgentInstantiationContext.is_in_factory_call():
            self._runtime: AgentRuntime = AgentInstantiationContext.current_runtime()
            self._id: AgentId = AgentInstantiationContext.current_agent_id()
        if not isinstance(description, str):
            raise ValueError(f"an agent's description must be a string, got {type(description).__name__}")
        self._description = description

    @classmethod
    def _handles_types(cls) -> list[tuple[type[Any], list[MessageSerializer[Any]]]]:
        return list(cls.internal_extra_handles_types)

    @classmethod
    def _unbound_subscriptions(cls) -> list[UnboundSubscription]:
        return cls.internal_unbound_subscriptions_list

    @property
    def metadata(self) -> AgentMetadata:
        return AgentMetadata(type=self.id.type, key=self.id.key, description=self._description)

    async def bind_id_and_runtime(self, id: AgentId, runtime: AgentRuntime) -> None:
        if getattr(self, "_id", id) != id:
            raise RuntimeError(f"agent is already bound to id {self._id}, not {id}")
        if getattr(self, "_runtime", runtime) is not runtime:
            raise RuntimeError("agent is already bound to a different runtime")
        self._id = id
        self._runtime = runtime

    @property
    def type(self) -> str:
        return self.id.type

    @property
    def id(self) -> AgentId:
        try:
            return self._id
        except AttributeError:
            # An AttributeError (not RuntimeError) keeps hasattr() and protocol checks working.
            raise AttributeError(
                f"{type(self).__name__} has no id yet: it gets one when a runtime creates it from a "
                "registered factory, or from register_instance"
            ) from None

    @property
    def runtime(self) -> AgentRuntime:
        try:
            return self._runtime
        except AttributeError:
            raise AttributeError(f"{type(self).__name__} is not bound to a runtime yet") from None

    async def on_message(self, message: Any, ctx: MessageContext) -> Any:
        return await self.on_message_impl(message, ctx)

    @abstractmethod
    async def on_message_impl(self, message: Any, ctx: MessageContext) -> Any: ...

    async def send_message(
        self,
        message: Any,
        recipient: AgentId,
        *,
        cancellation_token: CancellationToken | None = None,
        message_id: str | None = None,
    ) -> Any:
        """Send ``message`` to ``recipient`` and return its reply (this agent is the sender)."""
        return await self.runtime.send_message(
            message, recipient, sender=self.id, cancellation_token=cancellation_token, message_id=message_id
        )

    async def publish_message(
        self,
        message: Any,
        topic_id: TopicId,
        *,
        cancellation_token: CancellationToken | None = None,
    ) -> None:
        """Publish ``message`` to ``topic_id``; it never comes back to this agent."""
        await self.runtime.publish_message(
            message, topic_id, sender=self.id, cancellation_token=cancellation_token
        )

    async def save_state(self) -> Mapping[str, Any]:
        warnings.warn(f"{type(self).__name__}.save_state is not implemented", stacklevel=2)
        return {}

    async def load_state(self, state: Mapping[str, Any]) -> None:
        warnings.warn(f"{type(self).__name__}.load_state is not implemented", stacklevel=2)

    async def close(self) -> None:  # noqa: B027 - optional hook: most agents hold nothing
        """Release what the agent holds; called by ``runtime.close()``."""

    async def register_instance(
        self,
        runtime: AgentRuntime,
        agent_id: AgentId,
        *,
        skip_class_subscriptions: bool = True,
        skip_direct_message_subscription: bool = False,
    ) -> AgentId:
        """Register this instance as ``agent_id``, subscribed to the topic type named by its key."""
        agent_id = await runtime.register_agent_instance(agent_instance=self, agent_id=agent_id)  # type: ignore[arg-type]
        await runtime.add_subscription(TypeSubscription(topic_type=agent_id.key, agent_type=agent_id.type))
        if not skip_class_subscriptions:
            for subscription in await _make_subscriptions(
                AgentType(agent_id.type), self._unbound_subscriptions()
            ):
                await runtime.add_subscription(subscription)
        if not skip_direct_message_subscription:
            # A second instance of the type: the type's direct subscription exists already.
            with contextlib.suppress(ValueError):
                await runtime.add_subscription(TypePrefixSubscription(agent_id.type + ":", agent_id.type))
        for _message_type, serializers in self._handles_types():
            runtime.add_message_serializer(serializers)
        return agent_id

    @classmethod
    async def register(
        cls,
        runtime: AgentRuntime,
        type: str,
        factory: Callable[[], Self | Awaitable[Self]],
        *,
        skip_class_subscriptions: bool = False,
        skip_direct_message_subscription: bool = False,
    ) -> AgentType:
        """Register ``factory`` for agent type ``type``, with the class's subscriptions."""
        agent_type = await runtime.register_factory(
            type=AgentType(type), agent_factory=factory, expected_class=cls
        )  # type: ignore[arg-type]
        if not skip_class_subscriptions:
            for subscription in await _make_subscriptions(agent_type, cls._unbound_subscriptions()):
                await runtime.add_subscription(subscription)
        if not skip_direct_message_subscription:
            # The ':' keeps the prefix from matching another type whose name starts the same way.
            await runtime.add_subscription(TypePrefixSubscription(agent_type.type + ":", agent_type.type))
        for _message_type, serializers in cls._handles_types():
            runtime.add_message_serializer(serializers)
        return agent_type
