"""Teams on a Core runtime: each participant hosted as a runtime agent, reached by send_message.

A team given ``runtime=`` hands its scheduler a :class:`RuntimeParticipant` per chat agent: a
ChatAgent proxy whose every call (a turn, reset, pause, resume, save, load, close) is a
``send_message`` to a :class:`ParticipantHost` registered on the runtime, which holds the real
agent. So the runtime's intervention handlers see every turn, its delivery log records them, and a
runtime hosting agents elsewhere can host participants. A turn's inner events are streamed back as
they happen (the request carries where to put them); the scheduler sees exactly what it would see
calling the agent directly, so transcripts are the same either way. Nested teams stay direct.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncGenerator, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from flowgen.agents.base_chat_agent import BaseChatAgent, final_response
from flowgen.base import ChatAgent, Response, Team
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
class ParticipantControl:
    """Anything but a turn: reset, pause, resume, save_state, load_state, close."""

    op: Literal["reset", "pause", "resume", "save_state", "load_state", "close"]
    state: Mapping[str, Any] | None = None


class ParticipantHost(BaseAgent):
    """The runtime agent that holds a team participant and runs what the proxy asks of it."""

    def __init__(self, participant: ChatAgent) -> None:
        super().__init__(participant.description)
        self.participant = participant

    async def on_message_impl(self, message: Any, ctx: MessageContext) -> Any:
        token = ctx.cancellation_token
        if isinstance(message, ParticipantTurn):
            response: Response | None = None
            async for item in self.participant.on_messages_stream(message.messages, token):
                if isinstance(item, Response):
                    response = item
                else:
                    message.emit(item)
            return response
        if isinstance(message, ParticipantControl):
            return await self._control(message, token)
        raise ConfigurationError(
            f"a team participant host takes turns and controls, not {type(message).__name__}"
        )

    async def _control(self, message: ParticipantControl, token: CancellationToken) -> Any:
        agent = self.participant
        if message.op == "reset":
            return await agent.on_reset(token)
        if message.op == "pause":
            return await agent.on_pause(token)
        if message.op == "resume":
            return await agent.on_resume(token)
        if message.op == "save_state":
            return dict(await agent.save_state())
        if message.op == "load_state":
            return await agent.load_state(message.state or {})
        return await agent.close()

    async def save_state(self) -> Mapping[str, Any]:
        return dict(await self.participant.save_state())

    async def load_state(self, state: Mapping[str, Any]) -> None:
        await self.participant.load_state(state)


_DONE = object()


class RuntimeParticipant(BaseChatAgent):
    """What the scheduler sees in place of a hosted participant: the same name, types and stream."""

    def __init__(self, participant: ChatAgent, runtime: AgentRuntime, agent_id: AgentId) -> None:
        super().__init__(participant.name, participant.description)
        self._participant = participant
        self._runtime = runtime
        self._agent_id = agent_id
        self._registered = False

    @property
    def agent_id(self) -> AgentId:
        """Where the participant lives on the runtime."""
        return self._agent_id

    @property
    def produced_message_types(self) -> Sequence[type[BaseChatMessage]]:
        return self._participant.produced_message_types

    async def _call(self, message: Any, token: CancellationToken | None = None) -> Any:
        if not self._registered:
            host = ParticipantHost(self._participant)
            await self._runtime.register_agent_instance(host, self._agent_id)
            self._registered = True
        return await self._runtime.send_message(message, self._agent_id, cancellation_token=token)

    async def on_messages(
        self, messages: Sequence[BaseChatMessage], cancellation_token: CancellationToken
    ) -> Response:
        return await final_response(self.on_messages_stream(messages, cancellation_token))

    async def on_messages_stream(
        self, messages: Sequence[BaseChatMessage], cancellation_token: CancellationToken
    ) -> AsyncGenerator[BaseAgentEvent | BaseChatMessage | Response, None]:
        events: asyncio.Queue[Any] = asyncio.Queue()

        async def turn() -> Response | None:
            try:
                response: Response | None = await self._call(
                    ParticipantTurn(list(messages), events.put_nowait), cancellation_token
                )
                return response
            finally:
                events.put_nowait(_DONE)

        # Owned here: awaited below, or cancelled and awaited when the consumer stops early.
        call = asyncio.ensure_future(turn())
        try:
            while (item := await events.get()) is not _DONE:
                yield item
            response = await call  # the host's exception, with its type, surfaces here
        finally:
            if not call.done():
                call.cancel()
                await asyncio.gather(call, return_exceptions=True)
        if response is not None:
            yield response

    async def on_reset(self, cancellation_token: CancellationToken) -> None:
        await self._call(ParticipantControl("reset"), cancellation_token)

    async def on_pause(self, cancellation_token: CancellationToken) -> None:
        await self._call(ParticipantControl("pause"), cancellation_token)

    async def on_resume(self, cancellation_token: CancellationToken) -> None:
        await self._call(ParticipantControl("resume"), cancellation_token)

    async def save_state(self) -> Mapping[str, Any]:
        saved: Mapping[str, Any] = await self._call(ParticipantControl("save_state"))
        return saved

    async def load_state(self, state: Mapping[str, Any]) -> None:
        await self._call(ParticipantControl("load_state", state))

    async def close(self) -> None:
        await self._call(ParticipantControl("close"))


def hosted_participants(
    participants: Sequence[ChatAgent | Team], runtime: object, team_name: str
) -> dict[str, ChatAgent | Team]:
    """The scheduler's participants for a team on ``runtime``: each chat agent behind a proxy."""
    if not isinstance(runtime, AgentRuntime):
        raise ConfigurationError(
            f"runtime= takes a flowgen.core AgentRuntime (e.g. SingleThreadedAgentRuntime()), "
            f"not a {type(runtime).__name__}"
        )
    key = f"{team_name}-{uuid.uuid4().hex[:8]}"  # one team instance: its own agents on a shared runtime
    hosted: dict[str, ChatAgent | Team] = {}
    for participant in participants:
        if isinstance(participant, ChatAgent):
            agent_type = participant.name if _VALID_TYPE.match(participant.name) else HOST_TYPE
            agent_key = key if agent_type != HOST_TYPE else f"{key}/{participant.name}"
            hosted[participant.name] = RuntimeParticipant(
                participant, runtime, AgentId(agent_type, agent_key)
            )
        else:
            hosted[participant.name] = participant
    return hosted
