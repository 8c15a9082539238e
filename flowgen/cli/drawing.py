"""The command's one door to :mod:`visualize`, which draws graphs and runs.

The engine never depends on the drawing package; the command is an application on top of both, so it
alone reaches for it, and only here.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any, Literal

import visualize
from flowgen.base import TaskResult
from flowgen.errors import CLIError
from visualize.renderer import clean_svg

Format = Literal["svg", "dot", "mermaid", "png"]


def draw(obj: Any, fmt: Format, trace: Any = None) -> str | bytes:
    """``obj`` (a team, graph, trace or result) drawn in ``fmt``; PNG comes back as bytes."""
    if fmt == "dot":
        return visualize.to_dot(obj, trace)
    if fmt == "mermaid":
        return visualize.to_mermaid(obj, trace)
    if fmt == "png":
        return png(visualize.to_dot(obj, trace))
    return visualize.render_svg(obj, trace)


def dot_to_svg(dot_source: str) -> str:
    """Lay out DOT text with whichever Graphviz renderer visualize finds."""
    return clean_svg(visualize.find_renderer().svg(dot_source))


def png(dot_source: str) -> bytes:
    """PNG needs the system Graphviz ``dot`` (the WebAssembly renderer draws SVG only)."""
    dot = shutil.which("dot")
    if dot is None:
        raise CLIError(
            "PNG needs the Graphviz `dot` program — install it (apt install graphviz / brew install graphviz) "
            "or use --format svg"
        )
    done = subprocess.run([dot, "-Tpng"], input=dot_source.encode(), capture_output=True, check=False)
    if done.returncode != 0:
        raise CLIError(f"Graphviz could not draw the graph: {done.stderr.decode(errors='replace').strip()}")
    return done.stdout


def sequence_svg(result: TaskResult) -> str:
    return visualize.sequence_svg(result)


def html_report(result: TaskResult, path: Path) -> None:
    visualize.html_report(result, path)


def load_ipython_extension(ipython: Any) -> None:
    visualize.load_ipython_extension(ipython)
