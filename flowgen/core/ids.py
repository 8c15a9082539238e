"""Agent and topic identifiers, as AutoGen's core names them.

Example:
    >>> AgentId("worker", "session-1"), str(TopicId("work", "session-1"))
    (AgentId(type="worker", key="session-1"), 'work/session-1')
    >>> AgentId.from_str("worker/a/b").key
    'a/b'
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypedDict

_AGENT_TYPE = re.compile(r"^[\w\-\.]+\Z")
_TOPIC_TYPE = re.compile(r"^[\w\-\.\:\=]+\Z")


def is_valid_agent_type(value: str) -> bool:
    """Whether ``value`` may name an agent type: letters, digits, ``_``, ``-`` and ``.``."""
    return _AGENT_TYPE.match(value) is not None


def is_valid_topic_type(value: str) -> bool:
    """Whether ``value`` may name a topic type: an agent type's characters plus ``:`` and ``=``."""
    return _TOPIC_TYPE.match(value) is not None


@dataclass(eq=True, frozen=True, slots=True)
class AgentType:
    """The name agents are registered under; one factory per type."""

    type: str


class AgentId:
    """An agent's address: its type (which factory makes it) and a key within that type.

    Hashable and immutable, so it keys the runtime's tables directly.
    """

    __slots__ = ("_hash", "_key", "_type")

    def __init__(self, type: str | AgentType, key: str) -> None:
        if isinstance(type, AgentType):
            type = type.type
        if not isinstance(type, str) or _AGENT_TYPE.match(type) is None:
            raise ValueError(
                f"invalid agent type {type!r}: an agent type may hold only letters, digits, "
                r"'_', '-' and '.' (the pattern ^[\w\-\.]+\Z)"
            )
        if not isinstance(key, str):
            raise ValueError(f"invalid agent key {key!r}: an agent key is a string")
        self._type = type
        self._key = key
        self._hash = hash((type, key))

    @property
    def type(self) -> str:
        """The agent type: which registered factory makes this agent."""
        return self._type

    @property
    def key(self) -> str:
        """The instance key within the type (e.g. a session id)."""
        return self._key

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, AgentId):
            return False
        return self._type == other._type and self._key == other._key

    def __str__(self) -> str:
        return f"{self._type}/{self._key}"

    def __repr__(self) -> str:
        return f'AgentId(type="{self._type}", key="{self._key}")'

    def __reduce__(self) -> tuple[Callable[..., AgentId], tuple[str, str]]:
        return (AgentId, (self._type, self._key))

    @classmethod
    def from_str(cls, agent_id: str) -> AgentId:
        """Parse ``"type/key"`` (the key may itself contain ``/``)."""
        type_, sep, key = agent_id.partition("/")
        if not sep:
            raise ValueError(f"invalid agent id {agent_id!r}: expected the form 'type/key'")
        return cls(type_, key)


@dataclass(eq=True, frozen=True, slots=True)
class TopicId:
    """Where a message is published: a topic type and the source (context) within it."""

    type: str
    source: str

    def __post_init__(self) -> None:
        if not isinstance(self.type, str) or _TOPIC_TYPE.match(self.type) is None:
            raise ValueError(
                f"invalid topic type {self.type!r}: a topic type may hold only letters, digits, "
                r"'_', '-', '.', ':' and '=' (the pattern ^[\w\-\.\:\=]+\Z)"
            )

    def __str__(self) -> str:
        return f"{self.type}/{self.source}"

    @classmethod
    def from_str(cls, topic_id: str) -> TopicId:
        """Parse ``"type/source"`` (the source may itself contain ``/``)."""
        type_, sep, source = topic_id.partition("/")
        if not sep:
            raise ValueError(f"invalid topic id {topic_id!r}: expected the form 'type/source'")
        return cls(type_, source)


class AgentMetadata(TypedDict):
    """What the runtime reports about an agent: its id's parts and its description."""

    type: str
    key: str
    description: str
