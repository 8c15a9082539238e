"""CodeExecutorAgent: running sent code, writing code with a model, retries, approval and reset."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from flowgen.agents import ApprovalRequest, ApprovalResponse, CodeExecutorAgent
from flowgen.base import Response
from flowgen.code_executors import CodeBlock, CodeResult, SandboxedCodeExecutor
from flowgen.code_executors.executor import CodeExecutor
from flowgen.core import CancellationToken
from flowgen.errors import UnsupportedModelFeatureError
from flowgen.messages import (
    CodeExecutionEvent,
    CodeGenerationEvent,
    ModelClientStreamingChunkEvent,
    TextMessage,
)
from flowgen.models import ModelInfo, ReplayChatCompletionClient, UserMessage

STRUCTURED = ModelInfo(
    vision=False, function_calling=False, json_output=True, family="unknown", structured_output=True
)


@pytest.fixture
async def sandbox(tmp_path: Path) -> AsyncIterator[SandboxedCodeExecutor]:
    async with SandboxedCodeExecutor(timeout=10, work_dir=tmp_path) as executor:
        yield executor


def fenced(language: str, code: str) -> str:
    return f"```{language}\n{code}\n```"


def decision(retry: bool, reason: str = "a typo") -> str:
    return json.dumps({"retry": retry, "reason": reason})


class Recorder(CodeExecutor):
    """An executor that records what it is asked to run and restarted: for the agent's own logic."""

    def __init__(self) -> None:
        self.runs: list[list[CodeBlock]] = []
        self.restarts = 0

    async def execute_code_blocks(
        self, code_blocks: list[CodeBlock], cancellation_token: CancellationToken
    ) -> CodeResult:
        self.runs.append(code_blocks)
        return CodeResult(exit_code=0, output="ran\n")

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    async def restart(self) -> None:
        self.restarts += 1


async def test_without_a_model_it_runs_the_sent_blocks(sandbox: SandboxedCodeExecutor) -> None:
    agent = CodeExecutorAgent("runner", sandbox)
    result = await agent.run(task=fenced("python", "print(6 * 7)") + "\n" + fenced("sh", "echo done"))
    assert [m.to_text() for m in result.messages] == [result.messages[0].to_text(), "42\ndone\n"]
    assert result.messages[-1].source == "runner"


@pytest.mark.parametrize(
    ("fence", "language"), [("bash", "sh"), ("shell", "sh"), ("py", "python"), ("python3", "python")]
)
async def test_fence_aliases_count_as_their_language(fence: str, language: str) -> None:
    recorder = Recorder()
    agent = CodeExecutorAgent(
        "runner",
        recorder,
        supported_languages=[language],
        approval_func=lambda r: ApprovalResponse(approved=True, reason=""),
    )
    await agent.run(task=fenced(fence, "echo hi"))
    assert recorder.runs == [[CodeBlock(code="echo hi\n", language=fence)]]


async def test_unsupported_languages_and_other_sources_are_ignored(sandbox: SandboxedCodeExecutor) -> None:
    agent = CodeExecutorAgent("runner", sandbox, sources=["coder"], supported_languages=["python"])
    reply = await agent.on_messages(
        [
            TextMessage(content=fenced("python", "print('from user')"), source="user"),
            TextMessage(
                content=fenced("ruby", "puts 1") + fenced("python", "print('from coder')"), source="coder"
            ),
        ],
        CancellationToken(),
    )
    assert reply.chat_message.to_text() == "from coder\n"


async def test_no_code_blocks_says_how_to_send_code(sandbox: SandboxedCodeExecutor) -> None:
    agent = CodeExecutorAgent("runner", sandbox)
    reply = await agent.on_messages([TextMessage(content="just words", source="user")], CancellationToken())
    assert reply.chat_message.to_text() == CodeExecutorAgent.NO_CODE_BLOCKS_FOUND_MESSAGE
    assert "```python" in CodeExecutorAgent.NO_CODE_BLOCKS_FOUND_MESSAGE


async def test_failures_and_silence_are_worded_for_the_reader(sandbox: SandboxedCodeExecutor) -> None:
    agent = CodeExecutorAgent("runner", sandbox)
    failed = await agent.on_messages(
        [TextMessage(content=fenced("python", "print('partial')\nraise SystemExit(3)"), source="u")],
        CancellationToken(),
    )
    silent = await agent.on_messages(
        [TextMessage(content=fenced("python", "x = 1"), source="u")], CancellationToken()
    )
    assert failed.chat_message.to_text().startswith("The code failed with exit code 3.")
    assert silent.chat_message.to_text().startswith("The code ran and printed nothing (exit code 0).")


