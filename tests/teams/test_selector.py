"""SelectorGroupChat: model choice, retries and fallback, selector_func / candidate_func, state, graph."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flowgen.conditions import TextMentionTermination
from flowgen.engine.trace import EdgeTaken
from flowgen.errors import ConfigurationError
from flowgen.graph import NextEdge, RouterNode, SelectEdge
from flowgen.messages import (
    BaseAgentEvent,
    BaseChatMessage,
    ModelClientStreamingChunkEvent,
    SelectorEvent,
    SelectSpeakerEvent,
)
from flowgen.models import ModelInfo, ReplayChatCompletionClient, SystemMessage, UserMessage
from flowgen.teams import SelectorGroupChat
from flowgen.teams.speaker_choice import decide, default_candidates, judge, mentioned, selector_prompt_text
from flowgen.testing import ScriptedAgent

History = Sequence[BaseAgentEvent | BaseChatMessage]


def _agents(*names: str, turns: int = 5) -> list[ScriptedAgent]:
    return [
        ScriptedAgent(n, [f"{n}{i}" for i in range(1, turns + 1)], description=f"the {n} role") for n in names
    ]


def _sources(messages: Sequence[object]) -> list[str]:
    return [m.source for m in messages]  # type: ignore[attr-defined]


def _prompt(client: ReplayChatCompletionClient, call: int = 0) -> str:
    first = client.create_calls[call]["messages"][0]
    assert isinstance(first.content, str)
    return first.content


def _selections(result: object) -> list[EdgeTaken]:
    trace = result.trace  # type: ignore[attr-defined]
    return [e for e in trace.events if isinstance(e, EdgeTaken) and e.source == "selector"]


# ----------------------------------------------------------------------------- model choice


async def test_the_model_picks_each_speaker() -> None:
    client = ReplayChatCompletionClient(["b", "a", "c"])
    team = SelectorGroupChat(_agents("a", "b", "c"), model_client=client, max_turns=3)
    result = await team.run(task="go")
    assert _sources(result.messages) == ["user", "b", "a", "c"]
    client.assert_complete()


async def test_prompt_lists_candidate_roles_names_and_history() -> None:
    client = ReplayChatCompletionClient(["b", "c"])
    team = SelectorGroupChat(_agents("a", "b", "c"), model_client=client, max_turns=2)
    await team.run(task="plan the trip")
    second = _prompt(client, 1)
    # b spoke last and may not repeat: the roles and names are those of a and c only.
    assert "a: the a role\nc: the c role" in second
    assert "b: the b role" not in second
    assert "['a', 'c']" in second
    assert "user: plan the trip" in second and "b: b1" in second


async def test_prompt_is_a_user_message_for_non_openai_models_and_system_for_openai() -> None:
    client = ReplayChatCompletionClient(["b"])
    await SelectorGroupChat(_agents("a", "b"), model_client=client, max_turns=1).run(task="go")
    assert isinstance(client.create_calls[0]["messages"][0], UserMessage)
    openai_info = ModelInfo(
        vision=False, function_calling=False, json_output=False, family="gpt-4o", structured_output=False
    )
    client = ReplayChatCompletionClient(["b"], model_info=openai_info)
    await SelectorGroupChat(_agents("a", "b"), model_client=client, max_turns=1).run(task="go")
    assert isinstance(client.create_calls[0]["messages"][0], SystemMessage)


async def test_custom_prompt_template_is_filled_in() -> None:
    client = ReplayChatCompletionClient(["a"])
    team = SelectorGroupChat(
        _agents("a", "b"),
        model_client=client,
        selector_prompt="Pick from {participants}.\n{roles}\n--\n{history}",
        max_turns=1,
    )
    await team.run(task="hello")
    assert _prompt(client) == "Pick from ['a', 'b'].\na: the a role\nb: the b role\n--\nuser: hello\n\n"


async def test_prompt_with_an_unknown_field_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="unknown fields"):
        SelectorGroupChat(
            _agents("a", "b"), model_client=ReplayChatCompletionClient([]), selector_prompt="{agents}"
        )


async def test_the_only_remaining_candidate_speaks_without_asking_the_model() -> None:
    client = ReplayChatCompletionClient(["a"])
    team = SelectorGroupChat(_agents("a", "b"), model_client=client, max_turns=3)
    result = await team.run(task="go")
    assert _sources(result.messages) == ["user", "a", "b", "a"]
    assert len(client.create_calls) == 1


async def test_repeated_speaker_is_offered_when_allowed() -> None:
    client = ReplayChatCompletionClient(["a", "a"])
    team = SelectorGroupChat(_agents("a", "b"), model_client=client, allow_repeated_speaker=True, max_turns=2)
    result = await team.run(task="go")
    assert _sources(result.messages) == ["user", "a", "a"]


async def test_mentions_count_whole_names_only() -> None:
    agents = [ScriptedAgent("writer", ["w"]), ScriptedAgent("rewriter", ["r"])]
    client = ReplayChatCompletionClient(["I choose rewriter."])
    result = await SelectorGroupChat(agents, model_client=client, max_turns=1).run(task="go")
    assert _sources(result.messages) == ["user", "rewriter"]


# ----------------------------------------------------------------------------- retries and fallback


async def test_a_reply_naming_nobody_or_several_is_retried_with_feedback() -> None:
    client = ReplayChatCompletionClient(["nobody fits", "a or c", "c"])
    team = SelectorGroupChat(_agents("a", "b", "c"), model_client=client, max_turns=1)
    result = await team.run(task="go")
    assert _sources(result.messages) == ["user", "c"]
    retry = client.create_calls[1]["messages"]
    assert retry[-1].content == "No valid name was mentioned. Please select from: ['a', 'b', 'c']."
    assert "Expected exactly one name" in client.create_calls[2]["messages"][-1].content
    (taken,) = _selections(result)
    assert (taken.attempts, taken.candidates) == (3, ("a", "b", "c"))


async def test_repeating_the_previous_speaker_is_retried_when_not_allowed() -> None:
    client = ReplayChatCompletionClient(["a", "a", "c"])
    team = SelectorGroupChat(_agents("a", "b", "c"), model_client=client, max_turns=2)
    result = await team.run(task="go")
    assert _sources(result.messages) == ["user", "a", "c"]
    assert "Repeated speaker is not allowed" in client.create_calls[2]["messages"][-1].content


async def test_a_model_that_keeps_naming_nobody_falls_back_visibly_to_the_first_candidate() -> None:
    client = ReplayChatCompletionClient(["hmm", "no idea", "pass"])
    team = SelectorGroupChat(_agents("a", "b", "c"), model_client=client, max_turns=1, emit_team_events=True)
    result = await team.run(task="go")
    assert _sources([m for m in result.messages if isinstance(m, BaseChatMessage)]) == ["user", "a"]
    (taken,) = _selections(result)
    assert taken.attempts == 3 and "fallback" in taken.reason and "first candidate 'a'" in taken.reason
    notes = [m for m in result.messages if isinstance(m, SelectorEvent)]
    assert len(notes) == 1 and "fallback" in notes[0].content


async def test_fallback_after_a_turn_is_the_previous_speaker_when_repeats_are_allowed() -> None:
    client = ReplayChatCompletionClient(["b", "x", "y", "z"])
    team = SelectorGroupChat(
        _agents("a", "b", "c"), model_client=client, max_turns=2, allow_repeated_speaker=True
    )
    result = await team.run(task="go")
    assert _sources(result.messages) == ["user", "b", "b"]
    assert "previous speaker 'b'" in _selections(result)[-1].reason


async def test_fallback_never_picks_the_excluded_previous_speaker() -> None:
    client = ReplayChatCompletionClient(["a", "x", "y", "z"])
    team = SelectorGroupChat(_agents("a", "b", "c"), model_client=client, max_turns=2)
    result = await team.run(task="go")
    assert _sources(result.messages) == ["user", "a", "b"]  # the first candidate: a may not repeat
    assert "first candidate 'b'" in _selections(result)[-1].reason


async def test_max_selector_attempts_bounds_the_model_calls() -> None:
    client = ReplayChatCompletionClient(["x"])
    team = SelectorGroupChat(_agents("a", "b"), model_client=client, max_selector_attempts=1, max_turns=1)
    result = await team.run(task="go")
    assert _sources(result.messages) == ["user", "a"]
    client.assert_complete()


async def test_max_selector_attempts_below_one_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="max_selector_attempts"):
        SelectorGroupChat(
            _agents("a", "b"), model_client=ReplayChatCompletionClient([]), max_selector_attempts=0
        )


# ----------------------------------------------------------------------------- selector_func / candidate_func


async def test_selector_func_chooses_without_the_model() -> None:
    order = iter(["c", "a", "b"])
    client = ReplayChatCompletionClient([])
    team = SelectorGroupChat(
        _agents("a", "b", "c"), model_client=client, selector_func=lambda _thread: next(order), max_turns=3
    )
    result = await team.run(task="go")
    assert _sources(result.messages) == ["user", "c", "a", "b"]
    assert client.create_calls == []
    assert _selections(result)[0].reason == "selector_func chose 'c'"


async def test_async_selector_func_is_awaited() -> None:
    async def pick(thread: History) -> str:
        return "b" if len(thread) == 1 else "a"

    team = SelectorGroupChat(
        _agents("a", "b"), model_client=ReplayChatCompletionClient([]), selector_func=pick, max_turns=2
    )
    result = await team.run(task="go")
    assert _sources(result.messages) == ["user", "b", "a"]


async def test_selector_func_returning_none_lets_the_model_choose() -> None:
    seen: list[int] = []

    def pick(thread: History) -> str | None:
        seen.append(len(thread))
        return None

    client = ReplayChatCompletionClient(["b"])
    team = SelectorGroupChat(_agents("a", "b"), model_client=client, selector_func=pick, max_turns=1)
    result = await team.run(task="go")
    assert _sources(result.messages) == ["user", "b"] and seen == [1]


async def test_async_selector_func_returning_none_lets_the_model_choose() -> None:
    async def pick(_thread: History) -> str | None:
        return None

    client = ReplayChatCompletionClient(["b"])
    team = SelectorGroupChat(_agents("a", "b"), model_client=client, selector_func=pick, max_turns=1)
    assert _sources((await team.run(task="go")).messages) == ["user", "b"]


async def test_selector_func_naming_a_stranger_is_a_clear_error() -> None:
    team = SelectorGroupChat(
        _agents("a", "b"),
        model_client=ReplayChatCompletionClient([]),
        selector_func=lambda _t: "zed",
        max_turns=1,
    )
    with pytest.raises(ConfigurationError, match="'zed', which is not a participant"):
        await team.run(task="go")


async def test_candidate_func_narrows_what_the_model_sees() -> None:
    client = ReplayChatCompletionClient(["c"])
    team = SelectorGroupChat(
        _agents("a", "b", "c"), model_client=client, candidate_func=lambda _t: ["b", "c"], max_turns=1
    )
    result = await team.run(task="go")
    assert _sources(result.messages) == ["user", "c"]
    assert "['b', 'c']" in _prompt(client) and "a: the a role" not in _prompt(client)
    assert _selections(result)[0].candidates == ("b", "c")


async def test_async_candidate_func_with_one_candidate_needs_no_model() -> None:
    async def only_b(_thread: History) -> list[str]:
        return ["b"]

    client = ReplayChatCompletionClient([])
    team = SelectorGroupChat(_agents("a", "b"), model_client=client, candidate_func=only_b, max_turns=2)
    result = await team.run(task="go")
    assert _sources(result.messages) == ["user", "b", "b"]


async def test_model_naming_a_non_candidate_is_retried() -> None:
    client = ReplayChatCompletionClient(["a", "b"])
    team = SelectorGroupChat(
        _agents("a", "b", "c"), model_client=client, candidate_func=lambda _t: ["b", "c"], max_turns=1
    )
    result = await team.run(task="go")
    assert _sources(result.messages) == ["user", "b"]
    assert "a is not a candidate" in client.create_calls[1]["messages"][-1].content


async def test_empty_candidate_list_is_a_clear_error() -> None:
    team = SelectorGroupChat(
        _agents("a", "b"),
        model_client=ReplayChatCompletionClient([]),
        candidate_func=lambda _t: [],
        max_turns=1,
    )
    with pytest.raises(ConfigurationError, match="no candidates"):
        await team.run(task="go")


# ----------------------------------------------------------------------------- events, state, construction


async def test_streaming_selector_emits_chunks_and_the_full_reply_as_team_events() -> None:
    client = ReplayChatCompletionClient(["b is next"])
    team = SelectorGroupChat(
        _agents("a", "b"),
        model_client=client,
        model_client_streaming=True,
        emit_team_events=True,
        max_turns=1,
    )
    items = [item async for item in team.run_stream(task="go")]
    chunks = [i for i in items if isinstance(i, ModelClientStreamingChunkEvent)]
    assert "".join(c.content for c in chunks) == "b is next"
    assert [i.content for i in items if isinstance(i, SelectorEvent)] == ["b is next"]
    assert any(isinstance(i, SelectSpeakerEvent) and i.content == ["b"] for i in items)


async def test_team_events_are_not_streamed_by_default() -> None:
    team = SelectorGroupChat(
        _agents("a", "b"), model_client=ReplayChatCompletionClient(["x", "y", "z"]), max_turns=1
    )
    items = [item async for item in team.run_stream(task="go")]
    assert not any(isinstance(i, SelectorEvent | SelectSpeakerEvent) for i in items)


async def test_termination_condition_stops_the_run() -> None:
    agents = [ScriptedAgent("a", ["draft"]), ScriptedAgent("b", ["TERMINATE"])]
    team = SelectorGroupChat(
        agents,
        model_client=ReplayChatCompletionClient(["a"]),
        termination_condition=TextMentionTermination("TERMINATE"),
    )
    result = await team.run(task="go")
    assert _sources(result.messages) == ["user", "a", "b"]
    assert result.stop_reason == "Text 'TERMINATE' mentioned"


async def test_saved_state_resumes_with_the_previous_speaker_in_a_fresh_team() -> None:
    first = SelectorGroupChat(
        _agents("a", "b", "c"), model_client=ReplayChatCompletionClient(["b"]), max_turns=1
    )
    await first.run(task="go")
    state = await first.save_state()
    client = ReplayChatCompletionClient(["b", "c"])
    fresh = SelectorGroupChat(_agents("a", "b", "c"), model_client=client, max_turns=1)
    await fresh.load_state(state)
    result = await fresh.run()
    assert _sources(result.messages) == ["c"]
    # The model saw the loaded history and was told b may not repeat.
    assert "user: go" in _prompt(client) and "b: b1" in _prompt(client)
    assert "Repeated speaker is not allowed" in client.create_calls[1]["messages"][-1].content


async def test_reset_forgets_the_previous_speaker_and_the_history() -> None:
    client = ReplayChatCompletionClient(["b", "b"])
    team = SelectorGroupChat(_agents("a", "b"), model_client=client, max_turns=1)
    await team.run(task="first")
    await team.reset()
    result = await team.run(task="second")
    assert _sources(result.messages) == ["user", "b"]
    assert "first" not in _prompt(client, 1)


async def test_fewer_than_two_participants_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="At least two participants"):
        SelectorGroupChat(_agents("a"), model_client=ReplayChatCompletionClient([]))


async def test_duplicate_participant_names_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="unique"):
        SelectorGroupChat([*_agents("a"), *_agents("a")], model_client=ReplayChatCompletionClient([]))


def test_graph_is_a_star_around_a_router() -> None:
    team = SelectorGroupChat(_agents("a", "b"), model_client=ReplayChatCompletionClient([]))
    graph = team.graph
    assert isinstance(graph.node("selector"), RouterNode) and graph.entry == ("selector",)
    assert {(e.source, e.target) for e in graph.edges if isinstance(e, SelectEdge)} == {
        ("selector", "a"),
        ("selector", "b"),
    }
    back = [e for e in graph.edges if isinstance(e, NextEdge)]
    assert {e.source for e in back} == {"a", "b"} and all(e.activation_condition == "any" for e in back)


def test_router_is_renamed_when_a_participant_is_called_selector() -> None:
    team = SelectorGroupChat(_agents("selector", "b"), model_client=ReplayChatCompletionClient([]))
    assert isinstance(team.graph.node("__selector__"), RouterNode)


# ----------------------------------------------------------------------------- the pure choice


def test_mentions_accept_spaces_and_escaped_underscores_for_underscores() -> None:
    names = ["story_writer", "story"]
    assert mentioned("story writer, please", names) == {"story_writer": 1}
    assert mentioned(r"story\_writer", names) == {"story_writer": 1}
    assert mentioned("the story", names) == {"story": 1}


def test_judge_accepts_exactly_one_candidate() -> None:
    assert judge("a!", ("a", "b"), participants=("a", "b")).speaker == "a"
    assert judge("a and b", ("a", "b"), participants=("a", "b")).speaker is None


_NAMES = st.lists(
    st.from_regex(r"[a-z]{1,4}(_[a-z]{1,3})?", fullmatch=True), min_size=2, max_size=5, unique=True
)


@given(
    names=_NAMES,
    replies=st.lists(st.text(max_size=30), max_size=4),
    data=st.data(),
)
def test_a_choice_is_always_a_candidate_or_the_previous_speaker(
    names: list[str], replies: list[str], data: st.DataObject
) -> None:
    previous = data.draw(st.sampled_from([None, *names]))
    # Replies that sometimes name participants, sometimes not.
    replies = [*replies, *data.draw(st.lists(st.sampled_from(names), max_size=3))]
    candidates = default_candidates(names, previous, allow_repeated_speaker=False)
    choice = decide(
        replies,
        candidates,
        participants=names,
        previous_speaker=previous,
        max_attempts=3,
    )
    assert choice.speaker in candidates or (choice.fell_back and choice.speaker == previous)
    assert choice.attempts <= 3
    again = decide(replies, candidates, participants=names, previous_speaker=previous, max_attempts=3)
    assert again == choice  # a pure function: same inputs, same choice


@given(names=_NAMES, data=st.data())
def test_a_reply_that_is_just_a_candidates_name_is_chosen_at_once(
    names: list[str], data: st.DataObject
) -> None:
    previous = data.draw(st.sampled_from([None, *names]))
    candidates = default_candidates(names, previous, allow_repeated_speaker=False)
    pick = data.draw(st.sampled_from(candidates))
    choice = decide([f"{pick}."], candidates, participants=names, previous_speaker=previous)
    assert (choice.speaker, choice.attempts, choice.fell_back) == (pick, 1, False) or len(candidates) == 1


def test_the_prompt_is_a_pure_function_of_history_and_candidates() -> None:
    history = [UserMessage(content="hi", source="user")]
    text = selector_prompt_text("{roles}|{participants}|{history}", ("a", "b"), {"a": "A", "b": "B"}, history)
    assert text == "a: A\nb: B|['a', 'b']|user: hi\n\n"
