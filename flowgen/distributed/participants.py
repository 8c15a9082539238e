"""Team participants hosted in Ray actors: built there, their turns sent through the runtime.

A team given ``runtime=RayAgentRuntime(...)`` asks the runtime to host each participant
(``RayAgentRuntime.hosted_participant``). The agent (or nested team) the team was given is a
template: the driver keeps it only for its name, description and message types, and the actor builds
its own participant from the template's component config (``dump_component()``), or, for one that is
not a component, from a pickled copy (code the application gives its own cluster, like any factory;
see flowgen.distributed.participant_host). Each participant's agent type is named after it (so
``RayAgentRuntime(placements={"writer": ...})`` places it); each team instance is a key of that
type, so teams sharing a runtime share its actors. The key ends in the digest of the participant's
recipe (flowgen.distributed.recipes): equal teams share one recipe, and nothing per team goes into
the directory. Once the team (with its proxies) is collected, its participants are released in
their actors (flowgen.distributed.participant_leases).

Across processes a turn is plain data (flowgen.distributed.participant_wire). The actor pushes every
inner event back as progress while the turn runs (flowgen.distributed.progress), and the reply
carries the response: the team sees the same items, in the same order, as from a local participant.
Interventions see each turn as a ``RemoteTurn`` (``RemoteTeamTurn``) and each control as a
``RemoteControl``.

Savepoints (a step is a transaction): the proxy's ``savepoint()`` costs no call. It numbers the
savepoint and the next turn carries the numbers taken since the previous one; the actor takes the
participant's own savepoint right before running that turn and keeps it under them. ``restore()``
asks the actor to restore it (once the cancelled turn's handler has stopped); a savepoint no turn
carried restores nothing, since no turn changed the participant since. A restore that finds the
actor lost is sent once more to the recreated actor, which undoes a turn the lost one ran from the
saved state's undo record (flowgen.distributed.participant_host). So a turn lost with its actor
before anything of it was shown is run once more there when the participant's state is kept
(``Placement(keep_state=True)``): after its savepoint is restored, whether or not the lost process
ran it, so the participant takes its input once.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncGenerator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from flowgen.agents.base_chat_agent import BaseChatAgent, final_response
from flowgen.base import ChatAgent, Response, Savepoint, TaskResult, Team
from flowgen.core.cancellation import CancellationToken
from flowgen.core.ids import AgentId
from flowgen.distributed.participant_host import (
    MessageTypes,
    ParticipantFactory,
    ParticipantRecipe,
    message_factory,
    produced_types,
)
from flowgen.distributed.participant_leases import Lease
from flowgen.distributed.participant_wire import (
    Carried,
    RemoteControl,
    RemoteControlReply,
    RemoteTeamReply,
    RemoteTeamTurn,
    RemoteTurn,
    RemoteTurnReply,
    wire_serializers,
)
from flowgen.distributed.recipes import participant_key, recipe_digest
from flowgen.errors import AgentUnavailableError, ConfigurationError
from flowgen.messages import BaseAgentEvent, BaseChatMessage

if TYPE_CHECKING:
    from flowgen.distributed.runtime import RayAgentRuntime

_DONE = object()


class _RemoteSavepoint(Savepoint):
    __slots__ = ("_hosted", "_number")

    def __init__(self, hosted: _Hosted, number: int) -> None:
        self._hosted = hosted
        self._number = number

    async def restore(self) -> None:
        await self._hosted.restore(self._number)


class _Hosted:
    """The driver's side of one hosted participant: registration, sends, streamed turns, savepoints."""

    def __init__(
        self, runtime: RayAgentRuntime, template: ChatAgent | Team, team_id: AgentId, types: MessageTypes
    ) -> None:
        self.runtime = runtime
        self.name = template.name
        self.message_types = [*types, *produced_types(template)]
        self.messages = message_factory(self.message_types)
        recipe = ParticipantRecipe.of(template, self.message_types)
        pickled = _pickled(recipe)
        digest = recipe_digest(pickled)
        # The key names the recipe: the actor finds it by that name, so no team is ever sent there.
        self.agent_id = AgentId(team_id.type, participant_key(team_id.key, digest))
        self.pickled: bytes | None = pickled  # until the participant has reached its actor
        self.lease = Lease(self.agent_id, digest)
        self.lease.watch(self)  # released in the actor once the team (and this) is gone
        self.numbered = 0  # savepoints taken
        self.carried = 0  # the highest savepoint number a turn took with it

    @property
    def hosted(self) -> bool:
        return self.pickled is None

    async def send(
        self,
        message: BaseModel,
        token: CancellationToken | None = None,
        on_progress: Any = None,
        message_id: str | None = None,
    ) -> Any:
        if self.pickled is not None:
            await _register_type(self.runtime, self.agent_id.type)
            if self.pickled is not None:  # a concurrent first call may have taken it meanwhile
                self.runtime.participant_leases().take(self.lease, self.pickled)
                self.pickled = None
        return await self.runtime.send_with_progress(
            message, self.agent_id, on_progress, cancellation_token=token, message_id=message_id
        )

    async def control(self, op: Any, **fields: Any) -> RemoteControlReply:
        reply: RemoteControlReply = await self.send(RemoteControl(op=op, **fields))
        return reply

    def carry(self, turn: Carried) -> None:
        if self.numbered > self.carried:
            turn.first_savepoint, turn.last_savepoint = self.carried + 1, self.numbered
            self.carried = self.numbered

    async def stream(self, turn: Carried, token: CancellationToken | None) -> AsyncGenerator[Any, None]:
        """Yield each event the actor pushes while the turn runs, then the reply.

        A turn whose actor is lost before it pushed anything is run once more in the recreated actor
        when the participant's state is kept there (see ``_undo_lost``); otherwise it fails.
        """
        self.carry(turn)
        retried = False
        while True:
            shown = False
            message_id = uuid.uuid4().hex
            pushed: asyncio.Queue[Any] = asyncio.Queue()
            call = asyncio.ensure_future(self.send(turn, token, pushed.put_nowait, message_id))
            call.add_done_callback(lambda _, pushed=pushed: pushed.put_nowait(_DONE))  # type: ignore[misc]
            try:
                while (chunk := await pushed.get()) is not _DONE:
                    for data in json.loads(chunk):
                        shown = True
                        yield self.messages.create(data)
                try:
                    reply = await call  # the participant's exception, with its type, surfaces here
                    break
                except AgentUnavailableError as lost:
                    if retried or shown or not self._rerunnable(turn):
                        raise
                    retried = True
                    await self._undo_lost(turn, message_id, lost)
            finally:
                if not call.done():  # the consumer stopped early: stop the remote turn, then return
                    call.cancel()
                    await asyncio.gather(call, return_exceptions=True)
        for data in reply.events:
            yield self.messages.create(data)
        yield reply

    def _rerunnable(self, turn: Carried) -> bool:
        """Whether a lost turn can be undone wherever it ran: its savepoint, and the state kept."""
        spec = self.runtime._directory.types.get(self.agent_id.type)
        return bool(turn.first_savepoint) and spec is not None and spec.placement.keep_state

    async def _undo_lost(self, turn: Carried, message_id: str, lost: AgentUnavailableError) -> None:
        """Make sure the lost turn no longer counts, so that sending it again runs it exactly once.

        Waits for the actor (Ray recreates it) as an @idempotent call does; stops the turn's handler
        should that actor have lived on (a broken link), or refuses it should it still arrive; then
        restores the turn's savepoint: a recreated actor undoes what the lost process ran and saved.
        """
        await self.runtime.wait_until_back(self.agent_id, lost)
        await self.runtime._cancel_remote(self.agent_id, message_id)
        await self.restore(turn.first_savepoint)

    def chat(self, data: Mapping[str, Any]) -> BaseChatMessage:
        message = self.messages.create(data)
        if not isinstance(message, BaseChatMessage):
            raise TypeError(
                f"participant {self.name!r} answered with a {type(message).__name__}, not a chat message"
            )
        return message

    def savepoint(self) -> Savepoint:
        self.numbered += 1
        return _RemoteSavepoint(self, self.numbered)

    async def restore(self, number: int) -> None:
        """Undo every turn since savepoint ``number`` in the actor (see the module docstring)."""
        if number > self.carried:  # no turn took it along: no turn ran since it was taken
            return
        restore = RemoteControl(op="restore", savepoint=number)
        try:
            await self.send(restore)
        except AgentUnavailableError as lost:
            # The actor was lost, perhaps after the undone turn ran and its state was saved: the
            # recreated actor must undo it (from the saved undo record), or the next run would give
            # the participant that turn's input twice. A restore is idempotent: sent again once the
            # actor is back, like an @idempotent call.
            await self.runtime.resend_once(restore, self.agent_id, lost)

    async def save_state(self) -> Mapping[str, Any]:
        return (await self.control("save_state")).state or {}


