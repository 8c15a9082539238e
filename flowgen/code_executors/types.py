"""The data every executor speaks: a code block in, a code result out (AutoGen's dataclasses)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class CodeBlock:
    """A piece of code in a named language, as found in a message.

    Example:
        >>> CodeBlock(code="print(1)", language="python").language
        'python'
    """

    code: str
    language: str


@dataclass
class CodeResult:
    """What running code blocks did: the exit code of the last block run and the combined output."""

    exit_code: int
    output: str


@dataclass
class CommandLineCodeResult(CodeResult):
    """A command-line executor's result; ``code_file`` is the file the first block was written to."""

    code_file: str | None
