"""Graph (and run) to SVG: DOT from :mod:`visualize.dot`, laid out by the renderer found."""

from __future__ import annotations

from typing import Any

from visualize.dot import to_dot
from visualize.highlight import Highlightable
from visualize.inputs import Drawable
from visualize.renderer import Preference, Renderer, clean_svg, find_renderer


def render_svg(
    obj: Drawable,
    trace: Any = None,
    *,
    renderer: Renderer | Preference | None = None,
    highlight: Highlightable = None,
) -> str:
    """``obj`` drawn as SVG text, with ``trace``'s run on it when given (or carried by ``obj``).

    Args:
        obj: a GraphSpec, a team (anything with a ``.graph``), a RunTrace or a TaskResult.
        trace: a RunTrace or TaskResult to draw on the graph.
        renderer: a :class:`Renderer`, or ``"system"`` / ``"wasm"`` / ``"auto"`` to choose one.
        highlight: a path to draw on the graph — an exploration finding (its counterexample), its
            steps, or a list of node names (see :mod:`visualize.highlight`).

    Raises:
        RendererNotFoundError: no Graphviz could be found; the message says how to install one.
    """
    chosen = renderer if renderer is not None and not isinstance(renderer, str) else find_renderer(renderer)
    return clean_svg(chosen.svg(to_dot(obj, trace, highlight=highlight)))


def inline_svg(svg: str) -> str:
    """The ``<svg>`` element alone, without the XML prolog and doctype, for embedding in HTML."""
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else svg
