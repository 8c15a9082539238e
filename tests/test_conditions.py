from __future__ import annotations

import json
from collections.abc import Callable, Sequence

import pytest

from flowgen import conditions
from flowgen.base import TerminatedException, TerminationCondition
from flowgen.conditions import (
    ExternalTermination,
    FunctionalTermination,
    FunctionCallTermination,
    HandoffTermination,
    MaxMessageTermination,
    SourceMatchTermination,
    StopMessageTermination,
    TextMentionTermination,
    TextMessageTermination,
    TimeoutTermination,
    TokenUsageTermination,
)
from flowgen.core import FunctionCall
from flowgen.messages import (
    BaseAgentEvent,
    BaseChatMessage,
    HandoffMessage,
    StopMessage,
    TextMessage,
    ToolCallExecutionEvent,
    ToolCallRequestEvent,
)
from flowgen.models import FunctionExecutionResult, RequestUsage


def say(content: str, source: str = "writer", usage: RequestUsage | None = None) -> TextMessage:
    return TextMessage(content=content, source=source, models_usage=usage)


def executed(name: str, source: str = "agent") -> ToolCallExecutionEvent:
    return ToolCallExecutionEvent(
        content=[FunctionExecutionResult(content="ok", name=name, call_id="1")], source=source
    )


