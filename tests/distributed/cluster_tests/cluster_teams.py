"""Teams the cluster tests run locally and on Ray (importable by the workers through PYTHONPATH).

Every builder takes the runtime (None: a local run) and makes fresh agents from scripts, so the local
and the Ray run of one builder start alike. The participants are named a, b, c, d whatever the team,
so every team's participants share three host actors (one per name) pinned to the worker node:
an actor takes a few seconds to start on a busy machine.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
from collections.abc import AsyncGenerator, Sequence
from functools import partial
from typing import Any

from cluster_agents import Where

from flowgen.agents import AssistantAgent
from flowgen.base import Team
from flowgen.conditions import MaxMessageTermination, TextMentionTermination
from flowgen.core import (
    AgentId,
    CancellationToken,
    DefaultInterventionHandler,
    DropMessage,
    FunctionCall,
    MessageContext,
)
from flowgen.distributed import RemoteParticipant
from flowgen.distributed.participant_wire import RemoteTeamTurn, RemoteTurn, RemoteTurnReply
from flowgen.models import CreateResult, LLMMessage, ModelInfo, ReplayChatCompletionClient, RequestUsage
from flowgen.models.client import JsonOutput, ToolChoice, Tools
from flowgen.models.function import FunctionChatCompletionClient
from flowgen.teams import DiGraphBuilder, GraphFlow, RoundRobinGroupChat, SelectorGroupChat, Swarm
from flowgen.testing.interrupts import conversation_reply

TOOLS = ModelInfo(
    vision=False, function_calling=True, json_output=False, family="unknown", structured_output=False
)
NAMES = ("a", "b", "c")


def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


def _handoff(target: str) -> CreateResult:
    call = FunctionCall(id=f"call_{target}", name=f"transfer_to_{target}", arguments=json.dumps({}))
    return CreateResult(finish_reason="function_calls", content=[call], usage=RequestUsage(1, 1))


def _tool_call() -> CreateResult:
    call = FunctionCall(id="c1", name="add", arguments=json.dumps({"a": 2, "b": 3}))
    return CreateResult(finish_reason="function_calls", content=[call], usage=RequestUsage(1, 1))


def round_robin(runtime: Any) -> Team:
    a = AssistantAgent("a", ReplayChatCompletionClient([_tool_call(), "a2"], model_info=TOOLS), tools=[add])
    b = AssistantAgent("b", ReplayChatCompletionClient(["b1", "b2"]), model_client_stream=True)
    return RoundRobinGroupChat([a, b], max_turns=4, runtime=runtime)


def _pick_speakers(order: list[str]) -> Any:
    speakers = iter(order)
    return lambda messages: next(speakers)


def selector(runtime: Any) -> Team:
    a = AssistantAgent("a", ReplayChatCompletionClient(["a1", "a2"]), description="first")
    b = AssistantAgent("b", ReplayChatCompletionClient(["b1 TERMINATE"]), description="second")
    return SelectorGroupChat(
        [a, b],
        model_client=ReplayChatCompletionClient(["a"]),
        selector_func=_pick_speakers(["a", "a", "b"]),
        allow_repeated_speaker=True,
        termination_condition=TextMentionTermination("TERMINATE"),
        emit_team_events=True,
        runtime=runtime,
    )


def swarm(runtime: Any) -> Team:
    a = AssistantAgent(
        "a", ReplayChatCompletionClient(["let me see", _handoff("b")], model_info=TOOLS), handoffs=["b"]
    )
    b = AssistantAgent("b", ReplayChatCompletionClient(["b here. TERMINATE"]))
    return Swarm(
        [a, b], termination_condition=TextMentionTermination("TERMINATE"), max_turns=5, runtime=runtime
    )


def graph_flow(runtime: Any) -> Team:
    agents = {name: AssistantAgent(name, ReplayChatCompletionClient([f"{name} says"])) for name in NAMES}
    builder = DiGraphBuilder()
    for agent in agents.values():
        builder.add_node(agent)
    a, b, c = agents.values()
    builder.add_edge(a, b).add_edge(a, c)  # b and c run in one parallel step
    return GraphFlow(
        participants=builder.get_participants(),
        graph=builder.build(),
        termination_condition=MaxMessageTermination(10),
        runtime=runtime,
    )


def conversational(name: str) -> AssistantAgent:
    """An agent whose replies are a function of its prompt (not a component: hosted as a pickled copy)."""
    return AssistantAgent(
        name, FunctionChatCompletionClient(conversation_reply), system_message=f"You are {name}."
    )


def conversation(runtime: Any) -> Team:
    return RoundRobinGroupChat([conversational("a"), conversational("b")], max_turns=4, runtime=runtime)


def made_by_a_factory(runtime: Any) -> Team:
    """On Ray, a is made by its factory in its actor and never in the driver."""
    a = RemoteParticipant("a", partial(conversational, "a")) if runtime is not None else conversational("a")
    return RoundRobinGroupChat([a, conversational("b")], max_turns=4, runtime=runtime)


def nested_team(runtime: Any) -> Team:
    """A nested team is one participant: the whole inner team runs in one actor (the one named b)."""
    inner = RoundRobinGroupChat(
        [
            AssistantAgent("x", ReplayChatCompletionClient(["x1"])),
            AssistantAgent("y", ReplayChatCompletionClient(["y1"]), model_client_stream=True),
        ],
        max_turns=2,
        name="b",
    )
    a = AssistantAgent("a", ReplayChatCompletionClient(["a1", "a2"]))
    return RoundRobinGroupChat([a, inner], max_turns=3, runtime=runtime)


TEAMS = {
    "round_robin": round_robin,
    "selector": selector,
    "swarm": swarm,
    "graph_flow": graph_flow,
    "conversation": conversation,
    "made_by_a_factory": made_by_a_factory,
    "nested_team": nested_team,
}


# ---------------------------------------------------------------- a turn cancelled mid-way


class StallOnce(FunctionChatCompletionClient):
    """Streams its replies word by word; given ``stall``, its first stream in a Ray actor stops
    mid-reply.

    It hangs after its first chunk until the call is cancelled, so the driver sees the chunk (live,
    from the actor) and cancels the run there. A local run, or any later stream of the same client, never stalls.
    """

    def __init__(self, stall: bool) -> None:
        super().__init__(conversation_reply)
        self.stall = stall

    async def create_stream(
        self,
        messages: Sequence[LLMMessage],
        *,
        tools: Tools = (),
        tool_choice: ToolChoice = "auto",
        json_output: JsonOutput = None,
        extra_create_args: Any = None,
        cancellation_token: CancellationToken | None = None,
    ) -> AsyncGenerator[str | CreateResult, None]:
        import ray

        in_actor = ray.is_initialized() and ray.get_runtime_context().get_actor_id() is not None
        stall, self.stall = self.stall and in_actor, self.stall and not in_actor
        stream = super().create_stream(
            messages, tools=tools, tool_choice=tool_choice, json_output=json_output
        )
        async for chunk in stream:
            yield chunk
            if stall:
                await asyncio.get_running_loop().create_future()  # until the turn is cancelled


def stalling(runtime: Any, stall: bool = True) -> Team:
    agents = [
        AssistantAgent(
            n, StallOnce(stall and n == "a"), system_message=f"You are {n}.", model_client_stream=True
        )
        for n in ("a", "b")
    ]
    return RoundRobinGroupChat(agents, max_turns=4, runtime=runtime)


class Turns(DefaultInterventionHandler):
    """Counts the turns sent; drops the turns of ``refuse``; marks every ``Where`` it passes on.

    The runtime's handlers also run, as copies, in the actors' processes on what their agents send:
    the mark says in which process a Where passed.
    """

    def __init__(self) -> None:
        self.turns: list[str] = []
        self.refuse: str | None = None
        self.responses = 0

    async def on_send(self, message: Any, *, message_context: MessageContext, recipient: AgentId) -> Any:
        if isinstance(message, RemoteTurn | RemoteTeamTurn):
            if recipient.type == self.refuse:
                return DropMessage
            self.turns.append(recipient.type)
        if isinstance(message, Where):
            return Where(f"{message.tag}, rewritten in the sender's process")
        return message

    async def on_response(self, message: Any, *, sender: AgentId, recipient: AgentId | None) -> Any:
        if isinstance(message, RemoteTurnReply):
            self.responses += 1
        return message


class DiesAfterSaving:
    """An agent state store (SQLite) whose actor process dies right after a save, once armed.

    The test arms it by creating the file ``armed``: the next save is written, the file removed, and
    the actor's process SIGKILLed before the reply of the message it saved for can leave. So a turn
    runs and its state is saved, but its reply is lost: the race of an actor lost mid-turn, forced.
    """

    def __init__(self, path: str, armed: str) -> None:
        from flowgen.distributed.agent_state_sqlite import SqliteAgentStateStore

        self._rows = SqliteAgentStateStore(path)
        self._armed = armed
        self.description = f"sqlite {path} (dies after a save once armed)"

    async def write(self, runtime: str, agent: str, row: str) -> None:
        await self._rows.write(runtime, agent, row)
        if os.path.exists(self._armed):
            os.remove(self._armed)
            os.kill(os.getpid(), signal.SIGKILL)

    async def read(self, runtime: str, agent: str) -> str | None:
        return await self._rows.read(runtime, agent)

    async def forget(self, runtime: str) -> None:
        await self._rows.forget(runtime)

    async def aclose(self) -> None:
        await self._rows.aclose()
