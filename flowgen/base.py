"""The interfaces agents and teams implement, and what a run returns (AutoGen's ``base`` module)."""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    PrivateAttr,
    SerializeAsAny,
    computed_field,
    model_validator,
)

from flowgen.core import CancellationToken
from flowgen.core.component import Component
from flowgen.engine.recording import TraceRecording
from flowgen.messages import BaseAgentEvent, BaseChatMessage, StopMessage

if TYPE_CHECKING:
    from pydantic import GetCoreSchemaHandler
    from pydantic_core import CoreSchema

    from flowgen.engine.trace import RunTrace
    from flowgen.tools import BaseTool, FunctionTool


@dataclass(kw_only=True)
class Response:
    """What an agent answers: the chat message it says, and the events that led to it."""

    chat_message: BaseChatMessage
    inner_messages: Sequence[BaseAgentEvent | BaseChatMessage] | None = None


class _TraceOrNone:
    """``RunTrace | None`` for TaskResult's schema, loading :mod:`flowgen.engine.trace` only then.

    The trace module (its event classes and RunTrace) costs start-up time, and most programs never
    dump or validate a TaskResult.
    """

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        from flowgen.engine.trace import RunTrace

        return handler.generate_schema(RunTrace | None)


class TaskResult(BaseModel):
    """The messages a run produced, why it stopped, and its trace (the run drawn by ``visualize``).

    A team's result holds its run's recording and builds the RunTrace when ``trace`` is first read:
    most results' traces are never looked at. Dumps include the trace, as a field would.
    """

    # Built on first use: its schema spans every message type, and teams build it without validation.
    model_config = ConfigDict(arbitrary_types_allowed=True, defer_build=True)

    messages: Sequence[SerializeAsAny[BaseAgentEvent | BaseChatMessage]]
    stop_reason: str | None = None
    _trace: RunTrace | TraceRecording | None = PrivateAttr(default=None)

    def __init__(self, *, trace: RunTrace | Mapping[str, Any] | None = None, **data: Any) -> None:
        super().__init__(**data)
        self._trace = _as_trace(trace)

    @model_validator(mode="wrap")
    @classmethod
    def _read_trace(cls, data: Any, handler: Any) -> Any:
        # model_validate skips __init__: take the dumped trace back here.
        trace = None
        if isinstance(data, dict) and "trace" in data:
            data = dict(data)  # the caller's dict stays as it was
            trace = data.pop("trace")
        result = handler(data)
        if trace is not None:
            result._trace = _as_trace(trace)
        return result

    @classmethod
    def of_run(
        cls,
        messages: list[BaseAgentEvent | BaseChatMessage],
        stop_reason: str | None,
        recording: TraceRecording,
    ) -> TaskResult:
        """A team's result: its run's messages (already valid) and its recording, built on first read."""
        result = cls.model_construct(messages=messages, stop_reason=stop_reason)
        result._trace = recording
        return result

    @computed_field(repr=False, return_type=_TraceOrNone)  # type: ignore[prop-decorator]
    @property
    def trace(self) -> RunTrace | None:
        held = self._trace
        if isinstance(held, TraceRecording):
            held = self._trace = held.build()
        return held

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TaskResult):
            return NotImplemented
        return (
            type(self) is type(other)
            and list(self.messages) == list(other.messages)
            and self.stop_reason == other.stop_reason
            and self.trace == other.trace
        )


def _as_trace(trace: RunTrace | Mapping[str, Any] | None) -> RunTrace | None:
    if trace is None:
        return None
    from flowgen.engine.trace import RunTrace

    if isinstance(trace, RunTrace):
        return trace
    return RunTrace.model_validate(trace)


class Handoff(BaseModel):
    """A tool that hands the conversation to ``target`` (``transfer_to_<target>`` by default).

    Example:
        >>> Handoff(target="billing").name
        'transfer_to_billing'
    """

    model_config = ConfigDict(defer_build=True)

    target: str
    description: str = ""
    name: str = ""
    message: str = ""

    @model_validator(mode="before")
    @classmethod
    def _defaults(cls, values: Any) -> Any:
        if not isinstance(values, dict) or "target" not in values:
            return values
        target = values["target"]
        values = dict(values)
        if not values.get("description"):
            values["description"] = f"Handoff to {target}."
        if not values.get("name"):
            values["name"] = f"transfer_to_{target}".lower()
        elif not str(values["name"]).isidentifier():
            raise ValueError(
                f"handoff name {values['name']!r} is not a valid identifier; use letters, digits and '_'"
            )
        if not values.get("message"):
            values["message"] = f"Transferred to {target}, adopting the role of {target} immediately."
        return values

    @property
    def handoff_tool(self) -> BaseTool[Any, Any]:
        """The tool the model calls to take this handoff."""
        message = self.message

        async def _handoff() -> str:
            return message

        return _handoff_tool_type()(_handoff, name=self.name, description=self.description, strict=True)


