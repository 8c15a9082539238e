"""DiGraph and DiGraphBuilder: AutoGen's GraphFlow graph description, converted to flowgen's GraphSpec.

A :class:`DiGraph` is a mapping of :class:`DiGraphNode` (one per participant, with its outgoing
:class:`DiGraphEdge`\\ s). :meth:`DiGraph.to_spec` turns it into the :class:`~flowgen.graph.GraphSpec`
the scheduler runs: an unconditional edge becomes a ``NextEdge``, a conditional one a ``WhenEdge``,
and every leaf gets an edge to the end node.

Edge conditions may be a string, a Python predicate of the message, or one of flowgen's serializable
conditions (Mention, Regex, Source, FieldIs, Not). A string is a *whole-word* mention: ``"APPROVE"``
does not fire on ``"DISAPPROVE"`` (AutoGen tests a raw substring; this is a deliberate difference).

Context scoping (a flowgen addition): ``add_node(agent, sees=MessageFilterConfig(...))`` (or a
DiGraphNode's ``sees``) narrows the messages the node is given, in the graph itself rather than by
wrapping the agent in a MessageFilterAgent; the filter is part of the graph's data.

Example:
    >>> from flowgen.testing import ScriptedAgent
    >>> a, b, c = (ScriptedAgent(n, []) for n in "abc")
    >>> g = DiGraphBuilder().add_node(a).add_node(b).add_node(c).add_edge(a, b).add_edge(a, c).build()
    >>> sorted(g.get_start_nodes()), sorted(g.get_leaf_nodes())
    (['a'], ['b', 'c'])
    >>> [(e.source, e.target) for e in g.to_spec().edges]
    [('a', 'b'), ('a', 'c'), ('b', '__end__'), ('c', '__end__')]
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field

from flowgen.base import ChatAgent, Team
from flowgen.errors import ConfigurationError, GraphValidationError
from flowgen.graph.builder import as_condition
from flowgen.graph.conditions import Condition, FieldIs, Mention, Not, Predicate, Regex, Source
from flowgen.graph.message_filter import MessageFilterConfig
from flowgen.graph.spec import END, Activation, AgentNode, EndNode, GraphSpec, NextEdge, WhenEdge
from flowgen.graph.validate import Finding, strongly_connected_components
from flowgen.messages import BaseChatMessage
from flowgen.teams.shell import participant_node

EdgeCondition = str | Callable[[BaseChatMessage], bool] | Mention | Regex | Source | FieldIs | Not | Predicate
Member = ChatAgent | Team


class DiGraphEdge(BaseModel):
    """An edge to ``target``, taken when ``condition`` (if any) matches the source's last message.

    Edges into one target that share an ``activation_group`` ready it when ``all`` of them (or
    ``any``) have been taken; the group defaults to the target's name.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    target: str
    condition: EdgeCondition | None = Field(default=None)
    #: A callable condition, moved here from ``condition`` so that the edge still dumps to JSON.
    condition_function: Callable[[BaseChatMessage], bool] | None = Field(default=None, exclude=True)
    activation_group: str = ""
    activation_condition: Activation = "all"

    def model_post_init(self, _context: object) -> None:
        if callable(self.condition) and not isinstance(self.condition, str | BaseModel):
            self.condition_function = self.condition
            self.condition = None
        if not self.activation_group:
            self.activation_group = self.target

    @property
    def is_conditional(self) -> bool:
        return self.condition is not None or self.condition_function is not None

    @property
    def flowgen_condition(self) -> Condition | None:
        """The condition as a flowgen condition (a string becomes a whole-word Mention)."""
        if self.condition_function is not None:
            return Predicate.of(self.condition_function)
        return None if self.condition is None else as_condition(self.condition)

    def check_condition(self, message: BaseChatMessage) -> bool:
        """Whether this edge is taken after ``message`` (always, when unconditional)."""
        condition = self.flowgen_condition
        return True if condition is None else condition.matches(message)


class DiGraphNode(BaseModel):
    """A participant in the graph, its outgoing edges, and the default activation of edges into it."""

    name: str
    edges: list[DiGraphEdge] = []
    activation: Activation = "all"
    #: flowgen's context scoping: the messages this node is given (None: all it has not seen).
    sees: MessageFilterConfig | None = None


