"""Bad input gets one line saying what is wrong and how to fix it, and a non-zero exit — never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_support import CLI, Example


def one_error_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    assert lines[0].startswith("flowgen: error:"), output
    assert "Traceback" not in output
    return lines[0]


def test_missing_file(cli: CLI, tmp_path: Path) -> None:
    outcome = cli("run", tmp_path / "nope.py", "--task", "x")
    assert outcome.status == 1
    assert "no such file" in one_error_line(outcome.output)


def test_a_file_that_is_not_python(cli: CLI, tmp_path: Path) -> None:
    (tmp_path / "team.txt").write_text("team = 1")
    outcome = cli("check", tmp_path / "team.txt")
    assert outcome.status == 1
    assert "not a Python file" in one_error_line(outcome.output)


def test_no_team_in_the_file(cli: CLI, tmp_path: Path) -> None:
    (tmp_path / "empty.py").write_text("x = 1\n")
    outcome = cli("run", tmp_path / "empty.py", "--task", "x")
    assert outcome.status == 1
    line = one_error_line(outcome.output)
    assert "no team found" in line
    assert "def build(model_client=None)" in line


def test_unknown_attribute_names_what_there_is(cli: CLI, example: Example) -> None:
    outcome = cli("render", f"{example('write_review')}:nothing")
    assert outcome.status == 1
    line = one_error_line(outcome.output)
    assert "no attribute 'nothing'" in line
    assert "build" in line


def test_attribute_that_is_not_a_team(cli: CLI, tmp_path: Path) -> None:
    (tmp_path / "odd.py").write_text("team = 42\n")
    outcome = cli("check", tmp_path / "odd.py")
    assert outcome.status == 1
    assert "not a team or a graph" in one_error_line(outcome.output)


def test_a_file_that_fails_to_import(cli: CLI, tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text("import no_such_module_anywhere\n")
    outcome = cli("run", tmp_path / "broken.py", "--task", "x")
    assert outcome.status == 1
    assert "could not import" in one_error_line(outcome.output)


def test_a_graph_without_agents_cannot_run(cli: CLI, tmp_path: Path) -> None:
    (tmp_path / "g.py").write_text(
        "from flowgen.graph import AgentNode, GraphSpec\n"
        "graph = GraphSpec(nodes=(AgentNode(name='a'),), entry=('a',))\n"
    )
    outcome = cli("run", tmp_path / "g.py", "--task", "x")
    assert outcome.status == 1
    assert "cannot run" in one_error_line(outcome.output)


def test_bad_model_spec(cli: CLI, example: Example, tmp_path: Path) -> None:
    outcome = cli("run", example("write_review"), "--task", "x", "--out", tmp_path, "--model", "bogus")
    assert outcome.status == 1
    assert "cannot use model bogus" in one_error_line(outcome.output)


def test_unknown_provider(cli: CLI, example: Example, tmp_path: Path) -> None:
    outcome = cli("run", example("write_review"), "--task", "x", "--out", tmp_path, "--model", "nope:model")
    assert outcome.status == 1
    assert "unknown model provider" in one_error_line(outcome.output)


def test_missing_key_for_a_real_model(cli: CLI, example: Example, tmp_path: Path) -> None:
    outcome = cli(
        "run", example("write_review"), "--task", "x", "--out", tmp_path, "--model", "openai:gpt-4o-mini"
    )
    assert outcome.status == 1
    assert "OPENAI_API_KEY" in one_error_line(outcome.output)
    assert not (tmp_path / "run.json").exists()


def test_model_for_a_ready_made_team(cli: CLI, tmp_path: Path) -> None:
    (tmp_path / "fixed.py").write_text(
        "from flowgen.teams import RoundRobinGroupChat\n"
        "from flowgen.testing import ScriptedAgent\n"
        "team = RoundRobinGroupChat([ScriptedAgent('a', ['hi'])], max_turns=1)\n"
    )
    replies = tmp_path / "r.json"
    replies.write_text('["x"]')
    outcome = cli("run", tmp_path / "fixed.py", "--task", "x", "--model", f"replay:{replies}")
    assert outcome.status == 1
    assert "ready-made team" in one_error_line(outcome.output)


def test_max_turns_must_be_positive(cli: CLI, example: Example) -> None:
    outcome = cli("run", example("write_review"), "--task", "x", "--max-turns", "0")
    assert outcome.status == 1
    assert "--max-turns" in one_error_line(outcome.output)


def test_an_unexpected_failure_is_one_line_too(cli: CLI, tmp_path: Path) -> None:
    (tmp_path / "boom.py").write_text("def build(model_client=None):\n    raise KeyError('boom')\n")
    outcome = cli("run", tmp_path / "boom.py", "--task", "x")
    assert outcome.status == 1
    assert "--traceback" in one_error_line(outcome.output)


def test_traceback_flag_shows_the_original_error(cli: CLI, tmp_path: Path) -> None:
    (tmp_path / "boom.py").write_text("def build(model_client=None):\n    raise KeyError('boom')\n")
    with pytest.raises(KeyError):
        cli("--traceback", "run", tmp_path / "boom.py", "--task", "x")


def test_not_a_run_file(cli: CLI, tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text('{"hello": 1}')
    outcome = cli("show", tmp_path / "x.json")
    assert outcome.status == 1
    assert "not a flowgen run" in one_error_line(outcome.output)


def test_run_file_that_is_not_json(cli: CLI, tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text("{oops")
    outcome = cli("report", tmp_path / "x.json")
    assert outcome.status == 1
    assert "is not JSON" in one_error_line(outcome.output)


def test_usage_errors_exit_2(cli: CLI, example: Example) -> None:
    assert cli("run", example("write_review")).status == 2  # --task is required


def test_a_graph_that_cannot_run_points_to_check(cli: CLI, tmp_path: Path) -> None:
    (tmp_path / "bad.py").write_text(
        "from flowgen.teams import DiGraphBuilder, GraphFlow\n"
        "from flowgen.testing import ScriptedAgent\n"
        "def build(model_client=None):\n"
        "    a, b = ScriptedAgent('a', ['x']), ScriptedAgent('b', ['y'])\n"
        "    builder = DiGraphBuilder().add_node(a).add_node(b).add_edge(a, b).add_edge(b, a)\n"
        "    return GraphFlow(builder.get_participants(), builder.build(), max_turns=3)\n"
    )
    outcome = cli("run", tmp_path / "bad.py", "--task", "x")
    assert outcome.status == 1
    line = one_error_line(outcome.output)
    assert "the graph cannot run" in line
    assert "flowgen check" in line
