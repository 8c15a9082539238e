"""Bounded exploration: run a graph abstractly under every possible outcome and report what goes wrong.

Where :mod:`flowgen.graph.validate` looks at the shape of a graph, exploration *runs* it, step by step
as the scheduler would, without agents or models. Edge conditions are opaque, so every outcome is
tried: ``NextEdge`` always fires; each ``WhenEdge`` may or may not; at most one ``HandoffEdge`` of a
node may; ``otherwise`` edges fire exactly when none of the node's other edges did; a router's policy
may choose any one of its candidates (routers are resolved before the step, as the scheduler does).
Fan-in follows the scheduler: the edges into a target that share an activation group make it ready
once ``all`` of them have fired (partial groups wait) or at once for ``any``.

An abstract state is the frontier (the ready nodes) and the partial ``all`` groups still waiting.
States are explored breadth first up to ``depth`` steps (and ``max_states`` states), each once. The
run ends when the frontier is empty. The findings, each with the shortest counterexample ``path`` of
steps from the entry (draw it with ``visualize.render_svg(graph, highlight=finding)``):

- ``unreachable``     a node that no explored run makes ready although a node before it runs (an
                      ``otherwise`` edge next to an unconditional one, say); nodes behind it and
                      targets of starving joins are left to their cause, islands to validation;
- ``starving_join``   an ``all`` group that has started filling but can no longer be completed (the
                      scheduler stops such a run as "stalled", or the join just never fires);
- ``trap``            when some run can end, a state from which no run can end any more: a loop
                      no edge can leave (a termination condition or max_turns would be all that stops it);
- ``unbounded_cycle`` when no run can end at all and nothing bounds it (``bounded=False``): a loop
                      that no edge can leave and no termination condition or max_turns stops.

Opaque conditions over-approximate (``Mention("x")`` and ``Not(Mention("x"))`` may both fire or
neither), so a finding is a run the *edges* allow. A router picks one candidate at a time (a policy
naming several at once is not explored), and a node emits at most one handoff per turn. States past
the bound count as able to end and to fill every join, so the bound never causes a trap or a starving
join; a node not reached within it is only a warning, and ``Exploration.complete`` says whether the
bound cut the search short. ``flowgen check`` runs this after validation (``--depth``, ``--svg``).

Example:
    >>> from flowgen.graph.conditions import Mention
    >>> from flowgen.graph.spec import END, AgentNode, EndNode, GraphSpec, NextEdge, WhenEdge
    >>> graph = GraphSpec(
    ...     nodes=(AgentNode(name="a"), AgentNode(name="b"), AgentNode(name="c"), AgentNode(name="join"), EndNode()),
    ...     edges=(
    ...         WhenEdge(source="a", target="b", condition=Mention(text="left")),
    ...         NextEdge(source="a", target="c", otherwise=True),
    ...         NextEdge(source="b", target="join"),
    ...         NextEdge(source="c", target="join"),
    ...         NextEdge(source="join", target=END),
    ...     ),
    ...     entry=("a",),
    ... )
    >>> found = explore(graph)
    >>> [(f.kind, f.nodes) for f in found.findings]
    [('starving_join', ('join', 'c'))]
    >>> print(found.findings[0].path_text())
    a → b
    >>> print(found.findings[0].fix)
    set activation_condition='any' on the edges into 'join', put them in different activation groups, or make every run that reaches ['b'] also reach ['c']
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import chain, combinations, product
from typing import Literal

from flowgen.graph.spec import END, EndNode, GraphSpec, HandoffEdge, NextEdge, RouterNode, SelectEdge

Severity = Literal["error", "warning"]
Kind = Literal["unreachable", "starving_join", "trap", "unbounded_cycle"]
JoinKey = tuple[str, str]
Waiting = tuple[str, str, frozenset[int]]

DEFAULT_DEPTH = 50
DEFAULT_MAX_STATES = 20_000
# Beyond this many conditional edges on one node, try no edge, each alone and all together: the full
# power set would grow as 2**n per node and again across every parallel node of a step.
_SUBSET_LIMIT = 4
# The scheduler refuses routers that keep choosing routers after this many hops.
_ROUTER_HOPS = 64
# Outcomes of one step are the product over its parallel nodes; past this many, the rest of that
# step's outcomes are left out and the search counts as incomplete (the state as not fully expanded).
_STEP_LIMIT = 4096


@dataclass(frozen=True, slots=True)
class Step:
    """One step of a counterexample: the nodes that ran (routers first) and the edges they fired.

    Example:
        >>> str(Step(ran=("router", "writer"), fired=(0, 3)))
        'router, writer'
    """

    ran: tuple[str, ...]
    fired: tuple[int, ...]

    def __str__(self) -> str:
        return ", ".join(self.ran)


@dataclass(frozen=True, slots=True)
class State:
    """An abstract run state: the ready nodes and the ``all`` groups waiting for more inputs.

    ``waiting`` holds ``(target, group, edges that fired)`` for each partly filled group.

    Example:
        >>> State(frozenset({"c"}), frozenset({("join", "join", frozenset({2}))})).joins
        frozenset({('join', 'join')})
    """

    frontier: frozenset[str]
    waiting: frozenset[Waiting] = frozenset()

    @property
    def joins(self) -> frozenset[JoinKey]:
        return frozenset((target, group) for target, group, _ in self.waiting)


@dataclass(frozen=True, slots=True)
class ExplorationFinding:
    """One problem found by exploring, with the run that shows it.

    ``code`` and ``problem`` repeat ``kind`` and ``message`` so that it reads like a validation
    :class:`~flowgen.graph.validate.Finding`.

    Example:
        >>> f = ExplorationFinding("unreachable", ("x",), "x is never ready", "add an edge", (Step(("a",), (0,)),))
        >>> f.path_nodes, f.code, f.severity
        (['a'], 'unreachable', 'error')
    """

    kind: Kind
    nodes: tuple[str, ...]
    message: str
    fix: str
    path: tuple[Step, ...] = ()
    severity: Severity = "error"

    @property
    def code(self) -> str:
        return self.kind

    @property
    def problem(self) -> str:
        return self.message

    @property
    def path_nodes(self) -> list[str]:
        """The nodes of the path in the order they ran."""
        return [name for step in self.path for name in step.ran]

    def path_text(self) -> str:
        """The path as ``a → b, c → d`` (a comma joins the nodes of one parallel step)."""
        return " → ".join(str(step) for step in self.path) or "(the entry)"

    def __str__(self) -> str:
        return f"{self.message} — {self.fix}"


@dataclass(frozen=True, slots=True)
class Exploration:
    """What exploring a graph found, and how far it looked.

    ``states`` counts the distinct states seen, ``depth`` how many steps from the start the farthest
    lies, ``complete`` whether every state was expanded (no bound cut the search short) and ``reached``
    the nodes some run makes ready.

    Example:
        >>> from flowgen.graph.spec import AgentNode, NextEdge
        >>> pair = GraphSpec(
        ...     nodes=(AgentNode(name="a"), AgentNode(name="b"), EndNode()),
        ...     edges=(NextEdge(source="a", target="b"), NextEdge(source="b", target=END)),
        ...     entry=("a",),
        ... )
        >>> found = explore(pair)
        >>> found.findings, found.states, found.complete, sorted(found.reached)
        ((), 3, True, ['__end__', 'a', 'b'])
    """

    findings: tuple[ExplorationFinding, ...]
    states: int
    depth: int
    complete: bool
    reached: frozenset[str]

    @property
    def errors(self) -> tuple[ExplorationFinding, ...]:
        return tuple(f for f in self.findings if f.severity == "error")


def explore(
    spec: GraphSpec,
    *,
    bounded: bool = False,
    depth: int = DEFAULT_DEPTH,
    max_states: int = DEFAULT_MAX_STATES,
) -> Exploration:
    """Explore every run of ``spec`` up to ``depth`` steps and report what can go wrong.

    Args:
        spec: the graph (best already free of :func:`~flowgen.graph.validate.check` findings).
        bounded: a termination condition or max_turns stops the run, so a loop without exit is fine.
        depth: how many steps of a run to look at.
        max_states: stop after this many distinct states (the search is then incomplete).
    """
    space = _Space.build(_Semantics(spec), depth, max_states)
    joins = list(_starving_joins(spec, space))
    findings = [
        *_unreachable(spec, space, {f.nodes[0] for f in joins}),
        *joins,
        *_closed_loops(space, bounded),
    ]
    return Exploration(
        tuple(findings), len(space.order), space.deepest, space.complete, frozenset(space.reached)
    )


# ----------------------------------------------------------------------- semantics


class _Semantics:
    """The scheduler's firing and fan-in rules over edge indices (kept in step with engine/transitions)."""

    def __init__(self, spec: GraphSpec) -> None:
        self.spec = spec
        self.routers = frozenset(n.name for n in spec.nodes if isinstance(n, RouterNode))
        self.ends = frozenset(n.name for n in spec.nodes if isinstance(n, EndNode)) | {END}
        self.group_size: dict[int, int] = {}
        for node in spec.nodes:
            if isinstance(node, EndNode):
                continue  # reaching an end is never a join
            groups: dict[str, list[int]] = {}
            for i in spec.in_edge_indices(node.name):
                groups.setdefault(spec.edges[i].group, []).append(i)
            for members in groups.values():
                for i in members:
                    self.group_size[i] = len(members)
        self.any = frozenset(i for i, e in enumerate(spec.edges) if e.activation_condition == "any")
        self._outcomes: dict[str, tuple[frozenset[int], ...]] = {}

    def outcomes(self, node: str) -> tuple[frozenset[int], ...]:
        """Every set of edges that may fire after ``node`` speaks."""
        if node not in self._outcomes:
            outs = [(i, self.spec.edges[i]) for i in self.spec.out_edge_indices(node)]
            primary = [(i, e) for i, e in outs if not e.otherwise and not isinstance(e, SelectEdge)]
            fallback = [(i, e) for i, e in outs if e.otherwise and not isinstance(e, SelectEdge)]
            result: set[frozenset[int]] = set()
            for fired in _choices(primary):
                if fired:
                    result.add(fired)
                else:
                    result.update(_choices(fallback))
            self._outcomes[node] = tuple(sorted(result, key=sorted))
        return self._outcomes[node]

    def choices(self, router: str) -> tuple[int, ...]:
        return tuple(
            i for i in self.spec.out_edge_indices(router) if isinstance(self.spec.edges[i], SelectEdge)
        )

    def activate(
        self, fired: Iterable[int], waiting: frozenset[Waiting]
    ) -> tuple[list[str], frozenset[Waiting]]:
        """The nodes the fired edges make ready, and the groups still waiting afterwards."""
        pending = {(t, g): set(s) for t, g, s in waiting}
        ready: list[str] = []
        for i in sorted(fired):
            edge = self.spec.edges[i]
            if self.group_size.get(i, 1) > 1 and i not in self.any:
                filled = pending.setdefault((edge.target, edge.group), set())
                filled.add(i)
                if len(filled) < self.group_size[i]:
                    continue
                del pending[(edge.target, edge.group)]
            if edge.target not in ready:
                ready.append(edge.target)
        return ready, frozenset((t, g, frozenset(s)) for (t, g), s in pending.items())


