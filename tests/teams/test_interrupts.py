"""Every team type, interrupted at every point every way, resumes as if it had never been interrupted."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from flowgen.agents import AssistantAgent, BaseChatAgent, SocietyOfMindAgent, UserProxyAgent
from flowgen.base import Response
from flowgen.conditions import MaxMessageTermination
from flowgen.core import CancellationToken, MemoryContent, MemoryMimeType
from flowgen.memory import ListMemory
from flowgen.messages import BaseChatMessage, TextMessage
from flowgen.model_context import BufferedChatCompletionContext, UnboundedChatCompletionContext
from flowgen.models import LLMMessage
from flowgen.models.function import CallInfo
from flowgen.teams import DiGraphBuilder, GraphFlow, RoundRobinGroupChat, SelectorGroupChat, Swarm
from flowgen.testing.interrupts import ModelLog, Scenario, check_interruptions
from flowgen.tools import FunctionTool


def lookup(n: int) -> str:
    """Look a number up."""
    return f"entry {n}"


class Tally(BaseChatAgent):
    """A user's own agent that counts its turns (its state) and answers with the count."""

    def __init__(self, name: str) -> None:
        super().__init__(name, "Counts.")
        self.count = 0

    @property
    def produced_message_types(self) -> Sequence[type[BaseChatMessage]]:
        return (TextMessage,)

    async def on_messages(
        self, messages: Sequence[BaseChatMessage], cancellation_token: CancellationToken
    ) -> Response:
        self.count += 1
        return Response(chat_message=TextMessage(content=f"tally {self.count}", source=self.name))

    async def on_reset(self, cancellation_token: CancellationToken) -> None:
        self.count = 0

    async def save_state(self) -> Mapping[str, Any]:
        return {"count": self.count}

    async def load_state(self, state: Mapping[str, Any]) -> None:
        self.count = int(state["count"])


def assistant(log: ModelLog, name: str, **kwargs: Any) -> AssistantAgent:
    return AssistantAgent(name, log.client(), system_message=f"You are {name}.", **kwargs)


class Notebook(UnboundedChatCompletionContext):
    """A user's own context class: its savepoint is its saved state."""


def round_robin(log: ModelLog) -> RoundRobinGroupChat:
    tools = [FunctionTool(lookup, description="Look a number up.")]
    memory = ListMemory(
        memory_contents=[MemoryContent(content="prefers short answers", mime_type=MemoryMimeType.TEXT)]
    )
    alice = assistant(log, "alice", tools=tools, memory=[memory])
    bob = assistant(log, "bob", model_client_stream=True, model_context=BufferedChatCompletionContext(4))
    return RoundRobinGroupChat([alice, Tally("tally"), bob], max_turns=5)


def selector(log: ModelLog) -> SelectorGroupChat:
    names = ["alice", "bob", "user"]

    def choose(messages: Sequence[LLMMessage], info: CallInfo) -> str:
        digest = hashlib.sha256("".join(m.model_dump_json() for m in messages).encode()).digest()
        return names[digest[0] % len(names)]

    members = [
        assistant(log, "alice", tools=[FunctionTool(lookup, description="Look a number up.")]),
        assistant(log, "bob"),
        UserProxyAgent("user", input_func=lambda prompt: "carry on"),
    ]
    return SelectorGroupChat(
        members, log.client(choose), termination_condition=MaxMessageTermination(7), emit_team_events=True
    )


def swarm(log: ModelLog) -> Swarm:
    members = [
        assistant(log, "alice", handoffs=["bob"], tools=[FunctionTool(lookup, description="Look it up.")]),
        assistant(log, "bob", handoffs=["alice"], model_context=Notebook()),
    ]
    return Swarm(members, max_turns=6)


def graph_flow(log: ModelLog) -> GraphFlow:
    a, b, c, d = (assistant(log, n) for n in ("a", "b", "c", "d"))
    builder = DiGraphBuilder()
    builder.add_node(a).add_node(b).add_node(c).add_node(d)
    builder.add_edge(a, b).add_edge(a, c).add_edge(b, d).add_edge(c, d)
    return GraphFlow([a, b, c, d], graph=builder.build())


def nested(log: ModelLog) -> RoundRobinGroupChat:
    inner = RoundRobinGroupChat([assistant(log, "carol"), Tally("dave")], name="inner", max_turns=2)
    return RoundRobinGroupChat([assistant(log, "alice"), inner], max_turns=4)


def society(log: ModelLog) -> RoundRobinGroupChat:
    inner = RoundRobinGroupChat([assistant(log, "carol"), assistant(log, "dave")], max_turns=2)
    mind = SocietyOfMindAgent("mind", inner, log.client())
    return RoundRobinGroupChat([assistant(log, "alice"), mind], max_turns=3)


SCENARIOS = [
    Scenario(
        "round robin: tool, memory, streaming, buffered context, custom agent",
        round_robin,
        "Count the files.",
    ),
    Scenario("selector with a tool and a user proxy", selector, "Plan the week."),
    Scenario("swarm: handoffs, a tool, a custom context class", swarm, "Book a table."),
    Scenario("graph flow a->(b,c)->d", graph_flow, "Write a report."),
    Scenario("round robin with a nested team", nested, "Draft a poem."),
    Scenario("round robin with a society of mind", society, "Review the plan."),
]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
async def test_every_interruption_resumes_as_the_uninterrupted_run(scenario: Scenario) -> None:
    cases = await check_interruptions(scenario)
    assert cases > 20
