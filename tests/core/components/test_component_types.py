"""Every component type: dump -> load -> dump is identical, and the loaded object behaves as the original."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from flowgen.agents import AssistantAgent, UserProxyAgent
from flowgen.base import Handoff
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
from flowgen.core import Component, ComponentModel, component_text, dump_component, load_component
from flowgen.core.component_files import load_component_file, save_component_file
from flowgen.graph.conditions import Regex
from flowgen.model_context import (
    BufferedChatCompletionContext,
    HeadAndTailChatCompletionContext,
    TokenLimitedChatCompletionContext,
    UnboundedChatCompletionContext,
)
from flowgen.models import ReplayChatCompletionClient, SystemMessage, UserMessage
from flowgen.teams import DiGraphBuilder, GraphFlow, RoundRobinGroupChat, SelectorGroupChat, Swarm
from flowgen.testing.component_strategies import TOOL_MODEL, shout, word_count
from flowgen.tools import (
    AgentTool,
    FunctionTool,
    StaticStreamWorkbench,
    StaticWorkbench,
    TeamTool,
    ToolOverride,
)
from flowgen.tools.mcp import McpWorkbench, StdioServerParams


def said_stop(messages: Any) -> bool:
    """A termination predicate, importable by reference."""
    return any("stop" in m.to_text() for m in messages)


def agent(name: str = "a", **kwargs: Any) -> AssistantAgent:
    return AssistantAgent(name, ReplayChatCompletionClient(["hi"], model_info=TOOL_MODEL), **kwargs)


def review_flow() -> GraphFlow:
    """author -> (security | style) -> lead; the lead loops back on REVISE, else the flow ends."""
    author = AssistantAgent("author", ReplayChatCompletionClient(["draft 1", "draft 2"]))
    security = AssistantAgent("security", ReplayChatCompletionClient(["safe", "safe"]))
    style = AssistantAgent("style", ReplayChatCompletionClient(["tidy", "tidy"]))
    lead = AssistantAgent("lead", ReplayChatCompletionClient(["REVISE please", "APPROVE"]))
    publisher = AssistantAgent("publisher", ReplayChatCompletionClient(["published"]))
    builder = DiGraphBuilder()
    for member in (author, security, style, lead, publisher):
        builder.add_node(member)
    builder.add_edge(author, security).add_edge(author, style)
    builder.add_edge(security, lead).add_edge(style, lead)
    builder.add_edge(lead, author, condition="REVISE", activation_group="revise", activation_condition="any")
    builder.add_edge(lead, publisher, condition=Regex(pattern="^APPROVE$"))
    builder.set_entry_point(author)
    stop = TextMentionTermination("published")
    return GraphFlow(builder.get_participants(), builder.build(), max_turns=12, termination_condition=stop)


COMPONENTS = {
    "max_messages": lambda: MaxMessageTermination(4, include_agent_event=True),
    "mention": lambda: TextMentionTermination("DONE", sources=["a"]),
    "text_message": lambda: TextMessageTermination("a"),
    "source_match": lambda: SourceMatchTermination(["a", "b"]),
    "handoff": lambda: HandoffTermination("user"),
    "function_call": lambda: FunctionCallTermination("add"),
    "token_usage": lambda: TokenUsageTermination(max_total_token=100, max_prompt_token=80),
    "timeout": lambda: TimeoutTermination(2.5),
    "stop_message": StopMessageTermination,
    "external": ExternalTermination,
    "functional": lambda: FunctionalTermination(said_stop),
    "or_and": lambda: MaxMessageTermination(3) | (TextMentionTermination("A") & TextMentionTermination("B")),
    "unbounded": lambda: UnboundedChatCompletionContext([SystemMessage(content="Be brief.")]),
    "buffered": lambda: BufferedChatCompletionContext(3, [UserMessage(content="hi", source="u")]),
    "head_and_tail": lambda: HeadAndTailChatCompletionContext(2, 3),
    "token_limited": lambda: TokenLimitedChatCompletionContext(ReplayChatCompletionClient([]), 500),
    "replay": lambda: ReplayChatCompletionClient(["a", "b"], model_info=TOOL_MODEL),
    "function_tool": lambda: FunctionTool(word_count, "Count words.", name="count", strict=True),
    "static_workbench": lambda: StaticWorkbench(
        [FunctionTool(shout, "Shout.")], {"shout": ToolOverride(name="yell", description="Yell it.")}
    ),
    "static_stream_workbench": lambda: StaticStreamWorkbench([FunctionTool(word_count, "Count.")]),
    "mcp_workbench": lambda: McpWorkbench(
        StdioServerParams(command="mcp-server", args=["--x"]), call_timeout=9
    ),
    "assistant": lambda: agent(
        tools=[FunctionTool(shout, "Shout.")],
        handoffs=[Handoff(target="b", message="over to b"), "c"],
        model_context=BufferedChatCompletionContext(5),
        system_message=None,
        reflect_on_tool_use=True,
        max_tool_iterations=2,
        metadata={"team": "x"},
    ),
    "assistant_workbench": lambda: agent(workbench=[StaticWorkbench([FunctionTool(shout, "Shout.")])]),
    "agent_tool": lambda: AgentTool(agent("poet"), return_value_as_last_message=True),
    "team_tool": lambda: TeamTool(
        RoundRobinGroupChat([agent("a")], MaxMessageTermination(2)), "crew", "A crew."
    ),
    "user_proxy": lambda: UserProxyAgent("human", description="The person."),
    "round_robin": lambda: RoundRobinGroupChat(
        [agent("a"), agent("b")], MaxMessageTermination(3), max_turns=5, name="pair", description="Two."
    ),
    "selector": lambda: SelectorGroupChat(
        [agent("a"), agent("b")],
        ReplayChatCompletionClient(["a"]),
        selector_prompt="Pick one of {participants} from {roles}: {history}",
        allow_repeated_speaker=True,
        max_selector_attempts=2,
        model_context=BufferedChatCompletionContext(4),
    ),
    "swarm": lambda: Swarm([agent("a", handoffs=["b"]), agent("b")], HandoffTermination("user")),
    "graph_flow": review_flow,
    "nested_team": lambda: RoundRobinGroupChat([RoundRobinGroupChat([agent("a")], name="inner"), agent("b")]),
}


@pytest.mark.parametrize("name", sorted(COMPONENTS))
def test_dump_load_dump_is_identical(name: str) -> None:
    dumped = dump_component(COMPONENTS[name]())
    loaded = load_component(dumped, allowed_providers=[__name__])
    assert type(loaded) is type(COMPONENTS[name]())
    assert dump_component(loaded) == dumped


@pytest.mark.parametrize("name", ["max_messages", "assistant", "round_robin", "mcp_workbench"])
def test_json_and_yaml_files_round_trip(name: str, tmp_path: Any) -> None:
    original = COMPONENTS[name]()
    for suffix in ("json", "yaml"):
        path = tmp_path / f"component.{suffix}"
        save_component_file(original, path)
        assert dump_component(load_component_file(path)) == dump_component(original)


def test_the_dump_has_autogens_shape() -> None:
    dumped = dump_component(MaxMessageTermination(4))
    assert dumped == ComponentModel(
        provider="flowgen.conditions.MaxMessageTermination",
        component_type="termination",
        version=1,
        component_version=1,
        description=dumped.description,
        label="MaxMessageTermination",
        config={"max_messages": 4, "include_agent_event": False},
    )
    assert component_text(MaxMessageTermination(4), "yaml").startswith(
        "provider: flowgen.conditions.MaxMessageTermination\n"
    )


def test_classes_dump_and_load_themselves() -> None:
    dumped = MaxMessageTermination(2).dump_component()
    assert isinstance(MaxMessageTermination.load_component(dumped), MaxMessageTermination)


async def test_a_loaded_function_tool_calls_the_same_function() -> None:
    tool = load_component(dump_component(FunctionTool(word_count, "Count words.")))
    from flowgen.core import CancellationToken

    assert await tool.run_json({"text": "one two three"}, CancellationToken()) == 3


async def test_a_loaded_functional_termination_uses_the_function() -> None:
    from flowgen.messages import TextMessage

    stop = load_component(dump_component(FunctionalTermination(said_stop)), allowed_providers=[__name__])
    assert await stop([TextMessage(content="please stop", source="a")]) is not None


def test_a_lambda_cannot_be_dumped_as_a_tool() -> None:
    with pytest.raises(ValueError, match="cannot be stored as a reference"):
        dump_component(FunctionTool(lambda x: x, "Echo.", name="echo"))


def test_an_unknown_class_cannot_be_dumped() -> None:
    with pytest.raises(ValueError, match="cannot be dumped as a component"):
        dump_component(object())


def test_state_is_not_part_of_the_config() -> None:
    stop = MaxMessageTermination(2)
    from flowgen.messages import TextMessage

    asyncio.run(stop([TextMessage(content="x", source="a")]))
    assert dump_component(stop) == dump_component(MaxMessageTermination(2))


def test_a_user_component_class_loads_when_its_provider_is_allowed() -> None:
    from pydantic import BaseModel

    from flowgen.errors import ComponentConfigError

    dumped = dump_component(Greeter("hello"))
    assert dumped.provider == f"{__name__}.Greeter"
    with pytest.raises(ComponentConfigError, match=r"^provider: not an allowed provider"):
        load_component(dumped)
    loaded = load_component(dumped, allowed_providers=[__name__])
    assert isinstance(loaded, Greeter) and loaded.greeting == "hello"
    assert isinstance(GreeterConfig(greeting="x"), BaseModel)


from pydantic import BaseModel  # noqa: E402 - the component class below is importable by its provider name


class GreeterConfig(BaseModel):
    greeting: str


class Greeter(Component[GreeterConfig]):
    """Says hello."""

    component_type = "custom"
    component_config_schema = GreeterConfig

    def __init__(self, greeting: str) -> None:
        self.greeting = greeting

    def _to_config(self) -> GreeterConfig:
        return GreeterConfig(greeting=self.greeting)

    @classmethod
    def _from_config(cls, config: GreeterConfig) -> Greeter:
        return cls(config.greeting)


async def test_a_loaded_graph_flow_runs_and_draws_as_the_original() -> None:
    loaded = load_component(dump_component(review_flow()))
    original = review_flow()
    assert loaded.graph == original.graph
    ran, expected = await loaded.run(task="Write it."), await original.run(task="Write it.")
    assert [(m.source, m.to_text()) for m in ran.messages] == [
        (m.source, m.to_text()) for m in expected.messages
    ]
    assert ran.stop_reason == expected.stop_reason


def test_a_graph_flow_with_a_python_predicate_cannot_be_dumped() -> None:
    a, b = agent("a"), agent("b")
    builder = DiGraphBuilder().add_node(a).add_node(b).add_edge(a, b, condition=lambda m: True)
    with pytest.raises(ValueError, match="has a Python predicate"):
        dump_component(GraphFlow([a, b], builder.build()))
