"""``flowgen run`` facing bad input: an output path that is a file, modules that exit, text with markup."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from cli_support import CLI

from flowgen.cli import main

TEAM = textwrap.dedent(
    """
    from pathlib import Path
    from flowgen.teams import RoundRobinGroupChat
    from flowgen.testing import ScriptedAgent

    def build(model_client=None):
        Path(__file__).with_suffix(".built").write_text("built")
        return RoundRobinGroupChat([ScriptedAgent("writer", [{said!r}])], max_turns=1)
    """
)


def _module(tmp_path: Path, source: str, name: str = "team.py") -> Path:
    path = tmp_path / name
    path.write_text(source)
    return path


def test_an_existing_file_as_out_fails_before_the_team_runs(cli: CLI, tmp_path: Path) -> None:
    module = _module(tmp_path, TEAM.format(said="hello"))
    taken = tmp_path / "taken.txt"
    taken.write_text("keep me")
    outcome = cli("run", module, "--task", "go", "--out", taken)
    assert outcome.status == 1
    assert f"--out {taken} is an existing file" in outcome.output
    assert not module.with_suffix(".built").exists()  # the team was never built, let alone run
    assert taken.read_text() == "keep me"


def test_an_out_folder_that_cannot_be_created_fails_before_the_team_runs(cli: CLI, tmp_path: Path) -> None:
    module = _module(tmp_path, TEAM.format(said="hello"))
    (tmp_path / "file").write_text("")
    outcome = cli("run", module, "--task", "go", "--out", tmp_path / "file" / "below")
    assert outcome.status == 1
    assert "cannot create the output folder" in outcome.output
    assert not module.with_suffix(".built").exists()


@pytest.mark.parametrize("exit_call", ["import sys; sys.exit(0)", "raise SystemExit(0)", "raise SystemExit"])
def test_a_module_exiting_at_import_is_reported(cli: CLI, tmp_path: Path, exit_call: str) -> None:
    module = _module(tmp_path, exit_call + "\n")
    outcome = cli("run", module, "--task", "go", "--out", tmp_path / "out")
    assert outcome.status == 1
    assert "while being imported, called sys.exit(" in outcome.output
    assert "if __name__ ==" in outcome.output


def test_a_builder_that_exits_is_reported(cli: CLI, tmp_path: Path) -> None:
    module = _module(tmp_path, "import sys\n\ndef build(model_client=None):\n    sys.exit(0)\n")
    outcome = cli("run", module, "--task", "go", "--out", tmp_path / "out")
    assert outcome.status == 1
    assert "build() called sys.exit(0)" in outcome.output


SAID = "key :abc: and [bold]not bold[/bold] :thumbs_up:"


def test_model_text_and_the_stop_reason_are_printed_verbatim(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    module = _module(tmp_path, TEAM.format(said=SAID))
    status = main(["run", str(module), "--task", "task :abc: [i]x[/i]", "--out", str(tmp_path / "out")])
    out = capsys.readouterr().out
    assert status == 0, out
    assert SAID in out
    assert "task :abc: [i]x[/i]" in out  # the user's task, as the user typed it
    assert "\N{INPUT SYMBOL FOR LATIN LETTERS}" not in out  # what :abc: becomes as an emoji


def test_errors_are_printed_verbatim(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    module = _module(tmp_path, f"raise ValueError({SAID!r})\n")
    status = main(["run", str(module), "--task", "go", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert status == 1
    assert SAID in err
    assert "flowgen: error:" in err


def test_errors_are_printed_verbatim_on_a_given_console(cli: CLI, tmp_path: Path) -> None:
    module = _module(tmp_path, f"raise ValueError({SAID!r})\n")
    outcome = cli("run", module, "--task", "go", "--out", tmp_path / "out")
    assert SAID in outcome.output


SURROGATE_TEAM = textwrap.dedent(
    """
    import os
    from flowgen.agents import AssistantAgent
    from flowgen.models.function import FunctionChatCompletionClient
    from flowgen.teams import RoundRobinGroupChat

    def build(model_client=None):
        model = FunctionChatCompletionClient(lambda messages, info: "saved " + os.fsdecode(b"caf\\xe9") + " \\ud83d")
        return RoundRobinGroupChat([AssistantAgent("writer", model)], max_turns=1)
    """
)


def test_a_run_whose_model_says_lone_surrogates_still_prints_and_saves(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    module = _module(tmp_path, SURROGATE_TEAM)
    out = tmp_path / "out"
    status = main(["run", str(module), "--task", "go \udcff", "--out", str(out)])
    printed = capsys.readouterr()
    assert status == 0, printed.err
    saved = json.loads((out / "run.json").read_text(encoding="utf-8"))
    said = json.dumps(saved, ensure_ascii=False)
    assert "saved caf\\\\xe9 \ufffd" in said
    assert "go \\\\xff" in said
    assert "saved caf\\xe9 \ufffd" in printed.out
