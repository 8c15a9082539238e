"""What the command-line executors share: blocks written to files in a work dir, run one by one.

Each block is written to a file (its ``# filename:`` first line, or a hash), run by the program for
its language, and the outputs are joined; the first block that fails ends the call. Subclasses say
how a file is run (a bare process, or inside a sandbox) and which environment it gets.
"""

from __future__ import annotations

import contextlib
import signal
import tempfile
from abc import abstractmethod
from collections.abc import Sequence
from pathlib import Path
from string import Template
from typing import ClassVar

from flowgen.code_executors.executor import CodeExecutor
from flowgen.code_executors.functions import AnyFunction, build_python_functions_file, to_stub
from flowgen.code_executors.languages import SUPPORTED_LANGUAGES, canonical_language, code_file_name
from flowgen.code_executors.process import ProcessRun
from flowgen.code_executors.types import CodeBlock, CommandLineCodeResult
from flowgen.core import CancellationToken
from flowgen.errors import CodeFunctionsError, ConfigurationError

#: Exit codes for the two ways flowgen stops a block (the shell's and AutoGen's conventions).
TIMEOUT_EXIT_CODE = 124
CANCELLED_EXIT_CODE = 125

_SIGNAL_CAUSES: dict[int, str] = {
    signal.SIGXCPU: "the CPU-time limit was reached",
    signal.SIGXFSZ: "the file-size limit was reached",
    signal.SIGKILL: "it was killed",
    signal.SIGSEGV: "it crashed (segmentation fault)",
}


