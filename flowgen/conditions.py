"""Termination conditions: when a run stops (AutoGen's ``autogen_agentchat.conditions``).

A condition is called with the messages produced since its last call and returns a ``StopMessage`` to
stop the run. Conditions combine with ``|`` (stop when either does) and ``&`` (stop once both have,
possibly at different steps). Once fired, a condition stays terminated until :meth:`reset`; calling it
again before that raises ``TerminatedException``. Every condition saves its progress with
``dump_state`` / ``load_state``, so a saved run resumes with its counts intact.

Example:
    >>> import asyncio
    >>> from flowgen.messages import TextMessage
    >>> stop = TextMentionTermination("DONE") | MaxMessageTermination(10)
    >>> asyncio.run(stop([TextMessage(content="all DONE", source="writer")])).content
    "Text 'DONE' mentioned"
"""

from __future__ import annotations

import inspect
import time
from abc import abstractmethod
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from flowgen.base import TerminatedException, TerminationCondition
from flowgen.errors import ConfigurationError
from flowgen.messages import (
    BaseAgentEvent,
    BaseChatMessage,
    HandoffMessage,
    StopMessage,
    TextMessage,
    ToolCallExecutionEvent,
)

__all__ = [
    "ExternalTermination",
    "FunctionCallTermination",
    "FunctionalTermination",
    "HandoffTermination",
    "MaxMessageTermination",
    "SourceMatchTermination",
    "StopMessageTermination",
    "TextMentionTermination",
    "TextMessageTermination",
    "TimeoutTermination",
    "TokenUsageTermination",
]

Messages = Sequence[BaseAgentEvent | BaseChatMessage]


def _ensure_running(condition: TerminationCondition) -> None:
    if condition.terminated:
        raise TerminatedException(
            f"{type(condition).__name__} has already stopped the run; call reset() before using it again"
        )


class _OneShotTermination(TerminationCondition):
    """A condition that fires once, on the first call with a reason to stop; its state is whether it has.

    Subclasses only say why a batch of messages stops the run (:meth:`_stop_reason`); checking that
    the condition is still running and building the StopMessage happen here.
    """

    def __init__(self) -> None:
        self._terminated = False

    @property
    def terminated(self) -> bool:
        return self._terminated

    async def __call__(self, messages: Messages) -> StopMessage | None:
        _ensure_running(self)
        reason = await self._stop_reason(messages)
        if reason is None:
            return None
        self._terminated = True
        return StopMessage(content=reason, source=type(self).__name__)

    @abstractmethod
    async def _stop_reason(self, messages: Messages) -> str | None:
        """Why these messages stop the run (the StopMessage's content), or None to let it go on."""

    async def reset(self) -> None:
        self._terminated = False

    def dump_state(self) -> dict[str, Any]:
        return {"terminated": self._terminated}

    def load_state(self, state: Mapping[str, Any]) -> None:
        self._terminated = bool(state.get("terminated", False))


class StopMessageTermination(_OneShotTermination):
    """Stops when an agent says a ``StopMessage``.

    Example:
        >>> import asyncio
        >>> from flowgen.messages import StopMessage
        >>> asyncio.run(StopMessageTermination()([StopMessage(content="bye", source="a")])).content
        'Stop message received'
    """

    async def _stop_reason(self, messages: Messages) -> str | None:
        if any(isinstance(m, StopMessage) for m in messages):
            return "Stop message received"
        return None


class MaxMessageTermination(TerminationCondition):
    """Stops once ``max_messages`` chat messages have been produced (the task counts).

    Args:
        max_messages: How many messages to allow.
        include_agent_event: Count agent events (tool calls, streamed chunks...) too.

    Example:
        >>> import asyncio
        >>> from flowgen.messages import TextMessage
        >>> stop = MaxMessageTermination(2)
        >>> asyncio.run(stop([TextMessage(content="a", source="x")])) is None
        True
        >>> asyncio.run(stop([TextMessage(content="b", source="y")])).content
        'Maximum number of messages 2 reached, current message count: 2'
    """

    def __init__(self, max_messages: int, include_agent_event: bool = False) -> None:
        self._max_messages = max_messages
        self._include_agent_event = include_agent_event
        self._message_count = 0

    @property
    def terminated(self) -> bool:
        return self._message_count >= self._max_messages

    async def __call__(self, messages: Messages) -> StopMessage | None:
        _ensure_running(self)
        if self._include_agent_event:
            self._message_count += len(messages)
        else:
            # A plain loop with the exact-type test first: this runs after every step.
            for m in messages:
                if type(m) is TextMessage or isinstance(m, BaseChatMessage):
                    self._message_count += 1
        if self._message_count < self._max_messages:
            return None
        return StopMessage(
            content=f"Maximum number of messages {self._max_messages} reached, "
            f"current message count: {self._message_count}",
            source="MaxMessageTermination",
        )

    async def reset(self) -> None:
        self._message_count = 0

    def dump_state(self) -> dict[str, Any]:
        return {"message_count": self._message_count}

    def load_state(self, state: Mapping[str, Any]) -> None:
        self._message_count = int(state.get("message_count", 0))


