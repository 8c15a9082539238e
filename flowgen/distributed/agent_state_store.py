"""Where host actors keep their agents' last saved state (``Placement(keep_state=True)``).

A host saves an agent's state (``agent.save_state()``, as JSON) after every message it handles and
before the reply leaves; an agent made again (in a recreated actor, or by a runtime of the same name
started later) loads it first. Where the rows live is the runtime's ``state_store``:

- None (the default): the cluster's own key-value store. It lives in the head node's control
  service, so it survives the loss of a worker process or node, not of the head node; a runtime
  forgets its rows there when it stops.
- a SQLite path: one file every node of one machine reads and writes.
- a ``postgresql://`` URL: a server outside the cluster, for a cluster of machines.
- a function making an :class:`AgentStateStore` (called in each host actor).

An outside store keeps the rows when the runtime stops (``RayAgentRuntime.forget_saved_states``
deletes them), so they outlive the whole cluster. Stores only keep text by (runtime name, agent id);
:class:`AgentStates` writes and checks it. Rows are untrusted input: a row must be a JSON object
naming the agent it was read for, no bigger than :data:`MAX_STATE_BYTES`; anything else fails with
:class:`~flowgen.errors.AgentStateError` naming the agent and the store. Nothing is unpickled.

Two writers of one agent cannot happen normally (one actor hosts an agent); if they do, the last
write wins (each store counts an agent's writes in a ``version`` column, for inspection only).

Example:
    >>> import asyncio, os, tempfile
    >>> async def main(path: str) -> dict[str, object] | None:
    ...     states = AgentStates(open_agent_state_store(path), "shop")
    ...     await states.save("cart/alice", {"items": 2})
    ...     loaded = await states.load("cart/alice")
    ...     await states.aclose()
    ...     return loaded
    >>> with tempfile.TemporaryDirectory() as d:
    ...     asyncio.run(main(os.path.join(d, "states.db")))
    {'items': 2}
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from typing import Any, Protocol, runtime_checkable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flowgen.errors import AgentStateError, ConfigurationError

#: The largest state (as JSON text, in bytes) saved or loaded; a bigger row is refused either way.
MAX_STATE_BYTES = 16 * 1024 * 1024
_POSTGRES = ("postgresql://", "postgres://")


@runtime_checkable
class AgentStateStore(Protocol):
    """Text rows by (runtime name, agent id); :class:`AgentStates` writes and validates them.

    ``description`` names the store in errors and logs, without secrets (a URL's password masked).
    """

    description: str

    async def write(self, runtime: str, agent: str, row: str) -> None:
        """Keep ``row`` as the agent's row, replacing any earlier one (last write wins)."""
        ...

    async def read(self, runtime: str, agent: str) -> str | None:
        """The agent's row, or None if none was kept."""
        ...

    async def forget(self, runtime: str) -> None:
        """Delete every row of ``runtime``."""
        ...

    async def aclose(self) -> None: ...


#: None (the cluster's key-value store), a SQLite path, a postgresql:// URL, or a function making a store.
AgentStateSource = str | Callable[[], AgentStateStore] | None


def resolve_state_source(source: AgentStateSource, runtime_name: str | None) -> AgentStateSource:
    """``source`` checked in the driver, before any actor uses it: a SQLite path made absolute.

    An outside store keeps rows under the runtime's name, so it needs a name given on purpose (a
    random one could never be started again, and its rows would stay forever).
    """
    if source is None:
        return None
    if runtime_name is None:
        raise ConfigurationError(
            "a state_store outside the cluster keeps agent states under the runtime's name: give "
            "RayAgentRuntime(name=...) the same name each time it starts"
        )
    if callable(source):
        return source
    if not isinstance(source, str) or not source:
        raise ConfigurationError(
            f"state_store must be a SQLite path, a postgresql:// URL or a function making a store, "
            f"not {type(source).__name__}"
        )
    if source.startswith(_POSTGRES):
        return source
    if "://" in source:
        raise ConfigurationError(
            f"state_store {masked_url(source)!r} is not a store flowgen knows: give a SQLite path, a "
            "postgresql:// URL, or a function making an AgentStateStore"
        )
    return os.path.abspath(source)  # every node of the machine must open the same file


def open_agent_state_store(source: AgentStateSource) -> AgentStateStore:
    """The store ``source`` names (it connects on first use)."""
    if source is None:
        from flowgen.distributed.agent_state_ray_kv import RayKvAgentStateStore

        return RayKvAgentStateStore()
    if callable(source):
        made = source()
        if not isinstance(made, AgentStateStore):
            raise ConfigurationError(
                f"the state_store function made a {type(made).__name__}, not an AgentStateStore "
                "(description, write, read, forget, aclose)"
            )
        return made
    if source.startswith(_POSTGRES):
        from flowgen.distributed.agent_state_postgres import PostgresAgentStateStore

        return PostgresAgentStateStore(source)
    from flowgen.distributed.agent_state_sqlite import SqliteAgentStateStore

    return SqliteAgentStateStore(source)


def masked_url(url: str) -> str:
    """``url`` with its password (in the authority or as a ``password`` parameter) masked.

    Example:
        >>> masked_url("postgresql://app:s3cret@db:5432/flowgen?password=x&sslmode=require")
        'postgresql://app:***@db:5432/flowgen?password=***&sslmode=require'
    """
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        user, _, host = netloc.rpartition("@")
        if ":" in user:
            user = user.split(":", 1)[0] + ":***"
        netloc = f"{user}@{host}"
    query = urlencode(
        [
            (k, "***" if k.lower() == "password" else v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
        ],
        safe="*",
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


class AgentStates:
    """One runtime's agent states in a store: JSON objects in, checked JSON objects out."""

    __slots__ = ("_runtime", "store")

    def __init__(self, store: AgentStateStore, runtime: str) -> None:
        self.store = store
        self._runtime = runtime

    async def save(self, agent: str, state: Mapping[str, Any]) -> None:
        row = json.dumps({"agent": agent, "state": dict(state)})
        if len(row) > MAX_STATE_BYTES:  # json.dumps escapes non-ASCII: one character, one byte
            self._refuse_size(agent, len(row))
        try:
            await self.store.write(self._runtime, agent, row)
        except Exception as error:
            raise self._failed("save", agent, error) from error

    async def load(self, agent: str) -> dict[str, Any] | None:
        try:
            row = await self.store.read(self._runtime, agent)
        except Exception as error:
            raise self._failed("load", agent, error) from error
        return None if row is None else self._checked(agent, row)

    async def forget(self) -> None:
        await self.store.forget(self._runtime)

    async def aclose(self) -> None:
        await self.store.aclose()

    def _checked(self, agent: str, row: str) -> dict[str, Any]:
        size = len(row.encode("utf-8"))
        if size > MAX_STATE_BYTES:
            self._refuse_size(agent, size)
        try:
            found = json.loads(row)
        except ValueError as exc:
            raise self._corrupt(agent, f"is not JSON ({exc})") from None
        if not isinstance(found, dict) or set(found) != {"agent", "state"}:
            raise self._corrupt(agent, 'is not a JSON object {"agent": ..., "state": {...}}')
        if found["agent"] != agent:
            raise self._corrupt(agent, f"was saved by agent {str(found['agent'])[:200]!r}")
        if not isinstance(found["state"], dict):
            raise self._corrupt(agent, f"holds a {type(found['state']).__name__}, not a JSON object")
        return found["state"]

    def _failed(self, doing: str, agent: str, error: Exception) -> AgentStateError:
        # The store's own error (a lost connection, a locked file) as the cause; this names the agent
        # and the store, which the store's error alone may not. Stores keep secrets out of their errors.
        said = str(error) if isinstance(error, AgentStateError) else f"{type(error).__name__}: {error}"
        where = "" if isinstance(error, AgentStateError) else f" in {self.store.description}"
        return AgentStateError(f"could not {doing} the state of {agent}{where}: {said}")

    def _corrupt(self, agent: str, what: str) -> AgentStateError:
        return AgentStateError(
            f"the saved state of {agent} in {self.store.description} {what}; delete that row (or "
            f"forget this runtime's states) to start the agent afresh"
        )

    def _refuse_size(self, agent: str, size: int) -> None:
        raise AgentStateError(
            f"the state of {agent} is {size} bytes as JSON, over the {MAX_STATE_BYTES} bytes "
            f"{self.store.description} keeps per agent; keep large data elsewhere and its key in the state"
        )
