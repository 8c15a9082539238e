"""Core primitives shared by every layer (AutoGen's ``autogen_core`` names).

The identifiers and memory items load on first use (module ``__getattr__``): most programs never
touch them, and every program imports this package.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flowgen.core.cancellation import CancellationToken
from flowgen.core.function_call import FunctionCall, Image

if TYPE_CHECKING:
    from flowgen.core.ids import AgentId, TopicId
    from flowgen.core.memory_content import MemoryContent, MemoryMimeType

_LAZY = {
    "AgentId": "flowgen.core.ids",
    "MemoryContent": "flowgen.core.memory_content",
    "MemoryMimeType": "flowgen.core.memory_content",
    "TopicId": "flowgen.core.ids",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'flowgen.core' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])


__all__ = [
    "AgentId",
    "CancellationToken",
    "FunctionCall",
    "Image",
    "MemoryContent",
    "MemoryMimeType",
    "TopicId",
]