def _choices(edges: Sequence[tuple[int, object]]) -> Iterator[frozenset[int]]:
    """Every set of these edges that may fire together: next always, when any subset, one handoff."""
    always = frozenset(i for i, e in edges if isinstance(e, NextEdge))
    handoffs = [i for i, e in edges if isinstance(e, HandoffEdge)]
    conditional = [i for i, e in edges if not isinstance(e, NextEdge | HandoffEdge)]
    for when in _subsets(conditional):
        yield always | when
        for handoff in handoffs:
            yield always | when | {handoff}


def _subsets(items: list[int]) -> Iterator[frozenset[int]]:
    if len(items) <= _SUBSET_LIMIT:
        sizes: Iterable[int] = range(len(items) + 1)
    else:
        sizes = (0, 1, len(items))
    return (frozenset(c) for c in chain.from_iterable(combinations(items, n) for n in sizes))


# ----------------------------------------------------------------------- state space


@dataclass
class _Space:
    """The explored states, their successors and the first way each was reached."""

    initial: State
    order: list[State] = field(default_factory=list)
    successors: dict[State, list[tuple[Step, State]]] = field(default_factory=dict)
    parent: dict[State, tuple[State, Step] | None] = field(default_factory=dict)
    unexpanded: set[State] = field(default_factory=set)
    reached: set[str] = field(default_factory=set)
    deepest: int = 0
    complete: bool = True

    @classmethod
    def build(cls, sem: _Semantics, depth: int, max_states: int) -> _Space:
        initial = State(frozenset(sem.spec.entry))
        space = cls(initial, [initial], parent={initial: None}, reached=set(sem.spec.entry))
        level: dict[State, int] = {initial: 0}
        queue = deque([initial])
        while queue:
            state = queue.popleft()
            if level[state] >= depth or len(space.order) >= max_states:
                space.unexpanded.add(state)
                space.complete = space.complete and not state.frontier
                continue
            space.successors[state] = nexts = []
            for count, (step, after, ready) in enumerate(_steps(sem, state)):
                if count == _STEP_LIMIT:
                    space.unexpanded.add(state)
                    space.complete = False
                    break
                nexts.append((step, after))
                space.reached.update(step.ran, ready)
                if after not in space.parent:
                    space.parent[after] = (state, step)
                    level[after] = level[state] + 1
                    space.deepest = max(space.deepest, level[after])
                    space.order.append(after)
                    queue.append(after)
        return space

    def path(self, state: State) -> tuple[Step, ...]:
        """The shortest run from the entry to ``state``."""
        steps: list[Step] = []
        link = self.parent[state]
        while link is not None:
            state, step = link
            steps.append(step)
            link = self.parent[state]
        return tuple(reversed(steps))

    @cached_property
    def predecessors(self) -> dict[State, list[State]]:
        preds: dict[State, list[State]] = {}
        for state, nexts in self.successors.items():
            for _, after in nexts:
                preds.setdefault(after, []).append(state)
        return preds

    def closure(self, targets: Iterable[State]) -> set[State]:
        """The states from which some state of ``targets`` can be reached (``targets`` included)."""
        preds = self.predecessors
        seen = set(targets)
        todo = list(seen)
        while todo:
            for before in preds.get(todo.pop(), ()):
                if before not in seen:
                    seen.add(before)
                    todo.append(before)
        return seen


