"""LocalCommandLineCodeExecutor: code runs as this user, on this machine, in a scrubbed environment.

It isolates nothing but the environment: the code can read and write every file this user can, open
network connections, and use all memory and CPU. Use it for code you trust (your own, or reviewed);
use :class:`~flowgen.code_executors.SandboxedCodeExecutor` for code a model wrote.

Compared with AutoGen's executor of the same name: the environment is scrubbed to an allowlist (no API
keys), the timeout kills the block's whole process group, and a background child is killed when its
block ends, so no process outlives the call — unless it leaves the group with ``setsid``, which only
the sandbox prevents.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import SimpleNamespace

from flowgen.code_executors.command_line import CommandLineExecutor
from flowgen.code_executors.environment import DEFAULT_ENV_ALLOWLIST, scrubbed_environment
from flowgen.code_executors.functions import AnyFunction, required_packages
from flowgen.code_executors.process import ProcessRun, run_process
from flowgen.core import CancellationToken
from flowgen.errors import CodeFunctionsError

#: Output beyond this is not kept; the block is stopped (AutoGen keeps everything, unbounded).
DEFAULT_MAX_OUTPUT_BYTES = 16 * 1024 * 1024


class LocalCommandLineCodeExecutor(CommandLineExecutor):
    """Runs code blocks as files in ``work_dir`` with this machine's Python or shell.

    Args:
        timeout: Seconds each block may run; then its whole process group is killed (exit code 124).
        work_dir: Where blocks are written and run; a temporary directory (removed by ``stop``) if None.
        functions: Functions the code can import from ``functions_module``.
        functions_module: The module name the functions are written to.
        cleanup_temp_files: Delete each block's file after the call.
        virtual_env_context: A ``venv.EnvBuilder.ensure_directories`` result: run Python (and ``pip``)
            from that environment.
        env_allowlist: Host environment variables passed to the code; None passes all of them (AutoGen's
            behaviour, which exposes API keys).
        environment: Variables set for the code, on top of the allowlisted ones.
        max_output_bytes: Output kept per block; a block printing more is stopped.

    Example:
        >>> import asyncio
        >>> from flowgen.code_executors import CodeBlock
        >>> from flowgen.core import CancellationToken
        >>> async def main() -> str:
        ...     async with LocalCommandLineCodeExecutor(timeout=10) as executor:
        ...         result = await executor.execute_code_blocks(
        ...             [CodeBlock(code="print(6 * 7)", language="python")], CancellationToken()
        ...         )
        ...     return result.output
        >>> asyncio.run(main())
        '42\\n'
    """

    def __init__(
        self,
        timeout: float = 60,
        work_dir: Path | str | None = None,
        functions: Sequence[AnyFunction] = (),
        functions_module: str = "functions",
        cleanup_temp_files: bool = True,
        virtual_env_context: SimpleNamespace | None = None,
        *,
        env_allowlist: Sequence[str] | None = DEFAULT_ENV_ALLOWLIST,
        environment: Mapping[str, str] | None = None,
        max_output_bytes: int = DEFAULT_MAX_OUTPUT_BYTES,
    ) -> None:
        warnings.warn(
            "LocalCommandLineCodeExecutor runs code on this machine with this user's rights; for code a "
            "model wrote use SandboxedCodeExecutor",
            UserWarning,
            stacklevel=2,
        )
        super().__init__(
            timeout=timeout,
            work_dir=work_dir,
            functions=functions,
            functions_module=functions_module,
            cleanup_temp_files=cleanup_temp_files,
            max_output_bytes=max_output_bytes,
        )
        self._virtual_env_context = virtual_env_context
        self._env_allowlist = env_allowlist
        self._environment = dict(environment or {})

    def _python(self) -> str:
        if self._virtual_env_context is not None:
            return os.path.abspath(str(self._virtual_env_context.env_exe))
        return sys.executable

    def _env(self) -> dict[str, str]:
        env = scrubbed_environment(self._env_allowlist, self._environment)
        if self._virtual_env_context is not None:
            bin_path = os.path.abspath(self._virtual_env_context.bin_path)
            env["PATH"] = os.pathsep.join(p for p in (bin_path, env.get("PATH")) if p)
            env["VIRTUAL_ENV"] = os.path.abspath(self._virtual_env_context.env_dir)
        return env

    async def _run_file(self, language: str, path: Path, cancellation_token: CancellationToken) -> ProcessRun:
        program = self._python() if language == "python" else language
        return await run_process(
            [program, str(path)],
            cwd=self.work_dir,
            env=self._env(),
            time_limit=self._timeout,
            max_output_bytes=self._max_output_bytes,
            cancellation_token=cancellation_token,
        )

    async def _install_packages(self, cancellation_token: CancellationToken) -> None:
        packages = required_packages(self._functions)
        if not packages:
            return
        run = await run_process(
            [self._python(), "-m", "pip", "install", "-q", *packages],
            cwd=self.work_dir,
            env=scrubbed_environment(None),  # pip may need proxies and indexes from the environment
            time_limit=self._timeout,
            max_output_bytes=self._max_output_bytes,
            cancellation_token=cancellation_token,
        )
        if run.exit_code != 0 or run.stopped is not None:
            detail = (run.stderr + run.stdout).decode(errors="replace")
            raise CodeFunctionsError(
                f"installing {', '.join(packages)} failed ({run.stopped or run.exit_code}): {detail}"
            )
