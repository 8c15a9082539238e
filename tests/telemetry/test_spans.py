"""Spans of a run, per the GenAI conventions, from the real OpenTelemetry SDK's in-memory exporter."""

from __future__ import annotations

import asyncio

import pytest
from opentelemetry.trace import SpanKind, StatusCode
from telemetry_kit import Traced, make_traced, parent_of

import flowgen.telemetry as telemetry
from flowgen.agents import AssistantAgent
from flowgen.conditions import MaxMessageTermination
from flowgen.core import FunctionCall
from flowgen.models import ReplayChatCompletionClient
from flowgen.models.types import CreateResult, ModelInfo, RequestUsage
from flowgen.teams import RoundRobinGroupChat
from flowgen.telemetry import hooks
from flowgen.tools import AgentTool, FunctionTool


def _calls(*calls: tuple[str, str, str]) -> CreateResult:
    return CreateResult(
        finish_reason="function_calls",
        content=[FunctionCall(id=i, name=n, arguments=a) for i, n, a in calls],
        usage=RequestUsage(prompt_tokens=7, completion_tokens=3),
    )


TOOLS_INFO = ModelInfo(
    vision=False, function_calling=True, json_output=False, family="unknown", structured_output=False
)


def _team(n_messages: int = 4, **team_options: object) -> RoundRobinGroupChat:
    agents = [AssistantAgent(f"a{i}", ReplayChatCompletionClient([f"hello {i}"] * 3)) for i in range(2)]
    return RoundRobinGroupChat(
        agents, termination_condition=MaxMessageTermination(n_messages), **team_options
    )  # type: ignore[arg-type]


async def test_a_team_run_is_one_tree_team_span_turns_and_model_calls(traced: Traced) -> None:
    await _team(name="writers").run(task="write")
    spans = traced.spans()
    team = traced.one("invoke_workflow writers")
    assert team.parent is None and team.kind is SpanKind.INTERNAL
    assert team.attributes["gen_ai.operation.name"] == "invoke_workflow"
    assert team.attributes["gen_ai.workflow.name"] == "writers"
    assert team.attributes["flowgen.stop.kind"] == "termination"
    turns = traced.named("invoke_agent ")
    assert [t.name for t in turns] == ["invoke_agent a0", "invoke_agent a1", "invoke_agent a0"]
    for turn in turns:
        assert parent_of(turn, spans) is team
        assert turn.kind is SpanKind.INTERNAL
        assert turn.attributes["gen_ai.operation.name"] == "invoke_agent"
    chats = traced.named("chat")
    assert len(chats) == 3
    for chat, turn in zip(chats, turns, strict=True):
        assert parent_of(chat, spans) is turn
        assert chat.kind is SpanKind.CLIENT
        assert chat.attributes["gen_ai.operation.name"] == "chat"
        assert chat.attributes["gen_ai.provider.name"] == "replay"
        assert chat.attributes["gen_ai.response.finish_reasons"] == ("stop",)
        assert chat.attributes["gen_ai.usage.output_tokens"] >= 1
    assert {s.context.trace_id for s in spans} == {team.context.trace_id}


async def test_sampling_attributes_are_given_when_a_span_starts() -> None:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult

    seen: list[tuple[str, dict[str, object]]] = []

    class Recording(Sampler):
        def should_sample(self, parent_context, trace_id, name, kind=None, attributes=None, links=None):  # type: ignore[no-untyped-def]
            seen.append((name, dict(attributes or {})))
            return SamplingResult(Decision.RECORD_AND_SAMPLE, attributes)

        def get_description(self) -> str:
            return "recording"

    telemetry.instrument(tracer_provider=TracerProvider(sampler=Recording()), prometheus=False)
    with telemetry.conversation("thread-7"):
        await _team(3).run(task="go")
    by_name = dict(seen)
    assert by_name["invoke_workflow RoundRobinGroupChat"]["gen_ai.operation.name"] == "invoke_workflow"
    assert by_name["invoke_workflow RoundRobinGroupChat"]["gen_ai.conversation.id"] == "thread-7"
    assert by_name["invoke_agent a0"]["gen_ai.agent.name"] == "a0"
    assert by_name["chat"]["gen_ai.provider.name"] == "replay"
    assert by_name["chat"]["gen_ai.conversation.id"] == "thread-7"


async def test_no_conversation_id_without_a_thread(traced: Traced) -> None:
    await _team(2).run(task="go")
    assert all("gen_ai.conversation.id" not in s.attributes for s in traced.spans())


