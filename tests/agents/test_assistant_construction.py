"""Wrong construction fails at construction, with a message naming the fix."""

from __future__ import annotations

import pytest
from assistant_support import CAPABLE
from pydantic import BaseModel

from flowgen.agents import AssistantAgent
from flowgen.base import Handoff
from flowgen.errors import ConfigurationError, UnsupportedModelFeatureError
from flowgen.models import ModelInfo, ReplayChatCompletionClient
from flowgen.tools import FunctionTool

NO_TOOLS = ModelInfo(
    vision=False, function_calling=False, json_output=True, family="unknown", structured_output=True
)
NO_STRUCTURE = ModelInfo(
    vision=False, function_calling=True, json_output=True, family="unknown", structured_output=False
)


def lookup(query: str) -> str:
    """Look something up."""
    return query


def model(info: ModelInfo = CAPABLE) -> ReplayChatCompletionClient:
    return ReplayChatCompletionClient([], model_info=info)


def test_duplicate_tool_names_fail() -> None:
    with pytest.raises(ConfigurationError, match=r"lookup.*unique.*rename"):
        AssistantAgent("a", model(), tools=[lookup, FunctionTool(lookup, description="again")])


def test_tool_clashing_with_a_handoff_fails() -> None:
    clash = FunctionTool(lookup, description="x", name="transfer_to_bob")
    with pytest.raises(ConfigurationError, match=r"a tool and a handoff.*transfer_to_bob"):
        AssistantAgent("a", model(), tools=[clash], handoffs=["bob"])


def test_duplicate_handoffs_fail() -> None:
    with pytest.raises(ConfigurationError, match="transfer_to_bob"):
        AssistantAgent("a", model(), handoffs=["bob", Handoff(target="bob")])


def test_handoff_to_itself_fails() -> None:
    with pytest.raises(ConfigurationError, match="handoff to itself; remove it"):
        AssistantAgent("alice", model(), handoffs=["alice"])


def test_tools_on_a_model_without_function_calling_fail() -> None:
    with pytest.raises(UnsupportedModelFeatureError, match="function_calling=False; use a model"):
        AssistantAgent("a", model(NO_TOOLS), tools=[lookup])


def test_handoffs_on_a_model_without_function_calling_fail() -> None:
    with pytest.raises(UnsupportedModelFeatureError, match="function_calling=False"):
        AssistantAgent("a", model(NO_TOOLS), handoffs=["bob"])


def test_structured_output_on_a_model_without_it_fails() -> None:
    class Answer(BaseModel):
        text: str

    with pytest.raises(UnsupportedModelFeatureError, match="structured_output=False; use a model"):
        AssistantAgent("a", model(NO_STRUCTURE), output_content_type=Answer)


@pytest.mark.parametrize("name", ["my agent", "1st", "", "a-b"])
def test_invalid_agent_names_fail(name: str) -> None:
    with pytest.raises(ConfigurationError, match="valid Python identifier"):
        AssistantAgent(name, model())


def test_errors_are_value_errors_as_autogen_users_expect() -> None:
    with pytest.raises(ValueError):
        AssistantAgent("a", model(NO_TOOLS), tools=[lookup])


def test_zero_tool_iterations_fail() -> None:
    with pytest.raises(ConfigurationError, match="max_tool_iterations"):
        AssistantAgent("a", model(), max_tool_iterations=0)


def test_unsupported_tool_object_fails() -> None:
    with pytest.raises(ConfigurationError, match="FunctionTool"):
        AssistantAgent("a", model(), tools=["not a tool"])  # type: ignore[list-item]
