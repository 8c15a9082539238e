"""Speaker policies: who speaks next at a router node.

A router node's candidates are the targets of its ``select`` edges. When the scheduler reaches a
router it asks the router's policy for a :class:`Selection`; the policy may be synchronous or
``async`` (a selector that asks a model). A policy that keeps state across turns (the previous
speaker, a rotation index) also implements :class:`StatefulPolicy` so that ``save_state`` /
``load_state`` / ``reset`` carry it.

Example:
    >>> class First:
    ...     def select(self, context: SelectionContext) -> Selection:
    ...         return Selection(speakers=(context.candidates[0],), reason="always the first")
    >>> ctx = SelectionContext(router="hub", thread=[], candidates=("a", "b"), last_speaker=None)
    >>> First().select(ctx).speakers
    ('a',)
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping, Sequence
from typing import Any, NamedTuple, Protocol, runtime_checkable

from flowgen.core import CancellationToken
from flowgen.messages import BaseAgentEvent, BaseChatMessage


class SelectionContext(NamedTuple):
    """What a policy may look at: the whole thread (read-only), the candidates, who spoke last.

    Named tuples rather than dataclasses here: every team imports this module, and a frozen
    dataclass costs several times more to define.
    """

    router: str
    thread: Sequence[BaseAgentEvent | BaseChatMessage]
    candidates: tuple[str, ...]
    last_speaker: str | None
    cancellation_token: CancellationToken | None = None


class Selection(NamedTuple):
    """A policy's answer: the chosen candidate name(s), why, how many tries it took, events to emit.

    ``events`` (e.g. SelectorEvent chunks of a selector model) are streamed to the caller of the run
    when the team emits team events.
    """

    speakers: tuple[str, ...]
    reason: str = ""
    attempts: int = 1
    events: tuple[BaseAgentEvent | BaseChatMessage, ...] = ()
    #: The candidates the policy really chose among, for the trace (default: the router's targets).
    candidates: tuple[str, ...] = ()


@runtime_checkable
class SpeakerPolicy(Protocol):
    """Chooses among a router's candidates. ``select`` may return a Selection or an awaitable of one."""

    def select(self, context: SelectionContext) -> Selection | Awaitable[Selection]: ...


@runtime_checkable
class StatefulPolicy(Protocol):
    """A policy with memory across turns, saved and restored with the run state."""

    def dump_state(self) -> dict[str, Any]: ...

    def load_state(self, state: Mapping[str, Any]) -> None: ...

    def reset(self) -> None: ...