def _steps(sem: _Semantics, state: State) -> Iterator[tuple[Step, State, set[str]]]:
    """Every step from ``state``: routers resolved, then every outcome of every ready node."""
    if not state.frontier:
        return
    for routed, frontier, waiting, touched in _resolve(sem, state.frontier, state.waiting):
        agents = sorted(frontier)
        if not agents:
            yield routed, State(frozenset(), waiting), touched
            continue
        for combo in product(*(sem.outcomes(name) for name in agents)):
            fired = frozenset[int]().union(*combo)
            ready, after = sem.activate(fired, waiting)
            nxt = frozenset(n for n in ready if n not in sem.ends)
            step = Step((*routed.ran, *agents), (*routed.fired, *sorted(fired)))
            yield step, State(nxt, after), touched | set(ready)


def _resolve(
    sem: _Semantics, frontier: frozenset[str], waiting: frozenset[Waiting]
) -> Iterator[tuple[Step, frozenset[str], frozenset[Waiting], set[str]]]:
    """Every way the routers in the frontier may choose, as the scheduler resolves them before a step."""
    todo: deque[tuple[Step, frozenset[str], frozenset[Waiting], set[str], int]] = deque(
        [(Step((), ()), frontier, waiting, set(), 0)]
    )
    while todo:
        done, current, pending, touched, hops = todo.popleft()
        routers = sorted(current & sem.routers)
        if not routers or hops >= _ROUTER_HOPS:
            yield done, current, pending, touched
            continue
        keep = current - sem.routers
        for picks in product(*(sem.choices(r) or (None,) for r in routers)):
            fired = [i for i in picks if i is not None]
            ready, after = sem.activate(fired, pending)
            nxt = keep | {n for n in ready if n not in sem.ends}
            step = Step((*done.ran, *routers), (*done.fired, *sorted(fired)))
            todo.append((step, frozenset(nxt), after, touched | set(ready), hops + 1))