class RayParticipant(BaseChatAgent):
    """What a team's scheduler sees in place of a chat agent hosted in a Ray actor."""

    def __init__(self, hosted: _Hosted, template: ChatAgent) -> None:
        super().__init__(template.name, template.description)
        self._hosted = hosted
        self._produced = template.produced_message_types

    @property
    def agent_id(self) -> AgentId:
        """Where the participant lives on the runtime."""
        return self._hosted.agent_id

    @property
    def produced_message_types(self) -> Sequence[type[BaseChatMessage]]:
        return self._produced

    async def on_messages(
        self, messages: Sequence[BaseChatMessage], cancellation_token: CancellationToken
    ) -> Response:
        return await final_response(self.on_messages_stream(messages, cancellation_token))

    async def on_messages_stream(
        self, messages: Sequence[BaseChatMessage], cancellation_token: CancellationToken
    ) -> AsyncGenerator[BaseAgentEvent | BaseChatMessage | Response, None]:
        hosted = self._hosted
        async for item in hosted.stream(
            RemoteTurn(messages=[m.dump() for m in messages]), cancellation_token
        ):
            if not isinstance(item, RemoteTurnReply):
                yield item
            elif item.chat_message is not None:
                inner = item.inner_messages
                yield Response(
                    chat_message=hosted.chat(item.chat_message),
                    inner_messages=None if inner is None else [hosted.messages.create(m) for m in inner],
                )

    async def on_reset(self, cancellation_token: CancellationToken) -> None:
        await self._hosted.control("reset")

    async def on_pause(self, cancellation_token: CancellationToken) -> None:
        await self._hosted.control("pause")

    async def on_resume(self, cancellation_token: CancellationToken) -> None:
        await self._hosted.control("resume")

    async def save_state(self) -> Mapping[str, Any]:
        return await self._hosted.save_state()

    async def load_state(self, state: Mapping[str, Any]) -> None:
        await self._hosted.control("load_state", state=dict(state))

    async def close(self) -> None:
        if self._hosted.hosted:  # hosted: close it there (never hosted: nothing to close)
            await self._hosted.control("close")

    async def savepoint(self) -> Savepoint:
        return self._hosted.savepoint()


