"""Teams facing bad input: handoffs to nobody, candidate lists that are strings, failing selector models."""

from __future__ import annotations

import pytest

from flowgen.errors import ConfigurationError, HandoffError, ModelClientError
from flowgen.messages import HandoffMessage
from flowgen.models import CreateResult, ReplayChatCompletionClient
from flowgen.models.function import FunctionChatCompletionClient
from flowgen.teams import SelectorGroupChat, Swarm
from flowgen.testing import ScriptedAgent


async def test_a_custom_agents_handoff_to_a_non_participant_is_an_error_naming_both() -> None:
    alice = ScriptedAgent("alice", [HandoffMessage(content="yours", source="alice", target="carol")])
    team = Swarm([alice, ScriptedAgent("bob", [])], max_turns=3)
    with pytest.raises(HandoffError, match=r"agent 'alice' handed off to 'carol'.*one of \['bob'\]"):
        await team.run(task="go")


async def test_a_custom_agents_handoff_to_a_participant_still_works() -> None:
    alice = ScriptedAgent("alice", [HandoffMessage(content="yours", source="alice", target="bob")])
    team = Swarm([alice, ScriptedAgent("bob", ["done"])], max_turns=2)
    result = await team.run(task="go")
    assert [m.source for m in result.messages] == ["user", "alice", "bob"]


async def test_candidate_func_returning_a_string_is_reported_as_a_string() -> None:
    team = SelectorGroupChat(
        [ScriptedAgent("a", ["a1"]), ScriptedAgent("bb", ["b1"])],
        model_client=ReplayChatCompletionClient(["bb"]),
        candidate_func=lambda thread: "bb",  # type: ignore[arg-type,return-value]
        max_turns=1,
    )
    with pytest.raises(ConfigurationError, match=r"candidate_func returned the string 'bb', not a list"):
        await team.run(task="go")


async def test_a_failing_selector_model_gets_a_note_naming_it() -> None:
    def fails(messages: object, info: object) -> CreateResult:
        raise ModelClientError("the selector service is down")

    team = SelectorGroupChat(
        [ScriptedAgent("a", ["a1"]), ScriptedAgent("b", ["b1"])],
        model_client=FunctionChatCompletionClient(fails),
        max_turns=1,
    )
    with pytest.raises(ModelClientError, match="the selector service is down") as caught:
        await team.run(task="go")
    notes = "\n".join(caught.value.__notes__)
    assert "selector model of team" in notes
    assert "FunctionChatCompletionClient" in notes


async def test_a_custom_agents_handoff_to_itself_keeps_the_floor() -> None:
    alice = ScriptedAgent("alice", [HandoffMessage(content="mine", source="alice", target="alice"), "done"])
    team = Swarm([alice, ScriptedAgent("bob", [])], max_turns=2)
    result = await team.run(task="go")
    assert [m.source for m in result.messages] == ["user", "alice", "alice"]
