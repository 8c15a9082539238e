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
    from flowgen.core.component import Component
    from flowgen.core.component_config import (
        ComponentModel,
        ComponentSpec,
        dump_component,
        load_component,
        register_component,
    )
    from flowgen.core.component_files import component_text, load_component_file, save_component_file
    from flowgen.core.ids import AgentId, TopicId
    from flowgen.core.memory_content import MemoryContent, MemoryMimeType

_LAZY = {
    "Component": "flowgen.core.component",
    "ComponentModel": "flowgen.core.component_config",
    "ComponentSpec": "flowgen.core.component_config",
    "component_text": "flowgen.core.component_files",
    "dump_component": "flowgen.core.component_config",
    "load_component": "flowgen.core.component_config",
    "load_component_file": "flowgen.core.component_files",
    "register_component": "flowgen.core.component_config",
    "save_component_file": "flowgen.core.component_files",
    "AgentId": "flowgen.core.ids",
    "MemoryContent": "flowgen.core.memory_content",
    "MemoryMimeType": "flowgen.core.memory_content",
    "TopicId": "flowgen.core.ids",
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)


__all__ = [
    "AgentId",
    "CancellationToken",
    "Component",
    "ComponentModel",
    "ComponentSpec",
    "FunctionCall",
    "Image",
    "MemoryContent",
    "MemoryMimeType",
    "TopicId",
    "component_text",
    "dump_component",
    "load_component",
    "load_component_file",
    "register_component",
    "save_component_file",
]
