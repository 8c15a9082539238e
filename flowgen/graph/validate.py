"""Validation: refuse, before any model call, a graph that cannot run as meant.

Each problem becomes a :class:`Finding` that names the nodes involved and says how to fix it;
:func:`validate` raises one GraphValidationError carrying every finding.

Checks: duplicate node names; missing or unknown entry nodes; edges from or to unknown nodes
(handoff targets included); agent nodes without a participant (and participants without a node);
routers without a policy or without candidates; nodes unreachable from the entry; dead ends that are
not end nodes; cycles with no conditional exit (unless ``bounded``: a termination condition or
max_turns will stop them); ``all`` joins over branches that can never both run.

Example:
    >>> from flowgen.graph.spec import AgentNode, GraphSpec, NextEdge
    >>> spec = GraphSpec(nodes=(AgentNode(name="a"),), edges=(NextEdge(source="a", target="b"),), entry=("a",))
    >>> [f.code for f in check(spec)]
    ['unknown_target']
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from itertools import combinations
from typing import NamedTuple

from flowgen.errors import GraphValidationError
from flowgen.graph.spec import END, AgentNode, EndNode, GraphSpec, NextEdge, RouterNode, SelectEdge


class Finding(NamedTuple):
    """One problem: a short code, the nodes involved, what is wrong and how to fix it.

    A named tuple rather than a dataclass: it is defined whenever a team is built, and a frozen
    dataclass costs several times more to define.

    Example:
        >>> str(Finding("no_entry", (), "the graph has no entry node", "set entry"))
        'the graph has no entry node — set entry'
    """

    code: str
    nodes: tuple[str, ...]
    problem: str
    fix: str

    def __str__(self) -> str:
        return f"{self.problem} — {self.fix}"


def validate(
    spec: GraphSpec,
    *,
    participants: Collection[str] | None = None,
    bounded: bool = False,
    policies: Mapping[str, object] | None = None,
) -> None:
    """Raise GraphValidationError listing every finding of :func:`check`; return quietly otherwise."""
    findings = check(spec, participants=participants, bounded=bounded, policies=policies)
    if findings:
        raise GraphValidationError(findings)


def check(
    spec: GraphSpec,
    *,
    participants: Collection[str] | None = None,
    bounded: bool = False,
    policies: Mapping[str, object] | None = None,
) -> list[Finding]:
    """Every finding for ``spec`` (an empty list when it can run)."""
    findings = [*_names(spec), *_entry(spec), *_edges(spec)]
    if participants is not None:
        findings += _participants(spec, participants)
    findings += _routers(spec, policies)
    if findings:
        return findings  # the structural checks below assume a well-formed graph
    graph = _Adjacency.of(spec)
    findings += _unreachable(spec, graph)
    findings += _dead_ends(spec)
    if not bounded:
        findings += _unbounded_cycles(spec, graph)
    findings += _starving_joins(spec, graph)
    return findings


def strongly_connected_components(successors: Mapping[str, Iterable[str]]) -> list[set[str]]:
    """The strongly connected components of a directed graph given as each node's successors.

    Plain Python, so that callers need not import a graph library. Successors missing from the
    mapping count as nodes without out-edges.

    Example:
        >>> sorted(sorted(c) for c in strongly_connected_components({"a": ["b"], "b": ["a", "c"]}))
        [['a', 'b'], ['c']]
    """
    adjacency: dict[str, set[str]] = {}
    for name, nexts in successors.items():
        targets = set(nexts)
        adjacency.setdefault(name, set()).update(targets)
        for target in targets:
            adjacency.setdefault(target, set())
    return _Adjacency(adjacency).strongly_connected_components()


class _Adjacency:
    """The graph's reachability structure, in plain Python: validation runs on every team built, and
    importing a graph library for it would dominate start-up."""

    __slots__ = ("successors",)

    def __init__(self, successors: dict[str, set[str]]) -> None:
        self.successors = successors

    @classmethod
    def of(cls, spec: GraphSpec) -> _Adjacency:
        successors: dict[str, set[str]] = {name: set() for name in spec.node_names}
        for edge in spec.edges:
            successors.setdefault(edge.source, set()).add(edge.target)
            successors.setdefault(edge.target, set())
        return cls(successors)

    def __contains__(self, name: object) -> bool:
        return name in self.successors

    def without(self, removed: str) -> _Adjacency:
        """The graph with ``removed`` and its edges taken out."""
        return _Adjacency(
            {name: nexts - {removed} for name, nexts in self.successors.items() if name != removed}
        )

    def descendants(self, start: str) -> set[str]:
        """Every node reachable from ``start`` by at least one edge (``start`` only through a cycle)."""
        seen: set[str] = set()
        todo = list(self.successors.get(start, ()))
        while todo:
            name = todo.pop()
            if name not in seen:
                seen.add(name)
                todo.extend(self.successors.get(name, ()))
        seen.discard(start)
        return seen

    def has_path(self, a: str, b: str) -> bool:
        return a == b or b in self.descendants(a)

    def strongly_connected_components(self) -> list[set[str]]:
        """Tarjan's algorithm, iterative so that long chains do not hit the recursion limit."""
        index: dict[str, int] = {}
        low: dict[str, int] = {}
        stack: list[str] = []
        on_stack: set[str] = set()
        components: list[set[str]] = []
        for root in self.successors:
            if root in index:
                continue
            work = [(root, iter(self.successors[root]))]
            index[root] = low[root] = len(index)
            stack.append(root)
            on_stack.add(root)
            while work:
                node, nexts = work[-1]
                advanced = False
                for nxt in nexts:
                    if nxt not in index:
                        index[nxt] = low[nxt] = len(index)
                        stack.append(nxt)
                        on_stack.add(nxt)
                        work.append((nxt, iter(self.successors[nxt])))
                        advanced = True
                        break
                    if nxt in on_stack:
                        low[node] = min(low[node], index[nxt])
                if advanced:
                    continue
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component: set[str] = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.add(member)
                        if member == node:
                            break
                    components.append(component)
        return components


