"""Durable runs through the team API: threads, resume, history, forks, edits, interrupts, leases."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path

import pytest

from flowgen.agents import AssistantAgent
from flowgen.checkpoint import MemoryCheckpointer, PostgresCheckpointer, SqliteCheckpointer
from flowgen.checkpoint.protocol import Checkpointer
from flowgen.conditions import HandoffTermination, MaxMessageTermination, TextMentionTermination
from flowgen.core import CancellationToken, FunctionCall
from flowgen.errors import (
    CheckpointCorruptError,
    ConfigurationError,
    GraphChangedError,
    ThreadBusyError,
)
from flowgen.messages import HandoffMessage, TextMessage
from flowgen.models import CallInfo, CreateResult, FunctionChatCompletionClient, LLMMessage, RequestUsage
from flowgen.teams import RoundRobinGroupChat, Swarm
from flowgen.testing import ScriptedModels

ROOT = Path(__file__).parents[2]


def _team(
    store: Checkpointer | None, names: tuple[str, ...] = ("a", "b", "c"), **kw: object
) -> RoundRobinGroupChat:
    models = ScriptedModels(["alpha", "beta", "gamma", "delta"])
    agents = [AssistantAgent(n, model_client=models.client()) for n in names]
    return RoundRobinGroupChat(
        agents, termination_condition=MaxMessageTermination(7), checkpointer=store, **kw
    )  # type: ignore[arg-type]


def _texts(messages: object) -> list[str]:
    return [f"{m.source}:{m.to_text()}" for m in messages]  # type: ignore[attr-defined]


async def _uninterrupted() -> list[str]:
    return _texts((await _team(None).run(task="go")).messages)


async def test_a_thread_resumes_in_a_new_team_and_store_exactly(tmp_path: Path) -> None:
    first = await _team(SqliteCheckpointer(tmp_path / "runs.db"), interrupt_after=["b"]).run(
        task="go", thread_id="t"
    )
    assert first.stop_reason == "Interrupted after node 'b'."
    # Another team object and another connection: what another process would have.
    rest = await _team(SqliteCheckpointer(tmp_path / "runs.db")).run(thread_id="t")
    assert _texts(first.messages) + _texts(rest.messages) == await _uninterrupted()


async def test_without_a_thread_id_nothing_is_written() -> None:
    store = MemoryCheckpointer()
    await _team(store).run(task="go")
    assert await store.threads() == []


async def test_a_thread_id_needs_a_checkpointer() -> None:
    with pytest.raises(ConfigurationError, match="checkpointer"):
        await _team(None).run(task="go", thread_id="t")


async def test_history_is_newest_first_with_each_steps_messages(tmp_path: Path) -> None:
    team = _team(SqliteCheckpointer(tmp_path / "runs.db"))
    result = await team.run(task="go", thread_id="t")
    history = [c async for c in team.history("t")]
    assert [c.step for c in history] == [6, 5, 4, 3, 2, 1, 0]
    assert [c.source for c in history][-1] == "input" and history[-1].ran == []
    assert [c.ran for c in history[:3]] == [["c"], ["b"], ["a"]]
    assert [c.parent_id for c in history[:-1]] == [c.checkpoint_id for c in history[1:]]
    assert [m["content"] for c in reversed(history) for m in c.messages] == [
        m.to_text() for m in result.messages
    ]
    assert history[0].frontier == ["a"] and history[0].stop_reason is not None
    assert len({c.fingerprint for c in history}) == 1
    assert [c.step async for c in team.history("t", limit=2)] == [6, 5]
    assert [c.step async for c in team.history("t", before=history[4].checkpoint_id)] == [1, 0]


async def test_running_from_an_older_checkpoint_forks_and_keeps_the_old_branch(tmp_path: Path) -> None:
    store = SqliteCheckpointer(tmp_path / "runs.db")
    team = _team(store)
    await team.run(task="go", thread_id="t")
    old = [c async for c in team.history("t")]
    fork_point = old[3]  # after step 3
    forked = await _team(store).run(thread_id="t", checkpoint_id=fork_point.checkpoint_id)
    assert [m.source for m in forked.messages] == ["a", "b", "c"]
    after = [c async for c in team.history("t")]
    assert len(after) == len(old) + 3
    assert after[2].parent_id == fork_point.checkpoint_id  # the fork's first step hangs off the fork point
    old_branch = await store.get("t", old[0].checkpoint_id)
    assert old_branch is not None and len(old_branch.messages) == 7


async def test_update_state_writes_an_edited_checkpoint_as_a_node(tmp_path: Path) -> None:
    store = SqliteCheckpointer(tmp_path / "runs.db")
    team = _team(store, interrupt_after=["a"])
    await team.run(task="go", thread_id="t")
    edited = await team.update_state("t", [TextMessage(content="edited by hand", source="b")], as_node="b")
    (head,) = [c async for c in team.history("t", limit=1)]
    assert head.checkpoint_id == edited and head.source == "update" and head.frontier == ["c"]
    rest = await _team(store).run(thread_id="t")
    assert rest.messages[0].source == "c"  # b's turn was taken by the edit
    snapshot = await store.get("t")
    assert snapshot is not None and "edited by hand" in [m["content"] for m in snapshot.messages]


async def test_interrupt_before_stops_and_resumes_with_a_human_message(tmp_path: Path) -> None:
    db = tmp_path / "runs.db"
    paused = await _team(SqliteCheckpointer(db), interrupt_before=["c"]).run(task="go", thread_id="t")
    assert paused.stop_reason == "Interrupted before node 'c'."
    assert [m.source for m in paused.messages] == ["user", "a", "b"]
    resumed = await _team(SqliteCheckpointer(db), interrupt_before=["c"]).run(thread_id="t", task="approved")
    # c ran first, after the approval; the termination (7 messages) came before c's next turn.
    assert [m.source for m in resumed.messages] == ["user", "c", "a", "b"]
    assert resumed.stop_reason is not None and resumed.stop_reason.startswith("Maximum number of messages 7")


async def test_interrupts_must_name_nodes() -> None:
    with pytest.raises(ConfigurationError, match="billing"):
        _team(MemoryCheckpointer(), interrupt_before=["billing"])
    team = _team(MemoryCheckpointer(), interrupt_after=["*"])
    assert (await team.run(task="go", thread_id="t")).stop_reason == "Interrupted after node 'a'."


async def test_a_thread_saved_by_another_graph_is_refused_naming_the_change(tmp_path: Path) -> None:
    await _team(SqliteCheckpointer(tmp_path / "runs.db")).run(task="go", thread_id="t-42")
    changed = _team(SqliteCheckpointer(tmp_path / "runs.db"), names=("a", "b", "d"))
    with pytest.raises(GraphChangedError) as caught:
        await changed.run(thread_id="t-42")
    assert "t-42" in str(caught.value) and "added ['d:agent']" in str(caught.value)
    assert "removed ['c:agent']" in str(caught.value)


async def test_a_corrupt_checkpoint_is_named_and_earlier_ones_still_run(tmp_path: Path) -> None:
    store = SqliteCheckpointer(tmp_path / "runs.db")
    team = _team(store)
    await team.run(task="go", thread_id="t")
    history = [c async for c in team.history("t")]
    store._conn().execute(
        "UPDATE checkpoints SET payload = 'garbage' WHERE checkpoint_id = ?", (history[0].checkpoint_id,)
    )
    with pytest.raises(CheckpointCorruptError) as caught:
        await _team(store).run(thread_id="t")
    assert "'t'" in str(caught.value) and history[0].checkpoint_id in str(caught.value)
    rerun = await _team(store).run(thread_id="t", checkpoint_id=history[1].checkpoint_id)
    assert [m.source for m in rerun.messages] == ["c"]


async def test_durability_modes_write_the_same_history(tmp_path: Path) -> None:
    shapes = []
    for mode in ("sync", "async", "exit"):
        store = SqliteCheckpointer(tmp_path / f"{mode}.db")
        team = _team(store, durability=mode)
        await team.run(task="go", thread_id="t")
        shapes.append([(c.step, c.ran, [m["content"] for m in c.messages]) async for c in team.history("t")])
    assert shapes[0] == shapes[1] == shapes[2]
    with pytest.raises(ConfigurationError, match="durability"):
        _team(MemoryCheckpointer(), durability="never")  # type: ignore[arg-type]


async def test_a_steps_write_does_not_grow_with_the_conversation(tmp_path: Path) -> None:
    store = SqliteCheckpointer(tmp_path / "runs.db")
    models = ScriptedModels(["same length reply"])
    agents = [AssistantAgent(n, model_client=models.client()) for n in ("a", "b", "c")]
    team = RoundRobinGroupChat(agents, max_turns=60, checkpointer=store)
    await team.run(task="go", thread_id="t")
    sizes = {
        step: len(payload)
        for step, payload in store._conn().execute(
            "SELECT step, payload FROM checkpoints WHERE thread_id = 't'"
        )
    }
    # Step 60 adds what step 6 added: one message and that agent's two new context entries.
    assert abs(sizes[60] - sizes[6]) < 120, (sizes[6], sizes[60])


def _hold_lease(db: Path) -> subprocess.Popen[str]:
    code = textwrap.dedent(f"""
        import asyncio, sys
        from flowgen.checkpoint import SqliteCheckpointer
        async def main():
            lease = await SqliteCheckpointer({str(db)!r}).acquire("t")
            print("held", flush=True)
            sys.stdin.readline()
        asyncio.run(main())
    """)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    holder = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    return holder


async def test_a_second_process_on_the_same_thread_gets_a_clear_error(tmp_path: Path) -> None:
    db = tmp_path / "runs.db"
    holder = _hold_lease(db)
    try:
        with pytest.raises(ThreadBusyError, match=rf"thread 't' is being run by process {holder.pid}"):
            await _team(SqliteCheckpointer(db)).run(task="go", thread_id="t")
    finally:
        holder.kill()
        holder.wait()
    # The holder died without releasing: its lease is taken over at once.
    result = await _team(SqliteCheckpointer(db)).run(task="go", thread_id="t")
    assert len(result.messages) == 7


async def test_a_thread_runs_on_postgres_and_another_run_is_refused(postgres_url: str) -> None:
    store = PostgresCheckpointer(postgres_url)
    try:
        lease = await store.acquire("pg-busy")
        with pytest.raises(ThreadBusyError, match="pg-busy"):
            await _team(store).run(task="go", thread_id="pg-busy")
        await lease.release()
        first = await _team(store, interrupt_after=["b"]).run(task="go", thread_id="pg-t")
        rest = await _team(PostgresCheckpointer(postgres_url)).run(thread_id="pg-t")
        assert _texts(first.messages) + _texts(rest.messages) == await _uninterrupted()
    finally:
        await store.aclose()


def _support(store: Checkpointer | None) -> Swarm:
    """A swarm whose model answers from the prompt alone, as a real one would: the same in any process."""

    def reply(messages: Sequence[LLMMessage], info: CallInfo) -> CreateResult | str:
        said = " ".join(str(m.content) for m in messages)
        if "Yes please" in said:
            return "Refunded. TERMINATE"
        if "transfer_to_user" in said:
            return "I will wait for you."
        call = FunctionCall(id=f"c{len(messages)}", name="transfer_to_user", arguments="{}")
        return CreateResult(
            finish_reason="function_calls", content=[call], usage=RequestUsage(0, 0), cached=False
        )

    billing = AssistantAgent("billing", model_client=FunctionChatCompletionClient(reply), handoffs=["user"])
    stop = HandoffTermination(target="user") | TextMentionTermination("TERMINATE")
    return Swarm([billing], termination_condition=stop, checkpointer=store)


async def test_a_handoff_to_the_user_resumes_from_the_store_in_a_new_team(tmp_path: Path) -> None:
    reference = _support(None)
    await reference.run(task="I was charged twice")
    answer = HandoffMessage(source="user", target="billing", content="Yes please")
    expected = await reference.run(task=answer)
    paused = await _support(SqliteCheckpointer(tmp_path / "runs.db")).run(
        task="I was charged twice", thread_id="s"
    )
    assert paused.stop_reason == "Handoff to user from billing detected."
    # A restarted process builds the team again and answers as the user.
    resumed = await _support(SqliteCheckpointer(tmp_path / "runs.db")).run(task=answer, thread_id="s")
    assert _texts(resumed.messages) == _texts(expected.messages)
    assert resumed.stop_reason == expected.stop_reason == "Text 'TERMINATE' mentioned"


async def test_an_interrupt_before_resumes_in_memory_without_a_store() -> None:
    team = _team(None, interrupt_before=["c"])
    paused = await team.run(task="go")
    assert paused.stop_reason == "Interrupted before node 'c'."
    said = _texts(paused.messages)
    for _ in range(5):  # c is reached twice in 7 messages: two pauses, then the end
        more = await team.run()
        said += _texts(more.messages)
        if more.stop_reason != "Interrupted before node 'c'.":
            break
    assert said == await _uninterrupted()


async def test_a_graph_runner_without_a_team_runs_a_durable_thread() -> None:
    from flowgen.engine import GraphRunner, RunOutcome
    from flowgen.graph import AgentNode, GraphSpec, NextEdge
    from flowgen.testing import ScriptedAgent

    spec = GraphSpec(nodes=(AgentNode(name="a"), AgentNode(name="b")), edges=(NextEdge(source="a", target="b"),
                     NextEdge(source="b", target="a")), entry=("a",))  # fmt: skip
    store = MemoryCheckpointer()

    def runner() -> GraphRunner:
        agents = {"a": ScriptedAgent("a", ["a1", "a2", "a3"]), "b": ScriptedAgent("b", ["b1", "b2", "b3"])}
        return GraphRunner(spec, agents, max_turns=2, checkpointer=store)

    task = [TextMessage(content="go", source="user")]
    first = [i async for i in runner().stream_thread(task, None, thread_id="g")]
    assert isinstance(first[-1], RunOutcome) and [m.to_text() for m in first[:-1]] == ["a1", "b1"]
    again = runner()  # a fresh runner (and agents) picks the thread up where it stopped
    rest = [i async for i in again.stream_thread(None, None, thread_id="g")]
    assert [m.to_text() for m in rest[:-1]] == ["a2", "b2"]
    assert [c.step async for c in store.history("g")] == [4, 3, 2, 1, 0]


async def test_a_user_proxy_is_asked_once_per_turn_across_a_restart(tmp_path: Path) -> None:
    from flowgen.agents import UserProxyAgent

    asked: list[str] = []

    def team(store: Checkpointer) -> RoundRobinGroupChat:
        def answer(prompt: str) -> str:
            asked.append(prompt)
            return f"user answer {len(asked)}"

        models = ScriptedModels(["proposal"])
        agents = [
            AssistantAgent("planner", model_client=models.client()),
            UserProxyAgent("user", input_func=answer),
        ]
        return RoundRobinGroupChat(agents, termination_condition=MaxMessageTermination(5), checkpointer=store,
                                   interrupt_after=["planner"])  # fmt: skip

    db = tmp_path / "runs.db"
    first = await team(SqliteCheckpointer(db)).run(task="plan", thread_id="u")
    assert first.stop_reason == "Interrupted after node 'planner'." and asked == []
    second = await team(SqliteCheckpointer(db)).run(thread_id="u")  # a new process: the user answers now
    said = [
        m.source for m in second.messages if isinstance(m, TextMessage)
    ]  # without the input-request events
    assert said == ["user", "planner"] and len(asked) == 1
    third = await team(SqliteCheckpointer(db)).run(thread_id="u")
    assert [m.source for m in third.messages if isinstance(m, TextMessage)] == ["user"] and len(asked) == 2
    snapshot = await SqliteCheckpointer(db).get("u")
    assert snapshot is not None
    assert [m["content"] for m in snapshot.messages if m["source"] == "user"] == [
        "plan",
        "user answer 1",
        "user answer 2",
    ]


async def test_an_interrupt_after_a_node_keeps_the_turn_count() -> None:
    # An interrupt is a pause: the resumed run counts on toward max_turns (a real stop resets it).
    models = ScriptedModels(["alpha", "beta", "gamma", "delta", "epsilon"])
    agents = [AssistantAgent(n, model_client=models.client()) for n in ("a", "b", "c")]
    team = RoundRobinGroupChat(agents, max_turns=4, interrupt_after=["b"])
    first = await team.run(task="go")
    assert first.stop_reason == "Interrupted after node 'b'."
    rest = await team.run()
    assert rest.stop_reason == "Maximum number of turns 4 reached."
    assert [m.source for m in rest.messages] == ["c", "a"]


async def test_a_cancelled_step_is_not_checkpointed_and_the_thread_resumes_exactly(tmp_path: Path) -> None:
    # The step is rolled back through its savepoint, so the store's newest checkpoint is the step
    # before it, and a new team resuming the thread gives the uninterrupted transcript.
    token = CancellationToken()
    script = ScriptedModels(["alpha", "beta", "gamma", "delta"])
    calls = 0

    async def reply(messages: Sequence[LLMMessage], info: CallInfo) -> str:
        nonlocal calls
        calls += 1
        if calls == 2:  # b's first model call: the run is cancelled in the middle of b's step
            token.cancel()
            await asyncio.Event().wait()  # never set: the cancellation lands here
        return script.reply_for(messages)

    agents = [AssistantAgent(n, model_client=FunctionChatCompletionClient(reply)) for n in ("a", "b", "c")]
    store = SqliteCheckpointer(tmp_path / "runs.db")
    team = RoundRobinGroupChat(agents, termination_condition=MaxMessageTermination(7), checkpointer=store)
    seen = []
    with pytest.raises(asyncio.CancelledError):
        async for item in team.run_stream(task="go", thread_id="t", cancellation_token=token):
            seen.append(item)
    assert [(c.source, c.ran) async for c in team.history("t")] == [("step", ["a"]), ("input", [])]
    assert (await team.save_state())["run_state"]["step"] == 1
    rest = await _team(SqliteCheckpointer(tmp_path / "runs.db")).run(thread_id="t")
    assert _texts(seen) + _texts(rest.messages) == await _uninterrupted()
