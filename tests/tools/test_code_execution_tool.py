"""PythonCodeExecutionTool: an AssistantAgent runs Python through a sandbox and reads the output."""

from __future__ import annotations

import json
from pathlib import Path

from flowgen.agents import AssistantAgent
from flowgen.code_executors import SandboxedCodeExecutor
from flowgen.code_executors.sandboxed import SANDBOX_UID
from flowgen.core import CancellationToken, FunctionCall
from flowgen.messages import ToolCallExecutionEvent
from flowgen.models import CreateResult, ModelInfo, ReplayChatCompletionClient, RequestUsage
from flowgen.tools import PythonCodeExecutionTool

INFO = ModelInfo(
    vision=False, function_calling=True, json_output=True, family="unknown", structured_output=True
)


def run_code(code: str) -> CreateResult:
    call = FunctionCall(id="call_1", name="CodeExecutor", arguments=json.dumps({"code": code}))
    return CreateResult(
        finish_reason="function_calls",
        content=[call],
        usage=RequestUsage(prompt_tokens=1, completion_tokens=1),
    )


async def test_the_tool_reports_output_and_success(tmp_path: Path) -> None:
    async with SandboxedCodeExecutor(timeout=10, work_dir=tmp_path) as executor:
        tool = PythonCodeExecutionTool(executor)
        ok = await tool.run_json({"code": "print(3 * 3)"}, CancellationToken())
        bad = await tool.run_json({"code": "1 / 0"}, CancellationToken())
    assert (ok.success, tool.return_value_as_string(ok)) == (True, "9\n")
    assert bad.success is False
    assert "ZeroDivisionError" in tool.return_value_as_string(bad)
    assert tool.schema["name"] == "CodeExecutor"
    assert tool.schema["parameters"]["required"] == ["code"]


async def test_an_assistant_runs_code_in_the_sandbox(tmp_path: Path) -> None:
    async with SandboxedCodeExecutor(timeout=10, work_dir=tmp_path) as executor:
        client = ReplayChatCompletionClient([run_code("import os\nprint(os.getuid())")], model_info=INFO)
        agent = AssistantAgent("analyst", client, tools=[PythonCodeExecutionTool(executor)])
        result = await agent.run(task="who are you?")
    execution = next(m for m in result.messages if isinstance(m, ToolCallExecutionEvent))
    assert execution.content[0].content == f"{SANDBOX_UID}\n"
    assert execution.content[0].is_error is False
