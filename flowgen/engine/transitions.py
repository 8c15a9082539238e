"""Transitions: which edges fire after a node speaks, and which nodes that makes ready.

Pure bookkeeping over a :class:`~flowgen.graph.GraphSpec`, precomputed once per graph so that a turn
only walks the finished node's own out-edges:

- ``NextEdge`` always fires; ``WhenEdge`` fires when its condition matches the node's last chat
  message; ``HandoffEdge`` fires when the node emitted a HandoffMessage to the edge's target;
- ``otherwise`` edges fire only when none of the above fired from that node;
- ``SelectEdge`` fires only when a router's policy chooses its target (see the scheduler).

Fan-in: an edge whose activation group at its target holds several edges only readies the target
when all of them have fired (``all``), or at once (``any``); partial groups wait in ``pending``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from flowgen.errors import HandoffError
from flowgen.graph.spec import (
    END,
    EndNode,
    GraphSpec,
    HandoffEdge,
    NextEdge,
    RouterNode,
    SelectEdge,
    WhenEdge,
)
from flowgen.messages import BaseChatMessage, HandoffMessage

AnyEdge = NextEdge | WhenEdge | SelectEdge | HandoffEdge


class Fired(NamedTuple):
    """One edge that fired, and why (in words, for the trace)."""

    edge: int
    source: str
    target: str
    reason: str


def _fire_reason(edge: AnyEdge) -> str:
    if isinstance(edge, WhenEdge):
        return f"condition matched: {edge.describe()}"
    if isinstance(edge, HandoffEdge):
        return f"handoff to {edge.target}"
    if edge.otherwise:
        return "otherwise: no other edge fired"
    return edge.label or "next"


class Transitions:
    """The out-edges of every node, split by how they fire, and the fan-in group of every edge."""

    def __init__(self, spec: GraphSpec) -> None:
        self.spec = spec
        # Each edge with the reason it fires, worded once here rather than on every turn.
        self._primary: dict[str, tuple[tuple[int, AnyEdge, str], ...]] = {}
        self._otherwise: dict[str, tuple[tuple[int, AnyEdge, str], ...]] = {}
        self._select: dict[str, tuple[tuple[int, str], ...]] = {}
        for node in spec.nodes:
            outs = [(i, spec.edges[i]) for i in spec.out_edge_indices(node.name)]
            self._primary[node.name] = tuple(
                (i, e, _fire_reason(e)) for i, e in outs if not e.otherwise and not isinstance(e, SelectEdge)
            )
            self._otherwise[node.name] = tuple((i, e, _fire_reason(e)) for i, e in outs if e.otherwise)
            self._select[node.name] = tuple((i, e.target) for i, e in outs if isinstance(e, SelectEdge))
        self._group_size: dict[int, int] = {}
        for node in spec.nodes:
            if isinstance(node, EndNode):
                continue  # reaching an end is never a join
            groups: dict[str, list[int]] = {}
            for i in spec.in_edge_indices(node.name):
                groups.setdefault(spec.edges[i].group, []).append(i)
            for members in groups.values():
                for i in members:
                    self._group_size[i] = len(members)
        self._any = {i for i, e in enumerate(spec.edges) if e.activation_condition == "any"}
        self._handoff_targets: dict[str, frozenset[str]] = {}
        for e in spec.edges:
            if isinstance(e, HandoffEdge):
                self._handoff_targets[e.source] = self._handoff_targets.get(e.source, frozenset()) | {
                    e.target
                }
        self._nodes = frozenset(n.name for n in spec.nodes)
        self.routers = frozenset(n.name for n in spec.nodes if isinstance(n, RouterNode))
        self.ends = frozenset(n.name for n in spec.nodes if isinstance(n, EndNode)) | {END}

    def candidates(self, router: str) -> tuple[tuple[int, str], ...]:
        """A router's select edges as (edge index, target)."""
        return self._select.get(router, ())

    def fire(self, node: str, chat: Sequence[BaseChatMessage]) -> list[Fired]:
        """The edges that fire after ``node`` said ``chat`` (its chat messages of this turn)."""
        primary = self._primary.get(node, ())
        if len(primary) == 1 and type(primary[0][1]) is NextEdge:
            i, e, reason = primary[0]
            return [Fired(i, node, e.target, reason)]
        last = chat[-1] if chat else None
        fired = [Fired(i, node, e.target, reason) for i, e, reason in primary if _fires(e, last, chat)]
        if not fired and node in self._handoff_targets and type(last) is HandoffMessage:
            self._check_handoff(node, last)
        if not fired:
            fired = [
                Fired(i, node, e.target, reason)
                for i, e, reason in self._otherwise.get(node, ())
                if _fires(e, last, chat)
            ]
        return fired

    def _check_handoff(self, node: str, message: HandoffMessage) -> None:
        """A handoff no edge took: to the node itself it keeps the floor; to no node at all it is an error.

        Never silently ignored: a custom agent may hand off to anyone, so a misspelt target shows here.
        """
        if message.target in self._nodes:
            return
        targets = sorted(self._handoff_targets[node])
        raise HandoffError(
            f"agent {node!r} handed off to {message.target!r}, which is not a participant of the team "
            f"nor a HandoffTermination target; hand off to one of {targets}"
        )

    def activate(self, fired: Sequence[Fired], pending: dict[str, dict[str, set[int]]]) -> list[str]:
        """The nodes the fired edges make ready, in firing order, each once; partial joins wait."""
        ready: list[str] = []
        for f in fired:
            if self._group_size.get(f.edge, 1) > 1 and f.edge not in self._any:
                waiting = pending.setdefault(f.target, {}).setdefault(self.spec.edges[f.edge].group, set())
                waiting.add(f.edge)
                if len(waiting) < self._group_size[f.edge]:
                    continue
                del pending[f.target][self.spec.edges[f.edge].group]
                if not pending[f.target]:
                    del pending[f.target]
            if f.target not in ready:
                ready.append(f.target)
        return ready


def _fires(edge: AnyEdge, last: BaseChatMessage | None, chat: Sequence[BaseChatMessage]) -> bool:
    # Exact-type tests first: the message and edge classes are ABCs, whose isinstance costs far more.
    kind = type(edge)
    if kind is NextEdge:
        return True
    if kind is HandoffEdge or isinstance(edge, HandoffEdge):
        target = edge.target
        # A plain loop: on every handoff, a generator for any() would cost more than the search.
        for m in chat:
            if (type(m) is HandoffMessage or isinstance(m, HandoffMessage)) and m.target == target:
                return True
        return False
    if isinstance(edge, WhenEdge):
        return last is not None and edge.condition.matches(last)
    return isinstance(edge, NextEdge)
