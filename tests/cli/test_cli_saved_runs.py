"""``flowgen show``, ``report``, ``diff`` and ``replay`` on saved runs."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from cli_support import CLI

SavedRun = Callable[..., Path]
BILLING = "I was charged twice this month, account 4417."
TECHNICAL = "The app will not sync on my phone."


def test_show_summarises_a_run(cli: CLI, saved_run: SavedRun) -> None:
    outcome = cli("show", saved_run())
    assert outcome.status == 0
    assert "Text 'APPROVE' mentioned" in outcome.output
    assert "writer → critic → writer → critic" in outcome.output
    assert "Write a haiku about autumn." in outcome.output


def test_report_writes_html(cli: CLI, saved_run: SavedRun, tmp_path: Path) -> None:
    target = tmp_path / "page" / "report.html"
    outcome = cli("report", saved_run(), "-o", target)
    assert outcome.status == 0
    assert target.read_text().startswith("<!DOCTYPE html>")


def test_diff_of_identical_runs_exits_0(cli: CLI, saved_run: SavedRun, tmp_path: Path) -> None:
    run = saved_run()
    outcome = cli("diff", run, run, "-o", tmp_path / "diff.svg")
    assert outcome.status == 0
    assert "same" in outcome.output


def test_diff_finds_where_two_runs_diverged(cli: CLI, saved_run: SavedRun, tmp_path: Path) -> None:
    a = saved_run("support_swarm", BILLING)
    b = saved_run("support_swarm", TECHNICAL)
    outcome = cli("diff", a, b, "-o", tmp_path / "diff.svg")
    assert outcome.status == 1
    assert "first differing step: 2  A ran billing, B ran technical" in outcome.output
    assert "edge triage → billing" in outcome.output
    assert "first differing message: #0" in outcome.output


def test_diff_draws_both_paths(cli: CLI, saved_run: SavedRun, tmp_path: Path) -> None:
    a = saved_run("support_swarm", BILLING)
    b = saved_run("support_swarm", TECHNICAL)
    cli("diff", a, b, "-o", tmp_path / "diff.svg")
    svg = (tmp_path / "diff.svg").read_text()
    assert "<svg" in svg
    assert "#1c7ed6" in svg and "#e8590c" in svg  # run A's colour and run B's


def test_diff_overlay_as_dot(cli: CLI, saved_run: SavedRun, tmp_path: Path) -> None:
    a = saved_run("support_swarm", BILLING)
    cli("diff", a, a, "-o", tmp_path / "diff.dot")
    assert (tmp_path / "diff.dot").read_text().startswith("digraph")


def test_replay_of_an_offline_run_has_no_drift(cli: CLI, saved_run: SavedRun) -> None:
    outcome = cli("replay", saved_run("code_review_flow", "Add a user lookup endpoint."))
    assert outcome.status == 0
    assert "no drift" in outcome.output


def test_replay_reports_drift(cli: CLI, saved_run: SavedRun) -> None:
    run = saved_run()
    data = json.loads(run.read_text())
    data["messages"][2]["content"] = "Perfect already. APPROVE"
    run.write_text(json.dumps(data))
    outcome = cli("replay", run)
    assert outcome.status == 1
    assert "drift" in outcome.output
    assert "first differing message: #2" in outcome.output


def test_replay_of_a_real_model_run_uses_its_recorded_replies(cli: CLI, saved_run: SavedRun) -> None:
    run = saved_run("support_swarm", BILLING)
    data = json.loads(run.read_text())
    data["run"]["model"] = "openai:gpt-4o-mini"  # as if a real model had answered
    run.write_text(json.dumps(data))
    outcome = cli("replay", run)
    assert outcome.status == 0, outcome.output
    assert "recorded in the run" in outcome.output
    assert "no drift" in outcome.output


def test_replay_writes_its_own_run(cli: CLI, saved_run: SavedRun, tmp_path: Path) -> None:
    outcome = cli("replay", saved_run(), "--out", tmp_path / "again")
    assert outcome.status == 0
    assert (tmp_path / "again" / "report.html").is_file()


def test_replay_needs_to_know_the_team(cli: CLI, saved_run: SavedRun) -> None:
    run = saved_run()
    data = json.loads(run.read_text())
    del data["run"]
    run.write_text(json.dumps(data))
    outcome = cli("replay", run)
    assert outcome.status == 1
    assert "--target" in outcome.output


def test_replay_from_a_cassette(cli: CLI, saved_run: SavedRun, tmp_path: Path) -> None:
    replies, cassette = tmp_path / "replies.json", tmp_path / "run.cassette.jsonl"
    replies.write_text(json.dumps(["A poem.", "APPROVE"]))
    run = saved_run("write_review", "Write a haiku.", "--model", f"cassette:{cassette}@replay:{replies}")
    replies.unlink()  # the replay must not need the recorded model any more
    outcome = cli("replay", run)
    assert outcome.status == 0, outcome.output
    assert f"cassette:{cassette}" in outcome.output
    assert "no drift" in outcome.output


def test_replay_from_a_cassette_reports_drift(cli: CLI, saved_run: SavedRun, tmp_path: Path) -> None:
    replies, cassette = tmp_path / "replies.json", tmp_path / "run.cassette.jsonl"
    replies.write_text(json.dumps(["A poem.", "APPROVE"]))
    run = saved_run("write_review", "Write a haiku.", "--model", f"cassette:{cassette}@replay:{replies}")
    data = json.loads(run.read_text())
    data["run"]["task"] = "Write a limerick."  # the team now sends requests the cassette never saw
    run.write_text(json.dumps(data))
    outcome = cli("replay", run)
    assert outcome.status == 1
    assert "drift" in outcome.output


def record_cassette(saved_run: SavedRun, tmp_path: Path) -> Path:
    replies, cassette = tmp_path / "replies.json", tmp_path / "rec.cassette.jsonl"
    replies.write_text(json.dumps(["A poem.", "APPROVE"]))
    saved_run("write_review", "Write a haiku.", "--model", f"cassette:{cassette}@replay:{replies}")
    replies.unlink()
    return cassette


def test_replay_a_cassette_file_directly(
    cli: CLI, saved_run: SavedRun, example: Callable[[str], str], tmp_path: Path
) -> None:
    cassette = record_cassette(saved_run, tmp_path)
    outcome = cli("replay", cassette, "--target", example("write_review"), "--task", "Write a haiku.")
    assert outcome.status == 0, outcome.output
    assert "every recording was used" in outcome.output


def test_replay_a_cassette_with_another_task_drifts(
    cli: CLI, saved_run: SavedRun, example: Callable[[str], str], tmp_path: Path
) -> None:
    cassette = record_cassette(saved_run, tmp_path)
    outcome = cli("replay", cassette, "--target", example("write_review"), "--task", "Write a sonnet.")
    assert outcome.status == 1
    assert "drift" in outcome.output


def test_replay_a_cassette_needs_the_task(
    cli: CLI, saved_run: SavedRun, example: Callable[[str], str], tmp_path: Path
) -> None:
    cassette = record_cassette(saved_run, tmp_path)
    outcome = cli("replay", cassette, "--target", example("write_review"))
    assert outcome.status == 1
    assert "--task" in outcome.output
