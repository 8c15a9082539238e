"""The ``flowgen`` command: argument parsing and turning every expected failure into one line."""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import Sequence

from rich.console import Console as RichConsole
from rich.text import Text

from flowgen.cli import (
    diff_commands,
    graph_commands,
    replay_command,
    run_command,
    saved_run_commands,
    serve_command,
    thread_commands,
)
from flowgen.errors import CLIError, FlowgenError, GraphValidationError

EPILOG = """examples:
  flowgen run graphs/write_review.py --task "Write a haiku about autumn"
  flowgen run graphs/support_swarm.py --task "I was charged twice" --model openai:gpt-4o-mini
  flowgen render graphs/code_review_flow.py -o flow.svg
  flowgen check graphs/travel_planner.py
  flowgen show out/write_review/run.json
  flowgen diff out/a/run.json out/b/run.json
  flowgen run graphs/support_swarm.py --task "I was charged twice" --thread t-1
  flowgen threads show t-1 --store runs.db
  flowgen serve graphs/write_review.py --api-key "$KEY" --store runs.db
"""


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="flowgen",
        description="Run, draw, check and compare flowgen teams.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    root.add_argument("--traceback", action="store_true", help="show the full traceback when something fails")
    root.add_argument(
        "--log-format",
        choices=("text", "json"),
        default=None,
        help="write flowgen's logs (agents created, turns, tool and model calls, run stops) to stderr, "
        "as text or JSON lines (default: FLOWGEN_LOG_FORMAT, else no logs)",
    )
    commands = root.add_subparsers(dest="command", metavar="COMMAND", required=True)
    run_command.add_parser(commands)
    graph_commands.add_parsers(commands)
    saved_run_commands.add_parsers(commands)
    diff_commands.add_parser(commands)
    replay_command.add_parser(commands)
    thread_commands.add_parsers(commands)
    serve_command.add_parser(commands)
    return root


def main(argv: Sequence[str] | None = None, *, console: RichConsole | None = None) -> int:
    """Run the ``flowgen`` command with ``argv`` (default: the process's arguments); return the exit status."""
    out = console if console is not None else RichConsole(highlight=False, soft_wrap=True, emoji=False)
    err = (
        RichConsole(stderr=True, highlight=False, soft_wrap=True, emoji=False) if console is None else console
    )
    try:
        args = parser().parse_args(argv)
    except SystemExit as exit_:  # --help, or argparse's own usage error (already printed)
        return exit_.code if isinstance(exit_.code, int) else 2
    handler = None
    try:
        handler = _logging(args.log_format)
        status: int = args.handler(args, out)
        return status
    except KeyboardInterrupt:
        err.print("flowgen: interrupted")
        return 130
    except (CLIError, FlowgenError, OSError) as exc:
        if args.traceback:
            raise
        err.print(_error_line(_one_line(exc)))
        return 1
    except Exception as exc:
        if args.traceback:
            raise
        err.print(
            _error_line(
                f"{type(exc).__name__}: {_one_line(exc)} (run again with --traceback for the details)"
            )
        )
        return 1
    finally:
        if handler is not None:
            _stop_logging(handler)


def _logging(log_format: str | None) -> logging.Handler | None:
    """Structured logs when asked for by ``--log-format`` or FLOWGEN_LOG_FORMAT."""
    chosen = log_format or os.environ.get("FLOWGEN_LOG_FORMAT")
    if not chosen:
        return None
    from flowgen.telemetry import configure_logging

    return configure_logging(chosen)


def _stop_logging(handler: logging.Handler) -> None:
    from flowgen.telemetry.install import disable_event_logs

    logging.getLogger("flowgen").removeHandler(handler)
    disable_event_logs()


def _error_line(message: str) -> Text:
    """An error line; the message (which may quote the model or the user) is printed verbatim.

    A Text is printed as it is: no markup, and no ``:emoji:`` codes turned into pictures.
    """
    return Text.assemble(("flowgen: error:", "red"), " ", message)


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, GraphValidationError) and exc.findings:
        more = f" (and {len(exc.findings) - 1} more)" if len(exc.findings) > 1 else ""
        return f"the graph cannot run: {exc.findings[0]}{more} — `flowgen check` lists every finding with its fix"
    text = str(exc).strip() or type(exc).__name__
    first, *rest = text.splitlines()
    return first + (
        f" (+{len(rest)} more lines; --traceback shows all)" if rest and not isinstance(exc, CLIError) else ""
    )
