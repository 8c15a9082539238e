"""``flowgen run``: streams the run, writes its files, says where and why it stopped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_support import CLI, Example

TASK = "Write a haiku about autumn."


def test_run_writes_trace_pictures_and_report(cli: CLI, example: Example, tmp_path: Path) -> None:
    outcome = cli("run", example("write_review"), "--task", TASK, "--out", tmp_path)
    assert outcome.status == 0
    for name in ("run.json", "graph.svg", "sequence.svg", "report.html"):
        assert (tmp_path / name).is_file()
        assert str(tmp_path / name) in outcome.output
    assert "<svg" in (tmp_path / "graph.svg").read_text()


def test_run_streams_the_messages_and_prints_the_stop_reason(
    cli: CLI, example: Example, tmp_path: Path
) -> None:
    outcome = cli("run", example("write_review"), "--task", TASK, "--out", tmp_path)
    assert "---------- TextMessage (critic) ----------" in outcome.output
    assert "Stop reason (termination): Text 'APPROVE' mentioned" in outcome.output


def test_run_without_a_model_says_it_runs_offline(cli: CLI, example: Example, tmp_path: Path) -> None:
    outcome = cli("run", example("write_review"), "--task", TASK, "--out", tmp_path)
    assert "offline" in outcome.lines[0]
    assert "--model" in outcome.lines[0]


def test_run_json_prints_a_machine_readable_summary(cli: CLI, example: Example, tmp_path: Path) -> None:
    outcome = cli("run", example("write_review"), "--task", TASK, "--out", tmp_path, "--json")
    summary = json.loads(outcome.output)
    assert summary["stop"] == "termination"
    assert summary["offline"] is True
    assert Path(summary["files"]["report"]).is_file()


def test_run_json_holds_the_result_and_where_it_came_from(cli: CLI, example: Example, tmp_path: Path) -> None:
    cli("run", example("write_review"), "--task", TASK, "--out", tmp_path)
    data = json.loads((tmp_path / "run.json").read_text())
    assert data["stop_reason"] == "Text 'APPROVE' mentioned"
    assert data["run"] == {"target": f"{example('write_review')}:build", "task": TASK, "model": "offline"}
    assert data["trace"]["graph"]["name"] == "write_review"


def test_run_defaults_its_output_folder_to_out_and_the_file_name(
    cli: CLI, example: Example, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli("run", example("write_review"), "--task", TASK).status == 0
    assert (tmp_path / "out" / "write_review" / "run.json").is_file()


def test_max_turns_reaches_the_builder(cli: CLI, example: Example, tmp_path: Path) -> None:
    outcome = cli("run", example("write_review"), "--task", TASK, "--out", tmp_path, "--max-turns", "1")
    assert outcome.status == 0
    assert "Maximum number of turns 1 reached" in outcome.output


def test_model_spec_gives_every_agent_that_model(cli: CLI, example: Example, tmp_path: Path) -> None:
    replies = tmp_path / "replies.json"
    replies.write_text(json.dumps(["A short poem.", "Fine. APPROVE"]))
    outcome = cli(
        "run",
        example("write_review"),
        "--task",
        TASK,
        "--out",
        tmp_path / "o",
        "--model",
        f"replay:{replies}",
    )
    assert outcome.status == 0
    assert "on replay:" in outcome.lines[0]
    data = json.loads((tmp_path / "o" / "run.json").read_text())
    assert [m["content"] for m in data["messages"]][1:] == ["A short poem.", "Fine. APPROVE"]
    assert data["run"]["model"] == f"replay:{replies}"


def test_model_from_the_environment(
    cli: CLI, example: Example, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    replies = tmp_path / "replies.json"
    replies.write_text(json.dumps(["Poem.", "APPROVE"]))
    monkeypatch.setenv("FLOWGEN_MODEL", f"replay:{replies}")
    outcome = cli("run", example("write_review"), "--task", TASK, "--out", tmp_path / "o")
    assert outcome.status == 0
    assert "FLOWGEN_MODEL" in outcome.lines[0]