@cache
def _handoff_tool_type() -> type[FunctionTool]:
    """FunctionTool for handoffs, defined on first use (flowgen.tools imports this module)."""
    from flowgen.tools import FunctionTool

    class HandoffTool(FunctionTool):
        """A handoff's tool: same schema as a FunctionTool of the handoff function, run in place.

        Taking a handoff only returns its message, so it is awaited in the caller's task rather
        than in a task (or a worker thread) of its own: one fewer event-loop round per handoff.
        """

        async def run(self, args: BaseModel, cancellation_token: CancellationToken) -> Any:
            return await self.func()

        def run_json(
            self, args: Mapping[str, Any], cancellation_token: CancellationToken, call_id: str | None = None
        ) -> Coroutine[Any, Any, Any]:
            # A handoff takes no arguments, whatever the model sent. The function's own coroutine is
            # handed back: one frame fewer on every handoff than awaiting it in a coroutine here.
            taken: Coroutine[Any, Any, Any] = self.func()
            return taken

    return HandoffTool


class TerminatedException(BaseException):
    """Raised when a termination condition is called after it has already stopped the run."""


class TerminationCondition(ABC, Component[Any]):
    """Decides, after each step, whether the run stops. Combine with ``|`` and ``&``."""

    @property
    @abstractmethod
    def terminated(self) -> bool:
        """Whether the condition has already stopped the run (until :meth:`reset`)."""

    @abstractmethod
    async def __call__(self, messages: Sequence[BaseAgentEvent | BaseChatMessage]) -> StopMessage | None:
        """Look at the messages since the last call; return a StopMessage to stop."""

    @abstractmethod
    async def reset(self) -> None:
        """Forget everything seen, so the condition can serve a new run."""

    def __and__(self, other: TerminationCondition) -> TerminationCondition:
        return AndTerminationCondition(self, other)

    def __or__(self, other: TerminationCondition) -> TerminationCondition:
        return OrTerminationCondition(self, other)

    def dump_state(self) -> dict[str, Any]:
        """The condition's progress, for saving a run mid-way. Stateless conditions return {}."""
        return {}

    def load_state(self, state: Mapping[str, Any]) -> None:
        """Restore what :meth:`dump_state` returned."""


def _joined(stops: Sequence[StopMessage]) -> StopMessage:
    return StopMessage(
        content=", ".join(s.content for s in stops),
        source=", ".join(s.source for s in stops),
    )


class AndTerminationCondition(TerminationCondition):
    """Stops once every condition has stopped, each possibly at a different step."""

    def __init__(self, *conditions: TerminationCondition) -> None:
        self._conditions = conditions
        self._stop_messages: list[StopMessage] = []

    @property
    def terminated(self) -> bool:
        return all(c.terminated for c in self._conditions)

    async def __call__(self, messages: Sequence[BaseAgentEvent | BaseChatMessage]) -> StopMessage | None:
        if self.terminated:
            raise TerminatedException("Termination condition has already been reached")
        pending = [c for c in self._conditions if not c.terminated]
        results = await asyncio.gather(*(c(messages) for c in pending))
        self._stop_messages.extend(r for r in results if r is not None)
        if any(r is None for r in results):
            return None
        stop = _joined(self._stop_messages)
        self._stop_messages.clear()
        return stop

    async def reset(self) -> None:
        for condition in self._conditions:
            await condition.reset()
        self._stop_messages.clear()

    def dump_state(self) -> dict[str, Any]:
        return {
            "conditions": [c.dump_state() for c in self._conditions],
            "stop_messages": [m.dump() for m in self._stop_messages],
        }

    def load_state(self, state: Mapping[str, Any]) -> None:
        for condition, sub in zip(self._conditions, state.get("conditions", []), strict=False):
            condition.load_state(sub)
        self._stop_messages = [StopMessage.load(m) for m in state.get("stop_messages", [])]


class OrTerminationCondition(TerminationCondition):
    """Stops as soon as any condition stops."""

    def __init__(self, *conditions: TerminationCondition) -> None:
        self._conditions = conditions

    @property
    def terminated(self) -> bool:
        return any(c.terminated for c in self._conditions)

    async def __call__(self, messages: Sequence[BaseAgentEvent | BaseChatMessage]) -> StopMessage | None:
        if self.terminated:
            raise TerminatedException("Termination condition has already been reached")
        results = await asyncio.gather(*(c(messages) for c in self._conditions))
        stops = [r for r in results if r is not None]
        return _joined(stops) if stops else None

    async def reset(self) -> None:
        for condition in self._conditions:
            await condition.reset()

    def dump_state(self) -> dict[str, Any]:
        return {"conditions": [c.dump_state() for c in self._conditions]}

    def load_state(self, state: Mapping[str, Any]) -> None:
        for condition, sub in zip(self._conditions, state.get("conditions", []), strict=False):
            condition.load_state(sub)


