"""Teams on a Core runtime: each participant hosted as a runtime agent, reached by send_message.

A team given ``runtime=`` hands its scheduler a :class:`RuntimeParticipant` per chat agent: a
ChatAgent proxy whose every call (a turn, reset, pause, resume, save, load, close) is a
``send_message`` to a :class:`ParticipantHost` registered on the runtime, which holds the real
agent. So the runtime's intervention handlers see every turn, its delivery log records them, and a
runtime hosting agents elsewhere can host participants. A turn's inner events are streamed back as
they happen (the request carries where to put them); the scheduler sees exactly what it would see
calling the agent directly, so transcripts are the same either way. A nested team participant is
hosted the same way (:class:`RuntimeTeam`): its run streams back through the runtime.

A runtime whose agents live in other processes cannot take an agent instance or a callback; it
offers ``hosted_participant`` instead (:class:`HostsParticipants`) and returns its own proxy
(flowgen.distributed hosts participants in Ray actors this way).
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncGenerator, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable

from flowgen.agents.base_chat_agent import BaseChatAgent, final_response
from flowgen.base import ChatAgent, Response, Savepoint, TaskResult, Team
from flowgen.core.agent import BaseAgent
from flowgen.core.agent_runtime import AgentRuntime
from flowgen.core.cancellation import CancellationToken
from flowgen.core.ids import AgentId
from flowgen.core.message_context import MessageContext
from flowgen.errors import ConfigurationError
from flowgen.messages import BaseAgentEvent, BaseChatMessage

#: The agent type participants are hosted under when their name is not a valid agent type.
HOST_TYPE = "team_participant"
_VALID_TYPE = re.compile(r"^[\w\-\.]+\Z")


@dataclass(slots=True)
class ParticipantTurn:
    """One turn: the new messages, and where the host puts each inner event as it is produced."""

    messages: list[BaseChatMessage]
    emit: Callable[[BaseAgentEvent | BaseChatMessage], None]


@dataclass(slots=True)
class TeamTurn:
    """A nested team's turn: its task, and where the host puts each streamed item."""

    task: str | BaseChatMessage | Sequence[BaseChatMessage] | None
    output_task_messages: bool
    emit: Callable[[BaseAgentEvent | BaseChatMessage], None]


@dataclass(slots=True)
class ParticipantControl:
    """Anything but a turn: reset, pause, resume, save_state, load_state, close."""

    op: Literal["reset", "pause", "resume", "save_state", "load_state", "close"]
    state: Mapping[str, Any] | None = None


class ParticipantHost(BaseAgent):
    """The runtime agent that holds a team participant (an agent or a nested team) and runs it."""

    def __init__(self, participant: ChatAgent | Team) -> None:
        super().__init__(participant.description)
        self.participant = participant

    async def on_message_impl(self, message: Any, ctx: MessageContext) -> Any:
        token = ctx.cancellation_token
        if isinstance(message, ParticipantTurn) and isinstance(self.participant, ChatAgent):
            response: Response | None = None
            async for item in self.participant.on_messages_stream(message.messages, token):
                if isinstance(item, Response):
                    response = item
                else:
                    message.emit(item)
            return response
        if isinstance(message, TeamTurn) and isinstance(self.participant, Team):
            result: TaskResult | None = None
            stream = self.participant.run_stream(
                task=message.task, cancellation_token=token, output_task_messages=message.output_task_messages
            )
            async for out in stream:
                if isinstance(out, TaskResult):
                    result = out
                else:
                    message.emit(out)
            return result
        if isinstance(message, ParticipantControl):
            return await self._control(message, token)
        raise ConfigurationError(
            f"a team participant host takes turns and controls, not {type(message).__name__}"
        )

    async def _control(self, message: ParticipantControl, token: CancellationToken) -> Any:
        participant = self.participant
        if message.op == "save_state":
            return dict(await participant.save_state())
        if message.op == "load_state":
            return await participant.load_state(message.state or {})
        if isinstance(participant, Team):
            if message.op == "reset":
                return await participant.reset()
            if message.op == "pause":
                return await participant.pause()
            if message.op == "resume":
                return await participant.resume()
            return None  # a team holds nothing to close
        if message.op == "reset":
            return await participant.on_reset(token)
        if message.op == "pause":
            return await participant.on_pause(token)
        if message.op == "resume":
            return await participant.on_resume(token)
        return await participant.close()

    async def save_state(self) -> Mapping[str, Any]:
        return dict(await self.participant.save_state())

    async def load_state(self, state: Mapping[str, Any]) -> None:
        await self.participant.load_state(state)