class Clock:
    """A hand-moved clock, so timeouts are tested without waiting."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_exports_every_autogen_condition() -> None:
    assert set(conditions.__all__) == {
        "ExternalTermination",
        "FunctionCallTermination",
        "FunctionalTermination",
        "HandoffTermination",
        "MaxMessageTermination",
        "SourceMatchTermination",
        "StopMessageTermination",
        "TextMentionTermination",
        "TextMessageTermination",
        "TimeoutTermination",
        "TokenUsageTermination",
    }


# MaxMessageTermination


async def test_max_message_continues_below_the_limit() -> None:
    assert await MaxMessageTermination(3)([say("a"), say("b")]) is None


async def test_max_message_stops_at_the_limit_across_calls() -> None:
    stop = MaxMessageTermination(3)
    await stop([say("a"), say("b")])
    result = await stop([say("c")])
    assert result is not None
    assert result.content == "Maximum number of messages 3 reached, current message count: 3"
    assert result.source == "MaxMessageTermination"


async def test_max_message_ignores_agent_events_by_default() -> None:
    event = ToolCallRequestEvent(content=[FunctionCall(id="1", name="f", arguments="{}")], source="a")
    assert await MaxMessageTermination(2)([say("a"), event]) is None


async def test_max_message_counts_agent_events_when_asked() -> None:
    event = ToolCallRequestEvent(content=[FunctionCall(id="1", name="f", arguments="{}")], source="a")
    assert await MaxMessageTermination(2, include_agent_event=True)([say("a"), event]) is not None


async def test_max_message_is_terminated_once_reached() -> None:
    stop = MaxMessageTermination(1)
    await stop([say("a")])
    assert stop.terminated


async def test_max_message_reset_starts_counting_again() -> None:
    stop = MaxMessageTermination(2)
    await stop([say("a"), say("b")])
    await stop.reset()
    assert not stop.terminated and await stop([say("c")]) is None


async def test_max_message_state_resumes_the_count() -> None:
    stop = MaxMessageTermination(3)
    await stop([say("a"), say("b")])
    resumed = MaxMessageTermination(3)
    resumed.load_state(json.loads(json.dumps(stop.dump_state())))
    assert await resumed([say("c")]) is not None


# TextMentionTermination


async def test_text_mention_stops_on_the_text() -> None:
    result = await TextMentionTermination("TERMINATE")([say("ok"), say("now TERMINATE")])
    assert result is not None
    assert (result.content, result.source) == ("Text 'TERMINATE' mentioned", "TextMentionTermination")


async def test_text_mention_continues_without_the_text() -> None:
    assert await TextMentionTermination("TERMINATE")([say("terminate")]) is None


async def test_text_mention_ignores_other_sources() -> None:
    stop = TextMentionTermination("APPROVE", sources=["critic"])
    assert await stop([say("APPROVE", source="writer")]) is None


async def test_text_mention_stops_on_a_listed_source() -> None:
    stop = TextMentionTermination("APPROVE", sources=["critic"])
    assert await stop([say("APPROVE", source="critic")]) is not None


async def test_text_mention_looks_into_agent_events() -> None:
    assert await TextMentionTermination("submit")([executed("submit")]) is not None


async def test_text_mention_reset_clears_terminated() -> None:
    stop = TextMentionTermination("X")
    await stop([say("X")])
    await stop.reset()
    assert not stop.terminated


# TextMessageTermination


async def test_text_message_stops_on_any_text_message() -> None:
    result = await TextMessageTermination()([say("hi", source="a")])
    assert result is not None
    assert (result.content, result.source) == ("Text message received from 'a'", "TextMessageTermination")


async def test_text_message_ignores_other_message_types() -> None:
    assert await TextMessageTermination()([StopMessage(content="x", source="a")]) is None


async def test_text_message_only_from_the_given_source() -> None:
    stop = TextMessageTermination(source="b")
    assert await stop([say("hi", source="a")]) is None


# StopMessageTermination


async def test_stop_message_stops_on_a_stop_message() -> None:
    result = await StopMessageTermination()([say("a"), StopMessage(content="done", source="a")])
    assert result is not None
    assert (result.content, result.source) == ("Stop message received", "StopMessageTermination")


async def test_stop_message_continues_on_text() -> None:
    assert await StopMessageTermination()([say("stop")]) is None


# SourceMatchTermination


async def test_source_match_stops_when_a_source_speaks() -> None:
    result = await SourceMatchTermination(["critic"])([say("a", source="writer"), say("b", source="critic")])
    assert result is not None
    assert (result.content, result.source) == ("'critic' answered", "SourceMatchTermination")


async def test_source_match_continues_for_other_sources() -> None:
    assert await SourceMatchTermination(["critic"])([say("a", source="writer")]) is None


# HandoffTermination


async def test_handoff_stops_on_a_handoff_to_the_target() -> None:
    handoff = HandoffMessage(content="to you", source="agent", target="user")
    result = await HandoffTermination("user")([handoff])
    assert result is not None
    assert (result.content, result.source) == ("Handoff to user from agent detected.", "HandoffTermination")


async def test_handoff_ignores_other_targets() -> None:
    handoff = HandoffMessage(content="to b", source="agent", target="b")
    assert await HandoffTermination("user")([handoff]) is None


# FunctionCallTermination


async def test_function_call_stops_when_the_function_ran() -> None:
    result = await FunctionCallTermination("submit")([executed("submit")])
    assert result is not None
    assert (result.content, result.source) == ("Function 'submit' was executed.", "FunctionCallTermination")


async def test_function_call_ignores_other_functions() -> None:
    assert await FunctionCallTermination("submit")([executed("search")]) is None


async def test_function_call_ignores_a_mere_request() -> None:
    request = ToolCallRequestEvent(content=[FunctionCall(id="1", name="submit", arguments="{}")], source="a")
    assert await FunctionCallTermination("submit")([request]) is None


# TokenUsageTermination


def test_token_usage_needs_a_limit() -> None:
    with pytest.raises(ValueError, match="max_total_token"):
        TokenUsageTermination()


async def test_token_usage_stops_at_the_total_limit_across_calls() -> None:
    stop = TokenUsageTermination(max_total_token=10)
    assert await stop([say("a", usage=RequestUsage(4, 1))]) is None
    result = await stop([say("b", usage=RequestUsage(4, 1))])
    assert result is not None
    assert result.content == (
        "Token usage limit reached, total token count: 10, prompt token count: 8, completion token count: 2."
    )


async def test_token_usage_stops_at_the_prompt_limit() -> None:
    assert await TokenUsageTermination(max_prompt_token=5)([say("a", usage=RequestUsage(5, 0))]) is not None


async def test_token_usage_completion_limit_ignores_prompt_tokens() -> None:
    stop = TokenUsageTermination(max_completion_token=3)
    assert await stop([say("a", usage=RequestUsage(100, 2))]) is None


async def test_token_usage_ignores_messages_without_usage() -> None:
    assert await TokenUsageTermination(max_total_token=1)([say("a")]) is None


async def test_token_usage_state_resumes_the_counts() -> None:
    stop = TokenUsageTermination(max_total_token=10)
    await stop([say("a", usage=RequestUsage(6, 2))])
    resumed = TokenUsageTermination(max_total_token=10)
    resumed.load_state(stop.dump_state())
    assert await resumed([say("b", usage=RequestUsage(1, 1))]) is not None


# TimeoutTermination


async def test_timeout_clock_starts_at_the_first_call_not_at_construction() -> None:
    clock = Clock()
    stop = TimeoutTermination(5, clock=clock)
    clock.now = 100.0  # long after construction
    assert await stop([]) is None


async def test_timeout_stops_once_the_time_has_passed() -> None:
    clock = Clock()
    stop = TimeoutTermination(5, clock=clock)
    await stop([])
    clock.now = 5.0
    result = await stop([say("a")])
    assert result is not None
    assert (result.content, result.source) == ("Timeout of 5 seconds reached", "TimeoutTermination")


async def test_timeout_continues_before_the_time() -> None:
    clock = Clock()
    stop = TimeoutTermination(5, clock=clock)
    await stop([])
    clock.now = 4.9
    assert await stop([]) is None


async def test_timeout_restarts_the_clock_after_reset() -> None:
    clock = Clock()
    stop = TimeoutTermination(5, clock=clock)
    await stop([])
    clock.now = 6.0
    await stop([])
    await stop.reset()
    clock.now = 20.0
    await stop([])
    clock.now = 24.0
    assert await stop([]) is None


async def test_timeout_state_carries_the_time_already_used() -> None:
    clock = Clock()
    stop = TimeoutTermination(5, clock=clock)
    await stop([])
    clock.now = 3.0
    resumed = TimeoutTermination(5, clock=clock)
    resumed.load_state(stop.dump_state())
    clock.now = 50.0  # time between save and resume does not count
    assert await resumed([]) is None
    clock.now = 52.0
    assert await resumed([]) is not None


async def test_timeout_uses_the_real_clock_by_default() -> None:
    assert await TimeoutTermination(0)([]) is not None


# ExternalTermination


async def test_external_continues_until_set() -> None:
    assert await ExternalTermination()([say("a")]) is None


async def test_external_stops_at_the_next_check_after_set() -> None:
    stop = ExternalTermination()
    await stop([])
    stop.set()
    result = await stop([])
    assert result is not None
    assert (result.content, result.source) == ("External termination requested", "ExternalTermination")


async def test_external_set_does_not_terminate_before_a_check() -> None:
    stop = ExternalTermination()
    stop.set()
    assert not stop.terminated


async def test_external_reset_clears_the_request() -> None:
    stop = ExternalTermination()
    stop.set()
    await stop.reset()
    assert await stop([]) is None


async def test_external_pending_request_survives_state() -> None:
    stop = ExternalTermination()
    stop.set()
    resumed = ExternalTermination()
    resumed.load_state(stop.dump_state())
    assert await resumed([]) is not None


# FunctionalTermination


async def test_functional_with_a_sync_function() -> None:
    stop = FunctionalTermination(lambda messages: len(messages) > 1)
    result = await stop([say("a"), say("b")])
    assert result is not None
    assert (result.content, result.source) == (
        "Functional termination condition met",
        "FunctionalTermination",
    )


async def test_functional_with_an_async_function() -> None:
    async def judge(messages: Sequence[BaseAgentEvent | BaseChatMessage]) -> bool:
        return any(m.source == "judge" for m in messages)

    assert await FunctionalTermination(judge)([say("a", source="judge")]) is not None


async def test_functional_continues_when_false() -> None:
    assert await FunctionalTermination(lambda messages: False)([say("a")]) is None


# Shared behaviour of every condition


FACTORIES: list[Callable[[], TerminationCondition]] = [
    lambda: MaxMessageTermination(1),
    lambda: TextMentionTermination("x"),
    lambda: TextMessageTermination(),
    lambda: StopMessageTermination(),
    lambda: SourceMatchTermination(["w"]),
    lambda: HandoffTermination("user"),
    lambda: FunctionCallTermination("f"),
    lambda: TokenUsageTermination(max_total_token=1),
    lambda: TimeoutTermination(0),
    lambda: ExternalTermination(),
    lambda: FunctionalTermination(lambda messages: True),
]
FACTORY_IDS = [type(make()).__name__ for make in FACTORIES]


def fired_ready(make: Callable[[], TerminationCondition]) -> TerminationCondition:
    condition = make()
    if isinstance(condition, ExternalTermination):
        condition.set()
    return condition


def firing_messages() -> list[BaseAgentEvent | BaseChatMessage]:
    return [
        TextMessage(content="x", source="w", models_usage=RequestUsage(1, 0)),
        StopMessage(content="x", source="w"),
        HandoffMessage(content="x", source="w", target="user"),
        executed("f"),
    ]


@pytest.mark.parametrize("make", FACTORIES, ids=FACTORY_IDS)
async def test_calling_a_terminated_condition_raises(make: Callable[[], TerminationCondition]) -> None:
    condition = fired_ready(make)
    assert await condition(firing_messages()) is not None
    with pytest.raises(TerminatedException):
        await condition(firing_messages())


@pytest.mark.parametrize("make", FACTORIES, ids=FACTORY_IDS)
async def test_reset_makes_a_condition_usable_again(make: Callable[[], TerminationCondition]) -> None:
    condition = fired_ready(make)
    await condition(firing_messages())
    await condition.reset()
    assert not condition.terminated


@pytest.mark.parametrize("make", FACTORIES, ids=FACTORY_IDS)
async def test_terminated_state_survives_dump_and_load(make: Callable[[], TerminationCondition]) -> None:
    condition = fired_ready(make)
    await condition(firing_messages())
    fresh = make()
    fresh.load_state(json.loads(json.dumps(condition.dump_state())))
    assert fresh.terminated


# Combinators


async def test_or_stops_when_either_fires() -> None:
    stop = TextMentionTermination("DONE") | MaxMessageTermination(10)
    result = await stop([say("DONE")])
    assert result is not None and result.content == "Text 'DONE' mentioned"


async def test_or_continues_while_neither_fires() -> None:
    stop = TextMentionTermination("DONE") | MaxMessageTermination(10)
    assert await stop([say("a")]) is None


async def test_or_joins_the_stop_messages_of_both_when_both_fire() -> None:
    stop = TextMentionTermination("DONE") | MaxMessageTermination(1)
    result = await stop([say("DONE")])
    assert result is not None
    assert "Text 'DONE' mentioned" in result.content and "Maximum number of messages" in result.content


async def test_or_keeps_counting_in_every_branch() -> None:
    max_messages = MaxMessageTermination(3)
    stop = TextMentionTermination("DONE") | max_messages
    await stop([say("a"), say("b")])
    assert await stop([say("c")]) is not None


async def test_and_waits_for_both() -> None:
    stop = TextMentionTermination("DONE") & MaxMessageTermination(10)
    assert await stop([say("DONE")]) is None


async def test_and_accumulates_stop_messages_across_steps() -> None:
    stop = TextMentionTermination("DONE") & MaxMessageTermination(3)
    assert await stop([say("DONE")]) is None
    assert await stop([say("a")]) is None
    result = await stop([say("b")])
    assert result is not None
    assert "Text 'DONE' mentioned" in result.content and "Maximum number of messages 3" in result.content


async def test_and_stops_calling_a_condition_that_already_fired() -> None:
    stop = TextMentionTermination("DONE") & MaxMessageTermination(2)
    await stop([say("DONE")])
    assert await stop([say("DONE again")]) is not None  # no TerminatedException from the text condition


async def test_and_reset_forgets_accumulated_stops() -> None:
    stop = TextMentionTermination("DONE") & MaxMessageTermination(2)
    await stop([say("DONE")])
    await stop.reset()
    assert await stop([say("a"), say("b")]) is None


async def test_and_state_resumes_mid_way() -> None:
    stop = TextMentionTermination("DONE") & MaxMessageTermination(3)
    await stop([say("DONE")])
    resumed = TextMentionTermination("DONE") & MaxMessageTermination(3)
    resumed.load_state(json.loads(json.dumps(stop.dump_state())))
    result = await resumed([say("a"), say("b")])
    assert result is not None and "Text 'DONE' mentioned" in result.content


async def test_or_state_resumes_mid_way() -> None:
    stop = TextMentionTermination("DONE") | MaxMessageTermination(3)
    await stop([say("a"), say("b")])
    resumed = TextMentionTermination("DONE") | MaxMessageTermination(3)
    resumed.load_state(json.loads(json.dumps(stop.dump_state())))
    assert await resumed([say("c")]) is not None


async def test_or_reset_resets_every_branch() -> None:
    stop = TextMentionTermination("DONE") | MaxMessageTermination(1)
    await stop([say("DONE")])
    await stop.reset()
    assert not stop.terminated