def _names(spec: GraphSpec) -> Iterable[Finding]:
    names = spec.node_names
    if len(set(names)) == len(names):
        return  # the usual case, without counting
    for name, count in Counter(names).items():
        if count > 1:
            yield Finding(
                "duplicate_name",
                (name,),
                f"{count} nodes are named {name!r}",
                "give every node a unique name",
            )


def _entry(spec: GraphSpec) -> Iterable[Finding]:
    if not spec.entry:
        yield Finding("no_entry", (), "the graph has no entry node", "name the node(s) a run starts from")
    for name in spec.entry:
        if not spec.has_node(name):
            yield Finding(
                "unknown_entry", (name,), f"entry node {name!r} is not in the graph", "add it or fix the name"
            )


def _edges(spec: GraphSpec) -> Iterable[Finding]:
    for edge in spec.edges:
        if not spec.has_node(edge.source):
            yield Finding(
                "unknown_source",
                (edge.source,),
                f"an edge {edge.source!r} -> {edge.target!r} starts at a node that does not exist",
                f"add a node named {edge.source!r} or fix the edge's source",
            )
        if spec.has_node(edge.target):
            continue
        if edge.kind == "handoff":
            yield Finding(
                "unknown_handoff_target",
                (edge.source, edge.target),
                f"{edge.source!r} hands off to {edge.target!r}, which is not a node of the graph",
                f"add {edge.target!r} as a participant or remove the handoff",
            )
        else:
            yield Finding(
                "unknown_target",
                (edge.source, edge.target),
                f"an edge from {edge.source!r} leads to {edge.target!r}, which is not a node of the graph",
                f"add a node named {edge.target!r} or fix the edge's target",
            )
    for node in spec.nodes:
        if isinstance(node, AgentNode):
            for target in node.handoffs:
                if not spec.has_node(target):
                    yield Finding(
                        "unknown_handoff_target",
                        (node.name, target),
                        f"{node.name!r} declares a handoff to {target!r}, which is not a node of the graph",
                        f"add {target!r} as a participant or remove the handoff",
                    )


def _participants(spec: GraphSpec, participants: Collection[str]) -> Iterable[Finding]:
    agents = spec.agent_names
    for name in agents:
        if name not in participants:
            yield Finding(
                "missing_participant",
                (name,),
                f"agent node {name!r} has no participant to run it",
                f"pass an agent or team named {name!r}",
            )
    for name in participants:
        if name not in agents:
            yield Finding(
                "unused_participant",
                (name,),
                f"participant {name!r} has no agent node in the graph",
                f"add an agent node named {name!r} or drop the participant",
            )


def _routers(spec: GraphSpec, policies: Mapping[str, object] | None) -> Iterable[Finding]:
    for node in spec.nodes:
        if not isinstance(node, RouterNode):
            continue
        if not any(isinstance(e, SelectEdge) for e in spec.out_edges(node.name)):
            yield Finding(
                "router_without_candidates",
                (node.name,),
                f"router {node.name!r} has no select edges, so its policy has no one to choose",
                f"add select edges from {node.name!r} to its candidates",
            )
        if policies is not None and node.name not in policies:
            yield Finding(
                "router_without_policy",
                (node.name,),
                f"router {node.name!r} has no speaker policy",
                f"pass a policy for {node.name!r} (policy {node.policy!r})",
            )


