"""Fixtures for the CLI tests: ``cli(...)`` runs the command in-process; no test reaches a real model."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from cli_support import CLI, GRAPHS, Example, run_cli

MODEL_VARIABLES = ("FLOWGEN_MODEL", "OPENAI_API_KEY", "ANTHROPIC_API_KEY", "AZURE_OPENAI_API_KEY")


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may reach a real model: clear every variable that would pick one."""
    for name in MODEL_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def cli() -> CLI:
    return run_cli


@pytest.fixture
def example() -> Example:
    """The path of an example in graphs/ as the command is given it."""
    return lambda name: str(GRAPHS / f"{name}.py")


@pytest.fixture
def saved_run(cli: CLI, example: Callable[[str], str], tmp_path: Path) -> Callable[..., Path]:
    """Run an example offline into a fresh folder and return its run.json."""
    count = 0

    def make(name: str = "write_review", task: str = "Write a haiku about autumn.", *extra: str) -> Path:
        nonlocal count
        count += 1
        out = tmp_path / f"run{count}"
        outcome = cli("run", example(name), "--task", task, "--out", out, *extra)
        assert outcome.status == 0, outcome.output
        return out / "run.json"

    return make
