"""Teams on a RayAgentRuntime on a real two-node cluster (run inside its namespace by tests/distributed).

Each team runs locally and with its participants hosted in actors pinned to the worker node; the
streamed items (type, source, text), the stop reason and the participants' saved states must match.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import ray
from cluster_agents import Place, Probe, Relay, Relayer, Where
from cluster_teams import NAMES, TEAMS, DiesAfterSaving, Turns, conversational, stalling
from ray.exceptions import RayError

from flowgen.base import TaskResult, Team
from flowgen.core import AgentId, CancellationToken
from flowgen.distributed import Placement, RayAgentRuntime
from flowgen.errors import MessageDroppedException
from flowgen.messages import BaseAgentEvent, BaseChatMessage, ModelClientStreamingChunkEvent
from flowgen.teams import RoundRobinGroupChat

_HANG_GUARD_S = 60.0  # a hang fails the test instead of stalling the suite; it is not a speed check

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def counted() -> Turns:
    return Turns()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def runtime(counted: Turns) -> AsyncIterator[RayAgentRuntime]:
    worker = Placement(resources={"worker_node": 0.01})
    runtime = RayAgentRuntime(
        "auto",
        name="teams_on_ray",
        placements={
            **dict.fromkeys(NAMES, worker),
            "probe": worker,
            "k": Placement(resources={"worker_node": 0.01}, keep_state=True),
        },
        intervention_handlers=[counted],
        record_deliveries=True,
    )
    runtime.start()
    await Probe.register(runtime, "probe", Probe)
    await Relayer.register(runtime, "relayer", Relayer)
    yield runtime
    await runtime.close()


Row = tuple[str, str, str]


async def _transcript(team: Team, token: CancellationToken | None = None) -> tuple[list[Row], str | None]:
    items: list[Row] = []
    result: TaskResult | None = None
    async with asyncio.timeout(_HANG_GUARD_S):
        async for item in team.run_stream(task="go", cancellation_token=token):
            if isinstance(item, TaskResult):
                result = item
            else:
                items.append((type(item).__name__, item.source, item.to_text()))
    assert result is not None
    return items, result.stop_reason


def _proxies(team: Team) -> dict[str, Any]:
    return dict(team._runner.participants)  # type: ignore[attr-defined]


@pytest.mark.parametrize("kind", list(TEAMS))
async def test_each_team_type_on_ray_matches_its_local_run(
    kind: str, runtime: RayAgentRuntime, counted: Turns, cluster: dict[str, str]
) -> None:
    local = TEAMS[kind](None)
    expected = await _transcript(local)
    team = TEAMS[kind](runtime)
    before = len(counted.turns)
    got = await _transcript(team)
    assert got == expected
    assert len(got[0]) > 2
    # Every turn went through the runtime to an actor on the worker node.
    chat = ("TextMessage", "HandoffMessage", "ToolCallSummaryMessage")
    speakers = [source for type_, source, _ in expected[0] if type_ in chat][1:]
    if kind == "nested_team":  # the inner team b is one participant: one turn for x and y together
        speakers = ["a", "b", "a"]
    if kind == "graph_flow":  # b and c run in one parallel step: their turns leave in either order
        assert sorted(counted.turns[before:]) == sorted(speakers)
    else:
        assert counted.turns[before:] == speakers
    for name, proxy in _proxies(team).items():
        assert await runtime.agent_node(proxy.agent_id) == cluster["worker"], name
        assert cluster["worker"] != cluster["driver"]
    # The participants' states (their model contexts) are the local run's.
    local_state = await local.save_state()
    assert _normal(await team.save_state()) == _normal(local_state)


_VOLATILE = frozenset({"id", "created_at", "full_message_id", "request_id"})


def _normal(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _normal(v) for k, v in value.items() if k not in _VOLATILE}
    if isinstance(value, list | tuple):
        return [_normal(v) for v in value]
    return value


async def test_inner_events_stream_back_while_the_turn_runs(runtime: RayAgentRuntime) -> None:
    # b streams its reply word by word; the chunks arrive as events of its turn, before its message.
    team = TEAMS["round_robin"](runtime)
    items, _ = await _transcript(team)
    chunks = [i for i, row in enumerate(items) if row[0] == "ModelClientStreamingChunkEvent"]
    b_message = next(i for i, row in enumerate(items) if row[:2] == ("TextMessage", "b"))
    assert chunks and chunks[0] < b_message
    # The turns, their streamed events and the controls went over the actors' direct links.
    for name, proxy in _proxies(team).items():
        actor = ray.get_actor(f"flowgen.teams_on_ray.{proxy.agent_id.type}.0")
        seen = await actor.link_counts.remote()
        assert seen["link_envelopes"] > 0 and seen["ray_envelopes"] == 0, (name, seen)


async def _interrupted(team: Team, way: str) -> list[BaseAgentEvent | BaseChatMessage]:
    """Run until the remote turn is mid-way (its model streamed a chunk and hangs), then stop."""
    shown: list[BaseAgentEvent | BaseChatMessage] = []
    token = CancellationToken()

    async def consume() -> None:
        async for item in team.run_stream(task="go", cancellation_token=token):
            assert not isinstance(item, TaskResult), "the remote turn should have stalled"
            shown.append(item)
            if isinstance(item, ModelClientStreamingChunkEvent):
                if way == "token":
                    token.cancel()
                elif way == "task":
                    asyncio.current_task().cancel()  # type: ignore[union-attr]
                else:
                    break  # the stream is dropped: the engine closes it, and the turn with it

    if way == "task":
        async with asyncio.TaskGroup() as group:
            group.create_task(consume())
    elif way == "token":
        with pytest.raises(asyncio.CancelledError):
            await consume()
    else:
        await consume()
    return shown


@pytest.mark.parametrize("way", ["token", "task", "break"])
async def test_a_cancelled_remote_step_then_continued_equals_an_uninterrupted_run(
    way: str, runtime: RayAgentRuntime, cluster: dict[str, str]
) -> None:
    reference = stalling(None)
    expected = await reference.run(task="go")
    team = stalling(runtime)
    async with asyncio.timeout(_HANG_GUARD_S):
        shown = await _interrupted(team, way)
        if way == "break":  # continued by a fresh team from the saved state, as well
            state = await team.save_state()
            team = stalling(runtime, stall=False)
            await team.load_state(state)
        result = await team.run()
    assert any(isinstance(m, ModelClientStreamingChunkEvent) for m in shown)
    kept = [m for m in shown if not isinstance(m, ModelClientStreamingChunkEvent)]
    continued = [(type(m).__name__, m.source, m.to_text()) for m in [*kept, *result.messages]]
    assert continued == [(type(m).__name__, m.source, m.to_text()) for m in expected.messages]
    assert result.stop_reason == expected.stop_reason
    # The cancelled turn left the remote agent as before it: its context is the uninterrupted one's.
    assert _normal(await team.save_state()) == _normal(await reference.save_state())
    first = next(iter(_proxies(team).values()))
    assert await runtime.agent_node(first.agent_id) == cluster["worker"]


async def test_interventions_drop_turns_and_the_delivery_log_records_them(
    runtime: RayAgentRuntime, counted: Turns
) -> None:
    log = runtime.deliveries
    assert log is not None
    rows_before = len(log)
    responses_before = counted.responses
    team = TEAMS["conversation"](runtime)
    await team.run(task="go")
    rows = list(log)[rows_before:]
    turns = [r for r in rows if r.kind == "send" and r.message_type == "RemoteTurn"]
    assert [r.recipient.type for r in turns if r.recipient is not None] == ["a", "b", "a", "b"]
    assert all(r.error is None and r.duration > 0 for r in turns)
    assert counted.responses - responses_before == 4
    # A dropped turn fails the step with the runtime's MessageDroppedException, recorded as dropped.
    counted.refuse = "b"
    try:
        with pytest.raises(MessageDroppedException, match="dropped the send to b/"):
            await TEAMS["conversation"](runtime).run(task="go")
    finally:
        counted.refuse = None
    dropped = [r for r in list(log)[rows_before:] if r.kind == "dropped"]
    assert [(r.recipient.type if r.recipient else None, r.message_type) for r in dropped] == [
        ("b", "RemoteTurn")
    ]
    # The failed step was undone in the actors too: the next run of that team starts cleanly.
    assert not [r for r in list(log)[rows_before:] if r.message_type == "RemoteControl" and r.error]


async def test_interventions_run_in_the_actors_on_what_their_agents_send(
    runtime: RayAgentRuntime, counted: Turns
) -> None:
    # The driver's handler passes the Relay on; the relayer's own send of Where("relayed") to the
    # probe on the worker node passes the handler's copy in the relayer's actor, which rewrites it.
    place = await runtime.send_message(Relay("probe", "i1", ""), AgentId("relayer", "i1"))
    assert isinstance(place, Place)
    assert place.tag == "relayed, rewritten in the sender's process"
    direct = await runtime.send_message(Where("direct"), AgentId("probe", "i1"))
    assert direct.tag == "direct, rewritten in the sender's process"


async def test_the_delivery_log_gathers_what_agents_in_actors_sent(runtime: RayAgentRuntime) -> None:
    from flowgen.engine.core_trace import core_graph

    await runtime.send_message(Relay("probe", "i2", ""), AgentId("relayer", "i2"))
    log = await runtime.collect_deliveries()
    rows = [(d.kind, str(d.sender), str(d.recipient), d.message_type, d.error) for d in log]
    relay = rows.index(("send", "None", "relayer/i2", "Relay", None))  # sent by the driver
    where = rows.index(("send", "relayer/i2", "probe/i2", "Where", None))  # sent in the relayer's actor
    assert where < relay  # in the order they finished: the relayed ask ended first
    assert (await runtime.collect_deliveries()) is log and len(log) == len(rows)  # rows are taken once
    edges = {(e.source, e.target) for e in core_graph(runtime).edges}  # type: ignore[arg-type]
    assert {("outside", "relayer"), ("relayer", "probe")} <= edges


async def test_reset_pause_resume_and_state_reach_the_actors(runtime: RayAgentRuntime) -> None:
    team = TEAMS["conversation"](runtime)
    first = await _transcript(team)
    await team.pause()
    await team.resume()
    state = await team.save_state()
    await team.reset()  # the participants in the actors forget the conversation
    assert await _transcript(team) == first
    local = TEAMS["conversation"](None)
    await local.load_state(state)  # a state saved on Ray loads into a local team, and back
    assert _normal(await local.save_state()) == _normal(state)
    again = TEAMS["conversation"](runtime)
    await again.load_state(await local.save_state())
    assert _normal(await again.save_state()) == _normal(state)


async def test_a_participant_whose_actor_was_lost_continues_from_its_saved_state(
    runtime: RayAgentRuntime,
) -> None:
    # Placement(keep_state=True): the actor saves each participant's state after every turn, and a
    # recreated actor's participants start from it, so the team continues as if nothing happened.
    def pair(on: RayAgentRuntime | None) -> Team:
        return RoundRobinGroupChat([conversational("k"), conversational("b")], max_turns=2, runtime=on)

    reference = pair(None)
    await reference.run(task="go")
    expected = await reference.run()
    team = pair(runtime)
    await team.run(task="go")
    k = _proxies(team)["k"].agent_id
    handle, _ = runtime._host_for(k)
    before = await handle.__ray_call__.remote(_pid)
    ray.kill(handle, no_restart=False)  # the actor's process ends; Ray starts it again
    async with asyncio.timeout(_HANG_GUARD_S):
        # ray.kill returns before the process has ended: until a new process answers, the old one
        # may still serve calls (the race of a turn run by a dying actor has a test of its own below).
        while True:
            try:
                if await handle.__ray_call__.remote(_pid) != before:
                    break
            except RayError:
                continue  # the call raced the restart; a later one reaches the new actor
        await runtime.agent_node(k)  # rebuilt in the new process, from its saved state
        result = await team.run()
    assert await handle.__ray_call__.remote(_pid) != before  # served by a new process
    rows = [(type(m).__name__, m.source, m.to_text()) for m in result.messages]
    assert rows == [(type(m).__name__, m.source, m.to_text()) for m in expected.messages]
    assert _normal(await team.save_state()) == _normal(await reference.save_state())


async def test_a_turn_run_by_an_actor_lost_before_its_reply_runs_once_more_in_the_recreated_actor(
    tmp_path: Path,
) -> None:
    # Forced race: k's actor runs the turn, saves k's state (keep_state), then its process dies
    # before the reply leaves. The driver waits for the recreated actor, which has no savepoints,
    # has it undo the turn from the saved state, and sends the turn again: k takes its input once.
    armed = tmp_path / "armed"
    store = partial(DiesAfterSaving, str(tmp_path / "states.db"), str(armed))
    worker = Placement(resources={"worker_node": 0.01})
    runtime = RayAgentRuntime(
        "auto",
        name="lost_reply",
        state_store=store,
        placements={"k": Placement(resources={"worker_node": 0.01}, keep_state=True), "b": worker},
    )
    runtime.start()
    try:

        def pair(on: RayAgentRuntime | None) -> Team:
            return RoundRobinGroupChat([conversational("k"), conversational("b")], max_turns=2, runtime=on)

        reference = pair(None)
        await reference.run(task="go")
        expected = await reference.run()
        team = pair(runtime)
        await team.run(task="go")
        handle, _ = runtime._host_for(_proxies(team)["k"].agent_id)
        before = await handle.__ray_call__.remote(_pid)
        armed.touch()  # k's next turn is saved, then its actor dies
        async with asyncio.timeout(_HANG_GUARD_S):
            result = await team.run()
        assert not armed.exists()  # the first turn ran and its state was saved
        assert await handle.__ray_call__.remote(_pid) != before  # served by a new process
        rows = [(type(m).__name__, m.source, m.to_text()) for m in result.messages]
        assert rows == [(type(m).__name__, m.source, m.to_text()) for m in expected.messages]
        assert _normal(await team.save_state()) == _normal(await reference.save_state())
    finally:
        await runtime.forget_saved_states()
        await runtime.close()


def _pid(actor: object) -> int:
    return os.getpid()
