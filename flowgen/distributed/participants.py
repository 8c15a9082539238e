"""Team participants hosted in Ray actors: built there, their turns sent through the runtime.

A team given ``runtime=RayAgentRuntime(...)`` asks the runtime to host each chat agent
(``RayAgentRuntime.hosted_participant``). The agent the team was given is a template: the driver
keeps it only for its name, description and message types, and the actor builds its own participant
from the template's component config (``dump_component()``), or, for an agent that is not a
component, from a pickled copy of it (code the application gives its own cluster, like any factory).
Each participant's agent type is named after it (so ``RayAgentRuntime(placements={"writer": ...})``
places it); each team instance is a key of that type, so teams sharing a runtime share its actors.

Across processes a turn is plain data (:class:`RemoteTurn`, the messages dumped to JSON). The actor
pushes every inner event back as progress while the turn runs (flowgen.distributed.progress), and the
reply carries the response: the team sees the same items, in the same order, as from a local agent.
Interventions see each turn as a ``RemoteTurn`` and each control as a ``RemoteControl``.

Savepoints (a step is a transaction): the proxy's ``savepoint()`` costs no call. It numbers the
savepoint and the next turn carries the number; the actor takes the agent's own savepoint right
before running that turn and keeps it under that number. ``restore()`` asks the actor to restore it
(once the cancelled turn's handler has stopped); a savepoint no turn carried restores nothing, since
no turn changed the agent since.
"""

from __future__ import annotations

import asyncio
import json
from collections import OrderedDict
from collections.abc import AsyncGenerator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel

from flowgen.agents.base_chat_agent import BaseChatAgent, final_response
from flowgen.base import ChatAgent, Response, Savepoint, Team
from flowgen.core.agent import BaseAgent
from flowgen.core.cancellation import CancellationToken
from flowgen.core.ids import AgentId
from flowgen.core.instantiation import AgentInstantiationContext
from flowgen.core.message_context import MessageContext
from flowgen.core.serialization import try_get_known_serializers_for_type
from flowgen.distributed.progress import progress_emitter
from flowgen.errors import ConfigurationError, StateError
from flowgen.messages import BaseAgentEvent, BaseChatMessage, MessageFactory

if TYPE_CHECKING:
    from flowgen.distributed.runtime import RayAgentRuntime

#: How many savepoints an actor keeps per participant (a step takes one, a retried node one more).
_KEPT_SAVEPOINTS = 32


# ---------------------------------------------------------------- on the wire


class RemoteTurn(BaseModel):
    """One turn of a hosted participant: the new messages, dumped; the savepoints it carries.

    Savepoints ``first_savepoint`` to ``last_savepoint`` (0: none) were taken since the previous
    turn, so they all name the participant as it is before this one.
    """

    messages: list[dict[str, Any]]
    first_savepoint: int = 0
    last_savepoint: int = 0


class RemoteTurnReply(BaseModel):
    """A turn's response, dumped; and the inner events not already pushed as progress, in order."""

    events: list[dict[str, Any]] = []
    chat_message: dict[str, Any] | None = None
    inner_messages: list[dict[str, Any]] | None = None


class RemoteControl(BaseModel):
    """Anything but a turn: reset, pause, resume, save_state, load_state, close, restore."""

    op: Literal["reset", "pause", "resume", "save_state", "load_state", "close", "restore"]
    state: dict[str, Any] | None = None
    savepoint: int = 0


class RemoteControlReply(BaseModel):
    """A control's result: the saved state for ``save_state``, else nothing."""

    state: dict[str, Any] | None = None


_WIRE_TYPES = (RemoteTurn, RemoteTurnReply, RemoteControl, RemoteControlReply)


# ---------------------------------------------------------------- building in the actor


