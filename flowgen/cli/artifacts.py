"""What a run leaves behind: run.json, the graph with the run drawn on it, the sequence diagram, the report."""

from __future__ import annotations

import os
from pathlib import Path

from flowgen.base import TaskResult
from flowgen.cli import drawing
from flowgen.cli.run_file import RunOrigin, save_run
from flowgen.errors import CLIError, RendererNotFoundError


def prepare_output(out: Path) -> Path:
    """Make sure the run's files can be written to ``out`` (a folder), before anything runs.

    Raises:
        CLIError: ``out`` is an existing file, or the folder cannot be created or written to.
    """
    if out.exists() and not out.is_dir():
        raise CLIError(f"--out {out} is an existing file, not a folder — pass a folder for the run's files")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CLIError(
            f"cannot create the output folder {out}: {exc.strerror or exc} — pass another --out"
        ) from exc
    if not os.access(out, os.W_OK):
        raise CLIError(f"cannot write to the output folder {out} — pass another --out")
    return out


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
