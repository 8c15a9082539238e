"""Every command has --help; the console script is installed and runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cli_support import CLI, GRAPHS, REPO

COMMANDS = ("run", "render", "check", "show", "report", "diff", "replay")


def test_top_level_help(cli: CLI, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli("--help").status == 0
    out = capsys.readouterr().out
    for command in COMMANDS:
        assert command in out


@pytest.mark.parametrize("command", COMMANDS)
def test_command_help(cli: CLI, capsys: pytest.CaptureFixture[str], command: str) -> None:
    assert cli(command, "--help").status == 0
    assert f"usage: flowgen {command}" in capsys.readouterr().out


def test_console_script_runs_an_example(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "flowgen"
    done = subprocess.run(
        [
            str(script),
            "run",
            str(GRAPHS / "write_review.py"),
            "--task",
            "Write a haiku.",
            "--out",
            str(tmp_path),
            "--json",
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        # No API keys reach the command, so it runs the example's offline model.
        env={"PATH": f"{script.parent}{os.pathsep}{os.environ.get('PATH', '')}", "HOME": str(tmp_path)},
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["stop"] == "termination"
    assert (tmp_path / "graph.svg").is_file()


def test_console_script_error_is_one_line(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "flowgen"
    done = subprocess.run(
        [str(script), "check", str(tmp_path / "missing.py")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "no such file" in done.stderr
