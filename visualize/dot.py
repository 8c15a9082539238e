"""A GraphSpec (optionally with a run on it) as a Graphviz DOT graph.

Static drawing: agents are rounded boxes (name, description, tools), routers are diamonds, the end is
a double circle, a black dot marks where the run enters; ``next`` edges are solid, ``when`` dashed with
their condition, ``select`` dotted, handoffs purple with their tool name. Edges of one fan-in group
share an arrow head (marked with a logical and for ``all``, or for ``any``); a parallel fan-out shares its tail (∥).
A nested team is a cluster around its own graph.

With a run: visited nodes are shaded by visit count and show it, traversed edges are bold with their
count and first step, untaken edges and unvisited nodes fade, errors are red and the node where the
run stopped is outlined in orange with the reason. Tooltips carry time, tokens and models.

Every node and edge gets a stable ``id`` (see :mod:`visualize.ids`) and ``class`` so pages can find it.
"""

from __future__ import annotations

import textwrap
from collections import Counter
from typing import Any

import graphviz

from flowgen.engine.trace import RunTrace
from flowgen.graph.spec import (
    AgentNode,
    EndNode,
    GraphSpec,
    HandoffEdge,
    NextEdge,
    RouterNode,
    SelectEdge,
    WhenEdge,
)
from visualize.highlight import Highlightable, PathHighlight, steps_text
from visualize.ids import cluster_name, edge_id, node_id, slug
from visualize.inputs import Drawable, graph_of, optional_trace
from visualize.overlay import EdgeStats, NodeStats, RunOverlay

FONT = "Helvetica"
TIMES, AND, OR = "\u00d7", "\u2227", "\u2228"
SHADES = ("#dbe8f7", "#b7d1ee", "#8fb6e3", "#6497d4", "#3a78c4")
FADED = "#c8c8c8"
ERROR = "#c92a2a"
STOPPED = "#e8590c"
PATH = "#d6336c"
FOCUS_FILL = "#ffe3e3"
EDGE_STYLE: dict[str, dict[str, str]] = {
    "next": {"style": "solid"},
    "when": {"style": "dashed"},
    "select": {"style": "dotted"},
    "handoff": {"style": "solid", "color": "#7048e8", "fontcolor": "#7048e8", "arrowhead": "vee"},
}


def text(value: str) -> str:
    """User text made literal for a DOT string (Graphviz reads backslashes as escapes)."""
    return value.replace("\\", "\\\\")


def lines(*parts: str) -> str:
    return "\\n".join(text(p) for p in parts if p)


def wrap(value: str, width: int = 32, max_lines: int = 3) -> list[str]:
    return textwrap.wrap(value, width=width, max_lines=max_lines, placeholder=" …")


def to_digraph(obj: Drawable, trace: Any = None, *, highlight: Highlightable = None) -> graphviz.Digraph:
    """``obj`` (graph, team, trace or result) as a ``graphviz.Digraph``, with ``trace``'s run if any.

    ``highlight`` draws a path on the top graph (see :mod:`visualize.highlight`).
    """
    graph = graph_of(obj)
    run = optional_trace(obj, trace)
    overlay = RunOverlay.from_trace(run) if run is not None else None
    mark = PathHighlight.of(graph, highlight) if highlight is not None else None
    attrs = _graph_attrs(graph, run, overlay)
    if mark is not None and mark.title:
        attrs["label"] += "\\n" + lines(*wrap(mark.title, 90, 3))
    dot = graphviz.Digraph(name=graph.name, graph_attr=attrs)
    dot.attr("node", fontname=FONT, fontsize="11")
    dot.attr("edge", fontname=FONT, fontsize="9")
    _draw_graph(dot, graph, "", overlay, mark)
    return dot


def to_dot(obj: Drawable, trace: Any = None, *, highlight: Highlightable = None) -> str:
    """The DOT source for ``obj``, with ``trace``'s run drawn on it when given (or carried by ``obj``).

    ``highlight`` draws a path on the graph: an exploration finding's counterexample, its steps, or a
    list of node names (see :mod:`visualize.highlight`).

    Example:
        >>> from flowgen.graph import AgentNode, GraphSpec
        >>> print(to_dot(GraphSpec(nodes=(AgentNode(name="solo"),), entry=("solo",))).splitlines()[0])
        digraph "graph" {
    """
    return str(to_digraph(obj, trace, highlight=highlight).source)


def _graph_attrs(graph: GraphSpec, run: RunTrace | None, overlay: RunOverlay | None) -> dict[str, str]:
    attrs = {"rankdir": "TB", "fontname": FONT, "fontsize": "12", "labelloc": "t", "nodesep": "0.4"}
    attrs["label"] = text(graph.name)
    if run is not None and overlay is not None:
        stop = overlay.stop
        why = f"stopped ({stop.stop}): {stop.reason}" if stop else "not finished"
        attrs["label"] = lines(graph.name, f"run: {len(overlay.steps)} steps · {_short(why, 90)}")
    return attrs


