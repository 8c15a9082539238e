"""DockerCommandLineCodeExecutor: the isolation flags it asks for, and, where a daemon answers, what they do.

The tests that run containers need a Docker daemon; where none answers they skip and say so. The
command-line checks run everywhere.
"""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from flowgen.code_executors import CodeBlock, DockerCommandLineCodeExecutor, ResourceLimits
from flowgen.core import CancellationToken
from flowgen.errors import SandboxUnavailableError


def _daemon_answers() -> bool:
    try:
        done = subprocess.run(
            ["docker", "version", "--format", "{{.Server.Version}}"], capture_output=True, timeout=15
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


needs_daemon = pytest.mark.skipif(
    not _daemon_answers(), reason="no Docker daemon answers on this machine: the container tests cannot run"
)


def test_the_command_asks_for_every_isolation_flag(tmp_path: Path) -> None:
    limits = ResourceLimits(memory_bytes=256 * 1024 * 1024, max_processes=16, cpu_seconds=5)
    executor = DockerCommandLineCodeExecutor(work_dir=tmp_path, limits=limits, environment={"A": "1"})
    argv = executor.docker_command("c1", "python3", "/workspace/x.py")
    joined = " ".join(argv)
    for flag in (
        "--network none",
        "--user 65534:65534",
        "--cap-drop ALL",
        "--security-opt no-new-privileges",
        "--read-only",
        "--pids-limit 16",
        f"--memory {256 * 1024 * 1024}",
        "--ulimit cpu=5:6",
        f"--volume {tmp_path.resolve()}:/workspace",
        "--env A=1",
    ):
        assert flag in joined
    assert argv[-3:] == ["python:3-slim", "python3", "/workspace/x.py"]


async def test_without_a_daemon_the_error_says_what_to_do(tmp_path: Path) -> None:
    executor = DockerCommandLineCodeExecutor(work_dir=tmp_path, docker="docker-not-installed-here")
    with pytest.raises(SandboxUnavailableError, match="install Docker, or use SandboxedCodeExecutor"):
        await executor.start()


@pytest.mark.skipif(_daemon_answers(), reason="a Docker daemon answers here")
async def test_an_unreachable_daemon_is_reported_clearly(tmp_path: Path) -> None:
    with pytest.raises(SandboxUnavailableError, match="no Docker daemon answers"):
        await DockerCommandLineCodeExecutor(work_dir=tmp_path).start()


@pytest.fixture
async def docker(tmp_path: Path) -> AsyncIterator[DockerCommandLineCodeExecutor]:
    async with DockerCommandLineCodeExecutor(timeout=20, work_dir=tmp_path) as executor:
        yield executor


async def run(executor: DockerCommandLineCodeExecutor, code: str):  # type: ignore[no-untyped-def]
    return await executor.execute_code_blocks([CodeBlock(code=code, language="python")], CancellationToken())


@needs_daemon
async def test_code_runs_as_nobody_without_network_or_keys(docker: DockerCommandLineCodeExecutor) -> None:
    code = (
        "import os, socket\nprint(os.getuid(), 'OPENAI_API_KEY' in os.environ)\n"
        "try:\n    socket.create_connection(('1.1.1.1', 53), timeout=3)\nexcept OSError as e:\n    print('no network')"
    )
    result = await run(docker, code)
    assert result.output == "65534 False\nno network\n"


@needs_daemon
async def test_a_timeout_leaves_no_container(tmp_path: Path) -> None:
    async with DockerCommandLineCodeExecutor(
        timeout=3, work_dir=tmp_path, container_name="flowgen-timeout-test"
    ) as ex:
        result = await run(ex, "while True:\n    pass")
    assert result.exit_code == 124
    listing = await asyncio.to_thread(
        subprocess.run,
        ["docker", "ps", "-aq", "--filter", "name=flowgen-timeout-test"],
        capture_output=True,
        text=True,
    )
    assert listing.stdout.strip() == ""


@needs_daemon
async def test_memory_is_limited(docker: DockerCommandLineCodeExecutor) -> None:
    result = await run(docker, "data = bytearray(10 * 1024**3)")
    assert result.exit_code != 0