class TextMentionTermination(_OneShotTermination):
    """Stops when a message (chat message or event) contains ``text``.

    Args:
        text: The text to look for (case-sensitive substring).
        sources: Only look at messages from these agents; ``None`` looks at all.

    Example:
        >>> import asyncio
        >>> from flowgen.messages import TextMessage
        >>> stop = TextMentionTermination("APPROVE", sources=["critic"])
        >>> asyncio.run(stop([TextMessage(content="APPROVE", source="writer")])) is None
        True
    """

    def __init__(self, text: str, sources: Sequence[str] | None = None) -> None:
        super().__init__()
        self._text = text
        self._sources = None if sources is None else list(sources)

    async def _stop_reason(self, messages: Messages) -> str | None:
        for message in messages:
            if self._sources is not None and message.source not in self._sources:
                continue
            if self._text in message.to_text():
                return f"Text '{self._text}' mentioned"
        return None


class TextMessageTermination(_OneShotTermination):
    """Stops when a ``TextMessage`` arrives (from ``source``, when given).

    Example:
        >>> import asyncio
        >>> from flowgen.messages import TextMessage
        >>> asyncio.run(TextMessageTermination("a")([TextMessage(content="x", source="a")])).content
        "Text message received from 'a'"
    """

    def __init__(self, source: str | None = None) -> None:
        super().__init__()
        self._source = source

    async def _stop_reason(self, messages: Messages) -> str | None:
        for message in messages:
            if isinstance(message, TextMessage) and self._source in (None, message.source):
                return f"Text message received from '{message.source}'"
        return None


class SourceMatchTermination(_OneShotTermination):
    """Stops as soon as any of ``sources`` has said something.

    Example:
        >>> import asyncio
        >>> from flowgen.messages import TextMessage
        >>> asyncio.run(SourceMatchTermination(["critic"])([TextMessage(content="ok", source="critic")])).content
        "'critic' answered"
    """

    def __init__(self, sources: Sequence[str]) -> None:
        super().__init__()
        self._sources = list(sources)

    async def _stop_reason(self, messages: Messages) -> str | None:
        for message in messages:
            if message.source in self._sources:
                return f"'{message.source}' answered"
        return None


class HandoffTermination(_OneShotTermination):
    """Stops when an agent hands off to ``target`` (typically the user, outside the team).

    Example:
        >>> import asyncio
        >>> from flowgen.messages import HandoffMessage
        >>> msg = HandoffMessage(content="over to you", source="agent", target="user")
        >>> asyncio.run(HandoffTermination("user")([msg])).content
        'Handoff to user from agent detected.'
    """

    def __init__(self, target: str) -> None:
        super().__init__()
        self._target = target

    async def _stop_reason(self, messages: Messages) -> str | None:
        for message in messages:
            if isinstance(message, HandoffMessage) and message.target == self._target:
                return f"Handoff to {self._target} from {message.source} detected."
        return None


class FunctionCallTermination(_OneShotTermination):
    """Stops once a tool named ``function_name`` has been executed (seen in a ``ToolCallExecutionEvent``).

    Example:
        >>> import asyncio
        >>> from flowgen.messages import ToolCallExecutionEvent
        >>> from flowgen.models import FunctionExecutionResult
        >>> result = FunctionExecutionResult(content="ok", name="submit", call_id="1")
        >>> event = ToolCallExecutionEvent(content=[result], source="agent")
        >>> asyncio.run(FunctionCallTermination("submit")([event])).content
        "Function 'submit' was executed."
    """

    def __init__(self, function_name: str) -> None:
        super().__init__()
        self._function_name = function_name

    async def _stop_reason(self, messages: Messages) -> str | None:
        for message in messages:
            if isinstance(message, ToolCallExecutionEvent) and any(
                result.name == self._function_name for result in message.content
            ):
                return f"Function '{self._function_name}' was executed."
        return None


