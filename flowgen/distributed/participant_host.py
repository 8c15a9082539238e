"""In the actor: how a hosted team participant is built, and the runtime agent that runs its turns.

The driver's template travels as a :class:`ParticipantRecipe` (its component config, or a pickled
copy, and the team's message types), stored once by its digest in the cluster's key-value store
(flowgen.distributed.recipes); :class:`ParticipantFactory`, the factory of a participant agent type,
builds the participant of each key (a team instance's, ending in the recipe's digest) from it. :class:`ParticipantAgent`
runs turns and controls, pushing inner events back as progress while a turn runs, and keeps the
savepoints the turns carry (see flowgen.distributed.participants).

A step is a transaction even across a lost actor. The savepoints live in the actor's memory, but
with ``Placement(keep_state=True)`` the host saves the agent's state after every message, the turn
of a step that then fails included (its reply lost with the process). So the saved state also
carries the undo of the last turn (the participant's state before it and the savepoint numbers it
carried, under :data:`UNDO_KEY`): a recreated actor that is asked to restore one of them loads that
state. A restore is idempotent (restoring a savepoint again, with no turn since, changes nothing),
so the driver can repeat one whose reply was lost.
"""

from __future__ import annotations

import copy
import json
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from flowgen.base import ChatAgent, Response, Savepoint, TaskResult, Team
from flowgen.core.agent import BaseAgent
from flowgen.core.cancellation import CancellationToken
from flowgen.core.instantiation import AgentInstantiationContext
from flowgen.core.message_context import MessageContext
from flowgen.distributed.participant_wire import (
    Carried,
    RemoteControl,
    RemoteControlReply,
    RemoteTeamReply,
    RemoteTeamTurn,
    RemoteTurn,
    RemoteTurnReply,
)
from flowgen.distributed.progress import progress_emitter
from flowgen.distributed.recipes import digest_of_key, shared_recipe
from flowgen.errors import ConfigurationError, StateError
from flowgen.messages import BaseAgentEvent, BaseChatMessage, MessageFactory

MessageTypes = Sequence[type[BaseAgentEvent | BaseChatMessage]]

#: How many savepoints an actor keeps per participant (a step takes one, a retried node one more).
KEPT_SAVEPOINTS = 32
#: The key of the undo record in a ParticipantAgent's saved state (beside the participant's own keys).
UNDO_KEY = "flowgen_participant_undo"


class _Undo(BaseModel):
    """The undo of the last turn, saved with the state (a row of the state store: untrusted input)."""

    latest: int = Field(ge=0)  # the highest savepoint number a turn carried to this participant
    first: int = Field(default=0, ge=0)  # the savepoints the last turn carried: first..last
    last: int = Field(default=0, ge=0)
    before: dict[str, Any] | None = None  # the participant's state before that turn


@dataclass(frozen=True)
class ParticipantRecipe:
    """How an actor builds one participant: from a component config, or from a pickled template."""

    name: str
    config: dict[str, Any] | None = None
    pickled: bytes | None = None
    #: The providers and function references the config names: the driver's own objects made the
    #: config, so the modules they came from are trusted (and already imported) there.
    allowed: tuple[str, ...] = ()
    #: ``pickled`` is a factory (a RemoteParticipant's) rather than a copy of the participant.
    from_factory: bool = False
    #: The team's message types beyond the built-in ones: the actor rebuilds a turn's messages with them.
    message_types: tuple[type[BaseAgentEvent | BaseChatMessage], ...] = ()

    @classmethod
    def of(cls, participant: ChatAgent | Team, message_types: MessageTypes = ()) -> ParticipantRecipe:
        """The recipe of ``participant``, with the team's ``message_types`` (de-duplicated, in order)."""
        types = tuple(dict.fromkeys(message_types))
        recipe = cls._of(participant)
        return recipe if not types else replace(recipe, message_types=types)

    @classmethod
    def _of(cls, participant: ChatAgent | Team) -> ParticipantRecipe:
        from flowgen.distributed.remote_participant import RemoteParticipant

        if isinstance(participant, RemoteParticipant):
            from ray import cloudpickle

            try:
                factory = cloudpickle.dumps(participant.factory)  # type: ignore[no-untyped-call]
            except Exception as exc:
                raise ConfigurationError(
                    f"the factory of RemoteParticipant {participant.name!r} cannot be pickled "
                    f"({type(exc).__name__}: {exc}); use a module-level function or a closure over "
                    "picklable values"
                ) from exc
            return cls(participant.name, pickled=factory, from_factory=True)
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

    def build(self) -> ChatAgent | Team:
        if self.config is not None:
            from flowgen.core.component_config import load_component

            built = load_component(self.config, allowed_providers=self.allowed)
        else:
            from ray import cloudpickle

            assert self.pickled is not None
            built = cloudpickle.loads(self.pickled)
            if self.from_factory:
                built = built()
        if not isinstance(built, ChatAgent | Team):
            raise TypeError(
                f"participant {self.name!r} was built as a {type(built).__name__}, not an agent or team"
            )
        if built.name != self.name:
            raise ConfigurationError(
                f"the factory of participant {self.name!r} made an agent named {built.name!r}; "
                "give the agent the participant's name"
            )
        return built


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


