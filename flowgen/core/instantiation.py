"""Context variables the runtime sets while it builds an agent, registers subscriptions, or runs a handler.

A factory takes no arguments (AutoGen's convention): the agent it builds learns its runtime and id
from :class:`AgentInstantiationContext`; a class-level subscription learns its agent type from
:class:`SubscriptionInstantiationContext`; :class:`~flowgen.core.DefaultTopicId` reads the handling
agent's key from :class:`MessageHandlerContext`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, ClassVar

from flowgen.core.ids import AgentId, AgentType

if TYPE_CHECKING:
    from flowgen.core.agent_runtime import AgentRuntime


class _StaticContext:
    def __init__(self) -> None:
        raise RuntimeError(f"{type(self).__name__} is a static class: use its class methods")


class AgentInstantiationContext(_StaticContext):
    """The runtime and agent id of the agent a factory is building.

    Example:
        >>> AgentInstantiationContext.is_in_factory_call()
        False
    """

    _VAR: ClassVar[ContextVar[tuple[AgentRuntime, AgentId] | None]] = ContextVar(
        "flowgen_agent_instantiation", default=None
    )

    @classmethod
    @contextmanager
    def populate_context(cls, ctx: tuple[AgentRuntime, AgentId]) -> Iterator[None]:
        token = cls._VAR.set(ctx)
        try:
            yield
        finally:
            cls._VAR.reset(token)

    @classmethod
    def _current(cls) -> tuple[AgentRuntime, AgentId]:
        ctx = cls._VAR.get()
        if ctx is None:
            raise RuntimeError(
                "no agent is being instantiated: an agent's runtime and id are known only inside a "
                "factory the runtime calls; register a factory (BaseAgent.register) instead of "
                "constructing the agent directly"
            )
        return ctx

    @classmethod
    def current_runtime(cls) -> AgentRuntime:
        return cls._current()[0]

    @classmethod
    def current_agent_id(cls) -> AgentId:
        return cls._current()[1]

    @classmethod
    def is_in_factory_call(cls) -> bool:
        return cls._VAR.get() is not None


class SubscriptionInstantiationContext(_StaticContext):
    """The agent type whose class-level subscriptions are being made."""

    _VAR: ClassVar[ContextVar[AgentType | None]] = ContextVar(
        "flowgen_subscription_instantiation", default=None
    )

    @classmethod
    @contextmanager
    def populate_context(cls, ctx: AgentType) -> Iterator[None]:
        token = cls._VAR.set(ctx)
        try:
            yield
        finally:
            cls._VAR.reset(token)

    @classmethod
    def agent_type(cls) -> AgentType:
        ctx = cls._VAR.get()
        if ctx is None:
            raise RuntimeError(
                "no agent type is being registered: this subscription needs an explicit agent_type "
                "outside BaseAgent.register"
            )
        return ctx


class MessageHandlerContext(_StaticContext):
    """The id of the agent whose handler is running."""

    _VAR: ClassVar[ContextVar[AgentId | None]] = ContextVar("flowgen_message_handler", default=None)

    @classmethod
    @contextmanager
    def populate_context(cls, ctx: AgentId) -> Iterator[None]:
        token = cls._VAR.set(ctx)
        try:
            yield
        finally:
            cls._VAR.reset(token)

    @classmethod
    def agent_id(cls) -> AgentId:
        ctx = cls._VAR.get()
        if ctx is None:
            raise RuntimeError("no message handler is running in this context")
        return ctx