class TokenUsageTermination(TerminationCondition):
    """Stops once the messages' reported token usage reaches any of the given limits.

    Args:
        max_total_token: Limit on prompt plus completion tokens.
        max_prompt_token: Limit on prompt tokens.
        max_completion_token: Limit on completion tokens.

    Raises:
        ConfigurationError: no limit was given (also a ValueError, as in AutoGen).

    Example:
        >>> import asyncio
        >>> from flowgen.messages import TextMessage
        >>> from flowgen.models import RequestUsage
        >>> msg = TextMessage(content="hi", source="a", models_usage=RequestUsage(8, 2))
        >>> asyncio.run(TokenUsageTermination(max_total_token=10)([msg])) is not None
        True
    """

    def __init__(
        self,
        max_total_token: int | None = None,
        max_prompt_token: int | None = None,
        max_completion_token: int | None = None,
    ) -> None:
        if max_total_token is None and max_prompt_token is None and max_completion_token is None:
            raise ConfigurationError(
                "TokenUsageTermination needs a limit: pass at least one of max_total_token, "
                "max_prompt_token or max_completion_token"
            )
        self._limits = (max_total_token, max_prompt_token, max_completion_token)
        self._prompt_tokens = 0
        self._completion_tokens = 0

    @property
    def _counts(self) -> tuple[int, int, int]:
        prompt, completion = self._prompt_tokens, self._completion_tokens
        return prompt + completion, prompt, completion

    @property
    def terminated(self) -> bool:
        return any(
            limit is not None and count >= limit
            for limit, count in zip(self._limits, self._counts, strict=True)
        )

    async def __call__(self, messages: Messages) -> StopMessage | None:
        _ensure_running(self)
        for message in messages:
            if message.models_usage is not None:
                self._prompt_tokens += message.models_usage.prompt_tokens
                self._completion_tokens += message.models_usage.completion_tokens
        if not self.terminated:
            return None
        total, prompt, completion = self._counts
        return StopMessage(
            content=f"Token usage limit reached, total token count: {total}, "
            f"prompt token count: {prompt}, completion token count: {completion}.",
            source="TokenUsageTermination",
        )

    async def reset(self) -> None:
        self._prompt_tokens = 0
        self._completion_tokens = 0

    def dump_state(self) -> dict[str, Any]:
        return {"prompt_tokens": self._prompt_tokens, "completion_tokens": self._completion_tokens}

    def load_state(self, state: Mapping[str, Any]) -> None:
        self._prompt_tokens = int(state.get("prompt_tokens", 0))
        self._completion_tokens = int(state.get("completion_tokens", 0))


class TimeoutTermination(_OneShotTermination):
    """Stops once ``timeout_seconds`` have passed since the run started.

    The clock starts at the first call, which the team makes when the run starts, and starts again
    after :meth:`reset`, so a condition built long before its run still grants the full time (AutoGen
    starts the clock at construction). Saved state carries the time already used; a resumed run gets
    only what is left.

    Args:
        timeout_seconds: How long a run may take.
        clock: Where the time comes from (seconds, monotonic); for tests.

    Example:
        >>> import asyncio
        >>> now = [0.0]
        >>> stop = TimeoutTermination(5, clock=lambda: now[0])
        >>> asyncio.run(stop([])) is None
        True
        >>> now[0] = 5.0
        >>> asyncio.run(stop([])).content
        'Timeout of 5 seconds reached'
    """

    def __init__(self, timeout_seconds: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self._timeout_seconds = timeout_seconds
        self._clock = clock
        self._started_at: float | None = None
        self._carried = 0.0  # seconds used before a load_state, counted against the timeout

    def _elapsed(self) -> float:
        if self._started_at is None:
            return self._carried
        return self._carried + self._clock() - self._started_at

    async def _stop_reason(self, messages: Messages) -> str | None:
        if self._started_at is None:
            self._started_at = self._clock()
        if self._elapsed() >= self._timeout_seconds:
            return f"Timeout of {self._timeout_seconds} seconds reached"
        return None

    async def reset(self) -> None:
        await super().reset()
        self._started_at = None
        self._carried = 0.0

    def dump_state(self) -> dict[str, Any]:
        return {**super().dump_state(), "elapsed_seconds": self._elapsed()}

    def load_state(self, state: Mapping[str, Any]) -> None:
        super().load_state(state)
        self._started_at = None
        self._carried = float(state.get("elapsed_seconds", 0.0))


class ExternalTermination(_OneShotTermination):
    """Stops when :meth:`set` has been called from outside the run, at the run's next check.

    Example:
        >>> import asyncio
        >>> stop = ExternalTermination()
        >>> stop.set()
        >>> asyncio.run(stop([])).content
        'External termination requested'
    """

    def __init__(self) -> None:
        super().__init__()
        self._requested = False

    def set(self) -> None:
        """Ask the run to stop; it does at its next termination check (after the current step)."""
        self._requested = True

    async def _stop_reason(self, messages: Messages) -> str | None:
        if self._requested:
            return "External termination requested"
        return None

    async def reset(self) -> None:
        await super().reset()
        self._requested = False

    def dump_state(self) -> dict[str, Any]:
        return {**super().dump_state(), "requested": self._requested}

    def load_state(self, state: Mapping[str, Any]) -> None:
        super().load_state(state)
        self._requested = bool(state.get("requested", False))


class FunctionalTermination(_OneShotTermination):
    """Stops when ``func(messages)`` returns True; ``func`` may be sync or async.

    Args:
        func: Called with the messages since the last check.

    Example:
        >>> import asyncio
        >>> from flowgen.messages import TextMessage
        >>> stop = FunctionalTermination(lambda msgs: any(m.source == "judge" for m in msgs))
        >>> asyncio.run(stop([TextMessage(content="done", source="judge")])).content
        'Functional termination condition met'
    """

    def __init__(self, func: Callable[[Messages], bool] | Callable[[Messages], Awaitable[bool]]) -> None:
        super().__init__()
        self._func = func

    async def _stop_reason(self, messages: Messages) -> str | None:
        verdict = self._func(messages)
        if inspect.isawaitable(verdict):
            verdict = await verdict
        if verdict:
            return "Functional termination condition met"
        return None
