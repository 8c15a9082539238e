"""Subscriptions: which agent (type and key) receives a message published to a topic.

A subscription maps a topic to an agent id; the topic's *source* becomes the agent's *key*, so one
subscription serves every session: a publish to ``work/session-7`` reaches ``worker/session-7``,
which the runtime creates on first use.

Example:
    >>> sub = TypeSubscription("work", "worker", id="s1")
    >>> sub.is_match(TopicId("work", "session-7")), sub.map_to_agent(TopicId("work", "session-7"))
    (True, AgentId(type="worker", key="session-7"))
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar, overload, runtime_checkable

from flowgen.core.ids import AgentId, AgentType, TopicId
from flowgen.core.instantiation import SubscriptionInstantiationContext
from flowgen.errors import CantHandleException


@runtime_checkable
class Subscription(Protocol):
    """Matches topics and maps each matching topic to the agent that receives it."""

    @property
    def id(self) -> str: ...

    def is_match(self, topic_id: TopicId) -> bool: ...

    def map_to_agent(self, topic_id: TopicId) -> AgentId: ...


UnboundSubscription = Callable[[], "list[Subscription] | Awaitable[list[Subscription]]"]


def _agent_type_name(agent_type: str | AgentType) -> str:
    return agent_type.type if isinstance(agent_type, AgentType) else agent_type


class _SourceKeyed:
    """A subscription whose topics go to one agent type, keyed by the topic's source.

    Subclasses say which topic types match (``_pattern`` is their topic type or prefix); two
    subscriptions of one family are equal when their ids match or they route the same way.
    """

    __slots__ = ("_agent_type", "_id", "_pattern")
    _family = ""

    def __init__(self, pattern: str, agent_type: str | AgentType, id: str | None = None) -> None:
        self._pattern = pattern
        self._agent_type = _agent_type_name(agent_type)
        self._id = id or str(uuid.uuid4())

    @property
    def id(self) -> str:
        return self._id

    @property
    def agent_type(self) -> str:
        return self._agent_type

    def is_match(self, topic_id: TopicId) -> bool:
        raise NotImplementedError

    def map_to_agent(self, topic_id: TopicId) -> AgentId:
        if not self.is_match(topic_id):
            raise CantHandleException(f"topic {topic_id} does not match subscription {self!r}")
        return AgentId(self._agent_type, topic_id.source)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _SourceKeyed) or other._family != self._family:
            return False
        return self._id == other._id or (
            self._agent_type == other._agent_type and self._pattern == other._pattern
        )

    def __hash__(self) -> int:
        return hash((self._pattern, self._agent_type))


class TypeSubscription(_SourceKeyed):
    """Topics of exactly ``topic_type`` go to ``agent_type``, keyed by the topic's source."""

    __slots__ = ()
    _family = "type"

    def __init__(self, topic_type: str, agent_type: str | AgentType, id: str | None = None) -> None:
        super().__init__(topic_type, agent_type, id)

    @property
    def topic_type(self) -> str:
        return self._pattern

    def is_match(self, topic_id: TopicId) -> bool:
        return topic_id.type == self._pattern

    def __repr__(self) -> str:
        return f"TypeSubscription(topic_type={self._pattern!r}, agent_type={self._agent_type!r}, id={self._id!r})"


class TypePrefixSubscription(_SourceKeyed):
    """Topics whose type starts with ``topic_type_prefix`` go to ``agent_type``, keyed by source."""

    __slots__ = ()
    _family = "prefix"

    def __init__(self, topic_type_prefix: str, agent_type: str | AgentType, id: str | None = None) -> None:
        super().__init__(topic_type_prefix, agent_type, id)

    @property
    def topic_type_prefix(self) -> str:
        return self._pattern

    def is_match(self, topic_id: TopicId) -> bool:
        return topic_id.type.startswith(self._pattern)

    def __repr__(self) -> str:
        return (
            f"TypePrefixSubscription(topic_type_prefix={self._pattern!r}, "
            f"agent_type={self._agent_type!r}, id={self._id!r})"
        )


class DefaultSubscription(TypeSubscription):
    """A TypeSubscription to the ``"default"`` topic type for the agent type being registered."""

    __slots__ = ()

    def __init__(self, topic_type: str = "default", agent_type: str | AgentType | None = None) -> None:
        if agent_type is None:
            try:
                agent_type = SubscriptionInstantiationContext.agent_type()
            except RuntimeError as e:
                raise CantHandleException(
                    "DefaultSubscription() without agent_type= must be made while an agent type is "
                    "registered (a class decorator or BaseAgent.register); pass agent_type= otherwise"
                ) from e
        super().__init__(topic_type, agent_type)


_AgentClass = TypeVar("_AgentClass", bound=type)


def subscription_factory(subscription: UnboundSubscription) -> Callable[[_AgentClass], _AgentClass]:
    """A class decorator adding ``subscription`` to the class's subscriptions, made at registration."""

    def decorator(cls: _AgentClass) -> _AgentClass:
        cls.internal_unbound_subscriptions_list.append(subscription)  # type: ignore[attr-defined]
        return cls

    return decorator


@overload
def default_subscription() -> Callable[[_AgentClass], _AgentClass]: ...


@overload
def default_subscription(cls: _AgentClass) -> _AgentClass: ...


def default_subscription(
    cls: _AgentClass | None = None,
) -> Callable[[_AgentClass], _AgentClass] | _AgentClass:
    """Subscribe the agent class to the ``"default"`` topic type (usable with or without parentheses)."""
    decorator: Callable[[_AgentClass], _AgentClass] = subscription_factory(lambda: [DefaultSubscription()])
    return decorator if cls is None else decorator(cls)


def type_subscription(topic_type: str) -> Callable[[_AgentClass], _AgentClass]:
    """Subscribe the agent class to ``topic_type``."""
    return subscription_factory(lambda: [DefaultSubscription(topic_type=topic_type)])