@dataclass(frozen=True)
class ParticipantRecipe:
    """How an actor builds one participant: from a component config, or from a pickled template."""

    name: str
    config: dict[str, Any] | None = None
    pickled: bytes | None = None
    #: The providers and function references the config names: the driver's own objects made the
    #: config, so the modules they came from are trusted (and already imported) there.
    allowed: tuple[str, ...] = ()

    @classmethod
    def of(cls, participant: ChatAgent) -> ParticipantRecipe:
        dump = getattr(participant, "dump_component", None)
        if callable(dump):
            try:
                config = dump().model_dump(mode="json")
                return cls(participant.name, config=config, allowed=tuple(sorted(_named_code(config))))
            except Exception:  # not every agent (or its model client, tools) is a component
                pass
        from ray import cloudpickle

        try:
            return cls(participant.name, pickled=cloudpickle.dumps(participant))  # type: ignore[no-untyped-call]
        except Exception as exc:
            raise ConfigurationError(
                f"participant {participant.name!r} can be hosted on Ray neither from its component "
                f"config nor as a pickled copy ({type(exc).__name__}: {exc}); give the team an agent "
                "whose dump_component() works, or one that can be pickled"
            ) from exc

    def build(self) -> ChatAgent:
        if self.config is not None:
            from flowgen.core.component_config import load_component

            built: ChatAgent = load_component(self.config, ChatAgent, allowed_providers=self.allowed)  # type: ignore[type-abstract]
            return built
        from ray import cloudpickle

        assert self.pickled is not None
        copy: ChatAgent = cloudpickle.loads(self.pickled)
        return copy


def _named_code(config: Any) -> set[str]:
    """Every class (``provider``) and function reference (``function``) a component config names."""
    found: set[str] = set()
    if isinstance(config, dict):
        for key, value in config.items():
            if key in ("provider", "function") and isinstance(value, str):
                found.add(value)
            else:
                found |= _named_code(value)
    elif isinstance(config, list):
        for value in config:
            found |= _named_code(value)
    return found


@dataclass
class ParticipantFactory:
    """The factory of a participant agent type: each key (a team instance) has its own recipe."""

    recipes: dict[str, ParticipantRecipe] = field(default_factory=dict)
    message_types: list[type[BaseAgentEvent | BaseChatMessage]] = field(default_factory=list)

    def __call__(self) -> ParticipantAgent:
        agent_id = AgentInstantiationContext.current_agent_id()
        recipe = self.recipes.get(agent_id.key)
        if recipe is None:
            raise LookupError(f"no team participant is registered as {agent_id}")
        return ParticipantAgent(recipe.build(), self.message_types)


def _factory_of(types: Sequence[type[BaseAgentEvent | BaseChatMessage]]) -> MessageFactory:
    factory = MessageFactory()
    for message_type in types:
        if not factory.is_registered(message_type):
            factory.register(message_type)
    return factory


class ParticipantAgent(BaseAgent):
    """The runtime agent in the actor holding one team participant; runs its turns and controls."""

    def __init__(
        self, participant: ChatAgent, message_types: Sequence[type[BaseAgentEvent | BaseChatMessage]]
    ) -> None:
        super().__init__(participant.description)
        self.participant = participant
        self._messages = _factory_of([*message_types, *participant.produced_message_types])
        # By the last number of the savepoints a turn carried: the first number and the savepoint.
        self._savepoints: OrderedDict[int, tuple[int, Savepoint]] = OrderedDict()
        self._latest = 0  # the highest savepoint number a turn carried here

    async def on_message_impl(self, message: Any, ctx: MessageContext) -> Any:
        if isinstance(message, RemoteTurn):
            return await self._turn(message, ctx.cancellation_token)
        if isinstance(message, RemoteControl):
            return await self._control(message, ctx.cancellation_token)
        raise ConfigurationError(
            f"a hosted participant takes turns and controls, not {type(message).__name__}"
        )

    async def _turn(self, turn: RemoteTurn, token: CancellationToken) -> RemoteTurnReply:
        if turn.last_savepoint:
            savepoint = await self.participant.savepoint()
            self._savepoints[turn.last_savepoint] = (turn.first_savepoint, savepoint)
            self._latest = max(self._latest, turn.last_savepoint)
            while len(self._savepoints) > _KEPT_SAVEPOINTS:
                self._savepoints.popitem(last=False)
        messages = [self._messages.create(m) for m in turn.messages]
        emit = progress_emitter()
        reply = RemoteTurnReply()
        async for item in self.participant.on_messages_stream(messages, token):  # type: ignore[arg-type]
            if isinstance(item, Response):
                reply.chat_message = item.chat_message.dump()
                if item.inner_messages is not None:
                    reply.inner_messages = [m.dump() for m in item.inner_messages]
            elif emit is not None:
                emit(json.dumps([item.dump()]).encode("utf-8"))
            else:
                reply.events.append(item.dump())
        return reply

    async def _control(self, control: RemoteControl, token: CancellationToken) -> RemoteControlReply:
        participant = self.participant
        if control.op == "restore":
            await self._restore(control.savepoint)
        elif control.op == "save_state":
            return RemoteControlReply(state=dict(await participant.save_state()))
        elif control.op == "load_state":
            await participant.load_state(control.state or {})
        elif control.op == "reset":
            await participant.on_reset(token)
        elif control.op == "pause":
            await participant.on_pause(token)
        elif control.op == "resume":
            await participant.on_resume(token)
        else:
            await participant.close()
        return RemoteControlReply()

    async def _restore(self, number: int) -> None:
        found = next((last for last, (first, _) in self._savepoints.items() if first <= number <= last), None)
        if found is not None:
            await self._savepoints.pop(found)[1].restore()
        elif number <= self._latest:
            raise StateError(
                f"savepoint {number} of participant {self.participant.name!r} is no longer kept "
                f"(an actor keeps the last {_KEPT_SAVEPOINTS}); the step cannot be undone"
            )
        # Otherwise no turn carried it here: nothing changed the participant since it was taken.

    async def save_state(self) -> Mapping[str, Any]:
        return dict(await self.participant.save_state())

    async def load_state(self, state: Mapping[str, Any]) -> None:
        await self.participant.load_state(state)


