"""Termination-condition expressions with a reference model: what a condition should do, computed plainly.

A :class:`TerminationExpr` is a tree of leaves (one per built-in condition) joined by ``|`` and ``&``.
``build()`` makes a fresh :class:`~flowgen.base.TerminationCondition` from it; ``stop_step(steps)``
says, without running any condition, at which step (0-based) the run should stop — the reference the
real conditions are checked against. A leaf stops at the first step where its rule holds; ``a | b``
stops at the earlier of the two; ``a & b`` at the later (each part keeps the fact that it fired).

Example:
    >>> from flowgen.messages import TextMessage
    >>> expr = Leaf.mention("DONE") | Leaf.max_messages(3)
    >>> steps = [[TextMessage(content="hi", source="a")], [TextMessage(content="DONE", source="b")]]
    >>> expr.stop_step(steps)
    1
    >>> str(expr)
    "(TextMentionTermination('DONE') | MaxMessageTermination(3))"
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from flowgen.base import TerminationCondition
from flowgen.messages import (
    BaseAgentEvent,
    BaseChatMessage,
    HandoffMessage,
    StopMessage,
    TextMessage,
    ToolCallExecutionEvent,
)

Message = BaseAgentEvent | BaseChatMessage
Steps = Sequence[Sequence[Message]]


class TerminationExpr:
    """A termination-condition expression that can build the real condition and predict it."""

    def build(self) -> TerminationCondition:
        """A fresh condition (conditions are stateful: build one per run)."""
        raise NotImplementedError

    def stop_step(self, steps: Steps) -> int | None:
        """The index of the step after which the condition should stop the run, or None."""
        raise NotImplementedError

    def __or__(self, other: TerminationExpr) -> TerminationExpr:
        return Combined("|", self, other)

    def __and__(self, other: TerminationExpr) -> TerminationExpr:
        return Combined("&", self, other)


@dataclass(frozen=True)
class Combined(TerminationExpr):
    op: str
    left: TerminationExpr
    right: TerminationExpr

    def build(self) -> TerminationCondition:
        left, right = self.left.build(), self.right.build()
        return left | right if self.op == "|" else left & right

    def stop_step(self, steps: Steps) -> int | None:
        a, b = self.left.stop_step(steps), self.right.stop_step(steps)
        if self.op == "|":
            known = [s for s in (a, b) if s is not None]
            return min(known) if known else None
        return None if a is None or b is None else max(a, b)

    def __str__(self) -> str:
        return f"({self.left} {self.op} {self.right})"


# A leaf's rule looks at everything seen so far (cumulative) and the current step.
Rule = Callable[[Sequence[Message], Sequence[Message]], bool]


@dataclass(frozen=True)
class Leaf(TerminationExpr):
    """One built-in condition: its constructor call and its reference rule."""

    name: str
    args: tuple[Any, ...]
    rule: Rule = field(compare=False, repr=False)
    kwargs: tuple[tuple[str, Any], ...] = ()

    def build(self) -> TerminationCondition:
        from flowgen import conditions  # imported late so this module loads before conditions exist

        factory: Callable[..., TerminationCondition] = getattr(conditions, self.name)
        return factory(*self.args, **dict(self.kwargs))

    def stop_step(self, steps: Steps) -> int | None:
        seen: list[Message] = []
        for index, step in enumerate(steps):
            seen.extend(step)
            if self.rule(seen, step):
                return index
        return None

    def __str__(self) -> str:
        parts = [repr(a) for a in self.args] + [f"{k}={v!r}" for k, v in self.kwargs]
        return f"{self.name}({', '.join(parts)})"

    @classmethod
    def max_messages(cls, n: int, include_agent_event: bool = False) -> Leaf:
        def rule(seen: Sequence[Message], step: Sequence[Message]) -> bool:
            return sum(1 for m in seen if include_agent_event or isinstance(m, BaseChatMessage)) >= n

        kwargs = (("include_agent_event", True),) if include_agent_event else ()
        return cls("MaxMessageTermination", (n,), rule, kwargs)

    @classmethod
    def mention(cls, text: str, sources: Sequence[str] | None = None) -> Leaf:
        def rule(seen: Sequence[Message], step: Sequence[Message]) -> bool:
            return any((sources is None or m.source in sources) and text in m.to_text() for m in step)

        kwargs = (("sources", list(sources)),) if sources is not None else ()
        return cls("TextMentionTermination", (text,), rule, kwargs)

    @classmethod
    def stop_message(cls) -> Leaf:
        return cls(
            "StopMessageTermination", (), lambda seen, step: any(isinstance(m, StopMessage) for m in step)
        )

    @classmethod
    def text_message(cls, source: str | None = None) -> Leaf:
        def rule(seen: Sequence[Message], step: Sequence[Message]) -> bool:
            return any(isinstance(m, TextMessage) and source in (None, m.source) for m in step)

        return cls("TextMessageTermination", (source,) if source is not None else (), rule)

    @classmethod
    def source_match(cls, sources: Sequence[str]) -> Leaf:
        return cls(
            "SourceMatchTermination",
            (list(sources),),
            lambda seen, step: any(m.source in sources for m in step),
        )

    @classmethod
    def handoff(cls, target: str) -> Leaf:
        def rule(seen: Sequence[Message], step: Sequence[Message]) -> bool:
            return any(isinstance(m, HandoffMessage) and m.target == target for m in step)

        return cls("HandoffTermination", (target,), rule)

    @classmethod
    def function_call(cls, name: str) -> Leaf:
        def rule(seen: Sequence[Message], step: Sequence[Message]) -> bool:
            return any(
                isinstance(m, ToolCallExecutionEvent) and any(r.name == name for r in m.content) for m in step
            )

        return cls("FunctionCallTermination", (name,), rule)

    @classmethod
    def token_usage(cls, max_total_token: int) -> Leaf:
        def rule(seen: Sequence[Message], step: Sequence[Message]) -> bool:
            usages = [m.models_usage for m in seen if m.models_usage is not None]
            return sum(u.prompt_tokens + u.completion_tokens for u in usages) >= max_total_token

        return cls("TokenUsageTermination", (max_total_token,), rule)


__all__ = ["Combined", "Leaf", "Steps", "TerminationExpr"]
