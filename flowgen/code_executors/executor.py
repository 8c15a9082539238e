"""The CodeExecutor interface: run code blocks, with start / stop / restart and ``async with``."""

from __future__ import annotations

from abc import ABC, abstractmethod
from types import TracebackType
from typing import ClassVar, Self

from flowgen.code_executors.types import CodeBlock, CodeResult
from flowgen.core import CancellationToken


class CodeExecutor(ABC):
    """Runs code blocks and says what happened.

    An executor owns whatever it starts (temporary directories, kernels, containers): ``stop`` releases
    them, and ``async with executor:`` calls ``start`` and ``stop`` around a block.
    """

    component_type = "code_executor"
    #: True for executors that keep code from the host (its files, network, environment, processes).
    isolates_code: ClassVar[bool] = False

    @abstractmethod
    async def execute_code_blocks(
        self, code_blocks: list[CodeBlock], cancellation_token: CancellationToken
    ) -> CodeResult:
        """Run ``code_blocks`` in order, stopping at the first that fails."""

    @abstractmethod
    async def start(self) -> None:
        """Acquire what the executor needs before the first block."""

    @abstractmethod
    async def stop(self) -> None:
        """Release everything the executor started."""

    @abstractmethod
    async def restart(self) -> None:
        """Forget state kept between calls (an agent's reset calls this)."""

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> bool | None:
        await self.stop()
        return None