# ----------------------------------------------------------------------- findings


def _unreachable(spec: GraphSpec, space: _Space, starved: set[str]) -> Iterator[ExplorationFinding]:
    """Nodes no run makes ready, where it first goes wrong: a predecessor ran but no edge fired it.

    Nodes behind them (whose predecessors never run either) and the targets of starving joins are
    consequences, reported through their cause; islands no edge leads to are validation's to report.
    """
    missing = {n.name for n in spec.nodes if n.name not in space.reached}
    for node in spec.nodes:
        name = node.name
        if name not in missing or name in starved:
            continue
        sources = {e.source for e in spec.in_edges(name)}
        if not sources or sources <= missing:
            continue
        near = next(
            chain(
                (
                    (*space.path(s), step)
                    for s in space.order
                    for step, _ in space.successors.get(s, ())
                    if sources.intersection(step.ran)
                ),
                (space.path(s) for s in space.order if s.frontier & sources),
            ),
            (),
        )
        within = "" if space.complete else f" within {space.deepest} step{'s' * (space.deepest != 1)}"
        yield ExplorationFinding(
            "unreachable",
            (name,),
            f"no run makes {name!r} ready{within}: {sorted(sources - missing)} run, but none of their "
            f"edges into {name!r} can fire it",
            f"add an edge into {name!r} that can fire (an unconditional edge out of a node means its "
            "'otherwise' edges never fire), loosen the join into it, or remove it",
            near,
            "error" if space.complete else "warning",
        )


