"""Core primitives shared by every layer (AutoGen's ``autogen_core`` names).

The identifiers and memory items load on first use (module ``__getattr__``): most programs never
touch them, and every program imports this package.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flowgen.core.cancellation import CancellationToken
from flowgen.core.function_call import FunctionCall, Image
from flowgen.lazy_exports import lazy_exports

if TYPE_CHECKING:
    from flowgen.core.cache_store import CacheStore, InMemoryStore
    from flowgen.core.ids import AgentId, TopicId
    from flowgen.core.memory_content import MemoryContent, MemoryMimeType

_LAZY = {
    "AgentId": "flowgen.core.ids",
    "CacheStore": "flowgen.core.cache_store",
    "InMemoryStore": "flowgen.core.cache_store",
    "MemoryContent": "flowgen.core.memory_content",
    "MemoryMimeType": "flowgen.core.memory_content",
    "TopicId": "flowgen.core.ids",
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)


__all__ = [
    "AgentId",
    "CacheStore",
    "CancellationToken",
    "FunctionCall",
    "Image",
    "InMemoryStore",
    "MemoryContent",
    "MemoryMimeType",
    "TopicId",
]
