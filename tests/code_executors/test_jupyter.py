"""JupyterCodeExecutor: state across blocks, a timeout that interrupts the kernel, rich output."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from flowgen.code_executors import CodeBlock, JupyterCodeExecutor
from flowgen.core import CancellationToken


@pytest.fixture
async def kernel(tmp_path: Path) -> AsyncIterator[JupyterCodeExecutor]:
    async with JupyterCodeExecutor(timeout=3, output_dir=tmp_path) as executor:
        yield executor


async def run(executor: JupyterCodeExecutor, code: str, token: CancellationToken | None = None):  # type: ignore[no-untyped-def]
    return await executor.execute_code_blocks(
        [CodeBlock(code=code, language="python")], token or CancellationToken()
    )


async def test_state_is_kept_across_calls(kernel: JupyterCodeExecutor) -> None:
    await run(kernel, "total = 40")
    result = await run(kernel, "total += 2\nprint(total)\ntotal")
    assert (result.exit_code, result.output) == (0, "42\n42\n")


async def test_a_timeout_interrupts_the_kernel_and_the_next_call_works(kernel: JupyterCodeExecutor) -> None:
    await run(kernel, "kept = 'still here'")
    stuck = await run(kernel, "while True:\n    pass")
    assert stuck.exit_code == 124
    assert "KeyboardInterrupt" in stuck.output
    assert "the kernel was interrupted and keeps its state" in stuck.output
    after = await run(kernel, "print(kept)")
    assert after.output == "still here\n"


async def test_cancelling_interrupts_the_running_cell(kernel: JupyterCodeExecutor) -> None:
    token = CancellationToken()
    started = kernel.output_dir / "started"
    fifo_code = f"open({str(started)!r}, 'w').write('x')\nwhile True:\n    pass"

    async def cancel_once_started() -> None:
        # Reading the FIFO returns once the cell has opened it and written to it: the cell is running.
        await asyncio.to_thread(started.read_text)
        token.cancel()

    os.mkfifo(started)
    async with asyncio.TaskGroup() as tg:
        tg.create_task(cancel_once_started())
        result = await run(kernel, fifo_code, token)
    assert result.exit_code == 125
    assert (await run(kernel, "print('alive')")).output == "alive\n"


async def test_an_error_fails_the_block_with_its_traceback(kernel: JupyterCodeExecutor) -> None:
    result = await executor_blocks(kernel, ["print('before')", "1 / 0", "print('never')"])
    assert result.exit_code == 1
    assert result.output.startswith("before\n")
    assert "ZeroDivisionError" in result.output
    assert "never" not in result.output
    assert "\x1b[" not in result.output


async def executor_blocks(kernel: JupyterCodeExecutor, codes: list[str]):  # type: ignore[no-untyped-def]
    return await kernel.execute_code_blocks(
        [CodeBlock(code=c, language="python") for c in codes], CancellationToken()
    )


async def test_images_and_html_are_saved_to_the_output_dir(kernel: JupyterCodeExecutor) -> None:
    code = (
        "import base64\nfrom IPython.display import display, HTML, Image\n"
        "png = base64.b64decode('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==')\n"
        "display(Image(data=png))\ndisplay(HTML('<b>bold</b>'))"
    )
    result = await run(kernel, code)
    assert result.exit_code == 0
    assert [p.suffix for p in result.output_files] == [".png", ".html"]
    assert all(p.parent == kernel.output_dir and p.exists() for p in result.output_files)
    assert result.output_files[1].read_text() == "<b>bold</b>"


async def test_the_kernel_does_not_see_api_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-flowgen-test-not-a-real-key")
    async with JupyterCodeExecutor(timeout=10, output_dir=tmp_path) as executor:
        result = await run(executor, "import os\nprint(os.environ.get('OPENAI_API_KEY'))")
    assert result.output == "None\n"


async def test_restart_forgets_variables(kernel: JupyterCodeExecutor) -> None:
    await run(kernel, "gone = 1")
    await kernel.restart()
    result = await run(kernel, "print(gone)")
    assert result.exit_code == 1
    assert "NameError" in result.output


async def test_shell_blocks_are_refused_with_a_clear_result(kernel: JupyterCodeExecutor) -> None:
    result = await kernel.execute_code_blocks([CodeBlock(code="ls", language="sh")], CancellationToken())
    assert result.exit_code == 1
    assert "a Jupyter kernel runs python" in result.output


async def test_a_cancelled_caller_interrupts_the_cell(kernel: JupyterCodeExecutor) -> None:
    started = kernel.output_dir / "started-outer"
    os.mkfifo(started)
    code = f"open({str(started)!r}, 'w').write('x')\nwhile True:\n    pass"
    task = asyncio.ensure_future(run(kernel, code))
    await asyncio.to_thread(started.read_text)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # The kernel was interrupted, not left spinning: the next block runs at once.
    assert (await run(kernel, "print('free')")).output == "free\n"
