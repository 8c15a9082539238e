"""The graph spec: immutable data that the scheduler runs, the validator checks and the renderer draws.

Nodes are agents (possibly whole nested teams), routers (where a speaker policy chooses among the
candidates of its ``select`` edges) and the end node. Edges are a closed union:

- ``NextEdge``     always taken when its source finishes;
- ``WhenEdge``     taken when its condition matches the source's last chat message;
- ``SelectEdge``   a candidate the router's policy may choose;
- ``HandoffEdge``  taken when the source emits a HandoffMessage to the target.

An edge with ``otherwise=True`` is taken only when no other edge of its source was. Fan-in: the
edges into a node that share an ``activation_group`` fire it when ``all`` (or ``any``) of them have been
taken. Everything converts to JSON and to a networkx multigraph without losing anything.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cached_property
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from flowgen.graph.message_filter import MessageFilterConfig
from flowgen.graph.node_policy import NodePolicy

if TYPE_CHECKING:
    import networkx as nx
    from pydantic import GetCoreSchemaHandler
    from pydantic_core import CoreSchema

    from flowgen.graph.conditions import Condition


class _ConditionSchema:
    """Stands for :data:`~flowgen.graph.conditions.Condition` in the graph models' schemas.

    The conditions module (a dozen models) loads when a schema is first built — by validating,
    dumping or loading a graph — not with this module: teams build their graphs without validation,
    and most graphs have no conditions.
    """

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        from flowgen.graph.conditions import Condition

        return handler.generate_schema(Condition)


if not TYPE_CHECKING:
    Condition = _ConditionSchema  # what ``condition: Condition`` resolves to when pydantic reads it

END = "__end__"
Activation = Literal["all", "any"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, ignored_types=(cached_property,), defer_build=True)


class AgentNode(_Frozen):
    """A participant: an agent, or a nested team whose own graph is ``subgraph``.

    ``sees`` narrows the messages the node is given (context scoping, see
    :mod:`flowgen.graph.message_filter`); None gives it every message it has not seen.
    """

    kind: Literal["agent"] = "agent"
    name: str
    description: str = ""
    agent_type: str = ""
    tools: tuple[str, ...] = ()
    handoffs: tuple[str, ...] = ()
    subgraph: GraphSpec | None = None
    sees: MessageFilterConfig | None = None
    #: Retries and timeout of this node (see :mod:`flowgen.graph.node_policy`); None runs it once, unbounded.
    policy: NodePolicy | None = None


class RouterNode(_Frozen):
    """A decision point: ``policy`` picks the next speaker among the targets of its select edges."""

    kind: Literal["router"] = "router"
    name: str
    policy: str
    description: str = ""


class EndNode(_Frozen):
    """Where a run finishes when an edge leads here."""

    kind: Literal["end"] = "end"
    name: str = END
    description: str = "end of the run"


Node = Annotated[AgentNode | RouterNode | EndNode, Field(discriminator="kind")]


class _Edge(_Frozen):
    source: str
    target: str
    label: str = ""
    otherwise: bool = False
    activation_group: str | None = None
    activation_condition: Activation = "all"

    @property
    def group(self) -> str:
        """The fan-in group this edge belongs to at its target (the target's name by default)."""
        return self.activation_group or self.target

    def describe(self) -> str:
        return self.label


class NextEdge(_Edge):
    kind: Literal["next"] = "next"

    def describe(self) -> str:
        return self.label or ("otherwise" if self.otherwise else "")


class WhenEdge(_Edge):
    kind: Literal["when"] = "when"
    condition: Condition

    def describe(self) -> str:
        return self.label or self.condition.describe()


class SelectEdge(_Edge):
    kind: Literal["select"] = "select"

    def describe(self) -> str:
        return self.label or "select"


class HandoffEdge(_Edge):
    kind: Literal["handoff"] = "handoff"
    tool: str = ""

    def describe(self) -> str:
        return self.label or self.tool or f"handoff to {self.target}"


Edge = Annotated[NextEdge | WhenEdge | SelectEdge | HandoffEdge, Field(discriminator="kind")]


class GraphSpec(_Frozen):
    """An immutable directed graph of nodes and edges, with the nodes a run starts from.

    Example:
        >>> g = GraphSpec(
        ...     name="pair",
        ...     nodes=(AgentNode(name="writer"), AgentNode(name="critic"), EndNode()),
        ...     edges=(NextEdge(source="writer", target="critic"), NextEdge(source="critic", target=END)),
        ...     entry=("writer",),
        ... )
        >>> [e.target for e in g.out_edges("writer")]
        ['critic']
        >>> GraphSpec.model_validate_json(g.model_dump_json()) == g
        True
    """

    name: str = "graph"
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...] = ()
    entry: tuple[str, ...] = ()
    metadata: dict[str, Any] = {}

    @cached_property
    def _node_index(self) -> dict[str, AgentNode | RouterNode | EndNode]:
        return {n.name: n for n in self.nodes}

    @cached_property
    def _out(self) -> dict[str, tuple[int, ...]]:
        out: dict[str, list[int]] = {n.name: [] for n in self.nodes}
        for i, e in enumerate(self.edges):
            out.setdefault(e.source, []).append(i)
        return {k: tuple(v) for k, v in out.items()}

    @cached_property
    def _in(self) -> dict[str, tuple[int, ...]]:
        inc: dict[str, list[int]] = {n.name: [] for n in self.nodes}
        for i, e in enumerate(self.edges):
            inc.setdefault(e.target, []).append(i)
        return {k: tuple(v) for k, v in inc.items()}

    def node(self, name: str) -> AgentNode | RouterNode | EndNode:
        try:
            return self._node_index[name]
        except KeyError:
            raise KeyError(f"graph {self.name!r} has no node {name!r}") from None

    def has_node(self, name: str) -> bool:
        return name in self._node_index

    @property
    def node_names(self) -> list[str]:
        return [n.name for n in self.nodes]

    @property
    def agent_names(self) -> list[str]:
        return [n.name for n in self.nodes if isinstance(n, AgentNode)]

    def out_edge_indices(self, name: str) -> tuple[int, ...]:
        return self._out.get(name, ())

    def in_edge_indices(self, name: str) -> tuple[int, ...]:
        return self._in.get(name, ())

    def out_edges(self, name: str) -> list[NextEdge | WhenEdge | SelectEdge | HandoffEdge]:
        return [self.edges[i] for i in self.out_edge_indices(name)]

    def in_edges(self, name: str) -> list[NextEdge | WhenEdge | SelectEdge | HandoffEdge]:
        return [self.edges[i] for i in self.in_edge_indices(name)]

    def walk(self) -> Iterator[tuple[str, GraphSpec]]:
        """This graph and every nested team's graph, with the node path leading to each."""
        yield "", self
        for node in self.nodes:
            if isinstance(node, AgentNode) and node.subgraph is not None:
                for path, sub in node.subgraph.walk():
                    yield f"{node.name}/{path}".rstrip("/"), sub

    def to_networkx(self) -> nx.MultiDiGraph:
        """A networkx multigraph carrying every attribute: nodes by name, edges keyed by their index."""
        import networkx as nx  # only here: importing it costs more start-up time than all of flowgen

        g = nx.MultiDiGraph(name=self.name, entry=list(self.entry), metadata=dict(self.metadata))
        for node in self.nodes:
            attrs = node.model_dump(mode="json")
            attrs["entry"] = node.name in self.entry
            g.add_node(node.name, **attrs)
        for i, edge in enumerate(self.edges):
            attrs = edge.model_dump(mode="json")
            attrs["index"] = i
            attrs["description"] = edge.describe()
            g.add_edge(edge.source, edge.target, key=i, **attrs)
        return g