class DiGraph(BaseModel):
    """Nodes by name, and the node a run starts from (default: every node without parents)."""

    nodes: dict[str, DiGraphNode]
    default_start_node: str | None = None

    def get_parents(self) -> dict[str, list[str]]:
        parents: dict[str, list[str]] = {name: [] for name in self.nodes}
        for node in self.nodes.values():
            for edge in node.edges:
                parents.setdefault(edge.target, []).append(node.name)
        return parents

    def get_start_nodes(self) -> set[str]:
        return set(self.start_nodes())

    def start_nodes(self) -> list[str]:
        """The entry nodes in insertion order (a set in AutoGen; the order keeps runs deterministic)."""
        if self.default_start_node:
            return [self.default_start_node]
        return [name for name, parents in self.get_parents().items() if not parents and name in self.nodes]

    def get_leaf_nodes(self) -> set[str]:
        return {name for name, node in self.nodes.items() if not node.edges}

    def get_has_cycles(self) -> bool:
        return any(len(c) > 1 or self._self_loop(next(iter(c))) for c in self._components())

    def _self_loop(self, name: str) -> bool:
        return any(e.target == name for e in self.nodes[name].edges)

    def _components(self) -> list[set[str]]:
        return strongly_connected_components(
            {n.name: [e.target for e in n.edges] for n in self.nodes.values()}
        )

    def graph_validate(self) -> None:
        """Raise GraphValidationError (a ValueError) listing everything that stops this graph from running."""
        findings = list(self._findings())
        if findings:
            raise GraphValidationError(findings)

    def _findings(self) -> Iterable[Finding]:
        if not self.nodes:
            yield Finding("no_nodes", (), "Graph has no nodes", "add nodes with DiGraphBuilder.add_node")
            return
        for node in self.nodes.values():
            for edge in node.edges:
                if edge.target not in self.nodes:
                    yield Finding(
                        "unknown_target",
                        (node.name, edge.target),
                        f"an edge from {node.name!r} leads to {edge.target!r}, which is not a node",
                        f"add {edge.target!r} with add_node or fix the edge",
                    )
        if self.default_start_node is not None and self.default_start_node not in self.nodes:
            yield Finding(
                "unknown_entry",
                (self.default_start_node,),
                f"the entry node {self.default_start_node!r} is not a node of the graph",
                "add it with add_node before set_entry_point",
            )
        if not self.start_nodes():
            yield Finding(
                "no_entry",
                (),
                "Graph must have at least one start node: every node has a parent",
                "call set_entry_point(...) to say where a run starts",
            )
        if not self.get_leaf_nodes():
            yield Finding(
                "no_leaf",
                (),
                "Graph must have at least one leaf node (a node without outgoing edges), where a run can end",
                "add a final node with no outgoing edges",
            )
        yield from self._mixed_edges()
        yield from self._activation_conflicts()
        yield from self._cycles_without_exit()

    def _mixed_edges(self) -> Iterable[Finding]:
        for node in self.nodes.values():
            kinds = {edge.is_conditional for edge in node.edges}
            if len(kinds) > 1:
                yield Finding(
                    "mixed_edges",
                    (node.name,),
                    f"Node {node.name!r} has a mix of conditional and unconditional edges",
                    "give every edge out of it a condition, or none",
                )

    def _activation_conflicts(self) -> Iterable[Finding]:
        seen: dict[tuple[str, str], tuple[str, str]] = {}
        for node in self.nodes.values():
            for edge in node.edges:
                key = (edge.target, edge.activation_group)
                first = seen.setdefault(key, (edge.activation_condition, node.name))
                if first[0] != edge.activation_condition:
                    yield Finding(
                        "activation_conflict",
                        (edge.target, first[1], node.name),
                        f"Conflicting activation conditions for target {edge.target!r} group "
                        f"{edge.activation_group!r}: {first[0]!r} (from node {first[1]!r}) and "
                        f"{edge.activation_condition!r} (from node {node.name!r})",
                        "use one activation_condition per activation group",
                    )

    def _cycles_without_exit(self) -> Iterable[Finding]:
        for component in self._components():
            if len(component) == 1 and not self._self_loop(next(iter(component))):
                continue
            edges = [e for name in component for e in self.nodes[name].edges]
            if not any(e.is_conditional for e in edges):
                cycle = sorted(component)
                yield Finding(
                    "unbounded_cycle",
                    tuple(cycle),
                    f"Cycle detected without exit condition through {cycle}",
                    "put a condition on an edge of the cycle so the run can leave it",
                )

    def to_spec(
        self, participants: Mapping[str, Member] | None = None, *, name: str = "GraphFlow"
    ) -> GraphSpec:
        """This graph as flowgen's GraphSpec; ``participants`` fill in descriptions and nested graphs."""
        known = participants or {}
        nodes: list[AgentNode | EndNode] = [
            _scoped(participant_node(known[n]) if n in known else AgentNode(name=n), node.sees)
            for n, node in self.nodes.items()
        ]
        edges: list[NextEdge | WhenEdge] = []
        for node in self.nodes.values():
            for edge in node.edges:
                common = {
                    "source": node.name,
                    "target": edge.target,
                    "activation_group": None
                    if edge.activation_group == edge.target
                    else edge.activation_group,
                    "activation_condition": edge.activation_condition,
                }
                condition = edge.flowgen_condition
                edges.append(
                    NextEdge(**common) if condition is None else WhenEdge(condition=condition, **common)
                )
        leaves = [n for n, node in self.nodes.items() if not node.edges]
        for leaf in leaves:
            # "any": the end needs only one leaf to finish, never a join over all of them.
            edges.append(NextEdge(source=leaf, target=END, activation_condition="any"))
        if leaves:
            nodes.append(EndNode())
        return GraphSpec(
            name=name,
            nodes=tuple(nodes),
            edges=tuple(edges),
            entry=tuple(self.start_nodes()),
            metadata={"team_type": "GraphFlow"},
        )


