"""DockerCommandLineCodeExecutor: each block runs in a fresh container that is removed with the call.

The container has no network, runs as ``nobody`` (65534) with no capabilities and
``no-new-privileges``, on a read-only image with a private ``/tmp``, under memory, process, CPU and
file-size limits (:class:`ResourceLimits`); the work dir is mounted at ``/workspace``. It is driven
through the ``docker`` command, so no Python package is needed; a clear error says so when no Docker
daemon answers. Where bubblewrap is available, SandboxedCodeExecutor gives the same isolation without
a daemon and starts about ten times faster.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import ClassVar

from flowgen.code_executors.command_line import CommandLineExecutor
from flowgen.code_executors.functions import AnyFunction
from flowgen.code_executors.limits import ResourceLimits
from flowgen.code_executors.process import ProcessRun, run_process
from flowgen.core import CancellationToken
from flowgen.errors import SandboxUnavailableError

_CONTAINER_UID = "65534:65534"
_WORKSPACE = "/workspace"


class DockerCommandLineCodeExecutor(CommandLineExecutor):
    """Runs code blocks in throw-away Docker containers.

    Args:
        image: The image to run (it must have ``python3`` and ``sh``).
        container_name: A prefix for the containers' names.
        timeout: Seconds a block may run; then its container is killed (exit code 124).
        work_dir: The host directory mounted at ``/workspace``; a temporary directory if None.
        functions: Functions the code can import from ``functions_module`` (their packages must be in
            the image: there is no network).
        functions_module: The module name the functions are written to.
        delete_tmp_files: Delete each block's file after the call.
        limits: Memory, process, CPU-time, file-size, output and /tmp limits.
        environment: The variables the code sees.
        docker: The ``docker`` command to use.

    Raises:
        SandboxUnavailableError: from :meth:`start` (or the first block), when no Docker daemon answers.
    """

    isolates_code: ClassVar[bool] = True

    def __init__(
        self,
        image: str = "python:3-slim",
        container_name: str | None = None,
        *,
        timeout: float = 60,
        work_dir: Path | str | None = None,
        functions: Sequence[AnyFunction] = (),
        functions_module: str = "functions",
        delete_tmp_files: bool = False,
        limits: ResourceLimits | None = None,
        environment: Mapping[str, str] | None = None,
        docker: str = "docker",
    ) -> None:
        self._limits = limits or ResourceLimits()
        super().__init__(
            timeout=timeout,
            work_dir=work_dir,
            functions=functions,
            functions_module=functions_module,
            cleanup_temp_files=delete_tmp_files,
            max_output_bytes=self._limits.max_output_bytes,
        )
        self._image = image
        self._name_prefix = container_name or "flowgen-code"
        self._environment = dict(environment or {})
        self._docker = docker
        self._checked = False

    async def start(self) -> None:
        await super().start()
        await self._check_daemon()
        if os.geteuid() == 0:
            os.chown(self.work_dir, 65534, 65534)

    async def _check_daemon(self) -> None:
        if self._checked:
            return
        docker = shutil.which(self._docker)
        if docker is None:
            raise SandboxUnavailableError(
                f"DockerCommandLineCodeExecutor needs the `{self._docker}` command: install Docker, or use "
                "SandboxedCodeExecutor (bubblewrap) instead"
            )
        run = await run_process(
            [docker, "version", "--format", "{{.Server.Version}}"],
            cwd=Path.cwd(),
            env=dict(os.environ),
            time_limit=15,
            max_output_bytes=65536,
            cancellation_token=CancellationToken(),
        )
        if run.exit_code != 0 or run.stopped is not None:
            detail = (run.stderr or run.stdout).decode(errors="replace").strip().splitlines()
            raise SandboxUnavailableError(
                f"no Docker daemon answers ({detail[-1] if detail else 'no reply'}): start Docker, or use "
                "SandboxedCodeExecutor (bubblewrap) instead"
            )
        self._checked = True

    def docker_command(self, container: str, program: str, file_inside: str) -> list[str]:
        """The ``docker run`` command for one block, with every isolation flag."""
        limits = self._limits
        cpu = limits.cpu_seconds or int(self._timeout) + 1
        argv = [
            self._docker, "run", "--rm", "--name", container,
            "--network", "none",
            "--user", _CONTAINER_UID,
            "--cap-drop", "ALL",
            "--security-opt", "no-new-privileges",
            "--read-only",
            "--tmpfs", f"/tmp:rw,size={limits.tmp_bytes},mode=1777",
            "--pids-limit", str(limits.max_processes),
            "--memory", str(limits.memory_bytes),
            "--memory-swap", str(limits.memory_bytes),
            "--ulimit", f"cpu={cpu}:{cpu + 1}",
            "--ulimit", f"fsize={limits.max_file_bytes}:{limits.max_file_bytes}",
            "--ulimit", f"nofile={limits.max_open_files}:{limits.max_open_files}",
            "--volume", f"{self.work_dir.resolve()}:{_WORKSPACE}",
            "--workdir", _WORKSPACE,
            "--env", f"HOME={_WORKSPACE}",
        ]  # fmt: skip
        for name, value in self._environment.items():
            argv += ["--env", f"{name}={value}"]
        return [*argv, self._image, program, file_inside]

    async def _run_file(self, language: str, path: Path, cancellation_token: CancellationToken) -> ProcessRun:
        await self._check_daemon()
        container = f"{self._name_prefix}-{uuid.uuid4().hex[:12]}"
        program = "python3" if language == "python" else language
        inside = f"{_WORKSPACE}/{path.relative_to(self.work_dir).as_posix()}"
        try:
            return await run_process(
                self.docker_command(container, program, inside),
                cwd=self.work_dir,
                env=dict(os.environ),  # the docker client's own; the container gets only --env
                time_limit=self._timeout,
                max_output_bytes=self._limits.max_output_bytes,
                cancellation_token=cancellation_token,
            )
        finally:
            # Killing the client does not stop its container: remove it, whatever happened.
            await asyncio.shield(self._remove(container))

    async def _remove(self, container: str) -> None:
        with contextlib.suppress(OSError):
            await run_process(
                [self._docker, "rm", "--force", container],
                cwd=self.work_dir,
                env=dict(os.environ),
                time_limit=30,
                max_output_bytes=65536,
                cancellation_token=CancellationToken(),
            )
