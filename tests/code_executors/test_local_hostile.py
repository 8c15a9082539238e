"""The same hostile code against LocalCommandLineCodeExecutor: what it prevents, and what it does not.

The local executor runs code as this user on this machine. These tests pin down both sides, so that a
change in either is noticed: it scrubs the environment, bounds time and output, and kills a block's
whole process group; it does NOT stop the code reading or writing the user's files, using the
network, escaping its process group with ``setsid``, killing its parent, or using all memory and
processes. Two blocks are not run here for that reason: a fork bomb (no process limit holds for
root, and this machine is shared) and allocating 10 GB (no memory limit holds); their tests show
instead that the limits such code would meet are the host's own.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hostile import (
    BACKGROUND_CHILD,
    CONNECT,
    ESCAPING_CHILD,
    INFINITE_LOOP,
    PRINT_1_GB,
    READ_FILE,
    WRITE_FILE,
    accepted_a_connection,
    block,
    listener,
    processes_running,
)

from flowgen.code_executors import CommandLineCodeResult, LocalCommandLineCodeExecutor
from flowgen.core import CancellationToken

TIMEOUT = 5.0
MARGIN = 3.0

pytestmark = pytest.mark.filterwarnings("ignore:LocalCommandLineCodeExecutor runs code:UserWarning")


@pytest.fixture
async def local(tmp_path: Path) -> AsyncIterator[LocalCommandLineCodeExecutor]:
    executor = LocalCommandLineCodeExecutor(
        timeout=TIMEOUT, work_dir=tmp_path / "work", max_output_bytes=1024 * 1024
    )
    async with executor:
        yield executor


async def run(executor: LocalCommandLineCodeExecutor, code: str) -> CommandLineCodeResult:
    started = time.monotonic()
    result = await executor.execute_code_blocks([block(code)], CancellationToken())
    assert time.monotonic() - started < TIMEOUT + MARGIN
    return result


async def test_not_prevented_reading_a_host_file(local: LocalCommandLineCodeExecutor, tmp_path: Path) -> None:
    secret = tmp_path / "host-secret.txt"
    secret.write_text("the host's secret")
    result = await run(local, READ_FILE.format(path=str(secret)))
    assert result.output == "the host's secret\n"


async def test_not_prevented_writing_outside_the_work_dir(
    local: LocalCommandLineCodeExecutor, tmp_path: Path
) -> None:
    target = tmp_path / "outside.txt"
    result = await run(local, WRITE_FILE.format(path=str(target)))
    assert result.exit_code == 0
    assert target.read_text() == "written by the block"


async def test_not_prevented_connecting_to_127_0_0_1(local: LocalCommandLineCodeExecutor) -> None:
    sock = listener()
    try:
        result = await run(local, CONNECT.format(port=sock.getsockname()[1]))
        assert result.output == "connected\n"
        assert accepted_a_connection(sock)
    finally:
        sock.close()


async def test_prevented_reading_an_api_key_from_the_environment(
    local: LocalCommandLineCodeExecutor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-flowgen-test-not-a-real-key")
    result = await run(local, "import os\nprint('key:', os.environ.get('OPENAI_API_KEY'))")
    assert result.output == "key: None\n"


def test_not_prevented_reading_the_parents_environment_through_proc(tmp_path: Path) -> None:
    # The scrubbed environment is the block's own; the process running the executor was started with
    # the key, and /proc/<parent>/environ still shows it to code running as the same user.
    code = "import os\nprint(open(f'/proc/{os.getppid()}/environ', 'rb').read())"
    env = {**os.environ, "OPENAI_API_KEY": "sk-flowgen-test-not-a-real-key"}
    output = run_in_child(code, tmp_path, env)
    assert "sk-flowgen-test-not-a-real-key" in output.stdout


async def test_with_no_allowlist_the_key_is_exposed_as_in_autogen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-flowgen-test-not-a-real-key")
    async with LocalCommandLineCodeExecutor(
        timeout=TIMEOUT, work_dir=tmp_path, env_allowlist=None
    ) as executor:
        result = await run(executor, "import os\nprint(os.environ['OPENAI_API_KEY'])")
    assert result.output == "sk-flowgen-test-not-a-real-key\n"


async def test_not_prevented_fork_bomb__not_run_no_process_limit_applies(
    local: LocalCommandLineCodeExecutor,
) -> None:
    """A fork bomb is not run: the block would meet only the host's own process limit, shown here."""
    result = await run(local, "import resource\nprint(resource.getrlimit(resource.RLIMIT_NPROC))")
    assert result.output == f"{resource.getrlimit(resource.RLIMIT_NPROC)}\n"


async def test_not_prevented_allocating_10_gb__not_run_no_memory_limit_applies(
    local: LocalCommandLineCodeExecutor,
) -> None:
    """Allocating 10 GB is not run: the block would meet only the host's own memory limit, shown here."""
    result = await run(local, "import resource\nprint(resource.getrlimit(resource.RLIMIT_AS))")
    assert result.output == f"{resource.getrlimit(resource.RLIMIT_AS)}\n"


async def test_prevented_an_infinite_loop_past_the_timeout(local: LocalCommandLineCodeExecutor) -> None:
    result = await run(local, INFINITE_LOOP)
    assert result.exit_code == 124
    assert "Timeout" in result.output
    assert processes_running(result) == []


async def test_prevented_printing_1_gb(local: LocalCommandLineCodeExecutor) -> None:
    result = await run(local, PRINT_1_GB)
    assert "Output limit: the code printed more than 1048576 bytes" in result.output
    assert processes_running(result) == []


async def test_prevented_a_background_child_outliving_its_block(local: LocalCommandLineCodeExecutor) -> None:
    result = await run(local, BACKGROUND_CHILD)
    assert result.output == "started a background child\n"
    assert processes_running(result) == []


async def test_not_prevented_a_child_leaving_the_process_group(local: LocalCommandLineCodeExecutor) -> None:
    result = await run(local, ESCAPING_CHILD)
    survivors = processes_running(result)
    try:
        assert len(survivors) == 1
        assert "Warning: a process that left the code's process group kept running" in result.output
    finally:
        for pid in survivors:
            os.kill(pid, signal.SIGKILL)


def run_in_child(
    code: str, work_dir: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``code`` with a local executor inside a child Python, which prints the block's output."""
    program = textwrap.dedent(
        f"""
        import asyncio, warnings
        warnings.simplefilter("ignore")
        from flowgen.code_executors import CodeBlock, LocalCommandLineCodeExecutor
        from flowgen.core import CancellationToken
        async def main():
            executor = LocalCommandLineCodeExecutor(timeout=10, work_dir={str(work_dir)!r})
            block = CodeBlock(code={code!r}, language="python")
            result = await executor.execute_code_blocks([block], CancellationToken())
            print(result.output)
            print("survived")
        asyncio.run(main())
        """
    )
    return subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=60, env=env
    )


def test_not_prevented_code_killing_its_parent(tmp_path: Path) -> None:
    # The parent is the process running the executor: run it in a child so the test survives.
    done = run_in_child("import os, signal\nos.kill(os.getppid(), signal.SIGKILL)", tmp_path)
    assert done.returncode == -signal.SIGKILL
    assert "survived" not in done.stdout
