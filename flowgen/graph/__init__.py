"""The graph core: pure data and analysis (no asyncio, agents or models)."""

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
