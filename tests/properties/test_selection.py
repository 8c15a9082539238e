"""Properties of speaker selection (SelectorGroupChat) and of handoffs (Swarm)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from hypothesis import given
from hypothesis import strategies as st

from flowgen.base import TaskResult
from flowgen.conditions import HandoffTermination
from flowgen.engine.trace import EdgeTaken
from flowgen.messages import BaseChatMessage, HandoffMessage
from flowgen.models import CallInfo, FunctionChatCompletionClient, LLMMessage
from flowgen.teams import SelectorGroupChat, Swarm, speaker_choice
from flowgen.testing.agent import ScriptedAgent
from flowgen.testing.strategies import embedded, participant_names

_FILLER = ("I pick", "-", "??", "123", "…", "наверное")


@st.composite
def selector_replies(draw: st.DrawFn, names: Sequence[str]) -> tuple[str, set[str]]:
    """A selector model's reply and the names it mentions as whole words (known by construction).

    Names are also glued inside other words ("Xwriter9"), which must not count as mentions.
    """
    whole = draw(st.lists(st.sampled_from(list(names)), max_size=3))
    glued = draw(st.lists(st.sampled_from(list(names)).flatmap(embedded), max_size=2))
    # Filler that happens to contain a name as a word (a participant named "I" in "I pick") mentions it.
    words = [w for w in _FILLER if not any(re.search(rf"(?<!\w){re.escape(n)}(?!\w)", w) for n in names)]
    filler = draw(st.lists(st.sampled_from(words), max_size=3))
    tokens = draw(st.permutations([*whole, *glued, *filler]))
    return ", ".join(tokens), set(whole)


@st.composite
def selection_cases(draw: st.DrawFn) -> tuple[list[str], list[str], str | None, bool]:
    names = draw(participant_names(min_size=2, max_size=5))
    candidates = draw(st.lists(st.sampled_from(names), min_size=1, unique=True))
    previous = draw(st.none() | st.sampled_from(names))
    return names, candidates, previous, draw(st.booleans())


@given(selection_cases(), st.data())
def test_a_reply_is_accepted_only_when_it_names_exactly_one_allowed_candidate(
    case: tuple[list[str], list[str], str | None, bool], data: st.DataObject
) -> None:
    names, candidates, previous, allow_repeat = case
    reply, mentioned = data.draw(selector_replies(names), label="reply")
    verdict = speaker_choice.judge(
        reply, candidates, participants=names, previous_speaker=previous, allow_repeated_speaker=allow_repeat
    )
    (only,) = mentioned if len(mentioned) == 1 else (None,)
    acceptable = only is not None and only in candidates and (allow_repeat or only != previous)
    assert verdict.speaker == (only if acceptable else None), reply
    assert (verdict.speaker is None) == bool(verdict.feedback), "a rejected reply must say why, for the retry"


@given(selection_cases(), st.data(), st.integers(1, 4))
def test_the_choice_is_a_candidate_or_the_documented_fallback(
    case: tuple[list[str], list[str], str | None, bool], data: st.DataObject, attempts: int
) -> None:
    names, candidates, previous, allow_repeat = case
    replies = [r for r, _ in data.draw(st.lists(selector_replies(names), max_size=5), label="replies")]
    choice = speaker_choice.decide(
        replies,
        candidates,
        participants=names,
        previous_speaker=previous,
        allow_repeated_speaker=allow_repeat,
        max_attempts=attempts,
    )
    if len(candidates) == 1:
        assert choice.speaker == candidates[0] and not choice.fell_back
    elif choice.fell_back:
        # The previous speaker keeps the floor only where it may speak again; otherwise the first candidate.
        assert choice.speaker == (previous if previous in candidates else candidates[0])
        assert choice.attempts <= attempts
    else:
        assert choice.speaker in candidates
        assert allow_repeat or choice.speaker != previous
        assert choice.attempts <= attempts


def _selector_model(replies: list[str]) -> FunctionChatCompletionClient:
    def reply(messages: Sequence[LLMMessage], info: CallInfo) -> str:
        return replies[info.call_index % len(replies)]

    return FunctionChatCompletionClient(reply)


def _speakers(result: TaskResult) -> list[str]:
    return [m.source for m in result.messages if isinstance(m, BaseChatMessage) and m.source != "user"]


def _fallbacks(result: TaskResult) -> list[bool]:
    """For each turn, whether its speaker was chosen by the fallback."""
    assert result.trace is not None
    edges = [e for e in result.trace.events if isinstance(e, EdgeTaken) and e.candidates]
    return [e.reason.startswith("fallback") for e in edges]


async def _run_selector(names: list[str], replies: list[str], turns: int, allow_repeat: bool) -> TaskResult:
    agents = [ScriptedAgent(n, [f"{n} speaks {i}" for i in range(turns)]) for n in names]
    team = SelectorGroupChat(
        agents, _selector_model(replies), max_turns=turns, allow_repeated_speaker=allow_repeat
    )
    return await team.run(task="Begin.")


@given(participant_names(min_size=2, max_size=4), st.data(), st.integers(1, 8), st.booleans())
async def test_selector_team_speakers_are_participants_and_never_repeat_unless_it_fell_back(
    names: list[str], data: st.DataObject, turns: int, allow_repeat: bool
) -> None:
    replies = [
        r for r, _ in data.draw(st.lists(selector_replies(names), min_size=1, max_size=6), label="replies")
    ]
    result = await _run_selector(names, replies, turns, allow_repeat)
    speakers = _speakers(result)
    assert set(speakers) <= set(names)
    if not allow_repeat:
        fell_back = _fallbacks(result)
        for i in range(1, len(speakers)):
            if speakers[i] == speakers[i - 1]:
                assert i < len(fell_back) and fell_back[i], f"{speakers[i]} spoke twice without a fallback"


@given(participant_names(min_size=2, max_size=4), st.data(), st.integers(1, 8))
async def test_selector_team_same_script_gives_the_same_transcript(
    names: list[str], data: st.DataObject, turns: int
) -> None:
    replies = [
        r for r, _ in data.draw(st.lists(selector_replies(names), min_size=1, max_size=6), label="replies")
    ]
    first = await _run_selector(names, replies, turns, False)
    second = await _run_selector(names, replies, turns, False)
    assert [(m.source, m.to_text()) for m in first.messages] == [
        (m.source, m.to_text()) for m in second.messages
    ]


@st.composite
def swarm_scripts(draw: st.DrawFn, names: list[str], turns: int) -> dict[str, list[str | HandoffMessage]]:
    """Each agent's turns: text (keeps the floor) or a handoff to a participant or to the user."""
    targets = st.sampled_from([*names, "user"])
    entry = st.one_of(
        st.just("working on it"),
        targets.map(lambda t: HandoffMessage(content=f"over to {t}", target=t, source="x")),
    )
    return {n: draw(st.lists(entry, min_size=turns, max_size=turns)) for n in names}


@given(participant_names(min_size=1, max_size=4), st.integers(1, 8), st.data())
async def test_swarm_handoffs_reach_their_target_or_stop_the_run(
    names: list[str], turns: int, data: st.DataObject
) -> None:
    scripts = data.draw(swarm_scripts(names, turns), label="scripts")
    team = Swarm([ScriptedAgent(n, scripts[n]) for n in names], HandoffTermination("user"), max_turns=turns)
    result = await team.run(task="Begin.")
    chat = [m for m in result.messages if isinstance(m, BaseChatMessage)][1:]
    for i, message in enumerate(chat):
        following = chat[i + 1].source if i + 1 < len(chat) else None
        if isinstance(message, HandoffMessage) and message.target in names:
            assert following in (message.target, None), f"handoff to {message.target} but {following} spoke"
        elif isinstance(message, HandoffMessage):
            assert following is None, f"the run continued after a handoff out of the team to {message.target}"
        else:
            assert following in (message.source, None), "without a handoff the speaker keeps the floor"