def _unreachable(spec: GraphSpec, graph: _Adjacency) -> Iterable[Finding]:
    reached: set[str] = set(spec.entry)
    for name in spec.entry:
        reached |= graph.descendants(name)
    for node in spec.nodes:
        if node.name not in reached and not (isinstance(node, EndNode) and not spec.in_edges(node.name)):
            yield Finding(
                "unreachable",
                (node.name,),
                f"node {node.name!r} cannot be reached from the entry {list(spec.entry)}",
                f"add an edge into {node.name!r}, make it an entry, or remove it",
            )


def _dead_ends(spec: GraphSpec) -> Iterable[Finding]:
    for node in spec.nodes:
        if not isinstance(node, EndNode) and not spec.out_edges(node.name):
            yield Finding(
                "dead_end",
                (node.name,),
                f"node {node.name!r} has no outgoing edge and is not an end node",
                f"add an edge from {node.name!r} to the next node, or to {END!r} if the run may finish there",
            )


def _can_leave(spec: GraphSpec, node: str, component: set[str]) -> bool:
    """Whether the loop can be left at ``node``: a conditional edge out, or only conditional edges."""
    outs = spec.out_edges(node)
    if any(e.target not in component and (e.kind != "next" or e.otherwise) for e in outs):
        return True
    inside = [e for e in outs if e.target in component]
    return bool(inside) and all(e.kind in ("when", "handoff") for e in inside)


def _unbounded_cycles(spec: GraphSpec, graph: _Adjacency) -> Iterable[Finding]:
    order = {name: i for i, name in enumerate(spec.node_names)}
    components = graph.strongly_connected_components()
    components.sort(key=lambda c: min(order.get(n, len(order)) for n in c))  # in the graph's node order
    for component in components:
        names = sorted(component)
        if len(names) == 1 and names[0] not in graph.successors[names[0]]:
            continue
        if any(_can_leave(spec, name, component) for name in names):
            continue
        yield Finding(
            "unbounded_cycle",
            tuple(names),
            f"the cycle through {names} has no conditional exit, so it would run forever",
            "add a termination condition or max_turns, or a conditional edge out of the cycle "
            f"(e.g. a WhenEdge to {END!r})",
        )


def _parallel_ok(graph: _Adjacency, spec: GraphSpec, a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` can both run: one follows the other, or a fan-out leads to both."""
    if a == b or graph.has_path(a, b) or graph.has_path(b, a):
        return True
    roots: list[list[str]] = [[n for n in spec.entry if n in graph]] if len(spec.entry) > 1 else []
    for node in spec.nodes:
        if node.name not in graph:
            continue
        always = [
            e.target
            for e in spec.out_edges(node.name)
            if type(e) is NextEdge and not e.otherwise and e.target in graph
        ]
        if len(always) > 1:
            roots.append(always)
    for targets in roots:
        for x, y in combinations(targets, 2):
            for p, q in ((x, y), (y, x)):
                if (p == a or graph.has_path(p, a)) and (q == b or graph.has_path(q, b)):
                    return True
    return False


def _loop_back(graph: _Adjacency, spec: GraphSpec, target: str, sources: list[str]) -> Finding | None:
    """An ``all`` join mixing a first-time input with one that only comes after the target has run."""
    if len(sources) < 2:
        return None
    after = [s for s in sources if graph.has_path(target, s)]
    before = [s for s in sources if s not in after]
    if not after or not before:
        return None
    return Finding(
        "starving_join",
        (target, *after),
        f"{target!r} waits for all of {sources}, but {after} can only run after {target!r} itself, so "
        f"{target!r} never runs",
        f"put the loop-back edges from {after} into {target!r} in their own activation_group, or set "
        "activation_condition='any'",
    )


def _starving_joins(spec: GraphSpec, graph: _Adjacency) -> Iterable[Finding]:
    for node in spec.nodes:
        if isinstance(node, EndNode):
            continue
        groups: dict[str, list[str]] = {}
        for edge in spec.in_edges(node.name):
            if edge.activation_condition == "all":
                groups.setdefault(edge.group, []).append(edge.source)
        for group, sources in groups.items():
            distinct = sorted(set(sources))
            if len(distinct) < 2:
                continue  # one input (every node of a chain or a cycle): nothing to wait for together
            loop_back = _loop_back(graph, spec, node.name, distinct)
            if loop_back is not None:
                yield loop_back
                continue
            # Paths through the join itself do not count: it has not run yet when it waits.
            without = graph.without(node.name)
            for a, b in combinations(distinct, 2):
                if not _parallel_ok(without, spec, a, b):
                    yield Finding(
                        "starving_join",
                        (node.name, a, b),
                        f"{node.name!r} waits for all of {distinct} (group {group!r}), but "
                        f"{a!r} and {b!r} are on mutually exclusive branches and never both run",
                        f"set activation_condition='any' on the edges into {node.name!r}, or put them in "
                        "different activation groups",
                    )
                    break
