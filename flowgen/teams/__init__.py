"""Teams (AutoGen's ``autogen_agentchat.teams``): each a graph factory on the shared team shell."""

from flowgen.teams.digraph import DiGraph, DiGraphBuilder, DiGraphEdge, DiGraphNode
from flowgen.teams.graph_flow import GraphFlow
from flowgen.teams.round_robin import RoundRobinGroupChat
from flowgen.teams.selector import SelectorGroupChat
from flowgen.teams.shell import BaseGroupChat
from flowgen.teams.swarm import Swarm

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
