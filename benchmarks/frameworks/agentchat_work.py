"""The workloads written once against the AgentChat API, shared by AutoGen and flowgen.

flowgen's public API is AutoGen AgentChat's, so both frameworks run literally the same code: each
binding module (``autogen_impl``, ``flowgen_impl``) hands in an :class:`Api` holding its own classes.
"""

from __future__ import annotations

import asyncio
import importlib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from benchmarks.frameworks import REPLY, TASK, Outcome, Unavailable, Workload, next_by_selector, speaker_names

DONE = "DONE"
MODEL_INFO: dict[str, Any] = {
    "vision": False,
    "function_calling": True,
    "json_output": False,
    "family": "unknown",
    "structured_output": False,
}


@dataclass(frozen=True)
class Api:
    """The classes one framework provides under the AgentChat names."""

    ChatCompletionClient: type[Any]
    CreateResult: type[Any]
    RequestUsage: type[Any]
    FunctionCall: type[Any]
    AssistantAgent: type[Any]
    MaxMessageTermination: type[Any]
    TextMessage: type[Any]
    HandoffMessage: type[Any]
    #: The module holding the team classes, imported when a workload first needs a team: a program
    #: imports the team it runs, and a framework whose package loads its teams lazily gains by it.
    teams_module: str

    def team(self, name: str) -> type[Any]:
        """The team class ``name`` (``Unavailable`` when this framework does not provide it)."""
        try:
            found = getattr(importlib.import_module(self.teams_module), name)
        except (ImportError, AttributeError) as exc:
            raise Unavailable(f"{name} is not available in this framework yet ({exc})") from exc
        return cast(type[Any], found)


def scripted_model_type(api: Api) -> type[Any]:
    """A zero-cost model with endless replies, subclassing the framework's own ChatCompletionClient.

    Each call builds a fresh CreateResult, as a real client would: a text reply, a handoff (a call to
    ``transfer_to_<target>``), or ``DONE`` once ``final_after`` calls have been made.
    """
    usage = api.RequestUsage(prompt_tokens=0, completion_tokens=0)

    class ScriptedModel(api.ChatCompletionClient):  # type: ignore[misc, name-defined]
        def __init__(
            self, *, handoff_to: str | None = None, final_after: int = 0, latency: float = 0.0
        ) -> None:
            self._handoff_to = handoff_to
            self._final_after = final_after
            self._latency = latency
            self._calls = 0

        async def create(self, messages: Sequence[Any], **kwargs: Any) -> Any:
            self._calls += 1
            if self._latency:
                await asyncio.sleep(self._latency)
            if self._handoff_to is not None:
                call = api.FunctionCall(
                    id=f"call_{self._calls}", name=f"transfer_to_{self._handoff_to}", arguments="{}"
                )
                return api.CreateResult(
                    finish_reason="function_calls", content=[call], usage=usage, cached=False
                )
            text = DONE if self._calls == self._final_after else REPLY
            return api.CreateResult(finish_reason="stop", content=text, usage=usage, cached=False)

        async def create_stream(self, messages: Sequence[Any], **kwargs: Any) -> Any:
            yield await self.create(messages, **kwargs)

        async def close(self) -> None:
            return None

        def actual_usage(self) -> Any:
            return usage

        def total_usage(self) -> Any:
            return usage

        def count_tokens(self, messages: Sequence[Any], **kwargs: Any) -> int:
            return 0

        def remaining_tokens(self, messages: Sequence[Any], **kwargs: Any) -> int:
            return 1_000_000

        @property
        def capabilities(self) -> Any:
            return MODEL_INFO

        @property
        def model_info(self) -> Any:
            return MODEL_INFO

    return ScriptedModel


def _runner(team: Any, kind: type[Any]) -> Workload:
    async def run() -> Outcome:
        result = await team.run(task=TASK)
        counts = Counter(m.source for m in result.messages if isinstance(m, kind) and m.source != "user")
        return Outcome(count=sum(counts.values()), by_source=dict(counts))

    return run


