"""Behaviour kept by the engine's fast paths (shared model views, in-place handoffs, lazy imports)."""

from __future__ import annotations

import gc
import inspect
import os
import subprocess
import sys
import uuid
from collections.abc import Sequence
from typing import Any

import pytest

from flowgen.agents import AssistantAgent
from flowgen.base import Handoff
from flowgen.conditions import MaxMessageTermination
from flowgen.core import CancellationToken
from flowgen.messages import TextMessage
from flowgen.models import (
    CreateResult,
    FunctionChatCompletionClient,
    LLMMessage,
    ReplayChatCompletionClient,
    UserMessage,
)
from flowgen.models.function import CallInfo
from flowgen.teams import RoundRobinGroupChat


def test_a_text_messages_model_view_follows_reassigned_content() -> None:
    message = TextMessage(content="first", source="a")
    assert message.to_model_message() == UserMessage(content="first", source="a")
    message.content = "second"
    assert message.to_model_message() == UserMessage(content="second", source="a")


def test_the_cached_model_view_leaves_equality_and_dumps_alone() -> None:
    message = TextMessage(content="hi", source="a")
    copy = TextMessage.load(message.dump())
    message.to_model_message()
    assert message == copy
    assert message.dump() == copy.dump()


async def test_changing_the_messages_a_model_received_leaves_the_agents_context_alone() -> None:
    received: list[Sequence[LLMMessage]] = []

    def reply(messages: Sequence[LLMMessage], info: CallInfo) -> str:
        received.append(messages)
        assert isinstance(messages, list)
        messages.clear()  # a client that consumes its input
        return "ok"

    agent = AssistantAgent("a", FunctionChatCompletionClient(reply))
    await agent.on_messages([TextMessage(content="one", source="user")], CancellationToken())
    await agent.on_messages([TextMessage(content="two", source="user")], CancellationToken())
    history = await agent.model_context.get_messages()
    assert [m.content for m in history] == ["one", "ok", "two", "ok"]


async def test_a_handoff_tool_returns_the_handoff_message() -> None:
    tool = Handoff(target="billing", message="over to billing").handoff_tool
    assert await tool.run_json({}, CancellationToken()) == "over to billing"


