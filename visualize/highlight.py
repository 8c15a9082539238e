"""A path to draw on a graph: the counterexample of an exploration finding, or any run of node names.

``highlight=`` of :func:`visualize.to_dot` and :func:`visualize.render_svg` takes any of:

- a finding of :func:`flowgen.graph.explore.explore` (anything with a ``path`` of steps; its
  ``nodes`` are marked as the ones the finding is about, its ``kind`` and ``message`` title the drawing);
- a sequence of steps (objects with ``ran``, the node names of the step, and ``fired``, edge indices);
- a sequence of node names, each its own step, joined by the first edge between consecutive names;
- a :class:`PathHighlight`.

Example:
    >>> from flowgen.graph import AgentNode, GraphSpec, NextEdge
    >>> g = GraphSpec(nodes=(AgentNode(name="a"), AgentNode(name="b")), edges=(NextEdge(source="a", target="b"),), entry=("a",))
    >>> h = PathHighlight.of(g, ["a", "b"])
    >>> h.node_steps, h.edge_steps
    ({'a': [1], 'b': [2]}, {0: [1]})
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from flowgen.errors import ConfigurationError
from flowgen.graph.spec import GraphSpec

Highlightable = Any
"""A finding with a ``path``, a sequence of steps, a sequence of node names, or a PathHighlight."""


@dataclass(frozen=True, slots=True)
class PathHighlight:
    """The steps at which each node ran and each edge fired, the nodes in focus, and a title."""

    node_steps: dict[str, list[int]] = field(default_factory=dict)
    edge_steps: dict[int, list[int]] = field(default_factory=dict)
    focus: tuple[str, ...] = ()
    title: str = ""

    @classmethod
    def of(cls, graph: GraphSpec, obj: Highlightable) -> PathHighlight:
        """``obj`` (see the module docstring) as the steps to draw on ``graph``."""
        if isinstance(obj, PathHighlight):
            return obj
        if hasattr(obj, "path"):
            kind, message = getattr(obj, "kind", ""), getattr(obj, "message", "")
            title = f"{kind}: {message}" if kind else str(message)
            base = cls.of(graph, tuple(obj.path))
            return cls(base.node_steps, base.edge_steps, tuple(getattr(obj, "nodes", ())), title)
        steps = list(obj) if isinstance(obj, Sequence) and not isinstance(obj, str) else None
        if steps is None:
            raise ConfigurationError(
                f"cannot highlight a {type(obj).__name__}: pass an exploration finding, a list of its "
                "steps, or a list of node names"
            )
        if all(isinstance(s, str) for s in steps):
            return cls._from_names(graph, steps)
        return cls._from_steps(steps)

    @classmethod
    def _from_steps(cls, steps: Sequence[Any]) -> PathHighlight:
        nodes: dict[str, list[int]] = {}
        edges: dict[int, list[int]] = {}
        for number, step in enumerate(steps, start=1):
            for name in step.ran:
                nodes.setdefault(name, []).append(number)
            for index in step.fired:
                edges.setdefault(index, []).append(number)
        return cls(nodes, edges)

    @classmethod
    def _from_names(cls, graph: GraphSpec, names: Sequence[str]) -> PathHighlight:
        nodes: dict[str, list[int]] = {}
        edges: dict[int, list[int]] = {}
        for number, name in enumerate(names, start=1):
            nodes.setdefault(name, []).append(number)
            if number < len(names):
                index = next(
                    (i for i in graph.out_edge_indices(name) if graph.edges[i].target == names[number]), None
                )
                if index is not None:
                    edges.setdefault(index, []).append(number)
        return cls(nodes, edges)

    def first_step(self) -> list[str]:
        """The nodes that ran in step 1 (their entry arrows are part of the path)."""
        return [name for name, steps in self.node_steps.items() if 1 in steps]


def steps_text(steps: list[int]) -> str:
    return "step " + ", ".join(str(s) for s in steps)
