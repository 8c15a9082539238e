"""The data every executor speaks: a code block in, a code result out (AutoGen's dataclasses).

They are dataclasses (``fields``, ``asdict`` and ``replace`` work) whose methods are written out: chat
messages refer to them, so every program imports this module, and the methods ``@dataclass``
generates cost about two million instructions per class at import.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(init=False, repr=False, eq=False)
class CodeBlock:
    """A piece of code in a named language, as found in a message.

    Example:
        >>> CodeBlock(code="print(1)", language="python")
        CodeBlock(code='print(1)', language='python')
    """

    code: str
    language: str

    def __init__(self, code: str, language: str) -> None:
        self.code = code
        self.language = language

    def __repr__(self) -> str:
        return f"CodeBlock(code={self.code!r}, language={self.language!r})"

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return _values(self) == _values(other)

    __hash__ = None  # type: ignore[assignment]  # mutable and compared by value, as a dataclass


@dataclass(init=False, repr=False, eq=False)
class CodeResult:
    """What running code blocks did: the exit code of the last block run and the combined output."""

    exit_code: int
    output: str

    def __init__(self, exit_code: int, output: str) -> None:
        self.exit_code = exit_code
        self.output = output

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={value!r}" for name, value in vars(self).items())
        return f"{type(self).__name__}({fields})"

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return _values(self) == _values(other)

    __hash__ = None  # type: ignore[assignment]


@dataclass(init=False, repr=False, eq=False)
class CommandLineCodeResult(CodeResult):
    """A command-line executor's result; ``code_file`` is the file the first block was written to."""

    code_file: str | None

    def __init__(self, exit_code: int, output: str, code_file: str | None) -> None:
        super().__init__(exit_code, output)
        self.code_file = code_file


def _values(obj: object) -> tuple[Any, ...]:
    return tuple(vars(obj).values())