def _scoped(node: AgentNode, sees: MessageFilterConfig | None) -> AgentNode:
    return node if sees is None else node.model_copy(update={"sees": sees})


class DiGraphBuilder:
    """Builds a :class:`DiGraph` step by step: nodes, edges, conditions, the entry point.

    Example:
        >>> from flowgen.testing import ScriptedAgent
        >>> writer, critic, editor = (ScriptedAgent(n, []) for n in ("writer", "critic", "editor"))
        >>> builder = DiGraphBuilder().add_node(writer).add_node(critic).add_node(editor)
        >>> _ = builder.add_edge(writer, critic).add_edge(critic, writer, condition="REVISE")
        >>> graph = builder.add_edge(critic, editor, condition="APPROVE").set_entry_point(writer).build()
        >>> [(e.source, e.target, e.describe()) for e in graph.to_spec().edges]  # doctest: +NORMALIZE_WHITESPACE
        [('writer', 'critic', ''), ('critic', 'writer', "mentions 'REVISE'"),
         ('critic', 'editor', "mentions 'APPROVE'"), ('editor', '__end__', '')]
    """

    def __init__(self) -> None:
        self.nodes: dict[str, DiGraphNode] = {}
        self.agents: dict[str, Member] = {}
        self._default_start_node: str | None = None

    @staticmethod
    def _name(obj: str | Member) -> str:
        return obj if isinstance(obj, str) else obj.name

    def add_node(
        self,
        agent: Member,
        activation: Literal["all", "any"] = "all",
        *,
        sees: MessageFilterConfig | None = None,
    ) -> Self:
        """Add an agent (or a nested team) as a node; ``activation`` is the default for edges into it.

        ``sees`` (flowgen only) narrows the messages the node is given; see the module docstring.
        """
        if agent.name in self.agents and self.agents[agent.name] is not agent:
            raise ConfigurationError(
                f"a different participant named {agent.name!r} is already a node; node names must be unique"
            )
        if agent.name not in self.nodes:
            self.nodes[agent.name] = DiGraphNode(name=agent.name, edges=[], activation=activation, sees=sees)
            self.agents[agent.name] = agent
        return self

    def add_edge(
        self,
        source: str | Member,
        target: str | Member,
        condition: EdgeCondition | None = None,
        activation_group: str | None = None,
        activation_condition: Literal["all", "any"] | None = None,
    ) -> Self:
        """Connect ``source`` to ``target``; ``condition`` (a word, a predicate or a flowgen condition) gates it."""
        source_name, target_name = self._name(source), self._name(target)
        if source_name not in self.nodes:
            raise ConfigurationError(f"Source node {source_name!r} must be added before adding an edge.")
        if target_name not in self.nodes:
            raise ConfigurationError(f"Target node {target_name!r} must be added before adding an edge.")
        if condition is not None:
            as_condition(condition)  # refuse a malformed condition now, not mid-run
        self.nodes[source_name].edges.append(
            DiGraphEdge(
                target=target_name,
                condition=condition,
                activation_group=activation_group or target_name,
                activation_condition=activation_condition or self.nodes[target_name].activation,
            )
        )
        return self

    def add_conditional_edges(
        self, source: str | Member, condition_to_target: Mapping[str, str | Member]
    ) -> Self:
        """One conditional edge per ``{word: target}`` item (each word a whole-word mention)."""
        warnings.warn(
            "add_conditional_edges may change to accept callable conditions; use add_edge for custom conditions",
            DeprecationWarning,
            stacklevel=2,
        )
        for keyword, target in condition_to_target.items():
            self.add_edge(source, target, condition=keyword)
        return self

    def set_entry_point(self, name: str | Member) -> Self:
        """Start runs at this node (instead of at every node without parents)."""
        node_name = self._name(name)
        if node_name not in self.nodes:
            raise ConfigurationError(f"Start node {node_name!r} must be added before setting as entry point.")
        self._default_start_node = node_name
        return self

    def build(self) -> DiGraph:
        """The validated DiGraph."""
        graph = DiGraph(nodes=self.nodes, default_start_node=self._default_start_node)
        graph.graph_validate()
        return graph

    def build_spec(self, name: str = "GraphFlow") -> GraphSpec:
        """The graph directly as flowgen's GraphSpec."""
        return self.build().to_spec(self.agents, name=name)

    def get_participants(self) -> list[Member]:
        """The agents added, in insertion order."""
        return list(self.agents.values())
