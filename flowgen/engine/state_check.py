"""Checking a saved run state against the graph it is loaded into, before anything is changed.

``load_state`` is all-or-nothing: every field is checked here first — the format version, the team
type, the nodes named in the frontier, joins, counters and cursors, and every message of the thread
— and only a state that passes is applied. Each problem is a :class:`~flowgen.errors.StateError`
naming the field (``run_state.cursors['writer']``) and saying what would fit.

Example:
    >>> from flowgen.graph import AgentNode, GraphSpec, NextEdge
    >>> from flowgen.messages import MessageFactory
    >>> spec = GraphSpec(nodes=(AgentNode(name="a"),), edges=(NextEdge(source="a", target="a"),), entry=("a",))
    >>> try:
    ...     live_state(RunState(frontier=["b"]), spec, MessageFactory(), team=None)
    ... except StateError as e:
    ...     print(e)
    run_state.frontier: node 'b' is not in graph 'graph' (its nodes: ['a']); load a state saved by the same team
"""

from __future__ import annotations

from flowgen.engine.state import STATE_VERSION, LiveState, RunState
from flowgen.errors import StateError
from flowgen.graph.spec import END, EndNode, GraphSpec, RouterNode
from flowgen.messages import BaseAgentEvent, BaseChatMessage, MessageFactory

_STOP_KINDS = frozenset({"termination", "max_turns", "completed", "stalled", "handoff", "error", "cancelled"})


def live_state(saved: RunState, spec: GraphSpec, factory: MessageFactory, team: str | None) -> LiveState:
    """The live form of ``saved``, once every field is known to fit ``spec``; StateError otherwise."""
    if saved.version != STATE_VERSION:
        raise StateError(
            f"run_state.version: this state has format version {saved.version}, but this flowgen reads "
            f"version {STATE_VERSION}; save it again with a matching flowgen"
        )
    if team is not None and saved.team is not None and saved.team != team:
        raise StateError(
            f"run_state.team: the state was saved by a {saved.team}, not a {team}; load it into a "
            f"{saved.team} with the same participants"
        )
    nodes = set(spec.node_names)
    _check_nodes(saved, nodes, spec)
    _check_counters(saved)
    thread = _messages(saved, factory)
    _check_cursors(saved, len(thread))
    live = saved.to_live(factory, thread)
    return live


def _unknown(field: str, name: str, spec: GraphSpec) -> StateError:
    return StateError(
        f"{field}: node {name!r} is not in graph {spec.name!r} (its nodes: {spec.node_names}); load a "
        "state saved by the same team"
    )


def _check_nodes(saved: RunState, nodes: set[str], spec: GraphSpec) -> None:
    for name in saved.frontier:
        if name not in nodes:
            raise _unknown("run_state.frontier", name, spec)
        if isinstance(spec.node(name), EndNode):
            raise StateError(f"run_state.frontier: {name!r} is an end node, which never runs")
    edges = len(spec.edges)
    for target, groups in saved.pending.items():
        if target not in nodes:
            raise _unknown("run_state.pending", target, spec)
        for group, fired in groups.items():
            bad = [i for i in fired if not 0 <= i < edges]
            if bad:
                raise StateError(
                    f"run_state.pending[{target!r}][{group!r}]: edges {bad} do not exist (the graph has "
                    f"{edges} edges); load a state saved by the same team"
                )
    for field, names in (
        ("run_state.visits", saved.visits),
        ("run_state.cursors", saved.cursors),
        ("run_state.spans", saved.spans),
    ):
        for name in names:
            if name not in nodes:
                raise _unknown(field, name, spec)
    for edge in saved.carried:
        for name in (edge.source, edge.target):
            if name not in nodes and name != END:
                raise _unknown("run_state.carried", name, spec)
    routers = {n.name for n in spec.nodes if isinstance(n, RouterNode)}
    for name in saved.policies:
        if name not in routers:
            raise StateError(
                f"run_state.policies: the state holds a speaker policy for {name!r}, which is no router of "
                f"graph {spec.name!r} (routers: {sorted(routers)}); it was saved by another team type"
            )


def _check_counters(saved: RunState) -> None:
    for field, value in (("turn", saved.turn), ("step", saved.step)):
        if value < 0:
            raise StateError(f"run_state.{field}: {value} is negative; a saved count is 0 or more")
    for name, count in saved.visits.items():
        if count < 0:
            raise StateError(f"run_state.visits[{name!r}]: {count} is negative; a visit count is 0 or more")
    if saved.stopping is not None and saved.stopping[1] not in _STOP_KINDS:
        raise StateError(
            f"run_state.stopping: unknown stop kind {saved.stopping[1]!r} (one of {sorted(_STOP_KINDS)})"
        )


def _messages(saved: RunState, factory: MessageFactory) -> list[BaseAgentEvent | BaseChatMessage]:
    thread: list[BaseAgentEvent | BaseChatMessage] = []
    for index, data in enumerate(saved.thread):
        try:
            thread.append(factory.create(data))
        except ValueError as error:  # pydantic's ValidationError is a ValueError too
            raise StateError(
                f"run_state.thread[{index}]: {error}; a team loads only the message types its agents "
                "produce and those given in custom_message_types"
            ) from None
    return thread


def _check_cursors(saved: RunState, length: int) -> None:
    for name, cursor in saved.cursors.items():
        if not 0 <= cursor <= length:
            raise StateError(
                f"run_state.cursors[{name!r}]: {cursor} lies outside the thread of {length} messages"
            )
    for name, (start, end) in saved.spans.items():
        if not 0 <= start <= end <= length:
            raise StateError(
                f"run_state.spans[{name!r}]: ({start}, {end}) is not a range within the thread of {length} "
                "messages"
            )
    last = -1
    for index in saved.unshown:
        if not last < index < length:
            raise StateError(
                f"run_state.unshown: {index} is not a later message of the thread of {length} messages"
            )
        last = index
