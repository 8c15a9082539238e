"""Hostile code against SandboxedCodeExecutor: each test fails if the isolation it checks breaks.

Every block must end with a result saying what happened, within the timeout plus a small margin, and
leave no process behind. bubblewrap is installed by ``make test`` (scripts/system-deps.sh): these
tests never skip.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hostile import (
    ALLOCATE_10_GB,
    BACKGROUND_CHILD,
    CONNECT,
    ESCAPING_CHILD,
    FORK_BOMB,
    INFINITE_LOOP,
    KILL_PARENT,
    PRINT_1_GB,
    READ_ENV,
    READ_FILE,
    WRITE_FILE,
    accepted_a_connection,
    block,
    listener,
    processes_running,
)

from flowgen.code_executors import CommandLineCodeResult, ResourceLimits, SandboxedCodeExecutor
from flowgen.code_executors.sandboxed import SANDBOX_UID
from flowgen.core import CancellationToken

TIMEOUT = 5.0
#: Launching and tearing down a sandbox takes tens of milliseconds; this is generous for a busy machine.
MARGIN = 3.0


@pytest.fixture
async def sandbox(tmp_path: Path) -> AsyncIterator[SandboxedCodeExecutor]:
    limits = ResourceLimits(memory_bytes=512 * 1024 * 1024, max_processes=32)
    async with SandboxedCodeExecutor(timeout=TIMEOUT, work_dir=tmp_path / "work", limits=limits) as executor:
        yield executor


async def run(
    executor: SandboxedCodeExecutor,
    code: str,
    token: CancellationToken | None = None,
    language: str = "python",
) -> CommandLineCodeResult:
    started = time.monotonic()
    result = await executor.execute_code_blocks([block(code, language)], token or CancellationToken())
    assert time.monotonic() - started < TIMEOUT + MARGIN, result.output[-500:]
    assert processes_running(result) == [], "a process of the block outlived it"
    return result


async def test_a_host_file_outside_the_work_dir_cannot_be_read(
    sandbox: SandboxedCodeExecutor, tmp_path: Path
) -> None:
    secret = tmp_path / "host-secret.txt"
    secret.write_text("the host's secret")
    secret.chmod(0o644)
    result = await run(sandbox, READ_FILE.format(path=str(secret)))
    assert result.exit_code == 1
    assert "FileNotFoundError" in result.output
    assert "the host's secret" not in result.output


async def test_host_system_files_beyond_the_runtime_are_not_there(sandbox: SandboxedCodeExecutor) -> None:
    result = await run(
        sandbox,
        "import os\nprint(sorted(os.listdir('/')))\nprint(os.path.exists('/etc/passwd'), os.path.exists('/root/.ssh'), os.path.exists('/work'))",
    )
    assert result.exit_code == 0
    assert "False False False" in result.output


async def test_writing_outside_the_work_dir_reaches_no_host_file(
    sandbox: SandboxedCodeExecutor, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    outside.chmod(0o777)
    for target in (outside / "pwned.txt", Path("/usr/pwned.txt"), Path("/pwned.txt")):
        result = await run(sandbox, WRITE_FILE.format(path=str(target)))
        assert result.exit_code == 1, result.output
        assert ("FileNotFoundError" in result.output) or ("Read-only file system" in result.output)
        assert not target.exists()


async def test_the_work_dir_is_writable_and_shared_with_the_host(sandbox: SandboxedCodeExecutor) -> None:
    result = await run(sandbox, WRITE_FILE.format(path="/workspace/result.txt"))
    assert result.exit_code == 0
    assert (sandbox.work_dir / "result.txt").read_text() == "written by the block"


async def test_a_listener_on_127_0_0_1_cannot_be_reached(sandbox: SandboxedCodeExecutor) -> None:
    sock = listener()
    try:
        port = sock.getsockname()[1]
        result = await run(sandbox, CONNECT.format(port=port))
        assert result.exit_code == 1
        assert "connected" not in result.output.splitlines()
        assert ("ConnectionRefusedError" in result.output) or ("Network is unreachable" in result.output)
        assert not accepted_a_connection(sock)
    finally:
        sock.close()


async def test_an_api_key_in_the_environment_cannot_be_read(
    sandbox: SandboxedCodeExecutor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-flowgen-test-not-a-real-key")
    result = await run(sandbox, READ_ENV)
    assert result.exit_code == 0
    assert "key: None" in result.output
    assert "sk-flowgen-test" not in result.output


async def test_a_fork_bomb_is_bounded_and_leaves_nothing(sandbox: SandboxedCodeExecutor) -> None:
    result = await run(sandbox, FORK_BOMB)
    assert result.exit_code != 0
    assert "Timeout" in result.output or "Killed by signal" in result.output


async def test_a_shell_fork_bomb_is_bounded_and_leaves_nothing(sandbox: SandboxedCodeExecutor) -> None:
    result = await run(sandbox, "bomb() { bomb | bomb & }\nbomb\nwait", language="bash")
    # Whether the bomb burns out or runs into the timeout varies, and so does whether bash reports the
    # refused fork as one it will retry; that the process limit refused forks does not.
    assert "fork" in result.output and "Resource temporarily unavailable" in result.output


async def test_writing_to_tmp_and_dev_is_bounded(sandbox: SandboxedCodeExecutor) -> None:
    code = """
