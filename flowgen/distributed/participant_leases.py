"""Which team participants a RayAgentRuntime hosts, and their release when their team is gone.

A team's participants live in actors (flowgen.distributed.participants) for as long as the team
may run again: a team keeps its conversation between runs. When the team object is gone (Python
collected it, with the proxies the runtime gave it), nothing can reach those participants again, so
the driver releases them: each actor hosting some drops their agents (closing them) in one Ray call
per actor, and the recipes no live participant uses any more are given back (recipes.py).
``RayAgentRuntime.release_unused()`` does it at once and waits for it; otherwise it happens in the
loop turn after the collection.

A finalizer only queues the agent id (it may run at any moment the garbage collector runs, in any
thread); the releases go out from the runtime's own event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections import deque
from typing import TYPE_CHECKING, Any

from flowgen.core.ids import AgentId
from flowgen.distributed.recipes import RecipeLeases

if TYPE_CHECKING:
    from flowgen.distributed.runtime import RayAgentRuntime

logger = logging.getLogger(__name__)


class Lease:
    """What the finalizer of one hosted participant needs (never the proxy itself)."""

    __slots__ = ("agent_id", "digest", "leases")

    def __init__(self, agent_id: AgentId, digest: str) -> None:
        self.agent_id = agent_id
        self.digest = digest
        self.leases: ParticipantLeases | None = None  # set once the participant reached its actor

    def watch(self, owner: object) -> None:
        """Release the participant once ``owner`` (the driver's handle on it) is collected."""
        finalizer = weakref.finalize(owner, _collected, self)
        finalizer.atexit = False  # at exit the runtime and its actors end anyway


def _collected(lease: Lease) -> None:
    if lease.leases is not None:
        lease.leases.dropped(lease.agent_id)


class ParticipantLeases:
    """The live hosted participants of one runtime, their recipes, and the releases to send."""

    def __init__(self, runtime: RayAgentRuntime, runtime_name: str) -> None:
        self._runtime = runtime
        self._loop = asyncio.get_running_loop()
        self.recipes = RecipeLeases(runtime_name)
        self._live: dict[AgentId, str] = {}  # agent id -> recipe digest
        self._dropped: deque[AgentId] = deque()  # appended by finalizers, taken in the loop
        self._releasing: asyncio.Task[None] | None = None
        self._closed = False  # the runtime stopped: its actors are gone, nothing to release
        #: Release calls sent to actors and participants released (for tests and benchmarks).
        self.counts = {"release_calls": 0, "participants_released": 0}

    def __len__(self) -> int:
        return len(self._live)

    def take(self, lease: Lease, pickled: bytes) -> None:
        """``lease``'s participant is about to reach its actor: store its recipe unless shared."""
        self.recipes.take(lease.digest, pickled)
        self._live[lease.agent_id] = lease.digest
        lease.leases = self

    def dropped(self, agent_id: AgentId) -> None:
        """Queue a release (called by a finalizer: any thread, any moment)."""
        if self._closed:
            return
        self._dropped.append(agent_id)
        with contextlib.suppress(RuntimeError):  # the loop is closed: the runtime went with it
            self._loop.call_soon_threadsafe(self._start)

    def _start(self) -> None:
        if self._releasing is None and self._dropped and not self._closed:
            self._releasing = self._loop.create_task(self._release())

    async def release_now(self) -> None:
        """Send every queued release and return once the actors have dropped the participants."""
        while not self._closed and (self._releasing is not None or self._dropped):
            if self._releasing is None:
                self._releasing = asyncio.get_running_loop().create_task(self._release())
            await asyncio.shield(self._releasing)

    async def _release(self) -> None:
        try:
            while self._dropped:
                batch = [self._dropped.popleft() for _ in range(len(self._dropped))]
                await self._release_batch(batch)
        finally:
            self._releasing = None

    async def _release_batch(self, batch: list[AgentId]) -> None:
        by_actor: dict[tuple[str, int], tuple[Any, list[str]]] = {}
        for agent_id in batch:
            where, handle = self._runtime.host_of(agent_id)
            by_actor.setdefault(where, (handle, []))[1].append(str(agent_id))
        calls = [handle.release.remote(names) for handle, names in by_actor.values()]
        self.counts["release_calls"] += len(calls)
        # A lost actor held nothing (a recreated one makes agents only when they are sent to).
        for outcome in await asyncio.gather(*calls, return_exceptions=True):
            if isinstance(outcome, Exception):
                logger.info("an actor could not release its team participants: %s", outcome)
        for agent_id in batch:
            digest = self._live.pop(agent_id, None)
            if digest is not None:
                self.recipes.give_back(digest)
                self.counts["participants_released"] += 1

    async def close(self) -> None:
        """The runtime stops: no more releases (its actors end); its recipes leave the store."""
        self._closed = True
        self._dropped.clear()
        if self._releasing is not None:
            self._releasing.cancel()
            await asyncio.gather(self._releasing, return_exceptions=True)
        self._live.clear()
        self.recipes.forget_all()