@runtime_checkable
class HostsParticipants(Protocol):
    """A runtime that hosts team participants its own way and gives the scheduler its proxies."""

    def hosted_participant(
        self,
        participant: ChatAgent | Team,
        agent_id: AgentId,
        message_types: Sequence[type[BaseAgentEvent | BaseChatMessage]] = (),
    ) -> ChatAgent | Team: ...


_DONE = object()


class RuntimeParticipant(BaseChatAgent):
    """What the scheduler sees in place of a hosted agent: the same name, types and stream."""

    def __init__(self, participant: ChatAgent, runtime: AgentRuntime, agent_id: AgentId) -> None:
        super().__init__(participant.name, participant.description)
        self._participant = participant
        self._hosting = _Hosting(participant, runtime, agent_id)

    @property
    def agent_id(self) -> AgentId:
        """Where the participant lives on the runtime."""
        return self._hosting.agent_id

    @property
    def produced_message_types(self) -> Sequence[type[BaseChatMessage]]:
        return self._participant.produced_message_types

    async def on_messages(
        self, messages: Sequence[BaseChatMessage], cancellation_token: CancellationToken
    ) -> Response:
        return await final_response(self.on_messages_stream(messages, cancellation_token))

    async def on_messages_stream(
        self, messages: Sequence[BaseChatMessage], cancellation_token: CancellationToken
    ) -> AsyncGenerator[BaseAgentEvent | BaseChatMessage | Response, None]:
        turn = list(messages)
        async for item in self._hosting.stream(lambda emit: ParticipantTurn(turn, emit), cancellation_token):
            yield item

    async def on_reset(self, cancellation_token: CancellationToken) -> None:
        await self._hosting.call(ParticipantControl("reset"), cancellation_token)

    async def on_pause(self, cancellation_token: CancellationToken) -> None:
        await self._hosting.call(ParticipantControl("pause"), cancellation_token)

    async def on_resume(self, cancellation_token: CancellationToken) -> None:
        await self._hosting.call(ParticipantControl("resume"), cancellation_token)

    async def save_state(self) -> Mapping[str, Any]:
        saved: Mapping[str, Any] = await self._hosting.call(ParticipantControl("save_state"))
        return saved

    async def load_state(self, state: Mapping[str, Any]) -> None:
        await self._hosting.call(ParticipantControl("load_state", state))

    async def close(self) -> None:
        await self._hosting.call(ParticipantControl("close"))

    async def savepoint(self) -> Savepoint:
        # A savepoint holds references into the live agent (its context list), so it is taken from
        # the hosted agent itself rather than sent through the runtime as a saved state each step.
        return await self._participant.savepoint()


class _Hosting:
    """Registration on first use, and a call that streams the items the host emits while it runs."""

    def __init__(self, participant: ChatAgent | Team, runtime: AgentRuntime, agent_id: AgentId) -> None:
        self.participant = participant
        self.runtime = runtime
        self.agent_id = agent_id
        self.registered = False

    async def call(self, message: Any, token: CancellationToken | None = None) -> Any:
        if not self.registered:
            await self.runtime.register_agent_instance(ParticipantHost(self.participant), self.agent_id)
            self.registered = True
        return await self.runtime.send_message(message, self.agent_id, cancellation_token=token)

    async def stream(
        self, make: Callable[[Callable[[Any], None]], Any], token: CancellationToken | None
    ) -> AsyncGenerator[Any, None]:
        """Yield each item the host emits, then the call's reply (unless None)."""
        events: asyncio.Queue[Any] = asyncio.Queue()

        async def turn() -> Any:
            try:
                return await self.call(make(events.put_nowait), token)
            finally:
                events.put_nowait(_DONE)

        # Owned here: awaited below, or cancelled and awaited when the consumer stops early.
        call = asyncio.ensure_future(turn())
        try:
            while (item := await events.get()) is not _DONE:
                yield item
            reply = await call  # the host's exception, with its type, surfaces here
        finally:
            if not call.done():
                call.cancel()
                await asyncio.gather(call, return_exceptions=True)
        if reply is not None:
            yield reply


