"""GraphBuilder: write a flowgen-native graph node by node, edge by edge, then ``build()`` it.

Example:
    >>> g = (
    ...     GraphBuilder("review")
    ...     .add_agent("writer")
    ...     .add_agent("critic")
    ...     .add_edge("writer", "critic")
    ...     .add_edge("critic", "writer", condition="REVISE")
    ...     .add_edge("critic", END, otherwise=True)
    ...     .build()
    ... )
    >>> [(e.source, e.target, e.kind) for e in g.edges]
    [('writer', 'critic', 'next'), ('critic', 'writer', 'when'), ('critic', '__end__', 'next')]
    >>> g.entry
    ('writer',)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, Self

from flowgen.errors import ConfigurationError
from flowgen.graph.conditions import Condition, FieldIs, Mention, Not, Predicate, Regex, Source
from flowgen.graph.message_filter import MessageFilterConfig
from flowgen.graph.spec import (
    END,
    Activation,
    AgentNode,
    EndNode,
    GraphSpec,
    HandoffEdge,
    NextEdge,
    RouterNode,
    SelectEdge,
    WhenEdge,
)
from flowgen.graph.validate import validate
from flowgen.messages import BaseChatMessage

EdgeKind = Literal["next", "when", "select", "handoff"]
ConditionLike = Condition | str | Callable[[BaseChatMessage], bool]


def as_condition(condition: ConditionLike) -> Condition:
    """A condition from a condition, a word to mention, or a Python predicate of the message."""
    if isinstance(condition, str):
        return Mention(text=condition)
    if isinstance(condition, Mention | Regex | Source | FieldIs | Not | Predicate):
        return condition
    return Predicate.of(condition)


class GraphBuilder:
    """Collects nodes and edges; :meth:`build` returns the immutable, validated GraphSpec.

    The first agent or router added is the entry unless :meth:`entry` says otherwise. An edge to
    ``END`` adds the end node.
    """

    def __init__(self, name: str = "graph") -> None:
        self._name = name
        self._nodes: list[AgentNode | RouterNode | EndNode] = []
        self._edges: list[NextEdge | WhenEdge | SelectEdge | HandoffEdge] = []
        self._entry: list[str] = []
        self._metadata: dict[str, object] = {}

    def add_agent(
        self,
        name: str,
        *,
        description: str = "",
        agent_type: str = "",
        tools: tuple[str, ...] = (),
        handoffs: tuple[str, ...] = (),
        subgraph: GraphSpec | None = None,
        sees: MessageFilterConfig | None = None,
    ) -> Self:
        """Add an agent node (a participant, or a nested team whose graph is ``subgraph``).

        ``sees`` narrows the messages delivered to it (see :mod:`flowgen.graph.message_filter`).
        """
        self._nodes.append(
            AgentNode(
                name=name,
                description=description,
                agent_type=agent_type,
                tools=tools,
                handoffs=handoffs,
                subgraph=subgraph,
                sees=sees,
            )
        )
        return self

    def add_router(self, name: str, *, policy: str, description: str = "") -> Self:
        """Add a router node whose policy (registered under ``name`` at run time) picks among candidates."""
        self._nodes.append(RouterNode(name=name, policy=policy, description=description))
        return self

    def add_end(self, name: str = END) -> Self:
        """Add an end node (edges to ``END`` add it on their own)."""
        if not any(n.name == name for n in self._nodes):
            self._nodes.append(EndNode(name=name))
        return self

    def add_edge(
        self,
        source: str,
        target: str,
        *,
        kind: EdgeKind | None = None,
        condition: ConditionLike | None = None,
        label: str = "",
        otherwise: bool = False,
        activation_group: str | None = None,
        activation_condition: Activation = "all",
        tool: str = "",
    ) -> Self:
        """Add an edge; ``kind`` defaults to ``when`` with a condition and ``next`` without one."""
        kind = kind or ("when" if condition is not None else "next")
        common = {
            "source": source,
            "target": target,
            "label": label,
            "otherwise": otherwise,
            "activation_group": activation_group,
            "activation_condition": activation_condition,
        }
        if kind == "when":
            if condition is None:
                raise ConfigurationError(f"the when-edge {source!r} -> {target!r} needs a condition")
            self._edges.append(WhenEdge(condition=as_condition(condition), **common))  # type: ignore[arg-type]
        elif condition is not None:
            raise ConfigurationError(
                f"a {kind}-edge ({source!r} -> {target!r}) takes no condition; use kind='when'"
            )
        elif kind == "next":
            self._edges.append(NextEdge(**common))  # type: ignore[arg-type]
        elif kind == "select":
            self._edges.append(SelectEdge(**common))  # type: ignore[arg-type]
        else:
            self._edges.append(HandoffEdge(tool=tool, **common))  # type: ignore[arg-type]
        if target == END:
            self.add_end()
        return self

    def entry(self, *names: str) -> Self:
        """The node(s) a run starts from."""
        self._entry = list(names)
        return self

    def metadata(self, **values: object) -> Self:
        self._metadata.update(values)
        return self

    def build(self, *, validate_graph: bool = True, bounded: bool = False) -> GraphSpec:
        """The GraphSpec; validated unless ``validate_graph`` is False (``bounded``: see validate)."""
        entry = self._entry or [n.name for n in self._nodes if not isinstance(n, EndNode)][:1]
        spec = GraphSpec(
            name=self._name,
            nodes=tuple(self._nodes),
            edges=tuple(self._edges),
            entry=tuple(entry),
            metadata=dict(self._metadata),
        )
        if validate_graph:
            validate(spec, bounded=bounded)
        return spec
