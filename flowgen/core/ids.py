"""Agent and topic identifiers, as AutoGen's core names them."""

from __future__ import annotations

import re
from dataclasses import dataclass

_TYPE = re.compile(r"^[\w\-\.]+\Z")


@dataclass(frozen=True, slots=True)
class AgentId:
    """An agent's address: its type and a key within that type."""

    type: str
    key: str

    def __post_init__(self) -> None:
        if not _TYPE.match(self.type):
            raise ValueError(f"invalid agent type {self.type!r}: use letters, digits, '_', '-' and '.'")

    def __str__(self) -> str:
        return f"{self.type}/{self.key}"

    @classmethod
    def from_str(cls, agent_id: str) -> AgentId:
        type_, sep, key = agent_id.partition("/")
        if not sep:
            raise ValueError(f"invalid agent id {agent_id!r}: expected 'type/key'")
        return cls(type_, key)


@dataclass(frozen=True, slots=True)
class TopicId:
    """A topic a message is published to: its type and the source within it."""

    type: str
    source: str

    def __str__(self) -> str:
        return f"{self.type}/{self.source}"
