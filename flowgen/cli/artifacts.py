"""What a run leaves behind: run.json, the graph with the run drawn on it, the sequence diagram, the report."""

from __future__ import annotations

from pathlib import Path

from flowgen.base import TaskResult
from flowgen.cli import drawing
from flowgen.cli.run_file import RunOrigin, save_run
from flowgen.errors import RendererNotFoundError


def write_artifacts(result: TaskResult, origin: RunOrigin, out: Path) -> dict[str, Path]:
    """Write every file of a run into ``out``; returns them by kind (``run``, ``graph``, ``sequence``, ``report``).

    Without a Graphviz renderer the graph is written as DOT (``graph.dot``) instead of SVG.
    """
    out.mkdir(parents=True, exist_ok=True)
    files = {"run": save_run(result, origin, out / "run.json")}
    if result.trace is not None:
        try:
            svg = drawing.draw(result, "svg")
            files["graph"] = out / "graph.svg"
        except RendererNotFoundError:
            svg = drawing.draw(result, "dot")
            files["graph"] = out / "graph.dot"
        files["graph"].write_text(str(svg), encoding="utf-8")
    files["sequence"] = out / "sequence.svg"
    files["sequence"].write_text(drawing.sequence_svg(result), encoding="utf-8")
    files["report"] = out / "report.html"
    drawing.html_report(result, files["report"])
    return files