# ---------------------------------------------------------------- in the driver


class _RemoteSavepoint(Savepoint):
    __slots__ = ("_number", "_proxy")

    def __init__(self, proxy: RayParticipant, number: int) -> None:
        self._proxy = proxy
        self._number = number

    async def restore(self) -> None:
        await self._proxy.restore(self._number)


_DONE = object()


class RayParticipant(BaseChatAgent):
    """What a team's scheduler sees in place of a participant hosted in a Ray actor."""

    def __init__(
        self,
        runtime: RayAgentRuntime,
        template: ChatAgent,
        agent_id: AgentId,
        message_types: Sequence[type[BaseAgentEvent | BaseChatMessage]] = (),
    ) -> None:
        super().__init__(template.name, template.description)
        self._runtime = runtime
        self._template = template
        self._agent_id = agent_id
        self._recipe: ParticipantRecipe | None = ParticipantRecipe.of(template)
        self._message_types = [*message_types, *template.produced_message_types]
        self._messages = _factory_of(self._message_types)
        self._numbered = 0  # savepoints taken
        self._carried = 0  # the highest savepoint number a turn took with it

    @property
    def agent_id(self) -> AgentId:
        """Where the participant lives on the runtime."""
        return self._agent_id

    @property
    def produced_message_types(self) -> Sequence[type[BaseChatMessage]]:
        return self._template.produced_message_types

    async def _registered(self) -> None:
        recipe, self._recipe = self._recipe, None
        if recipe is not None:
            await _register(self._runtime, self._agent_id, recipe, self._message_types)

    async def _send(self, message: BaseModel, token: CancellationToken | None = None, **kw: Any) -> Any:
        await self._registered()
        return await self._runtime.send_with_progress(
            message, self._agent_id, kw.get("on_progress"), cancellation_token=token
        )

    async def on_messages(
        self, messages: Sequence[BaseChatMessage], cancellation_token: CancellationToken
    ) -> Response:
        return await final_response(self.on_messages_stream(messages, cancellation_token))

    async def on_messages_stream(
        self, messages: Sequence[BaseChatMessage], cancellation_token: CancellationToken
    ) -> AsyncGenerator[BaseAgentEvent | BaseChatMessage | Response, None]:
        turn = RemoteTurn(messages=[m.dump() for m in messages])
        if self._numbered > self._carried:
            turn.first_savepoint, turn.last_savepoint = self._carried + 1, self._numbered
            self._carried = self._numbered
        pushed: asyncio.Queue[Any] = asyncio.Queue()
        call = asyncio.ensure_future(self._send(turn, cancellation_token, on_progress=pushed.put_nowait))
        call.add_done_callback(lambda _: pushed.put_nowait(_DONE))
        try:
            while (chunk := await pushed.get()) is not _DONE:
                for data in json.loads(chunk):
                    yield self._event(data)
            reply: RemoteTurnReply = await call  # the participant's exception, with its type, surfaces here
        finally:
            if not call.done():  # the consumer stopped early: stop the remote turn, then return
                call.cancel()
                await asyncio.gather(call, return_exceptions=True)
        for data in reply.events:
            yield self._event(data)
        if reply.chat_message is not None:
            inner = None if reply.inner_messages is None else [self._event(m) for m in reply.inner_messages]
            chat = self._messages.create(reply.chat_message)
            if not isinstance(chat, BaseChatMessage):
                raise TypeError(f"participant {self.name!r} answered with an event, not a chat message")
            yield Response(chat_message=chat, inner_messages=inner)

    def _event(self, data: Mapping[str, Any]) -> BaseAgentEvent | BaseChatMessage:
        return self._messages.create(data)

    async def _control(self, op: Any, **fields: Any) -> RemoteControlReply:
        reply: RemoteControlReply = await self._send(RemoteControl(op=op, **fields))
        return reply

    async def on_reset(self, cancellation_token: CancellationToken) -> None:
        await self._control("reset")

    async def on_pause(self, cancellation_token: CancellationToken) -> None:
        await self._control("pause")

    async def on_resume(self, cancellation_token: CancellationToken) -> None:
        await self._control("resume")

    async def save_state(self) -> Mapping[str, Any]:
        return (await self._control("save_state")).state or {}

    async def load_state(self, state: Mapping[str, Any]) -> None:
        await self._control("load_state", state=dict(state))

    async def close(self) -> None:
        if self._recipe is None:  # never hosted: nothing to close
            await self._control("close")

    async def savepoint(self) -> Savepoint:
        self._numbered += 1
        return _RemoteSavepoint(self, self._numbered)

    async def restore(self, number: int) -> None:
        """Undo every turn since savepoint ``number`` in the actor (see the module docstring)."""
        if number > self._carried:  # no turn took it along: no turn ran since it was taken
            return
        await self._control("restore", savepoint=number)


