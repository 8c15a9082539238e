"""``python -m visualize``: the demo run and saved traces, drawn to files whose paths are printed."""

from __future__ import annotations

from pathlib import Path

import pytest
import visualize_samples as samples

from visualize.__main__ import main


def test_demo_writes_svg_and_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("flowgen.teams")
    assert main(["--demo", "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out.split()
    assert printed == [str(tmp_path / "demo.svg"), str(tmp_path / "demo.html")]
    assert "visits-2" in (tmp_path / "demo.svg").read_text(encoding="utf-8")


def test_saved_trace_is_drawn(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    trace_file = tmp_path / "run.json"
    trace_file.write_text(samples.round_robin_trace().model_dump_json(), encoding="utf-8")
    assert main([str(trace_file), "--out", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "run.mmd").read_text(encoding="utf-8").startswith("flowchart TD")


def test_missing_trace_file_is_one_clear_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path / "nope.json")]) == 1
    assert capsys.readouterr().err.startswith("visualize: ")