def message_factory(types: MessageTypes) -> MessageFactory:
    factory = MessageFactory()
    for message_type in types:
        if not factory.is_registered(message_type):
            factory.register(message_type)
    return factory


def produced_types(participant: ChatAgent | Team) -> list[type[BaseAgentEvent | BaseChatMessage]]:
    """The message types ``participant`` produces (a team's: its participants', nested ones too)."""
    if isinstance(participant, ChatAgent):
        return list(participant.produced_message_types)
    inner = getattr(participant, "participants", ())
    return [t for p in inner if isinstance(p, ChatAgent | Team) for t in produced_types(p)]


@dataclass(frozen=True)
class ParticipantFactory:
    """The factory of a participant agent type: each key (a team instance's participant) ends in
    the digest of its recipe (flowgen.distributed.recipes), found in ``recipes`` or, in a runtime's
    actor, in the process's cache or the cluster's store. It holds nothing per team.
    """

    runtime_name: str | None = None
    recipes: Mapping[str, ParticipantRecipe] | None = None  # by digest: for a runtime without Ray

    def __call__(self) -> ParticipantAgent:
        agent_id = AgentInstantiationContext.current_agent_id()
        digest = digest_of_key(agent_id.key)
        recipe = (self.recipes or {}).get(digest)
        if recipe is None and digest and self.runtime_name is not None:
            recipe = shared_recipe(self.runtime_name, digest)
        if recipe is None:
            raise LookupError(f"no team participant is registered as {agent_id}")
        return ParticipantAgent(recipe.build(), recipe.message_types, recipe)