async def test_tool_calls_are_execute_tool_spans_under_the_turn_with_call_id_and_error_type(
    traced: Traced,
) -> None:
    def add(a: int, b: int) -> int:
        return a + b

    def broken() -> str:
        raise KeyError("no such row")

    model = ReplayChatCompletionClient(
        [_calls(("c1", "add", '{"a": 1, "b": 2}'), ("c2", "broken", "{}"), ("c3", "invented", "{}")), "done"],
        model_info=TOOLS_INFO,
    )
    agent = AssistantAgent("calc", model, tools=[FunctionTool(add, "add"), FunctionTool(broken, "broken")])
    await RoundRobinGroupChat([agent], max_turns=1).run(task="sum")
    spans = traced.spans()
    turn = traced.one("invoke_agent calc")
    ok, failed, unknown = (traced.one(f"execute_tool {n}") for n in ("add", "broken", "unknown"))
    for span in (ok, failed, unknown):
        assert parent_of(span, spans) is turn
        assert span.attributes["gen_ai.operation.name"] == "execute_tool"
    assert ok.attributes["gen_ai.tool.call.id"] == "c1" and ok.attributes["gen_ai.tool.name"] == "add"
    assert ok.status.status_code is StatusCode.UNSET and "error.type" not in ok.attributes
    assert failed.attributes["error.type"] == "KeyError" and failed.status.status_code is StatusCode.ERROR
    assert unknown.attributes["gen_ai.tool.call.id"] == "c3"
    assert unknown.attributes["error.type"] == "tool_error"
    chat = traced.named("chat")[0]
    assert chat.attributes["gen_ai.response.finish_reasons"] == ("tool_call",)
    assert (chat.attributes["gen_ai.usage.input_tokens"], chat.attributes["gen_ai.usage.output_tokens"]) == (
        7,
        3,
    )


async def test_an_agent_tool_runs_inside_its_execute_tool_span(traced: Traced) -> None:
    helper = AssistantAgent("helper", ReplayChatCompletionClient(["the answer"]), description="answers")
    outer = AssistantAgent(
        "boss",
        ReplayChatCompletionClient(
            [_calls(("t1", "helper", '{"task": "ask"}')), "ok"], model_info=TOOLS_INFO
        ),
        tools=[AgentTool(helper)],
    )
    await RoundRobinGroupChat([outer], max_turns=1).run(task="delegate")
    spans = traced.spans()
    tool = traced.one("execute_tool helper")
    inner_chat = next(s for s in traced.named("chat") if s.attributes["gen_ai.agent.name"] == "helper")
    ancestors = []
    span = parent_of(inner_chat, spans)
    while span is not None:
        ancestors.append(span.name)
        span = parent_of(span, spans)
    assert ancestors == [
        "invoke_agent helper",  # the tool's agent run is a turn of its own
        tool.name,
        "invoke_agent boss",
        "invoke_workflow RoundRobinGroupChat",
    ]
    helper_span = traced.one("invoke_agent helper")
    assert helper_span.attributes["gen_ai.usage.output_tokens"] >= 1


async def test_an_agent_run_on_its_own_is_an_invoke_agent_span(traced: Traced) -> None:
    agent = AssistantAgent("solo", ReplayChatCompletionClient(["one", "two"]))
    await agent.run(task="first")
    async for _ in agent.run_stream(task="second"):
        pass
    spans = traced.spans()
    turns = traced.named("invoke_agent solo")
    assert len(turns) == 2 and all(t.parent is None for t in turns)
    chats = traced.named("chat")
    assert [parent_of(c, spans) for c in chats] == turns


async def test_a_nested_team_is_a_team_span_under_the_outer_turn(traced: Traced) -> None:
    inner = _team(2, name="inner")
    solo = AssistantAgent("solo", ReplayChatCompletionClient(["fine"]))
    outer = RoundRobinGroupChat([inner, solo], max_turns=2, name="outer")
    await outer.run(task="go")
    spans = traced.spans()
    inner_team = traced.one("invoke_workflow inner")
    outer_turn = traced.one("invoke_agent inner")
    assert parent_of(inner_team, spans) is outer_turn
    assert parent_of(outer_turn, spans) is traced.one("invoke_workflow outer")
    assert parent_of(traced.named("invoke_agent a0")[0], spans) is inner_team


async def test_streaming_model_calls_record_time_to_first_chunk(traced: Traced) -> None:
    agent = AssistantAgent("s", ReplayChatCompletionClient(["one two three"]), model_client_stream=True)
    await RoundRobinGroupChat([agent], max_turns=1).run(task="go")
    chat = traced.named("chat")[0]
    assert chat.attributes["gen_ai.request.stream"] is True
    assert 0 <= chat.attributes["gen_ai.response.time_to_first_chunk"] <= chat.end_time - chat.start_time


