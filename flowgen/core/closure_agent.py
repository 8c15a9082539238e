"""ClosureAgent: an agent made from one async function, e.g. to gather a program's output."""

from __future__ import annotations

import inspect
import typing
import warnings
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar

from flowgen.core.agent import BaseAgent, _make_subscriptions
from flowgen.core.cancellation import CancellationToken
from flowgen.core.ids import AgentId, AgentType, TopicId
from flowgen.core.instantiation import AgentInstantiationContext
from flowgen.core.message_context import MessageContext
from flowgen.core.routed_agent import get_types
from flowgen.core.serialization import try_get_known_serializers_for_type
from flowgen.errors import CantHandleException

if TYPE_CHECKING:
    from flowgen.core.agent_runtime import AgentRuntime
    from flowgen.core.subscriptions import Subscription

T = TypeVar("T")


class ClosureContext(Protocol):
    """What a closure can do: know its id, send and publish."""

    @property
    def id(self) -> AgentId: ...

    async def send_message(
        self,
        message: Any,
        recipient: AgentId,
        *,
        cancellation_token: CancellationToken | None = None,
        message_id: str | None = None,
    ) -> Any: ...

    async def publish_message(
        self, message: Any, topic_id: TopicId, *, cancellation_token: CancellationToken | None = None
    ) -> None: ...


def _closure_types(closure: Callable[..., Any]) -> tuple[type[Any], ...]:
    params = list(inspect.signature(closure).parameters)
    if len(params) != 3:
        raise AssertionError(
            f"a closure takes (context, message, ctx): {getattr(closure, '__qualname__', closure)} takes {params}"
        )
    hints = typing.get_type_hints(closure)
    if "return" not in hints:
        raise AssertionError("annotate the closure's return type (use -> None for none)")
    targets = get_types(hints.get(params[1]))
    if targets is None:
        raise AssertionError(
            f"annotate the closure's {params[1]!r} parameter with the message type(s) it takes"
        )
    return targets


class ClosureAgent(BaseAgent):
    """Runs ``closure(agent, message, ctx)`` for each message of the closure's annotated type(s).

    Build it with :meth:`register_closure`; ``unknown_type_policy`` decides what a message of another
    type does: ``"warn"`` (the default), ``"error"`` (CantHandleException) or ``"ignore"``.
    """

    def __init__(
        self,
        description: str,
        closure: Callable[[ClosureContext, T, MessageContext], Awaitable[Any]],
        *,
        unknown_type_policy: Literal["error", "warn", "ignore"] = "warn",
    ) -> None:
        if not AgentInstantiationContext.is_in_factory_call():
            raise RuntimeError(
                "a ClosureAgent is made by its runtime: use ClosureAgent.register_closure(runtime, type, closure)"
            )
        super().__init__(description)
        self._expected_types = _closure_types(closure)
        self._closure = closure
        self._unknown_type_policy = unknown_type_policy

    async def on_message_impl(self, message: Any, ctx: MessageContext) -> Any:
        if type(message) not in self._expected_types:
            note = f"{type(message).__name__} is not one of {self._expected_types} taken by {self.id}"
            if self._unknown_type_policy == "error":
                raise CantHandleException(note)
            if self._unknown_type_policy == "warn":
                warnings.warn(
                    note + " (unknown_type_policy='error' raises, 'ignore' is silent)", stacklevel=1
                )
            return None
        return await self._closure(self, message, ctx)

    async def save_state(self) -> Mapping[str, Any]:
        return {}

    async def load_state(self, state: Mapping[str, Any]) -> None:
        return None

    @classmethod
    async def register_closure(
        cls,
        runtime: AgentRuntime,
        type: str,
        closure: Callable[[ClosureContext, T, MessageContext], Awaitable[Any]],
        *,
        unknown_type_policy: Literal["error", "warn", "ignore"] = "warn",
        skip_direct_message_subscription: bool = False,
        description: str = "",
        subscriptions: Callable[[], list[Subscription] | Awaitable[list[Subscription]]] | None = None,
    ) -> AgentType:
        """Register a factory making a ClosureAgent around ``closure``, with ``subscriptions()``."""
        handled = _closure_types(closure)  # fail at registration, not at first message

        def factory() -> ClosureAgent:
            return ClosureAgent(description, closure, unknown_type_policy=unknown_type_policy)

        agent_type = await cls.register(
            runtime,
            type,
            factory,
            skip_class_subscriptions=True,
            skip_direct_message_subscription=skip_direct_message_subscription,
        )
        if subscriptions is not None:
            for subscription in await _make_subscriptions(agent_type, [subscriptions]):
                await runtime.add_subscription(subscription)
        for message_type in handled:
            runtime.add_message_serializer(try_get_known_serializers_for_type(message_type))
        declare = getattr(runtime, "declare_handled_types", None)
        if declare is not None:  # lets `flowgen check` know what the closure takes
            declare(agent_type.type, handled)
        return agent_type
