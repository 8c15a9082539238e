"""JupyterCodeExecutor: Python blocks run in one IPython kernel, so variables persist between calls.

The kernel runs on this machine as this user, like LocalCommandLineCodeExecutor: use it for trusted
code. It starts with a scrubbed environment (no API keys). A block that runs past the timeout (or
whose cancellation token fires) is interrupted — the kernel gets SIGINT, as Jupyter's stop button
sends — and the kernel stays usable for the next call; a kernel that ignores the interrupt is
restarted, and the result says its state was lost. (AutoGen's executor stops waiting at the timeout
but leaves the cell running in the kernel.)

Needs the ``code`` extra (ipykernel, jupyter_client).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import re
import tempfile
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flowgen.code_executors.command_line import CANCELLED_EXIT_CODE, TIMEOUT_EXIT_CODE
from flowgen.code_executors.environment import DEFAULT_ENV_ALLOWLIST, scrubbed_environment
from flowgen.code_executors.executor import CodeExecutor
from flowgen.code_executors.languages import canonical_language
from flowgen.code_executors.types import CodeBlock, CodeResult
from flowgen.core import CancellationToken
from flowgen.errors import CodeExecutionError, ConfigurationError

if TYPE_CHECKING:
    from jupyter_client.asynchronous.client import AsyncKernelClient
    from jupyter_client.manager import AsyncKernelManager

#: How long an interrupted cell may take to stop before the kernel is restarted.
_INTERRUPT_GRACE = 5.0
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@dataclass
class JupyterCodeResult(CodeResult):
    """A kernel's result: also the files its rich output (images, HTML) was saved to."""

    output_files: list[Path] = field(default_factory=list)


@dataclass(slots=True)
class _Cell:
    parts: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    failed: bool = False


