"""Teams (AutoGen's ``autogen_agentchat.teams``): each a graph factory on the shared team shell.

Each team's module loads on first use (module ``__getattr__``), so that a program using one team
does not pay for importing the others (GraphFlow's DiGraph support is the heaviest).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flowgen.lazy_exports import lazy_exports

if TYPE_CHECKING:
    from flowgen.teams.digraph import DiGraph, DiGraphBuilder, DiGraphEdge, DiGraphNode
    from flowgen.teams.graph_flow import GraphFlow
    from flowgen.teams.round_robin import RoundRobinGroupChat
    from flowgen.teams.selector import SelectorGroupChat
    from flowgen.teams.shell import BaseGroupChat
    from flowgen.teams.swarm import Swarm

_LAZY = {
    "BaseGroupChat": "flowgen.teams.shell",
    "DiGraph": "flowgen.teams.digraph",
    "DiGraphBuilder": "flowgen.teams.digraph",
    "DiGraphEdge": "flowgen.teams.digraph",
    "DiGraphNode": "flowgen.teams.digraph",
    "GraphFlow": "flowgen.teams.graph_flow",
    "RoundRobinGroupChat": "flowgen.teams.round_robin",
    "SelectorGroupChat": "flowgen.teams.selector",
    "Swarm": "flowgen.teams.swarm",
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)


__all__ = [
    "BaseGroupChat",
    "DiGraph",
    "DiGraphBuilder",
    "DiGraphEdge",
    "DiGraphNode",
    "GraphFlow",
    "RoundRobinGroupChat",
    "SelectorGroupChat",
    "Swarm",
]
