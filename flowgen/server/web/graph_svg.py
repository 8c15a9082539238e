"""An agent's graph as SVG for the web view: visualize's drawing, each node group named (``data-node``).

A served team's graph never changes while the server runs, so each is drawn once (Graphviz runs in a
worker thread, off the event loop) and kept.
"""

from __future__ import annotations

import asyncio

from flowgen.errors import RendererNotFoundError, RequestError
from flowgen.graph.spec import GraphSpec
from flowgen.server.agents import Agents


class GraphDrawings:
    """The SVG of each served agent's graph, drawn on first request."""

    __slots__ = ("_agents", "_drawn")

    def __init__(self, agents: Agents) -> None:
        self._agents = agents
        self._drawn: dict[str, str] = {}

    async def svg(self, name: str) -> str:
        if name not in self._drawn:
            graph = self._agents.build(self._agents.require(name)).graph
            try:
                self._drawn[name] = await asyncio.to_thread(_draw, graph)
            except RendererNotFoundError as exc:
                raise RequestError(503, "renderer_missing", f"cannot draw the graph: {exc}") from None
        return self._drawn[name]


def _draw(graph: GraphSpec) -> str:
    from visualize import name_nodes, render_svg
    from visualize.render import inline_svg

    return inline_svg(name_nodes(render_svg(graph), graph))
