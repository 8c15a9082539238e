"""Agent states in the cluster's own key-value store: the default ``state_store`` of a RayAgentRuntime.

The store lives in the head node's control service: rows survive the loss of a worker process or
node (a recreated actor's agents load them), not the loss of the head node or a restart of the
cluster. A runtime forgets its rows here when it stops (they would otherwise stay in the head node's
memory). Only JSON text goes in and comes out; nothing is unpickled.
"""

from __future__ import annotations

from flowgen.errors import AgentStateError


def _prefix(runtime: str) -> str:
    return f"flowgen.state.{runtime}."


class RayKvAgentStateStore:
    """Rows under ``flowgen.state.<runtime>.<agent>`` in Ray's internal key-value store.

    Its calls are short blocking calls to the head node, made on the actor's event loop as before.
    """

    __slots__ = ()
    description = "the Ray cluster's key-value store"

    async def write(self, runtime: str, agent: str, row: str) -> None:
        from ray.experimental.internal_kv import _internal_kv_put

        _internal_kv_put((_prefix(runtime) + agent).encode(), row.encode("utf-8"), overwrite=True)

    async def read(self, runtime: str, agent: str) -> str | None:
        from ray.experimental.internal_kv import _internal_kv_get

        saved = _internal_kv_get((_prefix(runtime) + agent).encode())
        return None if saved is None else saved.decode("utf-8", errors="replace")

    async def forget(self, runtime: str) -> None:
        import ray
        from ray.experimental.internal_kv import _internal_kv_del

        if not ray.is_initialized():
            raise AgentStateError(f"{self.description} needs Ray connected: start the runtime first")

        _internal_kv_del(_prefix(runtime).encode(), del_by_prefix=True)

    async def aclose(self) -> None:
        """Nothing to close: Ray's connection belongs to the process."""