class Savepoint:
    """What a participant was before a step: :meth:`restore` puts it back when the step does not commit.

    A team takes one from every participant that runs in a step, before the step runs. A step that
    commits drops its savepoints; a step that is cancelled or raises restores them, so whatever an
    agent added to its model context, memory or counters during the step is undone with it. This base
    savepoint restores nothing: the savepoint of an agent that keeps no state.
    """

    __slots__ = ()

    async def restore(self) -> None:
        """Put the participant back as it was when the savepoint was taken."""


#: The savepoint of a participant with nothing to restore.
NO_SAVEPOINT = Savepoint()


class StateSavepoint(Savepoint):
    """A savepoint made of the participant's own ``save_state``, restored with its ``load_state``.

    The default for agents and teams that offer nothing cheaper; correct for any participant whose
    saved state holds everything it changes during a step.
    """

    __slots__ = ("_owner", "_state")

    def __init__(self, owner: ChatAgent | Team, state: Mapping[str, Any]) -> None:
        self._owner = owner
        self._state = state

    async def restore(self) -> None:
        await self._owner.load_state(self._state)


class TaskRunner(ABC, Component[Any]):
    """Something that runs a task: an agent or a team."""

    @abstractmethod
    async def run(
        self,
        *,
        task: str | BaseChatMessage | Sequence[BaseChatMessage] | None = None,
        cancellation_token: CancellationToken | None = None,
        output_task_messages: bool = True,
    ) -> TaskResult: ...

    @abstractmethod
    def run_stream(
        self,
        *,
        task: str | BaseChatMessage | Sequence[BaseChatMessage] | None = None,
        cancellation_token: CancellationToken | None = None,
        output_task_messages: bool = True,
    ) -> AsyncGenerator[BaseAgentEvent | BaseChatMessage | TaskResult, None]: ...


class ChatAgent(TaskRunner, ABC):
    """An agent: it answers the messages it has not seen yet, and keeps its own state."""

    @property
    @abstractmethod
    def name(self) -> str: ...

    @property
    @abstractmethod
    def description(self) -> str: ...

    @property
    @abstractmethod
    def produced_message_types(self) -> Sequence[type[BaseChatMessage]]: ...

    @abstractmethod
    async def on_messages(
        self, messages: Sequence[BaseChatMessage], cancellation_token: CancellationToken
    ) -> Response: ...

    @abstractmethod
    def on_messages_stream(
        self, messages: Sequence[BaseChatMessage], cancellation_token: CancellationToken
    ) -> AsyncGenerator[BaseAgentEvent | BaseChatMessage | Response, None]: ...

    @abstractmethod
    async def on_reset(self, cancellation_token: CancellationToken) -> None: ...

    @abstractmethod
    async def on_pause(self, cancellation_token: CancellationToken) -> None: ...

    @abstractmethod
    async def on_resume(self, cancellation_token: CancellationToken) -> None: ...

    @abstractmethod
    async def save_state(self) -> Mapping[str, Any]: ...

    @abstractmethod
    async def load_state(self, state: Mapping[str, Any]) -> None: ...

    @abstractmethod
    async def close(self) -> None: ...

    async def savepoint(self) -> Savepoint:
        """Capture what this agent is now, so that a step that does not commit can be undone.

        Called by a team before every step the agent runs in. The default is ``save_state`` (restored
        with ``load_state``); override it with something cheaper when the agent can.
        """
        return StateSavepoint(self, await self.save_state())


class Team(TaskRunner, ABC):
    """Several agents run as one, following a graph."""

    @property
    @abstractmethod
    def name(self) -> str: ...

    @property
    @abstractmethod
    def description(self) -> str: ...

    @abstractmethod
    async def reset(self) -> None: ...

    @abstractmethod
    async def pause(self) -> None: ...

    @abstractmethod
    async def resume(self) -> None: ...

    @abstractmethod
    async def save_state(self) -> Mapping[str, Any]: ...

    @abstractmethod
    async def load_state(self, state: Mapping[str, Any]) -> None: ...

    async def savepoint(self) -> Savepoint:
        """Capture what this team is now (see :meth:`ChatAgent.savepoint`); by default its saved state."""
        return StateSavepoint(self, await self.save_state())
