"""Where two runs diverged: the first differing step, the path differences and the message differences.

Example:
    >>> from flowgen.base import TaskResult
    >>> from flowgen.messages import TextMessage
    >>> a = TaskResult(messages=[TextMessage(source="w", content="draft")], stop_reason="done")
    >>> b = TaskResult(messages=[TextMessage(source="w", content="other")], stop_reason="done")
    >>> diff = RunDiff.between(a, b)
    >>> diff.same, diff.first_message
    (False, 0)
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TypeVar

from flowgen.base import TaskResult
from flowgen.engine.trace import EdgeTaken, RunTrace

T = TypeVar("T")

Said = tuple[str, str, str]
"""One message as compared: (source, type, text)."""


@dataclass(frozen=True, slots=True)
class RunDiff:
    """The differences between run A and run B."""

    steps_a: tuple[tuple[str, ...], ...]
    steps_b: tuple[tuple[str, ...], ...]
    first_step: int | None
    edges_a: Counter[tuple[str, str]]
    edges_b: Counter[tuple[str, str]]
    said_a: tuple[Said, ...]
    said_b: tuple[Said, ...]
    first_message: int | None
    stop_a: str | None
    stop_b: str | None

    @classmethod
    def between(cls, a: TaskResult, b: TaskResult) -> RunDiff:
        steps_a, steps_b = _steps(a.trace), _steps(b.trace)
        said_a, said_b = _said(a), _said(b)
        return cls(
            steps_a=steps_a,
            steps_b=steps_b,
            first_step=_first_difference(steps_a, steps_b),
            edges_a=_edges(a.trace),
            edges_b=_edges(b.trace),
            said_a=said_a,
            said_b=said_b,
            first_message=_first_difference(said_a, said_b),
            stop_a=a.stop_reason,
            stop_b=b.stop_reason,
        )

    @property
    def same(self) -> bool:
        return self.first_step is None and self.first_message is None and self.stop_a == self.stop_b

    def edge_changes(self) -> list[tuple[tuple[str, str], int, int]]:
        """Edges taken a different number of times: ((source, target), count in A, count in B)."""
        keys = sorted(set(self.edges_a) | set(self.edges_b))
        return [(k, self.edges_a[k], self.edges_b[k]) for k in keys if self.edges_a[k] != self.edges_b[k]]


def _steps(trace: RunTrace | None) -> tuple[tuple[str, ...], ...]:
    return tuple(step.nodes for step in trace.steps()) if trace is not None else ()


def _edges(trace: RunTrace | None) -> Counter[tuple[str, str]]:
    if trace is None:
        return Counter()
    return Counter((e.source, e.target) for e in trace.events if isinstance(e, EdgeTaken))


def _said(result: TaskResult) -> tuple[Said, ...]:
    return tuple((m.source, type(m).__name__, m.to_text()) for m in result.messages)


def _first_difference(a: tuple[T, ...], b: tuple[T, ...]) -> int | None:
    for index, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return index
    return None if len(a) == len(b) else min(len(a), len(b))
