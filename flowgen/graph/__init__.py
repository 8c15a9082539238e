"""The graph core: pure data and analysis (no asyncio, agents or models)."""

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

__all__ = [
    "END",
    "AgentNode",
    "Condition",
    "Edge",
    "EndNode",
    "FieldIs",
    "GraphSpec",
    "HandoffEdge",
    "Mention",
    "NextEdge",
    "Node",
    "Not",
    "Predicate",
    "Regex",
    "RouterNode",
    "SelectEdge",
    "SerializableCondition",
    "Source",
    "WhenEdge",
]