class ParticipantAgent(BaseAgent):
    """The runtime agent in the actor holding one team participant; runs its turns and controls."""

    def __init__(
        self,
        participant: ChatAgent | Team,
        message_types: MessageTypes,
        recipe: ParticipantRecipe | None = None,
    ) -> None:
        super().__init__(participant.description)
        self.participant = participant
        self.recipe = recipe  # held: the process's recipe cache keeps it while an agent uses it
        self._messages = message_factory([*message_types, *produced_types(participant)])
        # By the last number of the savepoints a turn carried: the first number and the savepoint.
        self._savepoints: OrderedDict[int, tuple[int, Savepoint]] = OrderedDict()
        self._latest = 0  # the highest savepoint number a turn carried here
        # The participant's state as last saved or loaded, while no message has changed it since:
        # the state before the next turn, for its undo record, at no extra save_state().
        self._saved: dict[str, Any] | None = None
        self._undo: _Undo | None = None  # the undo of the last turn (see the module docstring)

    async def on_message_impl(self, message: Any, ctx: MessageContext) -> Any:
        participant = self.participant
        before, self._saved = self._saved, None  # whatever this message does, it may change the state
        if isinstance(message, RemoteTurn) and isinstance(participant, ChatAgent):
            await self._keep_savepoint(message, before)
            return await self._turn(participant, message, ctx.cancellation_token)
        if isinstance(message, RemoteTeamTurn) and isinstance(participant, Team):
            await self._keep_savepoint(message, before)
            return await self._team_turn(participant, message, ctx.cancellation_token)
        if isinstance(message, RemoteControl):
            return await self._control(message, ctx.cancellation_token)
        raise ConfigurationError(
            f"participant {participant.name!r} takes turns and controls, not {type(message).__name__}"
        )

    async def _keep_savepoint(self, turn: Carried, before: dict[str, Any] | None) -> None:
        if not turn.last_savepoint:
            return  # the last undo record still holds: it undoes this turn too
        self._savepoints[turn.last_savepoint] = (turn.first_savepoint, await self.participant.savepoint())
        self._latest = max(self._latest, turn.last_savepoint)
        # Without a state saved since the last message (no keep_state) there is nothing to persist.
        self._undo = (
            None
            if before is None
            else _Undo(
                latest=self._latest, first=turn.first_savepoint, last=turn.last_savepoint, before=before
            )
        )
        while len(self._savepoints) > KEPT_SAVEPOINTS:
            self._savepoints.popitem(last=False)

    async def _turn(self, agent: ChatAgent, turn: RemoteTurn, token: CancellationToken) -> RemoteTurnReply:
        messages = [self._chat(m) for m in turn.messages]
        reply = RemoteTurnReply()
        emit = progress_emitter()
        async for item in agent.on_messages_stream(messages, token):
            if isinstance(item, Response):
                reply.chat_message = item.chat_message.dump()
                if item.inner_messages is not None:
                    reply.inner_messages = [m.dump() for m in item.inner_messages]
            elif emit is not None:
                emit(json.dumps([item.dump()]).encode("utf-8"))
            else:
                reply.events.append(item.dump())
        return reply

    async def _team_turn(self, team: Team, turn: RemoteTeamTurn, token: CancellationToken) -> RemoteTeamReply:
        task = turn.task if not isinstance(turn.task, list) else [self._chat(m) for m in turn.task]
        reply = RemoteTeamReply()
        emit = progress_emitter()
        stream = team.run_stream(
            task=task, cancellation_token=token, output_task_messages=turn.output_task_messages
        )
        async for item in stream:
            if isinstance(item, TaskResult):
                reply.messages = [m.dump() for m in item.messages]
                reply.stop_reason = item.stop_reason
                reply.trace = None if item.trace is None else item.trace.model_dump(mode="json")
            elif emit is not None:
                emit(json.dumps([item.dump()]).encode("utf-8"))
            else:
                reply.events.append(item.dump())
        return reply

    def _chat(self, data: Mapping[str, Any]) -> BaseChatMessage:
        message = self._messages.create(data)
        if not isinstance(message, BaseChatMessage):
            raise TypeError(f"a turn carries chat messages, not a {type(message).__name__}")
        return message

    async def _control(self, control: RemoteControl, token: CancellationToken) -> RemoteControlReply:
        participant = self.participant
        op = control.op
        if op == "restore":
            await self._restore(control.savepoint)
        elif op == "save_state":
            return RemoteControlReply(state=dict(await participant.save_state()))
        elif op == "load_state":
            await participant.load_state(control.state or {})
        elif isinstance(participant, Team):
            if op in ("reset", "pause", "resume"):
                await getattr(participant, op)()
            # a team holds nothing to close
        elif op == "reset":
            await participant.on_reset(token)
        elif op == "pause":
            await participant.on_pause(token)
        elif op == "resume":
            await participant.on_resume(token)
        else:
            await participant.close()
        return RemoteControlReply()

    async def _restore(self, number: int) -> None:
        found = next(
            ((last, first) for last, (first, _) in self._savepoints.items() if first <= number <= last), None
        )
        undo = self._undo
        if found is not None:
            await self._savepoints[found[0]][1].restore()
            first = found[1]
        elif undo is not None and undo.before is not None and undo.first <= number <= undo.last:
            # A recreated actor: the lost process ran the turn and saved its state (its reply was
            # lost); the saved undo record puts the participant back as it was before that turn.
            await self.participant.load_state(undo.before)
            first = undo.first
        elif number <= self._latest:
            raise StateError(
                f"savepoint {number} of participant {self.participant.name!r} is no longer kept "
                f"(an actor keeps the last {KEPT_SAVEPOINTS}, and a recreated actor only the one its "
                "last turn carried); the step cannot be undone"
            )
        else:
            return  # no turn carried it here: nothing changed the participant since it was taken
        # Every turn since savepoint ``first`` is undone: their savepoints go, so restoring any of
        # them again (a restore repeated after its reply was lost) changes nothing.
        for last in [last for last in self._savepoints if last >= first]:
            del self._savepoints[last]
        self._latest = first - 1
        self._undo = None

    async def save_state(self) -> Mapping[str, Any]:
        state = dict(await self.participant.save_state())
        # A copy: an agent may hand out its live containers, which its next turn would change.
        self._saved = copy.deepcopy(state)
        if not self._latest:
            return state
        undo = self._undo or _Undo(latest=self._latest)
        return {**state, UNDO_KEY: undo.model_dump(mode="json")}

    async def load_state(self, state: Mapping[str, Any]) -> None:
        state = dict(state)
        kept = state.pop(UNDO_KEY, None)
        undo: _Undo | None = None
        if kept is not None:
            try:
                undo = _Undo.model_validate(kept)
            except ValidationError as exc:
                raise StateError(
                    f"the saved state of participant {self.participant.name!r} has a malformed "
                    f"{UNDO_KEY!r} ({exc.error_count()} errors: {exc.errors()[0]['msg']}); remove that "
                    "key to load the state without the undo of its last turn"
                ) from None
        self._saved = copy.deepcopy(state)  # the agent may keep (and later change) what it loads
        await self.participant.load_state(state)
        self._savepoints.clear()  # they named the participant before the state loaded over it
        self._latest = undo.latest if undo is not None else 0
        self._undo = undo if undo is not None and undo.before is not None else None

    async def close(self) -> None:
        """The team released this participant (or the actor is ending): close what it holds."""
        if isinstance(self.participant, ChatAgent):
            await self.participant.close()
