from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from hypothesis import Phase, settings

from flowgen.agents import AssistantAgent
from flowgen.base import Team
from flowgen.conditions import MaxMessageTermination, TextMentionTermination
from flowgen.messages import BaseAgentEvent, BaseChatMessage
from flowgen.teams import RoundRobinGroupChat, SelectorGroupChat
from flowgen.testing.checks import check_selector, check_state_roundtrip, check_terminates
from flowgen.testing.models import ScriptedModels

NAMES = ["planner", "writer", "rewriter"]
# Tests that expect a failure need not shrink it.
NO_SHRINK = settings(phases=[Phase.explicit, Phase.reuse, Phase.generate])
History = Sequence[BaseAgentEvent | BaseChatMessage]


def next_in_ring(history: History) -> str:
    spoken = [m.source for m in history if isinstance(m, BaseChatMessage) and m.source in NAMES]
    return NAMES[(NAMES.index(spoken[-1]) + 1) % len(NAMES)] if spoken else NAMES[0]


def test_a_correct_selector_passes() -> None:
    check_selector(next_in_ring, NAMES, allow_repeated_speaker=False, max_examples=30)


def test_an_async_selector_passes() -> None:
    async def select(history: History) -> str | None:
        return next_in_ring(history)

    check_selector(select, NAMES, max_examples=20)


async def test_the_check_runs_inside_an_event_loop() -> None:
    check_selector(next_in_ring, NAMES, max_examples=5)


def test_candidate_func_is_respected() -> None:
    def candidates(history: History) -> list[str]:
        return [n for n in NAMES if n != "planner"]

    def select(history: History) -> str:
        return "writer"

    check_selector(select, NAMES, candidate_func=candidates, max_examples=10)


def test_choosing_a_non_participant_fails() -> None:
    with pytest.raises(AssertionError, match="not a participant"):
        check_selector(lambda h: "stranger", NAMES, max_examples=10, hypothesis_settings=NO_SHRINK)


def test_choosing_outside_the_candidates_fails() -> None:
    with pytest.raises(AssertionError, match="outside the candidates"):
        check_selector(
            lambda h: "planner",
            NAMES,
            candidate_func=lambda h: ["writer"],
            max_examples=10,
            hypothesis_settings=NO_SHRINK,
        )


def test_repeating_the_last_speaker_fails_when_disallowed() -> None:
    def stubborn(history: History) -> str:
        spoken = [m.source for m in history if isinstance(m, BaseChatMessage) and m.source in NAMES]
        return spoken[-1] if spoken else "writer"

    with pytest.raises(AssertionError, match="again"):
        check_selector(
            stubborn, NAMES, allow_repeated_speaker=False, max_examples=50, hypothesis_settings=NO_SHRINK
        )


def test_a_random_selector_is_caught() -> None:
    with pytest.raises(AssertionError, match="deterministic"):
        check_selector(
            lambda h: random.SystemRandom().choice(NAMES),
            NAMES,
            max_examples=30,
            hypothesis_settings=NO_SHRINK,
        )


def test_mutating_the_history_is_caught() -> None:
    def pop(history: Any) -> str:
        if history:
            history.pop()
        return "writer"

    with pytest.raises(AssertionError, match="changed the history"):
        check_selector(pop, NAMES, max_examples=10, hypothesis_settings=NO_SHRINK)


def round_robin(models: ScriptedModels, max_turns: int | None = 6) -> RoundRobinGroupChat:
    agents = [AssistantAgent(name, models.client()) for name in NAMES]
    stop = TextMentionTermination("TERMINATE") | MaxMessageTermination(8)
    return RoundRobinGroupChat(agents, termination_condition=stop, max_turns=max_turns)


def test_a_bounded_team_terminates() -> None:
    check_terminates(round_robin, max_turns=6, max_examples=15)


def test_a_team_running_past_the_bound_is_caught() -> None:
    with pytest.raises(AssertionError, match="more than max_turns"):
        check_terminates(
            lambda m: round_robin(m, max_turns=8), max_turns=3, max_examples=15, hypothesis_settings=NO_SHRINK
        )


def test_round_robin_state_round_trips() -> None:
    check_state_roundtrip(round_robin, max_examples=15)


class AmnesiacTeam(RoundRobinGroupChat):
    """Breaks the contract: loading state does nothing."""

    async def load_state(self, state: Mapping[str, Any]) -> None:
        return None


def test_a_team_that_ignores_loaded_state_is_caught() -> None:
    def factory(models: ScriptedModels, max_turns: int) -> Team:
        agents = [AssistantAgent(name, models.client()) for name in NAMES]
        return AmnesiacTeam(agents, max_turns=max_turns)

    with pytest.raises(AssertionError, match="restored team said"):
        check_state_roundtrip(factory, max_examples=15, hypothesis_settings=NO_SHRINK)


def selector_team(models: ScriptedModels, max_turns: int | None = 6) -> Team:
    agents = [AssistantAgent(name, models.client()) for name in NAMES]
    return SelectorGroupChat(agents, models.client(), max_turns=max_turns)


def test_a_selector_team_terminates() -> None:
    check_terminates(selector_team, max_turns=6, max_examples=10)


def test_selector_state_round_trips() -> None:
    check_state_roundtrip(selector_team, max_examples=10)
