"""Directory: what every member of one RayAgentRuntime knows, so agents in actors can reach each other.

The driver owns it and hands a copy to each host actor (when it creates the actor and whenever a
registration or a subscription changes it). It names the host actors, so any process of the job finds
the actor of a (type, shard) with ``ray.get_actor``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flowgen.distributed.agent_state_store import AgentStateSource
from flowgen.distributed.placement import Placement

if TYPE_CHECKING:
    from flowgen.core.intervention import InterventionHandler
    from flowgen.core.serialization import MessageSerializer
    from flowgen.core.subscriptions import Subscription


@dataclass(frozen=True)
class AgentTypeSpec:
    """How to build an agent type's agents and where they live."""

    factory: Callable[[], Any]
    expected_class: type[Any] | None
    placement: Placement


@dataclass
class Directory:
    """Agent types, subscriptions, serializers and exception types of one runtime."""

    runtime_name: str
    types: dict[str, AgentTypeSpec] = field(default_factory=dict)
    subscriptions: list[Subscription] = field(default_factory=list)
    serializers: list[MessageSerializer[Any]] = field(default_factory=list)
    exception_types: list[type[BaseException]] = field(default_factory=list)
    #: Run by the driver and by every member runtime on what each sends (picklable handlers).
    intervention_handlers: list[InterventionHandler] = field(default_factory=list)
    #: Every member keeps a delivery log of what its agents send, gathered by collect_deliveries.
    record_deliveries: bool = False
    #: Members send to other host actors over direct links too (RayAgentRuntime(direct=...)).
    direct: bool = True
    #: Where host actors keep their agents' states (flowgen.distributed.agent_state_store); None is
    #: the cluster's key-value store. Left out of the repr: a URL may hold a password.
    state_store: AgentStateSource = field(default=None, repr=False)

    def actor_name(self, agent_type: str, shard: int) -> str:
        return f"flowgen.{self.runtime_name}.{agent_type}.{shard}"


def _key(runtime_name: str) -> bytes:
    return f"flowgen.directory.{runtime_name}".encode()


def store_directory(directory: Directory) -> int:
    """Keep the latest directory in the cluster's key-value store, where a recreated actor reads it;
    returns its size in bytes.

    It is pickled like the factories it holds: Ray itself keeps functions it ships the same way, and
    only the driver of this job writes the key (no message content ever goes through here).
    """
    from ray import cloudpickle
    from ray.experimental.internal_kv import _internal_kv_put

    pickled: bytes = cloudpickle.dumps(directory)  # type: ignore[no-untyped-call]
    _internal_kv_put(_key(directory.runtime_name), pickled, overwrite=True)  # type: ignore[no-untyped-call]
    return len(pickled)


def stored_directory(runtime_name: str) -> Directory | None:
    """The directory the driver stored last, or None."""
    from ray import cloudpickle
    from ray.experimental.internal_kv import _internal_kv_get

    saved = _internal_kv_get(_key(runtime_name))
    return None if saved is None else cloudpickle.loads(saved)  # type: ignore[no-any-return]


def forget_directory(runtime_name: str) -> None:
    from ray.experimental.internal_kv import _internal_kv_del

    _internal_kv_del(_key(runtime_name))
