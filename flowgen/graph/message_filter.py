"""Context scoping: which of the messages a node has not seen yet it is actually given.

By default every node receives all the chat messages it has not seen (AutoGen's semantics). A node
of the graph may narrow that with ``sees``, a :class:`MessageFilterConfig`: for each listed source,
all its new messages, or only the first or last few of them. The scheduler applies the filter each
time it delivers messages to the node; the messages stay in the thread (other nodes, termination
conditions and the trace still see them). The same configuration drives
``flowgen.agents.MessageFilterAgent`` (AutoGen's names), which filters inside a wrapper agent instead.

The filter is plain data, so it round-trips through JSON with the rest of the graph and is a node
attribute (``sees``) of ``to_networkx()``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from flowgen.messages import BaseChatMessage


class PerSourceFilter(BaseModel):
    """The messages kept from one source: all of them, or the first or last ``count``.

    Example:
        >>> PerSourceFilter(source="critic", position="last", count=1).describe()
        'last 1 from critic'
    """

    model_config = ConfigDict(frozen=True, defer_build=True)  # built on first use: few nodes filter

    source: str
    position: Literal["first", "last"] | None = None
    count: int | None = Field(default=None, ge=0)

    def keep(self, messages: Sequence[BaseChatMessage]) -> list[BaseChatMessage]:
        """This source's messages among ``messages``, narrowed by position and count, in order."""
        mine = [m for m in messages if m.source == self.source]
        if self.position == "first" and self.count:
            return mine[: self.count]
        if self.position == "last" and self.count:
            return mine[-self.count :]
        return mine

    def describe(self) -> str:
        if self.position is None or not self.count:
            return f"all from {self.source}"
        return f"{self.position} {self.count} from {self.source}"


class MessageFilterConfig(BaseModel):
    """The sources a node listens to. Messages from unlisted sources are not delivered.

    As with AutoGen, the kept messages are grouped by filter, in the order of ``per_source``
    (within one source they keep their thread order).

    Example:
        >>> from flowgen.messages import TextMessage
        >>> scope = MessageFilterConfig(
        ...     per_source=[
        ...         PerSourceFilter(source="user", position="first", count=1),
        ...         PerSourceFilter(source="critic", position="last", count=1),
        ...     ]
        ... )
        >>> new = [TextMessage(source=s, content=c) for s, c in
        ...        [("user", "task"), ("writer", "draft"), ("critic", "no"), ("critic", "better")]]
        >>> [m.to_text() for m in scope.apply(new)]
        ['task', 'better']
        >>> scope.describe()
        'sees first 1 from user, last 1 from critic'
    """

    model_config = ConfigDict(frozen=True, defer_build=True)  # built on first use: few nodes filter

    per_source: list[PerSourceFilter]

    def apply(self, messages: Sequence[BaseChatMessage]) -> list[BaseChatMessage]:
        """The messages to deliver out of ``messages`` (the ones the node has not seen yet)."""
        kept: list[BaseChatMessage] = []
        for source in self.per_source:
            kept.extend(source.keep(messages))
        return kept

    def describe(self) -> str:
        """The filter in a few words (for labels and summaries)."""
        if not self.per_source:
            return "sees nothing"
        return "sees " + ", ".join(s.describe() for s in self.per_source)
