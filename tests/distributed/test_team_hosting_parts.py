"""The parts of teams on Ray that need no cluster: progress through the outbox, the intervention
chain, and the participant host's turns, controls and savepoints on a single-process runtime."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from typing import Any

import pytest
from ray import cloudpickle

from flowgen.agents import AssistantAgent
from flowgen.core import (
    AgentId,
    CancellationToken,
    DefaultInterventionHandler,
    DropMessage,
    MessageContext,
    TopicId,
)
from flowgen.core.delivery import DeliveryLog
from flowgen.core.interception import Interception
from flowgen.core.single_threaded_runtime import SingleThreadedAgentRuntime
from flowgen.distributed import RemoteParticipant
from flowgen.distributed.outbox import Outbox
from flowgen.distributed.participant_host import UNDO_KEY, ParticipantFactory, ParticipantRecipe
from flowgen.distributed.participant_wire import RemoteControl, RemoteTurn, RemoteTurnReply
from flowgen.distributed.recipes import digest_of_key, participant_key, recipe_digest
from flowgen.distributed.wire import Envelope, Outcome
from flowgen.errors import ConfigurationError, MessageDroppedException, StateError
from flowgen.messages import TextMessage
from flowgen.models import ReplayChatCompletionClient


def _envelope(message_id: str) -> Envelope:
    body = {"type_name": "__none__", "content_type": "application/json", "payload": b""}
    return Envelope(rpc=True, recipient="a/k", sender=None, topic=None, message_id=message_id, body=body)  # type: ignore[typeddict-item]


async def test_progress_reaches_its_sender_ahead_of_the_reply_and_forces_a_stream() -> None:
    batches: list[list[Envelope]] = []

    def ready(chunk: list[tuple[int, Outcome]]) -> Awaitable[list[tuple[int, Outcome]]]:
        done: asyncio.Future[list[tuple[int, Outcome]]] = asyncio.get_running_loop().create_future()
        done.set_result(chunk)
        return done

    async def deliver(batch: list[Envelope]) -> AsyncIterator[Awaitable[list[tuple[int, Outcome]]]]:
        # Plain envelopes answer at once; the others push two chunks around the plain replies.
        batches.append(batch)
        streamed = [i for i, e in enumerate(batch) if e.get("progress")]
        yield ready([(i, Outcome(progress=f"{batch[i]['message_id']}:1".encode())) for i in streamed])
        yield ready([(i, Outcome(body=e["body"])) for i, e in enumerate(batch) if i not in streamed])
        yield ready(
            [(i, o) for i in streamed for o in (Outcome(progress=b"2"), Outcome(body=batch[i]["body"]))]
        )

    async def deliver_one(envelope: Envelope) -> Outcome:
        assert not envelope.get("progress"), "an envelope that takes progress leaves by a stream"
        return Outcome(body=envelope["body"])

    outbox = Outbox(deliver, deliver_one, lambda exc, envelope: exc)
    seen: list[bytes] = []
    with_progress = outbox.put(_envelope("m1"), seen.append)
    plain = outbox.put(_envelope("m2"))
    assert "body" in await plain
    assert "body" in await with_progress
    assert seen == [b"m1:1", b"2"]
    assert batches[0][0]["progress"] is True and "progress" not in batches[0][1]
    alone = outbox.put(_envelope("m3"), seen.append)  # alone in its batch, still by the stream
    assert "body" in await alone
    assert len(batches) == 2 and seen[2:] == [b"m3:1", b"2"]
    assert "body" in await outbox.put(_envelope("m4"))  # alone and plain: by a plain call
    assert len(batches) == 2
    await outbox.close()


class Rewrite(DefaultInterventionHandler):
    def __init__(self, suffix: str, drop: str | None = None) -> None:
        self.suffix, self.drop = suffix, drop

    async def on_send(self, message: Any, *, message_context: MessageContext, recipient: AgentId) -> Any:
        return DropMessage if message == self.drop else message + self.suffix

    async def on_publish(self, message: Any, *, message_context: MessageContext) -> Any:
        if message == "boom":
            raise RuntimeError("the handler broke")
        return DropMessage if message == self.drop else message + self.suffix

    async def on_response(self, message: Any, *, sender: AgentId, recipient: AgentId | None) -> Any:
        return message + self.suffix


async def test_interventions_chain_and_drop_as_in_the_single_process_runtime() -> None:
    log = DeliveryLog(lambda: 0.0)
    chain = Interception([Rewrite("1"), Rewrite("2", drop="x1")], log)
    ctx = MessageContext(None, None, True, CancellationToken(), "m")
    agent = AgentId("a", "k")
    assert await chain.send("hi", ctx, agent) == "hi12"  # each handler sees the previous one's output
    assert await chain.response("ok", agent, None) == "ok12"
    with pytest.raises(MessageDroppedException, match="Rewrite dropped the send to a/k"):
        await chain.send("x", ctx, agent)
    topic = MessageContext(None, TopicId("t", "s"), False, CancellationToken(), "p")
    assert await chain.publish("news", topic) == "news12"
    assert await chain.publish("x", topic) is DropMessage
    assert await chain.publish("boom", topic) is DropMessage  # logged, never raised at the publisher
    assert [(d.kind, d.message_type) for d in log] == [("dropped", "str"), ("dropped", "str")]


def _recipe() -> ParticipantRecipe:
    agent = AssistantAgent("writer", ReplayChatCompletionClient(["first", "second", "third"]))
    return ParticipantRecipe.of(agent)


def _turn(text: str, first: int = 0, last: int = 0) -> RemoteTurn:
    message = TextMessage(content=text, source="user").dump()
    return RemoteTurn(messages=[message], first_savepoint=first, last_savepoint=last)


async def test_the_participant_host_runs_turns_and_undoes_them_from_the_savepoints_they_carry() -> None:
    recipe = _recipe()
    assert recipe.config is not None  # an AssistantAgent with a replayed model travels as its config
    runtime = SingleThreadedAgentRuntime()
    digest = recipe_digest(cloudpickle.dumps(recipe))
    await runtime.register_factory("writer", ParticipantFactory(recipes={digest: recipe}))
    writer = AgentId("writer", participant_key("team-1", digest))
    runtime.start()
    reply = await runtime.send_message(_turn("go", 1, 2), writer)
    assert isinstance(reply, RemoteTurnReply)
    assert reply.chat_message is not None and reply.chat_message["content"] == "first"
    before = (await runtime.send_message(RemoteControl(op="save_state"), writer)).state
    await runtime.send_message(_turn("again", 3, 3), writer)
    # Savepoint 3 was carried by the second turn: restoring it undoes that turn only.
    await runtime.send_message(RemoteControl(op="restore", savepoint=3), writer)
    assert (await runtime.send_message(RemoteControl(op="save_state"), writer)).state == before
    # A savepoint no turn carried (4) restores nothing; restoring one again (a restore repeated
    # after its reply was lost) changes nothing either.
    await runtime.send_message(RemoteControl(op="restore", savepoint=4), writer)
    await runtime.send_message(RemoteControl(op="restore", savepoint=3), writer)
    assert (await runtime.send_message(RemoteControl(op="save_state"), writer)).state == before
    # Restoring savepoint 1 undoes the first turn; 3's is gone with it.
    await runtime.send_message(RemoteControl(op="restore", savepoint=1), writer)
    empty = (await runtime.send_message(RemoteControl(op="save_state"), writer)).state
    assert empty is not None and empty != before
    await runtime.send_message(RemoteControl(op="restore", savepoint=3), writer)
    assert (await runtime.send_message(RemoteControl(op="save_state"), writer)).state == empty
    with pytest.raises(LookupError, match="no team participant is registered as writer/team-2"):
        await runtime.send_message(_turn("go"), AgentId("writer", "team-2"))
    await runtime.stop()


def _keyed_writer() -> tuple[AgentId, ParticipantFactory]:
    """Team 1's writer: its key names the recipe by digest, as the driver registers it."""
    recipe = _recipe()
    digest = recipe_digest(cloudpickle.dumps(recipe))
    return AgentId("writer", participant_key("team-1", digest)), ParticipantFactory(recipes={digest: recipe})


