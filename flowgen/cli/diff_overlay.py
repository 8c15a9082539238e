"""Two runs of one graph drawn on it at once: edges and nodes coloured by which run used them.

Blue is run A only, orange run B only, dark green both; labels give each run's count. Unused parts
of the graph are faded.
"""

from __future__ import annotations

from collections import Counter

from flowgen.engine.trace import RunTrace
from flowgen.graph.spec import EndNode, GraphSpec, RouterNode

TIMES = "\u00d7"
ONLY_A, ONLY_B, BOTH, UNUSED = "#1c7ed6", "#e8590c", "#2b8a3e", "#c8c8c8"


def diff_dot(graph: GraphSpec, a: RunTrace | None, b: RunTrace | None) -> str:
    """DOT source of ``graph`` with the paths of runs A and B overlaid."""
    visits_a = a.visits() if a else Counter[str]()
    visits_b = b.visits() if b else Counter[str]()
    edges_a, edges_b = _edge_counts(a), _edge_counts(b)
    lines = [
        f"digraph {_quote(graph.name + ' diff')} {{",
        f"  graph [fontname=Helvetica fontsize=12 labelloc=t label={_quote(_legend(graph))}]",
        '  node [fontname=Helvetica fontsize=11 shape=box style="rounded,filled" fillcolor=white]',
        "  edge [fontname=Helvetica fontsize=9]",
    ]
    for node in graph.nodes:
        if isinstance(node, EndNode | RouterNode):
            # Ends and routers never "run"; a run passed one when it took an edge into or out of it.
            ca, cb = _passes(edges_a, node.name), _passes(edges_b, node.name)
            shape = "doublecircle" if isinstance(node, EndNode) else "diamond"
            label = _label(node.name)
        else:
            ca, cb = visits_a[node.name], visits_b[node.name]
            shape = "box"
            label = _label(node.name, f"A{TIMES}{ca} B{TIMES}{cb}") if ca or cb else _label(node.name)
        color = _color(ca, cb)
        lines.append(
            f"  {_quote(node.name)} [shape={shape} label={label} color={_quote(color)} penwidth={2 if ca or cb else 1}]"
        )
    seen: set[tuple[str, str]] = set()
    for edge in graph.edges:
        key = (edge.source, edge.target)
        if key in seen:
            continue
        seen.add(key)
        ca, cb = edges_a[key], edges_b[key]
        attrs = f"color={_quote(_color(ca, cb))} penwidth={2.5 if ca or cb else 1}"
        if ca or cb:
            attrs += f" label={_quote(f'A{TIMES}{ca} B{TIMES}{cb}')}"
        else:
            attrs += " style=dashed"
        lines.append(f"  {_quote(edge.source)} -> {_quote(edge.target)} [{attrs}]")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _edge_counts(trace: RunTrace | None) -> Counter[tuple[str, str]]:
    if trace is None:
        return Counter()
    return Counter(
        (graph_edge.source, graph_edge.target)
        for index, count in trace.edge_counts().items()
        if 0 <= index < len(trace.graph.edges)
        for graph_edge in [trace.graph.edges[index]]
        for _ in range(count)
    )


def _passes(edges: Counter[tuple[str, str]], name: str) -> int:
    arrivals = sum(count for (_, target), count in edges.items() if target == name)
    departures = sum(count for (source, _), count in edges.items() if source == name)
    return max(arrivals, departures)


def _color(a: int, b: int) -> str:
    if a and b:
        return BOTH
    if a:
        return ONLY_A
    return ONLY_B if b else UNUSED


def _legend(graph: GraphSpec) -> str:
    return f"{graph.name}: run A (blue) vs run B (orange); both in green"


def _label(*parts: str) -> str:
    """A DOT string of several lines (``\\n`` is Graphviz's centred line break)."""
    return '"' + "\\n".join(_escape(p) for p in parts) + '"'


def _quote(text: str) -> str:
    return '"' + _escape(text) + '"'


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')
