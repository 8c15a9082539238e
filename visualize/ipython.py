"""``%load_ext visualize``: graphs, teams, run traces and task results display inline as SVG.

Teams are recognised by having a ``graph`` attribute holding a GraphSpec (every flowgen team does),
so the formatter is registered for flowgen's ``Team`` base class and checks for the attribute.
"""

from __future__ import annotations

from typing import Any

from flowgen.base import TaskResult, Team
from flowgen.engine.trace import RunTrace
from flowgen.errors import RendererNotFoundError
from flowgen.graph.spec import GraphSpec
from visualize.render import inline_svg, render_svg

SVG_MIME = "image/svg+xml"


def display_svg(obj: Any) -> str | None:
    """The inline SVG for ``obj``, or None to let IPython fall back to the plain repr.

    A TaskResult without a trace shows its sequence diagram; with one, the graph with the run on it.
    Without a Graphviz renderer, the install hint is printed once per object instead of a traceback.
    """
    from visualize.sequence_svg import sequence_svg

    if isinstance(obj, TaskResult) and obj.trace is None:
        return sequence_svg(obj)
    if not isinstance(obj, GraphSpec | RunTrace | TaskResult) and not isinstance(
        getattr(obj, "graph", None), GraphSpec
    ):
        return None
    try:
        return inline_svg(render_svg(obj))
    except RendererNotFoundError as exc:
        print(f"flowgen visualize: {exc}")
        return None


def load_ipython_extension(ipython: Any) -> None:
    """Register the SVG formatter for GraphSpec, Team, RunTrace and TaskResult."""
    formatter = ipython.display_formatter.formatters[SVG_MIME]
    for kind in (GraphSpec, Team, RunTrace, TaskResult):
        formatter.for_type(kind, display_svg)


def unload_ipython_extension(ipython: Any) -> None:
    """Remove the formatters registered by :func:`load_ipython_extension`."""
    formatter = ipython.display_formatter.formatters[SVG_MIME]
    for kind in (GraphSpec, Team, RunTrace, TaskResult):
        formatter.type_printers.pop(kind, None)
