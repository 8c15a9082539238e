"""uvicorn, stopping the runs first: on SIGTERM or Ctrl-C each run stops after its current step.

uvicorn stops listening and waits for open connections; a streamed run's connection stays open until
its run ends, so the runs are asked to stop at once (:meth:`flowgen.server.run_registry.RunRegistry.stop`)
rather than when the app's lifespan ends.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from types import FrameType

import uvicorn


class StoppingServer(uvicorn.Server):
    """A uvicorn server that calls ``stop_runs`` (in its event loop) when told to exit."""

    def __init__(self, config: uvicorn.Config, stop_runs: Callable[[], None]) -> None:
        super().__init__(config)
        self._stop_runs = stop_runs
        self._loop = asyncio.get_running_loop()

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        # A signal handler: the runs are stopped from the event loop, not from inside this frame.
        self._loop.call_soon_threadsafe(self._stop_runs)
        super().handle_exit(sig, frame)
