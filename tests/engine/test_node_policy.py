"""Per-node retries and timeouts from the graph spec: traced, undone before a retry, resumable."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

import pytest

from flowgen.agents import AssistantAgent
from flowgen.checkpoint import SqliteCheckpointer
from flowgen.conditions import MaxMessageTermination
from flowgen.errors import ModelClientError, NodeTimeoutError
from flowgen.graph.node_policy import NodePolicy, RetryPolicy
from flowgen.graph.spec import AgentNode, GraphSpec
from flowgen.models import CallInfo, FunctionChatCompletionClient, LLMMessage
from flowgen.teams import RoundRobinGroupChat


def _flaky(failures: int) -> FunctionChatCompletionClient:
    calls = {"n": 0}

    def reply(messages: Sequence[LLMMessage], info: CallInfo) -> str:
        calls["n"] += 1
        if calls["n"] <= failures:
            raise ModelClientError("rate limited", retryable=True)
        return f"answer after {len(messages)} messages"

    return FunctionChatCompletionClient(reply)


def _team(flaky: FunctionChatCompletionClient, policy: NodePolicy, **kw: object) -> RoundRobinGroupChat:
    a = AssistantAgent("a", model_client=FunctionChatCompletionClient(lambda m, i: "hello"))
    b = AssistantAgent("b", model_client=flaky)
    return RoundRobinGroupChat([a, b], termination_condition=MaxMessageTermination(3), node_policies={"b": policy},
                               **kw)  # type: ignore[arg-type]  # fmt: skip


async def test_a_retried_node_is_traced_and_sees_none_of_its_failed_attempts() -> None:
    team = _team(_flaky(2), NodePolicy(retry=RetryPolicy(attempts=3, on=("ModelClientError",))))
    result = await team.run(task="go")
    # The third attempt saw what the first saw: the failed attempts left nothing in b's context.
    assert [m.to_text() for m in result.messages] == ["go", "hello", "answer after 3 messages"]
    assert result.trace is not None
    finished = [e for e in result.trace.node_finishes() if e.node == "b"]
    assert [e.error is not None for e in finished] == [True, True, False]
    assert "rate limited" in str(finished[0].error)


async def test_a_node_out_of_attempts_raises_its_error_and_other_errors_are_not_retried() -> None:
    with pytest.raises(ModelClientError):
        await _team(_flaky(5), NodePolicy(retry=RetryPolicy(attempts=2))).run(task="go")
    with pytest.raises(ModelClientError):
        await _team(_flaky(1), NodePolicy(retry=RetryPolicy(attempts=3, on=("ValueError",)))).run(task="go")


def _stuck() -> FunctionChatCompletionClient:
    async def reply(messages: Sequence[LLMMessage], info: CallInfo) -> str:
        await asyncio.Event().wait()  # never answers
        return "unreachable"

    return FunctionChatCompletionClient(reply)


async def test_a_node_past_its_timeout_stops_the_run_resumably(tmp_path: Path) -> None:
    store = SqliteCheckpointer(tmp_path / "runs.db")
    stuck = _team(_stuck(), NodePolicy(timeout=0.05), checkpointer=store)
    with pytest.raises(NodeTimeoutError, match=r"node 'b' ran longer than its timeout of 0\.05 s"):
        await stuck.run(task="go", thread_id="t")
    saved = [c async for c in stuck.history("t")]
    assert saved[0].ran == ["a"] and saved[0].frontier == ["b"]  # b's step was not saved
    healthy = _team(_flaky(0), NodePolicy(timeout=5), checkpointer=SqliteCheckpointer(tmp_path / "runs.db"))
    rest = await healthy.run(thread_id="t")
    assert [m.to_text() for m in rest.messages] == ["answer after 3 messages"]


async def test_a_timeout_can_be_retried() -> None:
    attempts = {"n": 0}

    async def slow_once(messages: Sequence[LLMMessage], info: CallInfo) -> str:
        attempts["n"] += 1
        if attempts["n"] == 1:
            await asyncio.Event().wait()
        return "made it"

    policy = NodePolicy(timeout=0.05, retry=RetryPolicy(attempts=2, on=("NodeTimeoutError",)))
    result = await _team(FunctionChatCompletionClient(slow_once), policy).run(task="go")
    assert result.messages[-1].to_text() == "made it" and attempts["n"] == 2


def test_policies_are_part_of_the_serializable_graph_spec() -> None:
    policy = NodePolicy(retry=RetryPolicy(attempts=4, backoff=0.25, on=("ModelClientError",)), timeout=30)
    team = _team(_flaky(0), policy)
    spec = GraphSpec.model_validate_json(team.graph.model_dump_json())
    node = next(n for n in spec.nodes if isinstance(n, AgentNode) and n.name == "b")
    assert node.policy == policy
    assert [policy.retry.delay(k) for k in (2, 3, 4)] == [0.25, 0.5, 1.0]  # type: ignore[union-attr]


def test_policies_must_name_agent_nodes() -> None:
    with pytest.raises(ValueError, match="node_policies names \\['c'\\]"):
        RoundRobinGroupChat(
            [AssistantAgent("a", model_client=_flaky(0))], max_turns=1, node_policies={"c": NodePolicy()}
        )
