"""LangGraph running the shared workloads: a StateGraph over ``MessagesState`` (the ``add_messages`` reducer).

Each agent is a node that passes the thread to a fake model and appends its one reply. The fake
model is a plain object with ``ainvoke`` (no LangChain callback machinery), the lightest setup
LangGraph allows, so its figures are a lower bound for a real LangGraph application. Conversations
share one compiled graph, as LangGraph applications do; termination is a routing decision on the
thread length, the counterpart of ``MaxMessageTermination``.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from functools import cache
from typing import Any

from langchain_core.messages import AIMessage, AnyMessage, HumanMessage, ToolMessage
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.types import Command

from benchmarks.frameworks import REPLY, TASK, Outcome, Workload, next_by_selector, speaker_names
from benchmarks.frameworks.agentchat_work import DONE

NAME = "langgraph"
Graph = Any  # a compiled StateGraph


class FakeModel:
    """A zero-cost model with endless replies: text, a handoff tool call, or DONE after ``final_after`` calls."""

    def __init__(
        self, name: str, *, handoff_to: str | None = None, final_after: int = 0, latency: float = 0.0
    ) -> None:
        self.name, self.handoff_to, self.final_after, self.latency = name, handoff_to, final_after, latency
        self.calls = 0

    async def ainvoke(self, messages: list[AnyMessage]) -> AIMessage:
        self.calls += 1
        if self.latency:
            await asyncio.sleep(self.latency)
        if self.handoff_to is not None:
            call = {"name": f"transfer_to_{self.handoff_to}", "args": {}, "id": f"call_{self.calls}"}
            return AIMessage(content="", name=self.name, tool_calls=[call])
        text = DONE if self.calls == self.final_after else REPLY
        return AIMessage(content=text, name=self.name)


def _node(model: FakeModel) -> Any:  # a LangGraph node (its overloads defeat a precise type)
    async def speak(state: MessagesState) -> dict[str, list[AnyMessage]]:
        return {"messages": [await model.ainvoke(state["messages"])]}

    return speak


def _runner(graph: Graph, steps: int, *, handoffs: bool = False) -> Workload:
    config = {"recursion_limit": steps + 10}

    async def run() -> Outcome:
        state = await graph.ainvoke({"messages": [HumanMessage(content=TASK, name="user")]}, config)
        counts = Counter(
            m.name or ""
            for m in state["messages"]
            if isinstance(m, AIMessage) and bool(m.tool_calls) == handoffs
        )
        return Outcome(count=sum(counts.values()), by_source=dict(counts))

    return run


def _cycle_graph(names: list[str], turns: int, pick: Callable[[str], str], latency: float = 0.0) -> Graph:
    """Agents that speak until the thread holds ``turns`` replies; ``pick`` names the next speaker."""

    def route(state: MessagesState) -> str:
        thread = state["messages"]
        return END if len(thread) > turns else pick(thread[-1].name or "user")

    builder = StateGraph(MessagesState)
    for name in names:
        builder.add_node(name, _node(FakeModel(name, latency=latency)))
        builder.add_conditional_edges(name, route, [*names, END])
    builder.add_conditional_edges(START, route, [*names, END])
    return builder.compile()


@cache
def _round_robin_graph(agents: int, turns: int, latency: float = 0.0) -> Graph:
    names = speaker_names(agents)

    def pick(last: str) -> str:
        return names[0] if last not in names else names[(names.index(last) + 1) % agents]

    return _cycle_graph(names, turns, pick, latency)


async def round_robin(agents: int, turns: int) -> Workload:
    return _runner(_round_robin_graph(agents, turns), turns)


async def selector(agents: int, turns: int) -> Workload:
    names = speaker_names(agents)
    graph = _cycle_graph(names, turns, lambda last: next_by_selector(last, names))
    return _runner(graph, turns)


async def swarm(agents: int, handoffs: int) -> Workload:
    names = speaker_names(agents)

    def handing_off(model: FakeModel) -> Any:
        async def speak(state: MessagesState) -> Command[str]:
            reply = await model.ainvoke(state["messages"])
            call = reply.tool_calls[0]
            target = call["name"].removeprefix("transfer_to_")
            # The handoff tool's result answers the call, as in every LangGraph swarm: a thread with an
            # unanswered tool call is rejected by real chat APIs on the next model call. AgentChat's
            # handoff records the same pair (the call, then its result) before the HandoffMessage.
            done = ToolMessage(
                content=f"Transferred to {target}, adopting the role of {target} immediately.",
                name=call["name"],
                tool_call_id=call["id"],
            )
            last = len(state["messages"]) >= 2 * handoffs - 1  # the task plus handoffs - 1 call/result pairs
            return Command(goto=END if last else target, update={"messages": [reply, done]})

        return speak

    builder = StateGraph(MessagesState)
    for i, name in enumerate(names):
        target = names[(i + 1) % agents]
        builder.add_node(name, handing_off(FakeModel(name, handoff_to=target)), destinations=(target, END))
    builder.add_edge(START, names[0])
    return _runner(builder.compile(), handoffs, handoffs=True)


async def fan_out(branches: int, rounds: int) -> Workload:
    arms = [f"branch_{i}" for i in range(branches)]
    builder = StateGraph(MessagesState)
    builder.add_node("dispatcher", _node(FakeModel("dispatcher")))
    builder.add_node("joiner", _node(FakeModel("joiner", final_after=rounds)))
    builder.add_node("finisher", _node(FakeModel("finisher")))
    for arm in arms:
        builder.add_node(arm, _node(FakeModel(arm)))
        builder.add_edge("dispatcher", arm)
    builder.add_edge(arms, "joiner")  # waits for every branch

    def after_join(state: MessagesState) -> str:
        return "finisher" if state["messages"][-1].content == DONE else "dispatcher"

    builder.add_conditional_edges("joiner", after_join, ["finisher", "dispatcher"])
    builder.add_edge(START, "dispatcher")
    builder.add_edge("finisher", END)
    return _runner(builder.compile(), rounds * 3 + 2)


async def conversation(turns: int, latency: float) -> Workload:
    return _runner(_round_robin_graph(2, turns, latency), turns)


async def idle_team() -> Any:
    # What a LangGraph application keeps per conversation: its final state (the graph is shared).
    return await _round_robin_graph(2, 2).ainvoke({"messages": [HumanMessage(content=TASK, name="user")]})


async def one_turn() -> Workload:
    return _runner(_round_robin_graph(1, 1), 1)


def version() -> str:
    """The installed langgraph version."""
    from importlib.metadata import version as dist_version  # only when asked: it costs start-up time

    return dist_version("langgraph")