class JupyterCodeExecutor(CodeExecutor):
    """Runs Python code blocks in a Jupyter kernel that keeps its state between calls.

    Args:
        kernel_name: The kernel spec to start ("python3": the Python running this program).
        timeout: Seconds a block may run before the kernel is interrupted (exit code 124).
        output_dir: Where images and HTML the code displays are saved, and the kernel's working
            directory; a temporary directory if None.
        env_allowlist: Host environment variables the kernel inherits.

    Example:
        >>> import asyncio
        >>> async def main() -> str:
        ...     async with JupyterCodeExecutor(timeout=30) as executor:
        ...         token = CancellationToken()
        ...         await executor.execute_code_blocks([CodeBlock(code="x = 20", language="python")], token)
        ...         result = await executor.execute_code_blocks([CodeBlock(code="print(x + 22)", language="python")], token)
        ...     return result.output
        >>> asyncio.run(main())
        '42\\n'
    """

    def __init__(
        self,
        kernel_name: str = "python3",
        timeout: float = 60,
        output_dir: Path | str | None = None,
        *,
        env_allowlist: Sequence[str] | None = DEFAULT_ENV_ALLOWLIST,
    ) -> None:
        if timeout <= 0:
            raise ConfigurationError(f"timeout must be a positive number of seconds, got {timeout!r}")
        self._kernel_name = kernel_name
        self._timeout = timeout
        self._output_dir = Path(output_dir).absolute() if output_dir is not None else None
        self._temp_dir: tempfile.TemporaryDirectory[str] | None = None
        self._socket_dir: tempfile.TemporaryDirectory[str] | None = None
        self._env_allowlist = env_allowlist
        self._manager: AsyncKernelManager | None = None
        self._client: AsyncKernelClient | None = None
        self._interrupted: str | None = None  # a cell interrupted when its caller was cancelled

    @property
    def timeout(self) -> float:
        return self._timeout

    @property
    def output_dir(self) -> Path:
        if self._output_dir is None:
            self._temp_dir = tempfile.TemporaryDirectory(prefix="flowgen-jupyter-")
            self._output_dir = Path(self._temp_dir.name)
        return self._output_dir

    async def start(self) -> None:
        if self._manager is not None:
            return
        try:
            from jupyter_client.manager import AsyncKernelManager
        except ImportError as e:
            raise CodeExecutionError(
                "JupyterCodeExecutor needs jupyter_client and ipykernel: pip install 'flowgen[code]'"
            ) from e
        self.output_dir.mkdir(parents=True, exist_ok=True)
        # Unix sockets, not TCP: no port on 127.0.0.1 that any local user could connect to. They live
        # in a private directory with a short path (a socket path has ~100 characters at most).
        self._socket_dir = tempfile.TemporaryDirectory(prefix="fgk-")
        sockets = Path(self._socket_dir.name) / "kernel"
        manager = AsyncKernelManager(kernel_name=self._kernel_name, transport="ipc", ip=str(sockets))
        await manager.start_kernel(cwd=str(self.output_dir), env=scrubbed_environment(self._env_allowlist))
        client = manager.client()
        client.start_channels()
        try:
            await client.wait_for_ready(timeout=60)
        except BaseException:
            client.stop_channels()
            await manager.shutdown_kernel(now=True)
            raise
        self._manager, self._client = manager, client

    async def stop(self) -> None:
        client, manager = self._client, self._manager
        self._client = self._manager = None
        self._interrupted = None
        if client is not None:
            client.stop_channels()
        if manager is not None:
            await manager.shutdown_kernel(now=True)
        if self._socket_dir is not None:
            self._socket_dir.cleanup()
            self._socket_dir = None
        if self._temp_dir is not None:
            self._temp_dir.cleanup()
            self._temp_dir = None
            self._output_dir = None

    async def restart(self) -> None:
        """A fresh kernel: every variable is gone."""
        self._interrupted = None
        if self._manager is None:
            return
        await self._manager.restart_kernel(now=True)
        assert self._client is not None
        await self._client.wait_for_ready(timeout=60)

    async def execute_code_blocks(
        self, code_blocks: list[CodeBlock], cancellation_token: CancellationToken
    ) -> JupyterCodeResult:
        """Run the blocks in the kernel in order, stopping at the first that fails."""
        await self.start()
        outputs: list[str] = []
        files: list[Path] = []
        exit_code = 0
        for block in code_blocks:
            if canonical_language(block.language) != "python":
                outputs.append(f"unknown language {block.language!r}: a Jupyter kernel runs python")
                exit_code = 1
                break
            exit_code, text, cell_files = await self._run(block.code, cancellation_token)
            outputs.append(text)
            files += cell_files
            if exit_code != 0:
                break
        return JupyterCodeResult(exit_code=exit_code, output="".join(outputs), output_files=files)

    async def _run(self, code: str, token: CancellationToken) -> tuple[int, str, list[Path]]:
        client = self._client
        assert client is not None
        if self._interrupted is not None:
            await self._settle(client, self._interrupted)
        cell = _Cell()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()

        def on_cancel() -> None:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(stop.set)

        token.add_callback(on_cancel)
        msg_id = client.execute(code, allow_stdin=False, stop_on_error=True)
        try:
            async with asyncio.TaskGroup() as tg:
                reader = tg.create_task(self._collect(client, msg_id, cell))
                stopper = tg.create_task(stop.wait())
                done, _ = await asyncio.wait(
                    {reader, stopper}, timeout=self._timeout, return_when=asyncio.FIRST_COMPLETED
                )
                stopper.cancel()
                if reader in done:
                    return (1 if cell.failed else 0), "".join(cell.parts), cell.files
                reason = "cancelled" if stop.is_set() else "timeout"
                note = await self._interrupt(reader)
        except asyncio.CancelledError:
            # The caller gave up: the cell must not keep running in the kernel behind its back. Its
            # last messages are read before the next cell runs (a request sent while the kernel is
            # still failing the interrupted cell would be aborted with it).
            if self._manager is not None:
                self._interrupted = msg_id
                await asyncio.shield(self._manager.interrupt_kernel())
            raise
        code_out = CANCELLED_EXIT_CODE if reason == "cancelled" else TIMEOUT_EXIT_CODE
        what = (
            "Cancelled" if reason == "cancelled" else f"Timeout: the code ran longer than {self._timeout:g} s"
        )
        return code_out, "".join(cell.parts) + f"\n{what}; {note}", cell.files

    async def _settle(self, client: AsyncKernelClient, msg_id: str) -> None:
        """Wait for an interrupted cell to end (restarting a kernel that does not stop)."""
        self._interrupted = None
        try:
            async with asyncio.timeout(_INTERRUPT_GRACE):
                await self._collect(client, msg_id, _Cell())
        except TimeoutError:
            await self.restart()

    async def _interrupt(self, reader: asyncio.Task[None]) -> str:
        assert self._manager is not None
        await self._manager.interrupt_kernel()
        _, pending = await asyncio.wait({reader}, timeout=_INTERRUPT_GRACE)
        if not pending:
            return "the kernel was interrupted and keeps its state"
        reader.cancel()
        await self.restart()
        return "the kernel did not stop when interrupted and was restarted: its state is lost"

    async def _collect(self, client: AsyncKernelClient, msg_id: str, cell: _Cell) -> None:
        """Read the kernel's messages for ``msg_id`` until it is idle again."""
        while True:
            msg = await client.get_iopub_msg()
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "status" and content.get("execution_state") == "idle":
                return
            if kind == "stream":
                cell.parts.append(content["text"])
            elif kind == "error":
                cell.failed = True
                cell.parts.append(_ANSI.sub("", "\n".join(content["traceback"])) + "\n")
            elif kind in ("execute_result", "display_data"):
                cell.parts.append(self._rich(content.get("data", {}), cell))

    def _rich(self, data: dict[str, Any], cell: _Cell) -> str:
        for mime, suffix in (("image/png", "png"), ("text/html", "html")):
            if mime in data:
                path = self.output_dir / f"{uuid.uuid4().hex}.{suffix}"
                if suffix == "png":
                    path.write_bytes(base64.b64decode(data[mime]))
                else:
                    path.write_text(data[mime], encoding="utf-8")
                cell.files.append(path)
                return f"({mime} saved to {path})\n"
        return str(data.get("text/plain", "")) + "\n"