async def test_message_contents_only_when_opted_in(traced: Traced, monkeypatch: pytest.MonkeyPatch) -> None:
    await _team(2).run(task="a private task")
    keys = {k for s in traced.spans() for k in s.attributes}
    assert not keys & {"gen_ai.input.messages", "gen_ai.output.messages"}
    assert all("private" not in str(v) for s in traced.spans() for v in s.attributes.values())

    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "true")
    opted = make_traced()
    await _team(2).run(task="a private task")
    chat = opted.named("chat")[0]
    assert "a private task" in chat.attributes["gen_ai.input.messages"]
    assert "hello 0" in chat.attributes["gen_ai.output.messages"]
    monkeypatch.delenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT")
    by_parameter = make_traced(capture_message_content=True)
    await _team(2).run(task="a private task")
    assert "a private task" in by_parameter.named("chat")[0].attributes["gen_ai.input.messages"]


async def test_a_failing_turn_marks_its_span_and_the_team_span(traced: Traced) -> None:
    class Boom(Exception):
        pass

    class Failing(ReplayChatCompletionClient):
        async def create(self, *args: object, **kwargs: object) -> CreateResult:
            raise Boom("model down")

    agent = AssistantAgent("f", Failing([]))
    with pytest.raises(Boom):
        await RoundRobinGroupChat([agent], max_turns=1).run(task="go")
    turn = traced.one("invoke_agent f")
    assert turn.status.status_code is StatusCode.ERROR and turn.attributes["error.type"] == "Boom"
    assert traced.named("chat")[0].attributes["error.type"] == "Boom"
    team = traced.one("invoke_workflow RoundRobinGroupChat")
    assert team.attributes["flowgen.stop.kind"] == "error" and team.status.status_code is StatusCode.ERROR


async def test_cancelling_a_run_ends_every_span_it_opened(traced: Traced) -> None:
    entered = asyncio.Event()

    class Hanging(ReplayChatCompletionClient):
        async def create(self, *args: object, **kwargs: object) -> CreateResult:
            entered.set()
            await asyncio.Event().wait()
            raise AssertionError("unreachable")

    team = RoundRobinGroupChat([AssistantAgent("h", Hanging([]))], max_turns=1)
    task = asyncio.create_task(team.run(task="go"))
    await entered.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    names = {s.name: s for s in traced.spans()}
    assert set(names) == {"invoke_workflow RoundRobinGroupChat", "invoke_agent h", "chat"}
    assert names["invoke_agent h"].attributes["error.type"] == "cancelled"
    assert names["invoke_workflow RoundRobinGroupChat"].attributes["flowgen.stop.kind"] == "cancelled"
    from opentelemetry import trace

    assert not trace.get_current_span().get_span_context().is_valid  # nothing left current


async def test_uninstrument_stops_everything(traced: Traced) -> None:
    telemetry.uninstrument()
    await _team(2).run(task="go")
    assert traced.spans() == []


async def test_a_durable_run_names_its_thread_and_counts_its_checkpoint_writes(traced: Traced) -> None:
    from prometheus_client.parser import text_string_to_metric_families

    from flowgen.checkpoint import MemoryCheckpointer

    team = _team(3)
    team.checkpointer = MemoryCheckpointer()
    await team.run(task="go", thread_id="support-42")
    workflow = traced.one("invoke_workflow RoundRobinGroupChat")
    assert workflow.attributes["gen_ai.conversation.id"] == "support-42"
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(telemetry.render_metrics()[0].decode())
        for s in family.samples
    }
    assert samples[("flowgen_checkpoint_writes_total", (("status", "ok"),))] >= 1
    assert samples[("flowgen_checkpoint_duration_seconds_count", ())] >= 1
    assert hooks.conversation_id.get() is None  # restored once the run is over


async def test_a_fallback_chain_shows_on_the_chat_span_which_model_it_passed_over(traced: Traced) -> None:
    from flowgen.agents import AssistantAgent
    from flowgen.errors import ModelClientError
    from flowgen.models import (
        FallbackChatCompletionClient,
        FunctionChatCompletionClient,
        ReplayChatCompletionClient,
    )

    def down(messages: object, info: object) -> str:
        raise ModelClientError("503 overloaded", retryable=True, status_code=503)

    chain = FallbackChatCompletionClient(
        [FunctionChatCompletionClient(down), ReplayChatCompletionClient(["ok"])]
    )
    await AssistantAgent("resilient", model_client=chain).run(task="hi")
    chat = next(s for s in traced.spans() if s.name.startswith("chat"))
    events = [e for e in chat.events if e.name == "fallback"]
    assert [
        (e.attributes["flowgen.fallback.skipped"], e.attributes["flowgen.fallback.reason"]) for e in events
    ] == [("FunctionChatCompletionClient#0", "error")]