class Workloads:
    """The workloads of :mod:`benchmarks.frameworks`, built from one framework's :class:`Api`."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.model = scripted_model_type(api)

    def _agent(self, name: str, **model_args: Any) -> Any:
        handoff = model_args.get("handoff_to")
        return self.api.AssistantAgent(
            name, model_client=self.model(**model_args), handoffs=[handoff] if handoff else None
        )

    def _round_robin_team(self, agents: int, turns: int, latency: float = 0.0) -> Any:
        team_type = self.api.team("RoundRobinGroupChat")
        participants = [self._agent(n, latency=latency) for n in speaker_names(agents)]
        return team_type(participants, termination_condition=self.api.MaxMessageTermination(turns + 1))

    async def round_robin(self, agents: int, turns: int) -> Workload:
        return _runner(self._round_robin_team(agents, turns), self.api.TextMessage)

    async def selector(self, agents: int, turns: int) -> Workload:
        team_type = self.api.team("SelectorGroupChat")
        names = speaker_names(agents)

        def select(thread: Sequence[Any]) -> str:
            return next_by_selector(thread[-1].source, names)

        team = team_type(
            [self._agent(n) for n in names],
            model_client=self.model(),
            selector_func=select,
            termination_condition=self.api.MaxMessageTermination(turns + 1),
        )
        return _runner(team, self.api.TextMessage)

    async def swarm(self, agents: int, handoffs: int) -> Workload:
        team_type = self.api.team("Swarm")
        names = speaker_names(agents)
        participants = [self._agent(n, handoff_to=names[(i + 1) % agents]) for i, n in enumerate(names)]
        team = team_type(participants, termination_condition=self.api.MaxMessageTermination(handoffs + 1))
        return _runner(team, self.api.HandoffMessage)

    async def fan_out(self, branches: int, rounds: int) -> Workload:
        flow_type = self.api.team("GraphFlow")
        builder = self.api.team("DiGraphBuilder")()
        dispatcher, joiner, finisher = (
            self._agent("dispatcher"),
            self._agent("joiner", final_after=rounds),
            self._agent("finisher"),
        )
        arms = [self._agent(f"branch_{i}") for i in range(branches)]
        for agent in [dispatcher, *arms, joiner, finisher]:
            builder.add_node(agent)
        for arm in arms:
            builder.add_edge(dispatcher, arm)
            builder.add_edge(arm, joiner)
        builder.add_edge(joiner, dispatcher, condition=_not_done)
        builder.add_edge(joiner, finisher, condition=_done)
        builder.set_entry_point(dispatcher)
        # The graph ends by itself at the finisher; the cap only guards against a runaway loop.
        cap = self.api.MaxMessageTermination(rounds * (branches + 2) + 10)
        flow = flow_type(builder.get_participants(), graph=builder.build(), termination_condition=cap)
        return _runner(flow, self.api.TextMessage)

    async def conversation(self, turns: int, latency: float) -> Workload:
        return _runner(self._round_robin_team(2, turns, latency), self.api.TextMessage)

    async def idle_team(self) -> Any:
        team = self._round_robin_team(2, 2)
        await team.run(task=TASK)
        return team

    async def one_turn(self) -> Workload:
        return _runner(self._round_robin_team(1, 1), self.api.TextMessage)


def _text(message: Any) -> str:
    content = message.content
    return content if isinstance(content, str) else ""


def _done(message: Any) -> bool:
    return _text(message) == DONE


def _not_done(message: Any) -> bool:
    return _text(message) != DONE


def bind(workloads: Workloads) -> dict[str, Callable[..., Any]]:
    """The module-level functions a binding module re-exports."""
    return {
        "round_robin": workloads.round_robin,
        "selector": workloads.selector,
        "swarm": workloads.swarm,
        "fan_out": workloads.fan_out,
        "conversation": workloads.conversation,
        "idle_team": workloads.idle_team,
        "one_turn": workloads.one_turn,
    }