async def _kept(runtime: SingleThreadedAgentRuntime, agent: AgentId, message: Any) -> dict[str, Any]:
    """Handle ``message``, then save the agent's state as a keep_state host does after each message."""
    await runtime.send_message(message, agent)
    return dict(await runtime.agent_save_state(agent))


async def test_a_recreated_actor_undoes_the_turn_its_lost_process_ran_from_the_saved_state() -> None:
    # The race of a lost participant actor: it ran a step's turn and saved the state (keep_state),
    # then died before its reply left. The driver undoes the step by restoring the turn's savepoint
    # in the recreated actor, which has no savepoints in memory: the saved state must carry the undo.
    writer, factory = _keyed_writer()
    lost = SingleThreadedAgentRuntime()
    await lost.register_factory("writer", factory)
    lost.start()
    first = await _kept(lost, writer, _turn("go", 1, 1))
    assert first[UNDO_KEY]["latest"] == 1
    committed = {k: v for k, v in first.items() if k != UNDO_KEY}  # the participant after turn 1
    saved = await _kept(lost, writer, _turn("again", 2, 3))  # this turn's reply is lost
    await lost.stop()

    recreated = SingleThreadedAgentRuntime()
    await recreated.register_factory("writer", _keyed_writer()[1])
    recreated.start()
    await recreated.agent_load_state(writer, saved)  # what the host does making the agent again
    await recreated.send_message(RemoteControl(op="restore", savepoint=3), writer)
    after = (await recreated.send_message(RemoteControl(op="save_state"), writer)).state
    assert after == committed
    # Restoring again (the driver repeats a restore whose reply was lost) changes nothing; an older
    # savepoint, carried by a turn whose undo the lost process did not save last, cannot be restored.
    await recreated.send_message(RemoteControl(op="restore", savepoint=2), writer)
    assert (await recreated.send_message(RemoteControl(op="save_state"), writer)).state == committed
    with pytest.raises(StateError, match="savepoint 1 of participant 'writer' is no longer kept"):
        await recreated.send_message(RemoteControl(op="restore", savepoint=1), writer)
    await recreated.stop()


