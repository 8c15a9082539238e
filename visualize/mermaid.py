"""Mermaid text (for Markdown and GitHub): the graph as a flowchart, a run as a sequence diagram.

The flowchart uses the same vocabulary as the SVG: agents are boxes, routers rhombi, the end a
double circle; ``next`` edges are solid arrows, ``when`` dashed with the condition, ``select``
dotted, handoffs thick with the tool name; nested teams are subgraphs. With a trace, visited nodes
carry their count and traversed edges their count and first step.
"""

from __future__ import annotations

from typing import Any

from flowgen.base import TaskResult
from flowgen.graph.spec import AgentNode, EndNode, GraphSpec, RouterNode
from visualize.ids import slug
from visualize.inputs import Drawable, graph_of, optional_trace
from visualize.overlay import RunOverlay
from visualize.sequence import Arrow, build_sequence

TIMES = "\u00d7"
LINK = {"next": "-->", "when": "-.->", "select": "-.->", "handoff": "==>"}
DASH = {"when": "stroke-dasharray:6 4", "select": "stroke-dasharray:2 3"}


def label(value: str) -> str:
    """Text made safe inside a quoted Mermaid label (quotes, brackets and newlines as entities)."""
    return "".join(_ENTITIES.get(ch, ch) for ch in value)


_ENTITIES = {"#": "#35;", '"': "#quot;", ";": "#59;", "<": "#lt;", ">": "#gt;", "\n": "<br/>"}


def to_mermaid(obj: Drawable, trace: Any = None) -> str:
    """A Mermaid ``flowchart`` of ``obj``'s graph, with ``trace``'s counts when given.

    Example:
        >>> from flowgen.graph import AgentNode, GraphSpec
        >>> print(to_mermaid(GraphSpec(nodes=(AgentNode(name="solo"),), entry=("solo",))))
        flowchart TD
          start((start)) --> n_solo
          n_solo["solo"]
        <BLANKLINE>
    """
    graph = graph_of(obj)
    run = optional_trace(obj, trace)
    overlay = RunOverlay.from_trace(run) if run is not None else None
    out = ["flowchart TD"]
    out.extend(f"  start((start)) --> {_id(e)}" for e in graph.entry)
    styles: list[str] = []
    _flowchart(graph, "", overlay, out, styles, [len(graph.entry)])
    if overlay is not None:
        out.append("  classDef visited fill:#b7d1ee,stroke:#1c3f73")
        out.append("  classDef unvisited fill:#f5f5f5,stroke:#c8c8c8,color:#9a9a9a")
    return "\n".join(out + styles) + "\n"


def _id(path: str) -> str:
    return f"n_{slug(path)}"


def _flowchart(
    graph: GraphSpec,
    prefix: str,
    overlay: RunOverlay | None,
    out: list[str],
    styles: list[str],
    links: list[int],
) -> None:
    pad = "  " * (prefix.count("/") + 2 if prefix else 1)
    for node in graph.nodes:
        path = f"{prefix}/{node.name}" if prefix else node.name
        out.append(pad + _node(node, path, overlay))
        if isinstance(node, AgentNode) and node.subgraph is not None:
            out.append(f'{pad}subgraph {_id(path)}_team["team {label(node.name)}"]')
            out.extend(f"{pad}  {_id(path)} --> {_id(path + '/' + e)}" for e in node.subgraph.entry)
            links[0] += len(node.subgraph.entry)
            _flowchart(node.subgraph, path, overlay, out, styles, links)
            out.append(f"{pad}end")
    for index, edge in enumerate(graph.edges):
        text = edge.describe()
        stats = overlay.edges.get((prefix, index)) if overlay else None
        if stats is not None:
            text = f"{text} {TIMES}{stats.count} · step {stats.first_step}".strip()
        arrow = LINK[edge.kind] + (f'|"{label(text)}"|' if text else "")
        source = f"{prefix}/{edge.source}" if prefix else edge.source
        target = f"{prefix}/{edge.target}" if prefix else edge.target
        out.append(f"{pad}{_id(source)} {arrow} {_id(target)}")
        if edge.kind in DASH:
            styles.append(f"  linkStyle {links[0]} {DASH[edge.kind]}")
        links[0] += 1


def _node(node: AgentNode | RouterNode | EndNode, path: str, overlay: RunOverlay | None) -> str:
    text = node.name
    if isinstance(node, AgentNode) and node.tools:
        text += "\ntools: " + ", ".join(node.tools)
    suffix = ""
    if overlay is not None:
        stats = overlay.nodes.get(path)
        visited = stats is not None and stats.visits > 0
        if stats is not None and visited:
            text += f"\n{TIMES} {stats.visits}"
        suffix = ":::visited" if visited else ":::unvisited"
    shape = '{{"{}"}}' if isinstance(node, RouterNode) else '["{}"]'
    if isinstance(node, EndNode):
        shape, text = '((("{}")))', "end"
    return _id(path) + shape.format(label(text)) + suffix


def sequence_mermaid(result: TaskResult | Any) -> str:
    """A Mermaid ``sequenceDiagram`` of a run's messages (a TaskResult or a list of messages).

    Tool calls and results are self-arrows (``-)`` and ``--)``), handoffs are async arrows to their
    target, events are notes; every text is cut to one short line.
    """
    diagram = build_sequence(result)
    names = {p: f"p{i}" for i, p in enumerate(diagram.participants)}
    out = ["sequenceDiagram"]
    out.extend(f"  participant {names[p]} as {label(p) or '(anonymous)'}" for p in diagram.participants)
    out.extend(_seq_line(a, names) for a in diagram.arrows)
    return "\n".join(out) + "\n"


def _seq_line(arrow: Arrow, names: dict[str, str]) -> str:
    source, target = names[arrow.source], names[arrow.target]
    text = label(arrow.summary(60)) or " "
    if arrow.kind == "event":
        return f"  Note over {source}: {arrow.type}: {text}"
    marks = {"text": "->>", "stop": "->>", "handoff": "-)", "tool_call": "-)", "tool_result": "--)"}
    prefix = {"tool_call": "⚙ ", "tool_result": "↩ ", "handoff": "⇒ ", "stop": "■ "}.get(arrow.kind, "")
    if arrow.error:
        prefix = "⚠ " + prefix
    return f"  {source}{marks[arrow.kind]}{target}: {prefix}{text}"
