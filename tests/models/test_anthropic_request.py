"""Building Anthropic request bodies and model info from flowgen messages (no network)."""

from __future__ import annotations

import pytest

from flowgen.core import FunctionCall
from flowgen.errors import ConfigurationError
from flowgen.models import AssistantMessage, UserMessage
from flowgen.models.anthropic import AnthropicChatCompletionClient
from flowgen.models.anthropic.model_info import resolve_model_info
from flowgen.models.anthropic.request import to_messages


def test_consecutive_turns_of_one_role_are_merged() -> None:
    turns = to_messages(
        [UserMessage(content="from alice", source="alice"), UserMessage(content="from bob", source="bob")]
    )
    assert turns == [
        {
            "role": "user",
            "content": [{"type": "text", "text": "from alice"}, {"type": "text", "text": "from bob"}],
        }
    ]


def test_blank_text_is_replaced_because_the_api_rejects_it() -> None:
    [turn] = to_messages([AssistantMessage(content="", source="assistant")])
    assert turn["content"] == [{"type": "text", "text": "(empty)"}]


def test_malformed_tool_arguments_are_sent_back_as_an_empty_input() -> None:
    call = FunctionCall(id="toolu_1", name="f", arguments='{"city": "Par')
    [turn] = to_messages([AssistantMessage(content=[call], source="assistant")])
    assert turn["content"] == [{"type": "tool_use", "id": "toolu_1", "name": "f", "input": {}}]


@pytest.mark.parametrize(
    ("model", "family", "structured"),
    [
        ("claude-3-5-sonnet-20241022", "claude-3-5-sonnet", False),
        ("claude-sonnet-4-20250514", "claude-4-sonnet", False),
        ("claude-opus-4-1", "claude-4-1-opus", True),
        ("claude-sonnet-4-5-20250929", "claude-4-5-sonnet", True),
        ("claude-haiku-4-5", "claude-4-5-haiku", True),
    ],
)
def test_model_info_follows_the_claude_version(model: str, family: str, structured: bool) -> None:
    info = resolve_model_info(model, None)
    assert (info["family"], info["structured_output"], info["function_calling"]) == (family, structured, True)


def test_a_non_claude_model_needs_model_info() -> None:
    with pytest.raises(ConfigurationError, match="model_info is required"):
        AnthropicChatCompletionClient("my-proxy-model", api_key="test")


def test_no_key_names_the_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="ANTHROPIC_API_KEY"):
        AnthropicChatCompletionClient("claude-sonnet-4-5")