async def test_a_malformed_undo_record_in_a_saved_state_is_refused_naming_the_key() -> None:
    runtime = SingleThreadedAgentRuntime()
    writer, factory = _keyed_writer()
    await runtime.register_factory("writer", factory)
    runtime.start()
    state = await _kept(runtime, writer, _turn("go", 1, 1))
    state[UNDO_KEY] = {"latest": -1}
    with pytest.raises(StateError, match=f"malformed '{UNDO_KEY}'"):
        await runtime.agent_load_state(writer, state)
    await runtime.stop()


async def test_a_remote_participant_is_made_by_its_factory_and_only_in_an_actor() -> None:
    writer = RemoteParticipant("writer", _make_writer)
    with pytest.raises(ConfigurationError, match="runtime=RayAgentRuntime"):
        await writer.run(task="go")
    recipe = ParticipantRecipe.of(writer)
    assert recipe.from_factory and recipe.build().name == "writer"
    misnamed = ParticipantRecipe.of(RemoteParticipant("critic", _make_writer))
    with pytest.raises(ConfigurationError, match="made an agent named 'writer'"):
        misnamed.build()


def _make_writer() -> AssistantAgent:
    return AssistantAgent("writer", ReplayChatCompletionClient(["hi"]))


def _writer_recipe(system_message: str) -> bytes:
    agent = AssistantAgent("writer", ReplayChatCompletionClient(["hi"]), system_message=system_message)
    return cloudpickle.dumps(ParticipantRecipe.of(agent, [TextMessage]))  # type: ignore[no-any-return]


def test_equal_participants_share_one_recipe_named_in_their_keys() -> None:
    # Two teams made alike give their participant the same recipe, so the runtime stores it once;
    # a participant configured otherwise gets its own.
    first, again, other = _writer_recipe("be brief"), _writer_recipe("be brief"), _writer_recipe("be long")
    assert recipe_digest(first) == recipe_digest(again) != recipe_digest(other)
    recipe = cloudpickle.loads(first)
    assert recipe.message_types == (TextMessage,) and recipe.config is not None
    key = participant_key("RoundRobinGroupChat-1a2b/writer@x", recipe_digest(first))
    assert digest_of_key(key) == recipe_digest(first) and digest_of_key("team-1") == ""