class RuntimeTeam(Team):
    """What the scheduler sees in place of a hosted nested team: the same name, run stream and state."""

    def __init__(self, team: Team, runtime: AgentRuntime, agent_id: AgentId) -> None:
        self._team = team
        self._hosting = _Hosting(team, runtime, agent_id)

    @property
    def name(self) -> str:
        return self._team.name

    @property
    def description(self) -> str:
        return self._team.description

    @property
    def agent_id(self) -> AgentId:
        return self._hosting.agent_id

    @property
    def last_trace(self) -> Any:
        """The hosted team's latest trace (what the scheduler shows when the nested run failed)."""
        return getattr(self._team, "last_trace", None)

    async def run(
        self,
        *,
        task: str | BaseChatMessage | Sequence[BaseChatMessage] | None = None,
        cancellation_token: CancellationToken | None = None,
        output_task_messages: bool = True,
    ) -> TaskResult:
        result: TaskResult | None = None
        async for out in self.run_stream(
            task=task, cancellation_token=cancellation_token, output_task_messages=output_task_messages
        ):
            if isinstance(out, TaskResult):
                result = out
        if result is None:
            raise RuntimeError(f"team {self.name!r} ended its run_stream without a TaskResult")
        return result

    async def run_stream(
        self,
        *,
        task: str | BaseChatMessage | Sequence[BaseChatMessage] | None = None,
        cancellation_token: CancellationToken | None = None,
        output_task_messages: bool = True,
    ) -> AsyncGenerator[BaseAgentEvent | BaseChatMessage | TaskResult, None]:
        async for item in self._hosting.stream(
            lambda emit: TeamTurn(task, output_task_messages, emit), cancellation_token
        ):
            yield item

    async def reset(self) -> None:
        await self._hosting.call(ParticipantControl("reset"))

    async def pause(self) -> None:
        await self._hosting.call(ParticipantControl("pause"))

    async def resume(self) -> None:
        await self._hosting.call(ParticipantControl("resume"))

    async def save_state(self) -> Mapping[str, Any]:
        saved: Mapping[str, Any] = await self._hosting.call(ParticipantControl("save_state"))
        return saved

    async def load_state(self, state: Mapping[str, Any]) -> None:
        await self._hosting.call(ParticipantControl("load_state", state))

    async def savepoint(self) -> Savepoint:
        # As RuntimeParticipant.savepoint: the hosted team's own savepoint, not a state sent each step.
        return await self._team.savepoint()


def hosted_participants(
    participants: Sequence[ChatAgent | Team], runtime: object, team_name: str
) -> dict[str, ChatAgent | Team]:
    """The scheduler's participants for a team on ``runtime``: each agent or nested team behind a proxy."""
    if not isinstance(runtime, AgentRuntime):
        raise ConfigurationError(
            f"runtime= takes a flowgen.core AgentRuntime (e.g. SingleThreadedAgentRuntime()), "
            f"not a {type(runtime).__name__}"
        )
    key = f"{team_name}-{uuid.uuid4().hex[:8]}"  # one team instance: its own agents on a shared runtime
    hosted: dict[str, ChatAgent | Team] = {}
    hosts = runtime if isinstance(runtime, HostsParticipants) else None
    produced = (
        [t for p in participants if isinstance(p, ChatAgent) for t in p.produced_message_types]
        if hosts
        else []
    )
    for participant in participants:
        agent_type = participant.name if _VALID_TYPE.match(participant.name) else HOST_TYPE
        agent_id = AgentId(agent_type, key if agent_type != HOST_TYPE else f"{key}/{participant.name}")
        if hosts is not None:
            hosted[participant.name] = hosts.hosted_participant(participant, agent_id, produced)
        elif isinstance(participant, ChatAgent):
            hosted[participant.name] = RuntimeParticipant(participant, runtime, agent_id)
        else:
            hosted[participant.name] = RuntimeTeam(participant, runtime, agent_id)
    return hosted