class RayTeam(Team):
    """What a team's scheduler sees in place of a nested team hosted in a Ray actor."""

    def __init__(self, hosted: _Hosted, template: Team) -> None:
        self._hosted = hosted
        self._name = template.name
        self._description = template.description
        self.last_trace: Any = None  # the hosted run's trace when it failed stays in the actor

    @property
    def name(self) -> str:
        return self._name

    @property
    def description(self) -> str:
        return self._description

    @property
    def agent_id(self) -> AgentId:
        return self._hosted.agent_id

    async def run(
        self,
        *,
        task: str | BaseChatMessage | Sequence[BaseChatMessage] | None = None,
        cancellation_token: CancellationToken | None = None,
        output_task_messages: bool = True,
    ) -> TaskResult:
        result: TaskResult | None = None
        stream = self.run_stream(
            task=task, cancellation_token=cancellation_token, output_task_messages=output_task_messages
        )
        async for out in stream:
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
        hosted = self._hosted
        if isinstance(task, BaseChatMessage):
            task = [task]
        dumped = task if task is None or isinstance(task, str) else [m.dump() for m in task]
        turn = RemoteTeamTurn(task=dumped, output_task_messages=output_task_messages)
        async for item in hosted.stream(turn, cancellation_token):
            if isinstance(item, RemoteTeamReply):
                messages = [hosted.messages.create(m) for m in item.messages]
                yield TaskResult(messages=messages, stop_reason=item.stop_reason, trace=item.trace)
            else:
                yield item

    async def reset(self) -> None:
        await self._hosted.control("reset")

    async def pause(self) -> None:
        await self._hosted.control("pause")

    async def resume(self) -> None:
        await self._hosted.control("resume")

    async def save_state(self) -> Mapping[str, Any]:
        return await self._hosted.save_state()

    async def load_state(self, state: Mapping[str, Any]) -> None:
        await self._hosted.control("load_state", state=dict(state))

    async def savepoint(self) -> Savepoint:
        return self._hosted.savepoint()


def _pickled(recipe: ParticipantRecipe) -> bytes:
    from ray import cloudpickle

    return cloudpickle.dumps(recipe)  # type: ignore[no-any-return,no-untyped-call]


async def _register_type(runtime: RayAgentRuntime, agent_type: str) -> None:
    """Register the participant agent type ``agent_type`` on first use (once per name, not per team)."""
    spec = runtime._directory.types.get(agent_type)
    if spec is None:
        added = [
            s
            for s in wire_serializers()
            if not runtime.registry.is_registered(s.type_name, s.data_content_type)
        ]
        runtime._add_serializers(added)
        # No await between the lookup and here: a concurrent first turn of another key sees the type.
        await runtime.register_factory(agent_type, ParticipantFactory(runtime._directory.runtime_name))
    elif not isinstance(spec.factory, ParticipantFactory):
        raise ConfigurationError(
            f"agent type {agent_type!r} is registered on this runtime for something else than team "
            "participants; rename the participant or the agent type"
        )


def host_participant(
    runtime: RayAgentRuntime,
    participant: ChatAgent | Team,
    agent_id: AgentId,
    message_types: MessageTypes = (),
) -> ChatAgent | Team:
    """The scheduler's proxy for ``participant`` hosted in a Ray actor as ``agent_id``.

    ``message_types`` are the team's message types beyond the built-in ones (what the other
    participants produce): the actor rebuilds the messages of a turn with them.
    """
    hosted = _Hosted(runtime, participant, agent_id, message_types)
    if isinstance(participant, ChatAgent):
        return RayParticipant(hosted, participant)
    return RayTeam(hosted, participant)