def _starving_joins(spec: GraphSpec, space: _Space) -> Iterator[ExplorationFinding]:
    keys = sorted({key for state in space.order for key in state.joins})
    for target, group in keys:
        can_fill = space.closure(
            chain((s for s in space.order if (target, group) not in s.joins), space.unexpanded)
        )
        stuck = next((s for s in space.order if (target, group) in s.joins and s not in can_fill), None)
        if stuck is None:
            continue
        filled = next(f for t, g, f in stuck.waiting if (t, g) == (target, group))
        inputs = [i for i in spec.in_edge_indices(target) if spec.edges[i].group == group]
        every = sorted({spec.edges[i].source for i in inputs})
        missing = sorted({spec.edges[i].source for i in inputs if i not in filled})
        got = sorted({spec.edges[i].source for i in filled})
        yield ExplorationFinding(
            "starving_join",
            (target, *missing),
            f"{target!r} waits for all of {every} (group {group!r}); after this run {got} have fired "
            f"but {missing} can no longer fire, so {target!r} waits forever",
            f"set activation_condition='any' on the edges into {target!r}, put them in different "
            f"activation groups, or make every run that reaches {got} also reach {missing}",
            space.path(stuck),
        )


def _closed_loops(space: _Space, bounded: bool) -> Iterator[ExplorationFinding]:
    """Loops of states that no step leaves: traps when the graph can end, else unbounded cycles."""
    ends = [s for s in space.order if not s.frontier]
    if bounded and not ends:
        return  # a graph with no way to end, stopped by its termination condition (e.g. round robin)
    can_end = space.closure(chain(ends, space.unexpanded))
    reported: set[frozenset[str]] = set()
    for state in space.order:
        if state in can_end:
            continue
        steps, start = _round_once(space, state)
        nodes = frozenset(n for step in steps[start:] for n in step.ran)
        if nodes in reported:
            continue
        reported.add(nodes)
        yield _loop_finding(sorted(nodes), space.path(state) + steps, bool(ends), bounded)


def _round_once(space: _Space, start: State) -> tuple[tuple[Step, ...], int]:
    """From ``start``, the steps into the loop it falls into and once round it, and where the loop starts."""
    seen = {start: 0}
    steps: list[Step] = []
    state = start
    while True:
        step, state = space.successors[state][0]
        steps.append(step)
        if state in seen:
            return tuple(steps), seen[state]
        seen[state] = len(steps)


def _loop_finding(
    nodes: list[str], path: tuple[Step, ...], can_end: bool, bounded: bool
) -> ExplorationFinding:
    if can_end:
        stopper = "only the termination condition or max_turns stops it" if bounded else "nothing stops it"
        return ExplorationFinding(
            "trap",
            tuple(nodes),
            f"after this run no end can be reached any more: it goes round {nodes} and {stopper}",
            f"add a conditional edge out of the loop through {nodes} towards an end (e.g. a WhenEdge to "
            f"{END!r})",
            path,
        )
    return ExplorationFinding(
        "unbounded_cycle",
        tuple(nodes),
        f"the run goes round {nodes} forever: no edge out of this loop can fire and no termination "
        "condition or max_turns stops it",
        f"add a termination condition or max_turns, or a conditional edge out of the loop (e.g. to {END!r})",
        path,
    )