def _short(value: str, limit: int) -> str:
    flat = " ".join(value.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _draw_graph(
    dot: graphviz.Digraph,
    graph: GraphSpec,
    prefix: str,
    overlay: RunOverlay | None,
    mark: PathHighlight | None = None,
) -> None:
    for node in graph.nodes:
        path = f"{prefix}/{node.name}" if prefix else node.name
        if isinstance(node, AgentNode) and node.subgraph is not None:
            _draw_team(dot, node, path, overlay, mark)
        else:
            attrs = _node_attrs(node, path, overlay)
            if mark is not None:
                _mark_node(attrs, node.name, mark)
            dot.node(node_id(path), **_safe(attrs))
    _draw_entry(dot, graph, prefix, overlay, mark)
    fan_out = _parallel_sources(graph)
    # Only next/when edges can arrive together; router choices and handoffs exclude each other.
    groups = Counter((e.target, e.group) for e in graph.edges if isinstance(e, NextEdge | WhenEdge))
    for index, edge in enumerate(graph.edges):
        attrs = _edge_attrs(edge, index, prefix, overlay)
        if edge.source in fan_out and _is_parallel(edge):
            attrs.update(sametail="parallel", taillabel="∥", dir="both", arrowtail="none")
        if isinstance(edge, NextEdge | WhenEdge) and (
            groups[(edge.target, edge.group)] > 1 or edge.activation_group is not None
        ):
            joins = AND if edge.activation_condition == "all" else OR
            attrs.update(samehead=slug(edge.group), headlabel=joins)
            attrs["class"] += f" group-{slug(edge.group)}"
        if mark is not None:
            _mark_edge(attrs, index, mark)
        source = f"{prefix}/{edge.source}" if prefix else edge.source
        target = f"{prefix}/{edge.target}" if prefix else edge.target
        dot.edge(node_id(source), node_id(target), **_safe(attrs))


def _safe(attrs: dict[str, str]) -> dict[str, str]:
    """Mark every value as plain text: the graphviz package would read ``<...>`` as an HTML label."""
    return {key: graphviz.nohtml(value) for key, value in attrs.items()}


def _is_parallel(edge: NextEdge | WhenEdge | SelectEdge | HandoffEdge) -> bool:
    return isinstance(edge, NextEdge) and not edge.otherwise


def _parallel_sources(graph: GraphSpec) -> set[str]:
    """Sources whose unconditional edges fire together: their targets run in one parallel step."""
    counts = Counter(e.source for e in graph.edges if _is_parallel(e))
    return {source for source, n in counts.items() if n > 1}


def _draw_entry(
    dot: graphviz.Digraph,
    graph: GraphSpec,
    prefix: str,
    overlay: RunOverlay | None,
    mark: PathHighlight | None,
) -> None:
    """The top graph enters from a black dot; a nested team enters from its own box."""
    start = node_id(prefix) if prefix else "start"
    if not prefix:
        dot.node(
            start,
            label="",
            xlabel="start",
            shape="circle",
            width="0.18",
            style="filled",
            fillcolor="black",
            id="start",
            **{"class": "start"},
        )
    for target in graph.entry:
        path = f"{prefix}/{target}" if prefix else target
        taken = (
            overlay is None or overlay.nodes.get(path, NodeStats()).visits > 0 or overlay.decisions[path] > 0
        )
        attrs = {"id": f"entry-{slug(path)}", "class": "entry", "style": "bold", "arrowhead": "normal"}
        if not taken:
            attrs.update(color=FADED, style="solid")
            attrs["class"] += " untaken"
        if mark is not None and target in mark.first_step():
            attrs.update(color=PATH, penwidth="2.6")
            attrs["class"] += " on-path"
        dot.edge(start, node_id(path), **attrs)


def _draw_team(
    dot: graphviz.Digraph, node: AgentNode, path: str, overlay: RunOverlay | None, mark: PathHighlight | None
) -> None:
    assert node.subgraph is not None
    with dot.subgraph(name=cluster_name(path)) as cluster:
        cluster.attr(
            label=lines(f"team {node.name}", node.subgraph.name),
            style="rounded,dashed",
            color="#868e96",
            id=f"cluster-{slug(path)}",
        )
        attrs = _node_attrs(node, path, overlay)
        if mark is not None:
            _mark_node(attrs, node.name, mark)
        cluster.node(node_id(path), **_safe(attrs))
        # The path belongs to the top graph: the nested graph is drawn as it is.
        _draw_graph(cluster, node.subgraph, path, overlay)


def _node_attrs(
    node: AgentNode | RouterNode | EndNode, path: str, overlay: RunOverlay | None
) -> dict[str, str]:
    attrs = _static_node_attrs(node)
    attrs["id"] = node_id(path)
    if overlay is not None:
        _overlay_node(attrs, overlay.nodes.get(path), overlay, path)
    return attrs


def _static_node_attrs(node: AgentNode | RouterNode | EndNode) -> dict[str, str]:
    if isinstance(node, RouterNode):
        label = [node.name, f"policy: {node.policy}"]
        return {
            "label": lines(*label),
            "shape": "diamond",
            "style": "filled",
            "fillcolor": "#fff4d6",
            "color": "#e0a100",
            "tooltip": text(node.description or node.policy),
            "class": "router",
        }
    if isinstance(node, EndNode):
        return {
            "label": "end",
            "shape": "doublecircle",
            "style": "filled",
            "fillcolor": "#343a40",
            "fontcolor": "white",
            "width": "0.5",
            "tooltip": text(node.description),
            "class": "end",
        }
    label = [node.name, *wrap(node.description)]
    if node.tools:
        label.extend(wrap("tools: " + ", ".join(node.tools)))
    kind = "team" if node.subgraph is not None else "agent"
    return {
        "label": lines(*label),
        "shape": "tab" if kind == "team" else "box",
        "style": "rounded,filled",
        "fillcolor": "#eef3fb",
        "color": "#4a6fa5",
        "tooltip": text(node.description or node.name),
        "class": kind,
    }


def _overlay_node(attrs: dict[str, str], stats: NodeStats | None, overlay: RunOverlay, path: str) -> None:
    stop = overlay.stop
    if stats is None and overlay.decisions[path] and "router" in attrs["class"]:
        # A router the scheduler passes through without running it: count its decisions instead.
        stats = NodeStats(visits=overlay.decisions[path])
    if "end" in attrs["class"].split() and path in overlay.reached:
        attrs["class"] += " reached"
    elif stats is None or stats.visits == 0:
        attrs.update(fillcolor="#f5f5f5", color=FADED, fontcolor="#9a9a9a", tooltip="not visited")
        attrs["class"] += " unvisited"
    else:
        level = min(len(SHADES) - 1, (stats.visits - 1) * len(SHADES) // max(1, overlay.max_visits))
        attrs.update(fillcolor=SHADES[level], tooltip=text(stats.tooltip()))
        attrs["label"] += f"\\n{TIMES} {stats.visits}"
        attrs["class"] += f" visited visits-{stats.visits}"
        if level >= 3:
            attrs["fontcolor"] = "white"
        if stats.errors:
            attrs.update(color=ERROR, penwidth="3", fontcolor=ERROR if level < 3 else "white")
            attrs["label"] += "\\n⚠ error"
            attrs["class"] += " error"
    if stop is not None and overlay.stop_node == path:
        attrs.update(color=STOPPED, penwidth="3", peripheries="2")
        attrs["xlabel"] = lines(f"stopped: {stop.stop}", *wrap(stop.reason, 28, 2))
        attrs["class"] += " stopped"


def _edge_attrs(
    edge: NextEdge | WhenEdge | SelectEdge | HandoffEdge, index: int, prefix: str, overlay: RunOverlay | None
) -> dict[str, str]:
    attrs = dict(EDGE_STYLE[edge.kind])
    attrs.update(id=edge_id(index, prefix), label=text(_short(edge.describe(), 40)))
    attrs["class"] = f"kind-{edge.kind}"
    attrs["tooltip"] = text(f"{edge.kind}: {edge.describe() or 'always'}")
    if overlay is not None:
        _overlay_edge(attrs, overlay.edges.get((prefix, index)))
    return attrs


def _overlay_edge(attrs: dict[str, str], stats: EdgeStats | None) -> None:
    if stats is None:
        attrs.update(color=FADED, fontcolor=FADED)
        attrs["class"] += " untaken"
        return
    attrs.update(
        penwidth="2.6", color=attrs.get("color", "#1c3f73"), fontcolor=attrs.get("fontcolor", "#1c3f73")
    )
    count = f"{TIMES} {stats.count} · step {stats.first_step}"
    attrs["label"] = f"{attrs['label']}\\n{count}" if attrs["label"] else count
    attrs["tooltip"] = text(f"taken {stats.count}{TIMES} from step {stats.first_step}: {stats.reason}")
    attrs["class"] += f" taken count-{stats.count}"


def _mark_node(attrs: dict[str, str], name: str, mark: PathHighlight) -> None:
    """A node on the highlighted path shows the steps it ran at; a node the finding names stands out."""
    steps = mark.node_steps.get(name)
    if steps:
        attrs.update(color=PATH, penwidth="2.6")
        attrs["label"] += "\\n" + steps_text(steps)
        attrs["class"] += " on-path"
    if name in mark.focus:
        attrs.update(color=PATH, penwidth="3", peripheries="2", fillcolor=FOCUS_FILL, fontcolor="black")
        attrs["class"] += " focus"


def _mark_edge(attrs: dict[str, str], index: int, mark: PathHighlight) -> None:
    steps = mark.edge_steps.get(index)
    if not steps:
        return
    attrs.update(color=PATH, fontcolor=PATH, penwidth="2.6")
    attrs["label"] = f"{attrs['label']}\\n{steps_text(steps)}" if attrs["label"] else steps_text(steps)
    attrs["class"] += " on-path"