import os
for target in ('/tmp/fill', '/dev/shm/fill', '/dev/fill'):
    try:
        with open(target, 'wb') as f:
            for _ in range(256):
                f.write(b'x' * (1 << 20))
        print(target, 'wrote', os.path.getsize(target))
    except OSError as e:
        print(target, e.strerror)
"""
    result = await run(sandbox, code)
    assert result.output.splitlines() == [
        "/tmp/fill File too large",
        "/dev/shm/fill Permission denied",
        "/dev/fill Permission denied",
    ]


async def test_an_infinite_loop_is_stopped_at_the_timeout(sandbox: SandboxedCodeExecutor) -> None:
    result = await run(sandbox, INFINITE_LOOP)
    assert result.exit_code == 124
    assert "Timeout: the code ran longer than 5 s" in result.output


async def test_allocating_10_gb_fails_inside_the_block(sandbox: SandboxedCodeExecutor) -> None:
    result = await run(sandbox, ALLOCATE_10_GB)
    assert result.exit_code == 1
    assert "MemoryError" in result.output


async def test_printing_1_gb_is_cut_at_the_output_limit(sandbox: SandboxedCodeExecutor) -> None:
    result = await run(sandbox, PRINT_1_GB)
    assert result.exit_code != 0
    limit = sandbox.limits.max_output_bytes
    assert f"Output limit: the code printed more than {limit} bytes" in result.output
    assert len(result.output) < limit + 1000


async def test_a_background_child_does_not_outlive_its_block(sandbox: SandboxedCodeExecutor) -> None:
    result = await run(sandbox, BACKGROUND_CHILD)
    assert result.exit_code == 0
    assert "started a background child" in result.output


async def test_a_child_in_its_own_session_does_not_outlive_its_block(sandbox: SandboxedCodeExecutor) -> None:
    result = await run(sandbox, ESCAPING_CHILD)
    assert result.exit_code == 0
    assert "Warning" not in result.output


async def test_code_killing_its_parent_harms_nothing(sandbox: SandboxedCodeExecutor) -> None:
    result = await run(sandbox, KILL_PARENT)
    assert result.exit_code == 1
    assert "PermissionError" in result.output
    after = await run(sandbox, "print('still working')")
    assert after.output == "still working\n"


async def test_the_code_runs_unprivileged_with_no_capabilities(sandbox: SandboxedCodeExecutor) -> None:
    code = "import os\nprint(os.getuid(), os.getgid())\nprint([l for l in open('/proc/self/status') if l.startswith(('CapEff', 'CapBnd', 'NoNewPrivs'))])"
    result = await run(sandbox, code)
    assert result.output.splitlines()[0] == f"{SANDBOX_UID} {SANDBOX_UID}"
    assert "CapEff:\\t0000000000000000" in result.output
    assert "CapBnd:\\t0000000000000000" in result.output
    assert "NoNewPrivs:\\t1" in result.output


async def test_the_cpu_time_limit_kills_a_busy_block(tmp_path: Path) -> None:
    limits = ResourceLimits(cpu_seconds=1)
    async with SandboxedCodeExecutor(timeout=20, work_dir=tmp_path, limits=limits) as executor:
        started = time.monotonic()
        result = await executor.execute_code_blocks([block(INFINITE_LOOP)], CancellationToken())
        # One CPU-second can take several wall seconds on a busy machine; the point is it ends before the timeout.
        assert time.monotonic() - started < 20
    assert result.exit_code == 128 + 24
    assert "Killed by signal SIGXCPU: the CPU-time limit was reached" in result.output


async def test_the_file_size_limit_stops_a_huge_file(tmp_path: Path) -> None:
    limits = ResourceLimits(max_file_bytes=1024 * 1024)
    async with SandboxedCodeExecutor(timeout=TIMEOUT, work_dir=tmp_path, limits=limits) as executor:
        code = "with open('big.bin', 'wb') as f:\n    f.write(b'x' * (8 * 1024 * 1024))"
        result = await executor.execute_code_blocks([block(code)], CancellationToken())
    assert result.exit_code != 0
    assert "File too large" in result.output
    assert (tmp_path / "big.bin").stat().st_size <= 1024 * 1024


async def test_cancelling_the_token_stops_the_block_and_its_children(sandbox: SandboxedCodeExecutor) -> None:
    # The block tells the test it is running (and has its child) by writing to a FIFO the test reads.
    fifo = sandbox.work_dir / "ready"
    os.mkfifo(fifo)
    fifo.chmod(0o666)
    code = BACKGROUND_CHILD + "\nopen('/workspace/ready', 'w').write('ready')\nimport time\ntime.sleep(600)"
    token = CancellationToken()

    async def cancel_when_ready() -> None:
        await asyncio.to_thread(fifo.read_text)
        token.cancel()

    async with asyncio.TaskGroup() as tg:
        tg.create_task(cancel_when_ready())
        result = await run(sandbox, code, token)
    assert result.exit_code == 125
    assert "Cancelled" in result.output


def test_the_sandbox_is_the_default_where_bubblewrap_exists() -> None:
    from flowgen.code_executors import default_code_executor

    assert isinstance(default_code_executor(), SandboxedCodeExecutor)


def test_a_missing_bubblewrap_is_named_with_the_package_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    from flowgen.errors import SandboxUnavailableError

    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(
        SandboxUnavailableError, match=r"install the 'bubblewrap' package.*apt-get install bubblewrap"
    ):
        SandboxedCodeExecutor()


async def test_shell_blocks_run_in_the_sandbox_too(
    sandbox: SandboxedCodeExecutor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-flowgen-test-not-a-real-key")
    result = await run(sandbox, 'id -u\necho "key=$OPENAI_API_KEY"', language="bash")
    assert result.output.splitlines()[:2] == [str(SANDBOX_UID), "key="]


async def test_the_hosts_installed_packages_are_not_shown(sandbox: SandboxedCodeExecutor) -> None:
    code = "import os, sys\nprint([p for p in sys.path if 'packages' in p and os.path.isdir(p) and os.listdir(p)])"
    result = await run(sandbox, code)
    assert result.output == "[]\n"


async def test_a_bubblewrap_that_cannot_make_namespaces_is_reported_at_start(tmp_path: Path) -> None:
    from flowgen.errors import SandboxUnavailableError

    # A stand-in bwrap that fails as bubblewrap does where the kernel forbids new namespaces.
    fake = tmp_path / "bin" / "bwrap"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho 'bwrap: No permissions to create new namespace' >&2\nexit 1\n")
    fake.chmod(0o755)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PATH", f"{fake.parent}:{os.environ['PATH']}")
        executor = SandboxedCodeExecutor(work_dir=tmp_path / "work")
    with pytest.raises(
        SandboxUnavailableError, match=r"No permissions to create new namespace.*user namespaces"
    ):
        await executor.start()
