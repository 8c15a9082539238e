"""Helpers for driving the ``flowgen`` command in-process (shared by the CLI tests)."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console as RichConsole

from flowgen.cli import main

REPO = Path(__file__).resolve().parents[2]
GRAPHS = REPO / "graphs"


@dataclass(frozen=True)
class Outcome:
    """What one command did: its exit status and everything it printed."""

    status: int
    output: str

    @property
    def lines(self) -> list[str]:
        return [line for line in self.output.splitlines() if line.strip()]


CLI = Callable[..., Outcome]
Example = Callable[[str], str]


def run_cli(*argv: str | Path) -> Outcome:
    buffer = io.StringIO()
    console = RichConsole(file=buffer, width=200, highlight=False, soft_wrap=True, color_system=None)
    status = main([str(a) for a in argv], console=console)
    return Outcome(status, buffer.getvalue())
