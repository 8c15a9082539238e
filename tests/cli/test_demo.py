"""``make demo`` (python -m flowgen.demo): the support swarm runs offline and leaves its files behind."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flowgen.demo import main


def test_demo_streams_the_conversation_and_writes_the_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "paused: Handoff to user from billing detected." in out
    assert "stopped: Text 'TERMINATE' mentioned" in out
    for name in ("run.json", "graph.svg", "sequence.svg", "report.html"):
        assert (tmp_path / name).is_file()
        assert str(tmp_path / name) in out


def test_demo_trace_covers_both_parts_of_the_conversation(tmp_path: Path) -> None:
    main([str(tmp_path)])
    data = json.loads((tmp_path / "run.json").read_text())
    steps = [e["nodes"] for e in data["trace"]["events"] if e["kind"] == "step_started"]
    assert steps[0] == ["triage"]
    assert len(steps) == 5
    assert data["trace"]["events"][-1]["reason"] == "Text 'TERMINATE' mentioned"
