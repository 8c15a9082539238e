"""``flowgen run``, ``render`` and ``check`` take a component file (JSON or YAML) as well as a Python module."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_support import CLI, GRAPHS, REPO

from flowgen.core import load_component_file, save_component_file

TEAM = GRAPHS / "write_review.json"
AUTOGEN = REPO / "tests" / "core" / "components" / "autogen_round_robin.json"
TASK = "Write a haiku about autumn."


def test_run_a_json_team(cli: CLI, tmp_path: Path) -> None:
    outcome = cli("run", TEAM, "--task", TASK, "--out", tmp_path)
    assert outcome.status == 0, outcome.output
    assert "component file" in outcome.lines[0]
    assert "Stop reason (termination): Text 'APPROVE' mentioned" in outcome.output
    assert (tmp_path / "run.json").is_file()


def test_run_a_yaml_team_with_max_turns(cli: CLI, tmp_path: Path) -> None:
    path = tmp_path / "team.yaml"
    save_component_file(load_component_file(TEAM), path)
    outcome = cli("run", path, "--task", TASK, "--out", tmp_path / "out", "--max-turns", "1", "--json")
    assert outcome.status == 0, outcome.output
    assert json.loads(outcome.output)["messages"] == 2


def test_render_and_check_a_json_team(cli: CLI) -> None:
    drawn = cli("render", TEAM, "--format", "mermaid")
    assert drawn.status == 0 and "n_writer --> n_critic" in drawn.output
    checked = cli("check", TEAM)
    assert checked.status == 0 and "graph write_review is valid" in checked.output


def test_a_model_option_is_refused_for_a_component_file(cli: CLI, tmp_path: Path) -> None:
    outcome = cli("run", TEAM, "--task", TASK, "--out", tmp_path, "--model", "openai:gpt-4o-mini")
    assert outcome.status == 1
    assert "names its own model clients, so --model cannot replace them" in outcome.output


def test_source_code_needs_the_trust_option(cli: CLI, tmp_path: Path) -> None:
    refused = cli("run", AUTOGEN, "--task", "Capital?", "--out", tmp_path)
    assert refused.status == 1
    assert "config.participants[1].config.workbench[0].config.tools[0].config.source_code" in refused.output
    assert "--trust-source-code" in refused.output
    trusted = cli("run", AUTOGEN, "--task", "Capital?", "--out", tmp_path, "--trust-source-code")
    assert trusted.status == 0, trusted.output
    assert "All checked. TERMINATE" in trusted.output


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "not valid JSON"),
        ('{"provider": "os.system", "config": {}}', "provider: not an allowed provider ('os.system')"),
        ("[1, 2]", "a component document is an object"),
    ],
)
def test_a_bad_component_file_is_one_clear_line(
    cli: CLI, tmp_path: Path, content: str, expected: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    outcome = cli("check", path)
    assert outcome.status == 1
    assert expected in outcome.output and str(path) in outcome.output
