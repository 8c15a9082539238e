"""Ctrl-C and cancellation around a blocking tool, in a real process run by ``asyncio.run``."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

SCRIPT = textwrap.dedent(
    """
    import asyncio, signal, sys, threading
    # Ctrl-C as a program started from a terminal has it: a shell that runs this suite as a
    # background job passes SIGINT on ignored, and asyncio.run then leaves it ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    from flowgen.agents import AssistantAgent
    from flowgen.core import CancellationToken, FunctionCall
    from flowgen.models import CreateResult, ModelInfo, ReplayChatCompletionClient, RequestUsage

    INFO = ModelInfo(vision=False, function_calling=True, json_output=True, family="unknown",
                     structured_output=True)

    started = threading.Event()

    def stuck() -> str:
        print("started", flush=True)
        started.set()
        threading.Event().wait()  # blocks for ever
        return "never"

    async def main(mode: str) -> None:
        reply = CreateResult(finish_reason="function_calls", usage=RequestUsage(1, 1),
                             content=[FunctionCall(id="c1", name="stuck", arguments="{}")])
        model = ReplayChatCompletionClient([reply, "done"], model_info=INFO)
        agent = AssistantAgent("worker", model, tools=[stuck])
        token = CancellationToken()
        run = asyncio.ensure_future(agent.run(task="go", cancellation_token=token))
        if mode == "cancel":
            await asyncio.to_thread(started.wait)  # returns at once when the tool has started
            token.cancel()
            try:
                await run
            except asyncio.CancelledError:
                print("cancelled", flush=True)
        else:
            await run

    asyncio.run(main(sys.argv[1]))
    print("exited asyncio.run", flush=True)
    """
)


def _start(tmp_path: Path, mode: str) -> subprocess.Popen[str]:
    script = tmp_path / "stuck_tool.py"
    script.write_text(SCRIPT)
    return subprocess.Popen(
        [sys.executable, str(script), mode],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )


def test_cancelling_a_run_in_a_stuck_sync_tool_lets_asyncio_run_return(tmp_path: Path) -> None:
    process = _start(tmp_path, "cancel")
    try:
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 0, err
    assert out.splitlines() == ["started", "cancelled", "exited asyncio.run"]


def test_ctrl_c_during_a_stuck_sync_tool_stops_the_program(tmp_path: Path) -> None:
    process = _start(tmp_path, "wait")
    try:
        assert process.stdout is not None
        assert process.stdout.readline() == "started\n"
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode != 0
    assert "KeyboardInterrupt" in err


async def test_a_sync_tools_thread_leaves_ctrl_c_and_sigterm_to_the_main_thread() -> None:
    # The kernel gives a process's SIGINT to any thread not blocking it; given to a stuck tool's
    # thread, it would only set a flag the sleeping event loop never looks at, and Ctrl-C would hang.
    from flowgen.tools.blocking_call import run_in_thread

    def mask() -> set[signal.Signals]:
        return set(signal.pthread_sigmask(signal.SIG_BLOCK, []))

    in_tool = await run_in_thread(mask, "mask")
    assert {signal.SIGINT, signal.SIGTERM} <= in_tool
    assert signal.SIGINT not in mask()  # the caller's own mask is as it was