def test_a_round_robin_team_loads_without_networkx() -> None:
    code = (
        "import sys, flowgen.agents, flowgen.conditions\n"
        "from flowgen.teams import RoundRobinGroupChat, SelectorGroupChat, Swarm\n"
        "print('networkx' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_message_ids_are_distinct_version_4_uuids() -> None:
    ids = {TextMessage(content="x", source="a").id for _ in range(100)}
    assert len(ids) == 100
    assert all(uuid.UUID(i).version == 4 and str(uuid.UUID(i)) == i for i in ids)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_draws_other_message_ids_than_its_parent() -> None:
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report its next ids and leave at once
        os.close(read_end)
        os.write(write_end, " ".join(TextMessage(content="x", source="a").id for _ in range(3)).encode())
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        child = pipe.read().decode().split()
    os.waitpid(pid, 0)
    parent = [TextMessage(content="x", source="a").id for _ in range(3)]
    assert len(child) == 3
    assert not set(child) & set(parent)


def test_an_assistant_team_imports_and_builds_only_what_it_uses() -> None:
    code = (
        "import sys\n"
        "from flowgen.agents import AssistantAgent\n"
        "from flowgen.messages import HandoffMessage, ToolCallRequestEvent\n"
        "from flowgen.models import ReplayChatCompletionClient\n"
        "from flowgen.teams import RoundRobinGroupChat\n"
        "plain = AssistantAgent('a', model_client=ReplayChatCompletionClient(['hi']))\n"
        "print(sorted(m for m in ('flowgen.agents.user_proxy_agent', 'flowgen.agents.society_of_mind',\n"
        "    'flowgen.agents.message_filter', 'flowgen.teams.graph_flow', 'flowgen.teams.swarm') if m in sys.modules))\n"
        "print(HandoffMessage.__pydantic_complete__, ToolCallRequestEvent.__pydantic_complete__)\n"
        "info = {'vision': False, 'function_calling': True, 'json_output': False, 'family': 'unknown',\n"
        "    'structured_output': False}\n"
        "AssistantAgent('b', model_client=ReplayChatCompletionClient(['hi'], model_info=info), handoffs=['a'])\n"
        "print(HandoffMessage.__pydantic_complete__, ToolCallRequestEvent.__pydantic_complete__)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[:3] == ["[]", "False False", "True True"]


async def test_a_waiting_turn_keeps_no_per_step_lists_or_bound_methods_alive() -> None:
    # What lives through a model call is scanned by the young collections of every other conversation's
    # turn; with a thousand conversations waiting at once that is most of a turn's cost.
    seen: list[str] = []

    class Watching(ReplayChatCompletionClient):
        calls = 0

        async def create(self, messages: Sequence[LLMMessage], **kwargs: Any) -> CreateResult:
            Watching.calls += 1
            if Watching.calls == 2:
                gc.collect()
                gc.freeze()  # everything alive now is older than the next turn
            elif Watching.calls == 3:
                gc.collect()
                try:
                    seen.extend(_kind(o) for o in gc.get_objects())
                finally:
                    gc.unfreeze()
            return await super().create(messages, **kwargs)

    agents = [AssistantAgent(f"a{i}", model_client=Watching(["ok"] * 5)) for i in range(2)]
    await RoundRobinGroupChat(agents, termination_condition=MaxMessageTermination(5)).run(task="go")
    assert seen, "the third model call was not reached"
    assert "list:empty" not in seen
    assert not [kind for kind in seen if kind.startswith("method:")], seen


def _kind(obj: object) -> str:
    if isinstance(obj, list) and not obj:
        return "list:empty"
    if inspect.ismethod(obj):
        return f"method:{obj.__func__.__qualname__}"
    return type(obj).__name__


async def test_the_messages_a_conversation_keeps_share_one_fields_set_per_kind() -> None:
    # Each set is one more object the collector counts and scans, three per turn: under load the count
    # decides how often it runs (docs/bench/concurrency.md).
    agents = [AssistantAgent(f"a{i}", model_client=ReplayChatCompletionClient(["ok"] * 40)) for i in range(2)]
    await RoundRobinGroupChat(agents, termination_condition=MaxMessageTermination(7)).run(task="go")
    context = await agents[0].model_context.get_messages()
    kinds: dict[str, set[int]] = {}
    for message in context:
        kinds.setdefault(type(message).__name__, set()).add(id(message.__pydantic_fields_set__))
    assert kinds.keys() >= {"UserMessage", "AssistantMessage"}
    assert all(len(ids) == 1 for ids in kinds.values()), kinds


def test_assigning_to_a_message_that_shares_its_fields_set_changes_only_its_own() -> None:
    from flowgen.models import RequestUsage
    from flowgen.shared_fields_set import share_fields_set

    first, second = (share_fields_set(TextMessage(content=t, source="a")) for t in ("one", "two"))
    assert first.__pydantic_fields_set__ is second.__pydantic_fields_set__
    first.models_usage = RequestUsage(prompt_tokens=1, completion_tokens=2)
    assert first.model_fields_set == {"content", "source", "models_usage"}
    assert second.model_fields_set == {"content", "source"}
    assert second.model_dump(exclude_unset=True) == {"content": "two", "source": "a"}
    copied = second.model_copy(update={"metadata": {"k": "v"}})
    assert copied.model_fields_set == {"content", "source", "metadata"}
    assert second.model_fields_set == {"content", "source"}
    other = share_fields_set(TextMessage(content="three", source="a", metadata={"k": "v"}))
    assert other.__pydantic_fields_set__ is not second.__pydantic_fields_set__  # another shape, another set
    assert other.model_fields_set == {"content", "source", "metadata"}


async def _objects_a_run_leaves(turns: int) -> int:
    agents = [AssistantAgent(f"a{i}", model_client=ReplayChatCompletionClient(["ok"] * 40)) for i in range(2)]
    team = RoundRobinGroupChat(agents, termination_condition=MaxMessageTermination(turns + 1))
    await team.run(task="warm up")
    await team.reset()
    gc.collect()
    gc.disable()
    try:
        before = gc.get_count()[0]  # objects the collector counts: made minus freed
        await team.run(task="go")
        return gc.get_count()[0] - before
    finally:
        gc.enable()


async def test_a_turn_leaves_at_most_ten_objects_for_the_collector_to_count() -> None:
    # The collector runs each time the objects made minus those freed pass a threshold; what a turn
    # leaves behind (the messages the conversation keeps) sets how often. Three messages, their
    # dictionaries, a chat message's metadata and the thread's growth: 10; it was 13 with a fields
    # set per message.
    short, long = await _objects_a_run_leaves(4), await _objects_a_run_leaves(24)
    assert (long - short) / 20 <= 10, f"a turn leaves {(long - short) / 20} objects behind"
