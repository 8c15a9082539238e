"""The README's client example runs as printed against a real server (its address and key swapped in)."""

from __future__ import annotations

import re
import runpy
from pathlib import Path

import pytest
from live_server import live_server
from server_support import KEY_A

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_client_example_streams_a_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    match = re.search(r"```\n(from flowgen.client import Client\n.*?)```", README.read_text(), re.S)
    assert match is not None, "the README has no client example"
    with live_server(tmp_path) as url:
        script = tmp_path / "client_example.py"
        script.write_text(match.group(1).replace("http://127.0.0.1:8123", url).replace("change-me", KEY_A))
        runpy.run_path(str(script))
    lines = capsys.readouterr().out.splitlines()
    assert (
        lines[0].startswith("1 metadata {")
        and lines[1].startswith("2 message {")
        and lines[-1].startswith(f"{len(lines)} end {{")
    )