async def test_approval_sees_the_real_context_and_can_refuse(sandbox: SandboxedCodeExecutor) -> None:
    seen: list[ApprovalRequest] = []

    async def refuse(request: ApprovalRequest) -> ApprovalResponse:
        seen.append(request)
        return ApprovalResponse(approved=False, reason="no network calls")

    agent = CodeExecutorAgent("runner", sandbox, approval_func=refuse)
    task = "please run\n" + fenced("python", "print('x')")
    reply = await agent.on_messages([TextMessage(content=task, source="user")], CancellationToken())
    assert reply.chat_message.to_text() == "The code was not run: it was not approved (no network calls)."
    assert seen[0].code == "```python\nprint('x')\n\n```"
    assert [m.content for m in seen[0].context if isinstance(m, UserMessage)] == [task]


async def test_a_model_writes_code_runs_it_and_reflects(sandbox: SandboxedCodeExecutor) -> None:
    client = ReplayChatCompletionClient([fenced("python", "print(2 + 2)"), "The answer is 4."])
    agent = CodeExecutorAgent("coder", sandbox, model_client=client)
    items = [
        item
        async for item in agent.on_messages_stream(
            [TextMessage(content="add 2 and 2", source="user")], CancellationToken()
        )
    ]
    generation, execution, response = items
    assert isinstance(generation, CodeGenerationEvent)
    assert generation.code_blocks == [CodeBlock(code="print(2 + 2)\n", language="python")]
    assert isinstance(execution, CodeExecutionEvent)
    assert (execution.result.exit_code, execution.to_text()) == (0, "4\n")
    assert isinstance(response, Response)
    assert response.chat_message.to_text() == "The answer is 4."
    assert response.inner_messages == [generation, execution]
    contents = [m.content for m in await agent.model_context.get_messages()]
    assert contents == ["add 2 and 2", fenced("python", "print(2 + 2)"), "4\n", "The answer is 4."]


async def test_retries_fix_the_code_without_adding_the_task_again(sandbox: SandboxedCodeExecutor) -> None:
    client = ReplayChatCompletionClient(
        [
            fenced("python", "print(undefined_name)"),
            decision(True),
            fenced("python", "print('fixed')"),
            "Fixed it.",
        ],
        model_info=STRUCTURED,
    )
    agent = CodeExecutorAgent("coder", sandbox, model_client=client, max_retries_on_error=2)
    result = await agent.run(task="print something")
    kinds = [type(m).__name__ for m in result.messages]
    assert kinds == [
        "TextMessage",
        "CodeGenerationEvent",
        "CodeExecutionEvent",
        "CodeGenerationEvent",
        "CodeGenerationEvent",
        "CodeExecutionEvent",
        "TextMessage",
    ]
    assert "Proposed correction: a typo" in result.messages[3].to_text()
    assert result.messages[5].to_text() == "fixed\n"
    contents = [m.content for m in await agent.model_context.get_messages()]
    assert contents.count("print something") == 1
    assert not any("tried again" in str(c) for c in contents)


async def test_a_retry_decision_that_is_not_valid_json_ends_the_retries(
    sandbox: SandboxedCodeExecutor,
) -> None:
    client = ReplayChatCompletionClient(
        [fenced("python", "raise ValueError('boom')"), "sure, let me retry!", "It failed with boom."],
        model_info=STRUCTURED,
    )
    agent = CodeExecutorAgent("coder", sandbox, model_client=client, max_retries_on_error=3)
    result = await agent.run(task="go")
    assert result.messages[-1].to_text() == "It failed with boom."
    assert sum(isinstance(m, CodeExecutionEvent) for m in result.messages) == 1


async def test_streaming_yields_chunks_before_the_events(sandbox: SandboxedCodeExecutor) -> None:
    client = ReplayChatCompletionClient([fenced("python", "print(1)"), "one"])
    agent = CodeExecutorAgent("coder", sandbox, model_client=client, model_client_stream=True)
    items = [i async for i in agent.run_stream(task="go")]
    kinds = [type(i).__name__ for i in items]
    assert kinds[0] == "TextMessage" and kinds[-1] == "TaskResult"
    assert "ModelClientStreamingChunkEvent" in kinds
    assert kinds.index("ModelClientStreamingChunkEvent") < kinds.index("CodeGenerationEvent")
    assert not any(isinstance(m, ModelClientStreamingChunkEvent) for m in items[-1].messages)  # type: ignore[union-attr]


