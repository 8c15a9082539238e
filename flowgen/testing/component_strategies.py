"""Hypothesis strategies for component configs: random teams that a config can fully describe.

:func:`component_teams` draws RoundRobinGroupChat, SelectorGroupChat, Swarm and GraphFlow teams of
AssistantAgents on replay models, with every kind of model context, termination expressions,
handoffs and function tools (the functions below, importable by reference). Each draw is a factory:
call it twice for two identical, fresh teams.

Example:
    >>> from hypothesis import given, settings
    >>> @settings(max_examples=3)
    ... @given(component_teams())
    ... def test(make):
    ...     team = make()
    ...     assert team.dump_component() == make().dump_component()
    >>> test()
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from flowgen.agents import AssistantAgent
from flowgen.base import Team
from flowgen.model_context import (
    BufferedChatCompletionContext,
    ChatCompletionContext,
    HeadAndTailChatCompletionContext,
    TokenLimitedChatCompletionContext,
    UnboundedChatCompletionContext,
)
from flowgen.models import ReplayChatCompletionClient
from flowgen.models.types import LLMMessage, ModelInfo
from flowgen.teams import DiGraphBuilder, GraphFlow, RoundRobinGroupChat, SelectorGroupChat, Swarm
from flowgen.testing.strategies import (
    identifiers,
    llm_messages,
    nasty_text,
    participant_names,
    reply_scripts,
    termination_expressions,
)
from flowgen.tools import FunctionTool

TOOL_MODEL = ModelInfo(
    vision=False, function_calling=True, json_output=True, family="unknown", structured_output=True
)


def word_count(text: str) -> int:
    """Count the words of a text."""
    return len(text.split())


def shout(text: str) -> str:
    """Upper-case a text."""
    return text.upper()


_TOOLS = {"word_count": (word_count, "Count words."), "shout": (shout, "Upper-case.")}


def _context(kind: str, initial: list[LLMMessage], size: int) -> ChatCompletionContext:
    if kind == "buffered":
        return BufferedChatCompletionContext(size, initial)
    if kind == "head_and_tail":
        return HeadAndTailChatCompletionContext(size, size, initial)
    if kind == "token_limited":
        return TokenLimitedChatCompletionContext(ReplayChatCompletionClient([]), 10_000, None, initial)
    return UnboundedChatCompletionContext(initial)


@st.composite
def _agent_factories(
    draw: st.DrawFn, name: str, others: list[str], swarm: bool
) -> Callable[[], AssistantAgent]:
    replies = draw(reply_scripts(min_size=6, max_size=6))
    kind = draw(st.sampled_from(["unbounded", "buffered", "head_and_tail", "token_limited"]))
    initial = draw(st.lists(llm_messages(), max_size=2))
    size = draw(st.integers(1, 5))
    tools = draw(st.lists(st.sampled_from(sorted(_TOOLS)), unique=True, max_size=2))
    handoffs = (
        draw(st.lists(st.sampled_from(others), unique_by=str.lower, max_size=2)) if others and swarm else []
    )
    system = draw(st.none() | nasty_text(huge=False))
    description = draw(nasty_text(huge=False).filter(bool))
    reflect = draw(st.booleans())
    iterations = draw(st.integers(1, 3))

    def make() -> AssistantAgent:
        info = TOOL_MODEL if tools or handoffs else None
        return AssistantAgent(
            name,
            ReplayChatCompletionClient(replies, model_info=info),
            tools=[FunctionTool(_TOOLS[t][0], _TOOLS[t][1]) for t in tools] or None,
            handoffs=handoffs or None,
            model_context=_context(kind, initial, size),
            description=description,
            system_message=system,
            reflect_on_tool_use=reflect,
            max_tool_iterations=iterations,
        )

    return make


@st.composite
def component_teams(draw: st.DrawFn) -> Callable[[], Team]:
    """A factory of identical fresh teams, each fully described by its component config."""
    kind = draw(st.sampled_from(["round_robin", "selector", "swarm", "graph_flow"]))
    names = draw(participant_names(min_size=2 if kind == "selector" else 1, max_size=3))
    agents = [draw(_agent_factories(n, [o for o in names if o != n], kind == "swarm")) for n in names]
    stop = draw(termination_expressions(names, max_leaves=3))
    max_turns = draw(st.integers(1, 4))
    team_name = draw(identifiers())
    choices = draw(st.lists(st.sampled_from(names), min_size=4, max_size=4))
    allow_repeated = draw(st.booleans())
    # For a GraphFlow: a DAG, each node after the first fed by up to two earlier ones.
    feeds = [
        draw(st.lists(st.sampled_from(names[:j]), unique=True, max_size=2)) if j else []
        for j in range(len(names))
    ]

    def make() -> Team:
        common: dict[str, Any] = {
            "termination_condition": stop.build(),
            "max_turns": max_turns,
            "name": team_name,
        }
        participants = [a() for a in agents]
        if kind == "selector":
            chooser = ReplayChatCompletionClient(choices)
            return SelectorGroupChat(participants, chooser, allow_repeated_speaker=allow_repeated, **common)
        if kind == "swarm":
            return Swarm(participants, **common)
        if kind == "graph_flow":
            builder = DiGraphBuilder()
            for agent in participants:
                builder.add_node(agent)
            for target, sources in zip(names, feeds, strict=True):
                for source in sources:
                    builder.add_edge(source, target)
            return GraphFlow(participants, builder.build(), **common)
        return RoundRobinGroupChat(participants, **common)

    return make


__all__ = ["component_teams", "shout", "word_count"]
