"""What the Core runtime delivered: one flat row per delivery, and the failures of publish handlers.

Recording is opt-in (``SingleThreadedAgentRuntime(record_deliveries=True)``) so the hot path pays
nothing by default. ``flowgen.engine.core_trace`` turns a log into the run trace teams use, which is
what ``visualize`` draws.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from flowgen.core.ids import AgentId, TopicId

DeliveryKind = Literal["send", "publish", "dropped"]


@dataclass(frozen=True, slots=True)
class Delivery:
    """One delivery: who sent which type to whom (or to which topic), when, for how long, and how it ended."""

    kind: DeliveryKind
    t: float
    duration: float
    sender: AgentId | None
    recipient: AgentId | None
    topic_id: TopicId | None
    message_type: str
    error: str | None


@dataclass(frozen=True, slots=True)
class HandlerFailure:
    """A publish handler (or a publish intervention) raised: recorded, logged, never lost."""

    agent_id: AgentId | None
    message_type: str
    topic_id: TopicId | None
    error: BaseException
    stage: str


class DeliveryLog:
    """Rows of deliveries in the order they finished; ``t`` is seconds since the log began."""

    __slots__ = ("_clock", "_rows", "_start")

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._start = clock()
        self._rows: list[tuple[Any, ...]] = []

    def begin(self) -> float:
        return self._clock()

    def send(
        self,
        began: float,
        sender: AgentId | None,
        recipient: AgentId,
        message: Any,
        error: BaseException | None,
    ) -> None:
        self._rows.append(
            ("send", began, self._clock(), sender, recipient, None, type(message).__name__, error)
        )

    def publish(
        self,
        began: float,
        sender: AgentId | None,
        recipient: AgentId,
        topic_id: TopicId,
        message: Any,
        error: BaseException | None,
    ) -> None:
        self._rows.append(
            ("publish", began, self._clock(), sender, recipient, topic_id, type(message).__name__, error)
        )

    def dropped(
        self, sender: AgentId | None, recipient: AgentId | None, topic_id: TopicId | None, message_type: str
    ) -> None:
        now = self._clock()
        self._rows.append(("dropped", now, now, sender, recipient, topic_id, message_type, None))

    def take_rows(self) -> list[tuple[Any, ...]]:
        """Remove and return the raw rows (to move them to another process's log, see ``merge``)."""
        rows, self._rows = self._rows, []
        return rows

    def merge(self, rows: list[tuple[Any, ...]]) -> None:
        """Add rows taken from another log on the same clock (an error may be its type's name)."""
        self._rows.extend(rows)
        self._rows.sort(key=lambda row: row[2])  # in the order they finished, as recorded here

    def __len__(self) -> int:
        return len(self._rows)

    def __iter__(self) -> Iterator[Delivery]:
        for kind, began, ended, sender, recipient, topic, type_name, error in self._rows:
            yield Delivery(
                kind,
                began - self._start,
                ended - began,
                sender,
                recipient,
                topic,
                type_name,
                None if error is None else error if isinstance(error, str) else type(error).__name__,
            )
