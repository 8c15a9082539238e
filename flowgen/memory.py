"""What an agent remembers between runs, and how it reaches the model (AutoGen's ``autogen_core.memory``).

Before each model call an agent asks each of its memories to :meth:`Memory.update_context`: the memory
adds what is relevant to the model context (for :class:`ListMemory`, everything, as one system message)
and reports what it added, which the agent then emits as a ``MemoryQueryEvent``.

Example:
    >>> import asyncio
    >>> from flowgen.core import MemoryContent, MemoryMimeType
    >>> from flowgen.model_context import UnboundedChatCompletionContext
    >>> memory = ListMemory()
    >>> asyncio.run(memory.add(MemoryContent(content="Use metric units", mime_type=MemoryMimeType.TEXT)))
    >>> ctx = UnboundedChatCompletionContext()
    >>> result = asyncio.run(memory.update_context(ctx))
    >>> [m.content for m in result.memories.results]
    ['Use metric units']
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from flowgen.core import CancellationToken, MemoryContent, MemoryMimeType
from flowgen.model_context import ChatCompletionContext
from flowgen.models import SystemMessage

__all__ = [
    "ListMemory",
    "Memory",
    "MemoryContent",
    "MemoryMimeType",
    "MemoryQueryResult",
    "UpdateContextResult",
]


class MemoryQueryResult(BaseModel):
    """The memories a query found.

    Example:
        >>> MemoryQueryResult(results=[]).results
        []
    """

    model_config = ConfigDict(defer_build=True)  # built on first use: most agents have no memory

    results: list[MemoryContent]


class UpdateContextResult(BaseModel):
    """What :meth:`Memory.update_context` added to the model context.

    Example:
        >>> UpdateContextResult(memories=MemoryQueryResult(results=[])).memories.results
        []
    """

    model_config = ConfigDict(defer_build=True)

    memories: MemoryQueryResult


class Memory(ABC):
    """A store of facts an agent brings into its model context before answering.

    Example:
        >>> issubclass(ListMemory, Memory)
        True
    """

    @abstractmethod
    async def update_context(self, model_context: ChatCompletionContext) -> UpdateContextResult:
        """Add what is relevant to ``model_context``; return what was added."""

    @abstractmethod
    async def query(
        self, query: str | MemoryContent, cancellation_token: CancellationToken | None = None
    ) -> MemoryQueryResult:
        """The memories relevant to ``query``."""

    @abstractmethod
    async def add(self, content: MemoryContent, cancellation_token: CancellationToken | None = None) -> None:
        """Remember ``content``."""

    @abstractmethod
    async def clear(self) -> None:
        """Forget everything."""

    @abstractmethod
    async def close(self) -> None:
        """Release whatever the memory holds open."""


def _item_text(item: MemoryContent) -> str:
    if isinstance(item.content, bytes):
        return item.content.decode("utf-8", errors="replace")
    return str(item.content)


def _memory_text(contents: Sequence[MemoryContent]) -> str:
    lines = [f"{number}. {_item_text(item)}" for number, item in enumerate(contents, start=1)]
    return "\nMemories that may help, oldest first:\n" + "\n".join(lines) + "\n"


class ListMemory(Memory):
    """Remembers items in a list, in the order added, and shows all of them to the model.

    Args:
        name: A name for the memory (``"default_list_memory"`` when omitted).
        memory_contents: Items to start with (copied).

    Example:
        >>> import asyncio
        >>> from flowgen.core import MemoryContent, MemoryMimeType
        >>> memory = ListMemory(name="prefs")
        >>> asyncio.run(memory.add(MemoryContent(content="likes tea", mime_type=MemoryMimeType.TEXT)))
        >>> len(asyncio.run(memory.query("anything")).results)
        1
    """

    def __init__(
        self, name: str | None = None, memory_contents: Sequence[MemoryContent] | None = None
    ) -> None:
        self._name = name or "default_list_memory"
        self._contents: list[MemoryContent] = list(memory_contents) if memory_contents else []

    @property
    def name(self) -> str:
        """The memory's name."""
        return self._name

    @property
    def content(self) -> list[MemoryContent]:
        """Every item, oldest first."""
        return self._contents

    @content.setter
    def content(self, value: Sequence[MemoryContent]) -> None:
        self._contents = list(value)

    async def update_context(self, model_context: ChatCompletionContext) -> UpdateContextResult:
        """Add one system message listing every item, numbered oldest first (nothing when empty)."""
        if not self._contents:
            return UpdateContextResult(memories=MemoryQueryResult(results=[]))
        await model_context.add_message(SystemMessage(content=_memory_text(self._contents)))
        return UpdateContextResult(memories=MemoryQueryResult(results=list(self._contents)))

    async def query(
        self, query: str | MemoryContent = "", cancellation_token: CancellationToken | None = None
    ) -> MemoryQueryResult:
        """Every item: a list memory does no ranking, so any query finds them all."""
        return MemoryQueryResult(results=list(self._contents))

    async def add(self, content: MemoryContent, cancellation_token: CancellationToken | None = None) -> None:
        self._contents.append(content)

    async def clear(self) -> None:
        self._contents = []

    async def close(self) -> None:
        """Nothing to release."""