class CommandLineExecutor(CodeExecutor):
    """Runs code blocks as files in ``work_dir``; see LocalCommandLineCodeExecutor and SandboxedCodeExecutor."""

    SUPPORTED_LANGUAGES: ClassVar[list[str]] = SUPPORTED_LANGUAGES
    FUNCTION_PROMPT_TEMPLATE: ClassVar[str] = (
        "You have access to the following user defined functions. They can be accessed from the module "
        "called `$module_name` by their function names.\n\nFor example, if there was a function called "
        "`foo` you could import it by writing `from $module_name import foo`\n\n$functions"
    )

    def __init__(
        self,
        *,
        timeout: float,
        work_dir: Path | str | None,
        functions: Sequence[AnyFunction],
        functions_module: str,
        cleanup_temp_files: bool,
        max_output_bytes: int,
    ) -> None:
        if timeout <= 0:
            raise ConfigurationError(f"timeout must be a positive number of seconds, got {timeout!r}")
        if not functions_module.isidentifier():
            raise ConfigurationError(
                f"functions_module must be a Python identifier (it is imported by name), got {functions_module!r}"
            )
        if max_output_bytes < 1:
            raise ConfigurationError(f"max_output_bytes must be at least 1, got {max_output_bytes!r}")
        self._timeout = timeout
        # Absolute, so the file paths handed to processes do not depend on their cwd.
        self._work_dir = Path(work_dir).absolute() if work_dir is not None else None
        if self._work_dir is not None:
            self._work_dir.mkdir(parents=True, exist_ok=True)
        self._temp_dir: tempfile.TemporaryDirectory[str] | None = None
        self._functions = list(functions)
        self._functions_module = functions_module
        self._functions_ready = not self._functions
        self._cleanup_temp_files = cleanup_temp_files
        self._max_output_bytes = max_output_bytes

    @property
    def timeout(self) -> float:
        """Seconds one block may run before its processes are killed."""
        return self._timeout

    @property
    def work_dir(self) -> Path:
        """Where blocks are written and run (a temporary directory, made on first use, when none was given)."""
        if self._work_dir is not None:
            return self._work_dir
        if self._temp_dir is None:
            self._temp_dir = tempfile.TemporaryDirectory(prefix="flowgen-code-")
        return Path(self._temp_dir.name)

    @property
    def functions_module(self) -> str:
        return self._functions_module

    @property
    def cleanup_temp_files(self) -> bool:
        return self._cleanup_temp_files

    def format_functions_for_prompt(self, prompt_template: str = FUNCTION_PROMPT_TEMPLATE) -> str:
        """The prompt text telling a model which functions it can import, and from where."""
        return Template(prompt_template).substitute(
            module_name=self._functions_module,
            functions="\n\n".join(to_stub(f) for f in self._functions),
        )

    async def start(self) -> None:
        _ = self.work_dir

    async def stop(self) -> None:
        if self._temp_dir is not None:
            self._temp_dir.cleanup()
            self._temp_dir = None
            self._functions_ready = not self._functions

    async def restart(self) -> None:
        """Nothing is kept between calls but the files in the work dir, which stay."""

    async def execute_code_blocks(
        self, code_blocks: list[CodeBlock], cancellation_token: CancellationToken
    ) -> CommandLineCodeResult:
        """Run the blocks in order; the result holds the first failing block's exit code and all output."""
        if not self._functions_ready:
            await self._set_up_functions(cancellation_token)
        return await self._run_blocks(code_blocks, cancellation_token)

    async def _set_up_functions(self, cancellation_token: CancellationToken) -> None:
        await self._install_packages(cancellation_token)
        source = build_python_functions_file(self._functions)
        (self.work_dir / f"{self._functions_module}.py").write_text(source, encoding="utf-8")
        result = await self._run_blocks([CodeBlock(code=source, language="python")], cancellation_token)
        if result.exit_code != 0:
            raise CodeFunctionsError(f"the functions given to the executor failed to load:\n{result.output}")
        self._functions_ready = True

    async def _install_packages(self, cancellation_token: CancellationToken) -> None:
        """Make the functions' declared packages importable; executors without a network refuse."""

    async def _run_blocks(
        self, code_blocks: list[CodeBlock], cancellation_token: CancellationToken
    ) -> CommandLineCodeResult:
        output: list[str] = []
        files: list[Path] = []
        exit_code = 0
        try:
            for block in code_blocks:
                language = canonical_language(block.language)
                if language is None:
                    output.append(
                        f"\nunknown language {block.language!r}: this executor runs {', '.join(self.SUPPORTED_LANGUAGES)}"
                    )
                    exit_code = 1
                    break
                try:
                    name = code_file_name(block.code, language, self.work_dir)
                except ValueError as e:
                    return CommandLineCodeResult(exit_code=1, output=str(e), code_file=None)
                path = self.work_dir / name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(block.code, encoding="utf-8")
                files.append(path)
                run = await self._run_file(language, path, cancellation_token)
                output.append(describe(run, self._timeout, self._max_output_bytes))
                exit_code = _result_code(run)
                if exit_code != 0:
                    break
        finally:
            if self._cleanup_temp_files:
                for path in files:
                    with contextlib.suppress(OSError):
                        path.unlink(missing_ok=True)
        return CommandLineCodeResult(
            exit_code=exit_code, output="".join(output), code_file=str(files[0]) if files else None
        )

    @abstractmethod
    async def _run_file(self, language: str, path: Path, cancellation_token: CancellationToken) -> ProcessRun:
        """Run the code file at ``path`` (absolute, in the work dir), written in canonical ``language``."""


def _result_code(run: ProcessRun) -> int:
    if run.stopped == "timeout":
        return TIMEOUT_EXIT_CODE
    if run.stopped == "cancelled":
        return CANCELLED_EXIT_CODE
    return run.exit_code


def describe(run: ProcessRun, timeout: float, max_output_bytes: int) -> str:
    """The block's output (errors first, as AutoGen joins them) and a line saying why it stopped."""
    text = run.stderr.decode(errors="replace") + run.stdout.decode(errors="replace")
    if run.stopped == "timeout":
        text += f"\nTimeout: the code ran longer than {timeout:g} s; all its processes were killed"
    elif run.stopped == "cancelled":
        text += "\nCancelled: the run was cancelled; all its processes were killed"
    elif run.stopped == "output":
        text += f"\nOutput limit: the code printed more than {max_output_bytes} bytes; it was stopped"
    elif run.signal is not None:
        cause = _SIGNAL_CAUSES.get(run.signal, "")
        try:
            name = signal.Signals(run.signal).name
        except ValueError:
            name = str(run.signal)
        text += f"\nKilled by signal {name}" + (f": {cause}" if cause else "")
    if run.output_held_open:
        text += "\nWarning: a process that left the code's process group kept running"
    return text