@pytest.mark.filterwarnings("ignore:CodeExecutorAgent 'coder' runs code with Recorder:UserWarning")
async def test_reset_clears_the_context_and_restarts_the_executor() -> None:
    recorder = Recorder()
    client = ReplayChatCompletionClient([fenced("python", "print(1)"), "done"])
    agent = CodeExecutorAgent("coder", recorder, model_client=client)
    await agent.run(task="go")
    assert await agent.model_context.get_messages()
    await agent.on_reset(CancellationToken())
    assert await agent.model_context.get_messages() == []
    assert recorder.restarts == 1


async def test_state_round_trips_the_context(sandbox: SandboxedCodeExecutor) -> None:
    agent = CodeExecutorAgent("runner", sandbox)
    await agent.run(task=fenced("python", "print(1)"))
    state = await agent.save_state()
    fresh = CodeExecutorAgent("runner", sandbox)
    await fresh.load_state(state)
    assert await fresh.model_context.get_messages() == await agent.model_context.get_messages()


def test_retries_need_a_model_with_structured_output(sandbox: SandboxedCodeExecutor) -> None:
    with pytest.raises(UnsupportedModelFeatureError, match="structured_output=True"):
        CodeExecutorAgent(
            "coder", sandbox, model_client=ReplayChatCompletionClient(["x"]), max_retries_on_error=1
        )
    with pytest.raises(UnsupportedModelFeatureError, match="needs a model client"):
        CodeExecutorAgent("coder", sandbox, max_retries_on_error=1)


def test_an_unisolated_executor_without_approval_warns() -> None:
    with pytest.warns(UserWarning, match="does not isolate it"):
        CodeExecutorAgent("runner", Recorder())


def test_the_sandbox_needs_no_approval_warning(
    sandbox: SandboxedCodeExecutor, recwarn: pytest.WarningsRecorder
) -> None:
    CodeExecutorAgent("runner", sandbox)
    assert not [w for w in recwarn if "isolate" in str(w.message)]


async def test_both_modes_keep_the_chat_agent_contract(sandbox: SandboxedCodeExecutor) -> None:
    from flowgen.testing import check_chat_agent

    await check_chat_agent(lambda: CodeExecutorAgent("runner", sandbox))
    replies = [fenced("python", "print(1)"), "one", fenced("python", "print(2)"), "two", "three", "four"]
    await check_chat_agent(
        lambda: CodeExecutorAgent("coder", sandbox, model_client=ReplayChatCompletionClient(list(replies)))
    )


async def test_an_approval_pause_interrupts_the_team_and_the_code_runs_once_approved(tmp_path: Path) -> None:
    """Approval as a durable interrupt: the run stops before any code runs and survives a restart."""
    from flowgen.checkpoint import SqliteCheckpointer
    from flowgen.conditions import MaxMessageTermination
    from flowgen.teams import RoundRobinGroupChat

    executor = Recorder()

    def a_person_decides(request: ApprovalRequest) -> ApprovalResponse:
        said = [m.content for m in request.context if isinstance(m, UserMessage)]
        if said[-1] == "approved":
            return ApprovalResponse(approved=True, reason="")
        return ApprovalResponse(approved=False, reason="code needs a person", pause=True)

    def team() -> RoundRobinGroupChat:
        runner = CodeExecutorAgent("runner", executor, approval_func=a_person_decides)
        return RoundRobinGroupChat(
            [runner],
            termination_condition=MaxMessageTermination(3),  # the task, the answer, the run's output
            checkpointer=SqliteCheckpointer(tmp_path / "runs.db"),
        )

    paused = await team().run(task="run this\n" + fenced("python", "print('x')"), thread_id="code")
    assert paused.stop_reason is not None
    assert paused.stop_reason.startswith("Interrupted: 'runner' waits for approval")
    assert "code needs a person" in paused.stop_reason
    assert executor.runs == []
    resumed = await team().run(task="approved", thread_id="code")  # another team: as after a restart
    assert len(executor.runs) == 1 and executor.runs[0][0].code.strip() == "print('x')"
    assert resumed.messages[-1].source == "runner"
