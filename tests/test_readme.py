"""The README's example is real code: it runs offline as printed and draws its run."""

from __future__ import annotations

import re
import runpy
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_example_runs_and_draws_its_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    match = re.search(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert match is not None, "the README has no python example"
    script = tmp_path / "example.py"
    script.write_text(match.group(1), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    runpy.run_path(str(script), run_name="__main__")
    assert "Text 'APPROVE' mentioned" in capsys.readouterr().out
    svg = (tmp_path / "run.svg").read_text(encoding="utf-8")
    assert svg.lstrip().startswith("<?xml") and "writer" in svg and "critic" in svg


def test_readme_testing_kit_example_passes(tmp_path: Path) -> None:
    match = re.search(r"```\n(from flowgen.agents.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert match is not None, "the README has no testing-kit example"
    script = tmp_path / "kit_example.py"
    script.write_text(match.group(1), encoding="utf-8")
    namespace = runpy.run_path(str(script))
    tests = [name for name in namespace if name.startswith("test_")]
    assert len(tests) == 3
    for name in tests:
        namespace[name]()
