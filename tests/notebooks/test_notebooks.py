"""The tutorial notebooks execute top to bottom, offline, and show their pictures inline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

nbformat = pytest.importorskip(
    "nbformat", reason="the notebook tests need nbformat (pip install -e '.[dev]')"
)
nbclient = pytest.importorskip(
    "nbclient", reason="the notebook tests need nbclient (pip install -e '.[dev]')"
)
pytest.importorskip("ipykernel", reason="the notebook tests need ipykernel (pip install -e '.[dev]')")

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
NAMES = ("quickstart", "graphs", "testing", "observability", "core", "durable")


def execute(name: str) -> Any:
    notebook = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    client = nbclient.NotebookClient(
        notebook, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}
    )
    client.execute()
    return notebook


@pytest.mark.parametrize("name", NAMES)
def test_notebook_is_committed_without_outputs(name: str) -> None:
    notebook = json.loads((NOTEBOOKS / f"{name}.ipynb").read_text())
    code = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    assert code and all(not c["outputs"] and c["execution_count"] is None for c in code)


@pytest.mark.parametrize("name", NAMES)
def test_notebook_executes_and_shows_pictures(name: str) -> None:
    notebook = execute(name)
    outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any("image/svg+xml" in o.get("data", {}) for o in outputs), "no picture was displayed inline"


def test_the_observability_notebook_shows_the_span_tree_beside_the_run_drawing() -> None:
    notebook = execute("observability")
    html = [
        o["data"]["text/html"]
        for c in notebook.cells
        for o in c.get("outputs", [])
        if "text/html" in o.get("data", {})
    ]
    side_by_side = next(h for h in html if "span-tree" in h)
    assert "invoke_workflow facts" in side_by_side and "<svg" in side_by_side
    printed = "".join(o.get("text", "") for c in notebook.cells for o in c.get("outputs", []))
    for line in ("invoke_agent researcher", "chat", "execute_tool population", "invoke_agent writer"):
        assert line in printed
    assert 'flowgen_tool_calls_total{status="ok",tool="population"} 1.0' in printed