async def _register(
    runtime: RayAgentRuntime,
    agent_id: AgentId,
    recipe: ParticipantRecipe,
    message_types: Sequence[type[BaseAgentEvent | BaseChatMessage]],
) -> None:
    """Add ``recipe`` under ``agent_id`` to its participant type (registered on first use)."""
    directory = runtime._directory
    spec = directory.types.get(agent_id.type)
    if spec is None:
        missing = [s for t in _WIRE_TYPES for s in try_get_known_serializers_for_type(t)]
        runtime._add_serializers(
            [s for s in missing if not runtime.registry.is_registered(s.type_name, s.data_content_type)]
        )
        factory = ParticipantFactory({agent_id.key: recipe}, list(message_types))
        # No await between the lookup and here: a concurrent first turn of another key sees the type.
        await runtime.register_factory(agent_id.type, factory)
        return
    if not isinstance(spec.factory, ParticipantFactory):
        raise ConfigurationError(
            f"agent type {agent_id.type!r} is registered on this runtime for something else than team "
            "participants; rename the participant or the agent type"
        )
    spec.factory.recipes[agent_id.key] = recipe
    for produced in message_types:
        if produced not in spec.factory.message_types:
            spec.factory.message_types.append(produced)
    await runtime._publish_directory()


def host_participant(
    runtime: RayAgentRuntime,
    participant: ChatAgent | Team,
    agent_id: AgentId,
    message_types: Sequence[type[BaseAgentEvent | BaseChatMessage]] = (),
) -> ChatAgent:
    """The scheduler's proxy for ``participant`` hosted in a Ray actor as ``agent_id``.

    ``message_types`` are the team's message types beyond the built-in ones (what the other
    participants produce): the actor rebuilds the messages of a turn with them.
    """
    if not isinstance(participant, ChatAgent):
        raise ConfigurationError(
            f"team {participant.name!r} is nested in a team on a RayAgentRuntime: nested teams are not "
            "hosted on Ray yet; wrap it in a SocietyOfMindAgent, or run the outer team without runtime="
        )
    return RayParticipant(runtime, participant, agent_id, message_types)
