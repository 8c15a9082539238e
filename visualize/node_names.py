"""Node names on a drawn graph: ``data-node="<name>"`` on each node's SVG group, for pages to find.

Element ids are slugs (see :mod:`visualize.ids`), safe for CSS but unreadable; a page that hears
"node writer started" looks the node up by its name instead. A node inside a nested team is named by
its path, ``team/inner``, as the run's events name it.

Example:
    >>> from flowgen.graph import AgentNode, GraphSpec
    >>> graph = GraphSpec(nodes=(AgentNode(name="a&b"),), entry=("a&b",))
    >>> name_nodes('<g id="node-a_26_b" class="node agent">', graph)
    '<g id="node-a_26_b" class="node agent" data-node="a&amp;b">'
"""

from __future__ import annotations

import re
from html import escape

from flowgen.graph.spec import GraphSpec
from visualize.ids import node_id

_NODE_GROUP = re.compile(r'<g id="(node-[A-Za-z0-9_-]+)" class="(node[^"]*)">')


def name_nodes(svg: str, graph: GraphSpec) -> str:
    """``svg`` (a drawing of ``graph``) with ``data-node`` on every node group the graph names."""
    names: dict[str, str] = {}
    for prefix, sub in graph.walk():
        for node in sub.nodes:
            path = f"{prefix}/{node.name}" if prefix else node.name
            names[node_id(path)] = path

    def tag(match: re.Match[str]) -> str:
        name = names.get(match[1])
        if name is None:
            return match[0]
        return f'<g id="{match[1]}" class="{match[2]}" data-node="{escape(name, quote=True)}">'

    return _NODE_GROUP.sub(tag, svg)
