"""Placement: where the actors hosting one agent type run, and how many keys each holds.

Example:
    >>> Placement(resources={"gpu_box": 1}, shards=4).shard_of("alice") in range(4)
    True
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

from flowgen.errors import ConfigurationError


@dataclass(frozen=True)
class Placement:
    """Ray placement of an agent type's host actors.

    ``resources`` are custom Ray resources an actor needs (a node started with
    ``--resources '{"worker_node": 1}'`` offers them); ``node_id`` pins the actors to one node;
    ``shards`` spreads the type's keys over that many actors (agents of one key always share an
    actor); ``max_restarts`` is how often Ray recreates a lost actor. With ``keep_state`` the host
    saves each agent's state after every message it handles (before the reply leaves), and a
    recreated actor's agents start from it; without, they start afresh. ``retry_timeout`` bounds
    the one retry of a send whose handler is ``@idempotent`` after its actor was lost.
    """

    resources: dict[str, float] = field(default_factory=dict)
    node_id: str | None = None
    shards: int = 1
    max_restarts: int = 1
    num_cpus: float = 0.0
    keep_state: bool = False
    retry_timeout: float = 30.0

    def __post_init__(self) -> None:
        if self.shards < 1:
            raise ConfigurationError(f"Placement.shards must be at least 1, got {self.shards}")
        if self.max_restarts < -1:
            raise ConfigurationError("Placement.max_restarts is -1 (unbounded) or a count >= 0")
        if not self.retry_timeout > 0:
            raise ConfigurationError(f"Placement.retry_timeout must be > 0 seconds, got {self.retry_timeout}")

    def shard_of(self, key: str) -> int:
        # A stable hash (not hash()): every process must pick the same shard for a key.
        return zlib.crc32(key.encode("utf-8")) % self.shards
