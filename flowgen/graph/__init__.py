"""The graph core: pure data and analysis (no asyncio, agents or models).

The builder and the edge conditions load on first use (module ``__getattr__``): teams make their
graphs without them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flowgen.graph.message_filter import MessageFilterConfig, PerSourceFilter
from flowgen.graph.spec import (
    END,
    AgentNode,
    Edge,
    EndNode,
    GraphSpec,
    HandoffEdge,
    NextEdge,
    Node,
    RouterNode,
    SelectEdge,
    WhenEdge,
)
from flowgen.graph.validate import Finding, check, validate
from flowgen.lazy_exports import lazy_exports

if TYPE_CHECKING:
    from flowgen.graph.builder import GraphBuilder, as_condition
    from flowgen.graph.conditions import (
        Condition,
        FieldIs,
        Mention,
        Not,
        Predicate,
        Regex,
        SerializableCondition,
        Source,
    )

_LAZY = {
    "Condition": "flowgen.graph.conditions",
    "FieldIs": "flowgen.graph.conditions",
    "GraphBuilder": "flowgen.graph.builder",
    "Mention": "flowgen.graph.conditions",
    "Not": "flowgen.graph.conditions",
    "Predicate": "flowgen.graph.conditions",
    "Regex": "flowgen.graph.conditions",
    "SerializableCondition": "flowgen.graph.conditions",
    "Source": "flowgen.graph.conditions",
    "as_condition": "flowgen.graph.builder",
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)


__all__ = [
    "END",
    "AgentNode",
    "Condition",
    "as_condition",
    "check",
    "validate",
    "Edge",
    "EndNode",
    "FieldIs",
    "Finding",
    "GraphBuilder",
    "GraphSpec",
    "HandoffEdge",
    "Mention",
    "MessageFilterConfig",
    "NextEdge",
    "Node",
    "Not",
    "PerSourceFilter",
    "Predicate",
    "Regex",
    "RouterNode",
    "SelectEdge",
    "SerializableCondition",
    "Source",
    "WhenEdge",
]
