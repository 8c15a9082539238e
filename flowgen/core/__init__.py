"""Core primitives shared by every layer (AutoGen's ``autogen_core`` names)."""

from flowgen.core.cancellation import CancellationToken
from flowgen.core.function_call import FunctionCall, Image
from flowgen.core.ids import AgentId, TopicId
from flowgen.core.memory_content import MemoryContent, MemoryMimeType

__all__ = [
    "AgentId",
    "CancellationToken",
    "FunctionCall",
    "Image",
    "MemoryContent",
    "MemoryMimeType",
    "TopicId",
]
