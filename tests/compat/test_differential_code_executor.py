"""CodeExecutorAgent programs, identical apart from their imports, observe the same under flowgen and AutoGen.

Both sides run code with their LocalCommandLineCodeExecutor in a fresh temporary directory, and the
programs print plain results, so outputs compare byte for byte. The agent's own wording (no code
blocks, failures, refusals) is flowgen's, so those paths are compared where the wording does not
show, and the fixed defects are listed in DIFFERENCES (docs/migration.md).
"""

from __future__ import annotations

import pytest

from tests.compat.differential import cases, check

HEADER = """
import json
import tempfile
import warnings

from flowgen.agents import ApprovalRequest, ApprovalResponse, CodeExecutorAgent
from flowgen.code_executors import LocalCommandLineCodeExecutor
from flowgen.core import CancellationToken
from flowgen.messages import TextMessage
from flowgen.models import ModelFamily, ReplayChatCompletionClient

warnings.simplefilter("ignore", UserWarning)

INFO = {
    "vision": False,
    "function_calling": False,
    "json_output": True,
    "family": ModelFamily.UNKNOWN,
    "structured_output": True,
}


def fenced(language, code):
    return f"```{language}\\n{code}\\n```"


def executor():
    return LocalCommandLineCodeExecutor(timeout=20, work_dir=tempfile.mkdtemp())


def model(*replies):
    return ReplayChatCompletionClient(list(replies), model_info=INFO)


async def stream(agent, task):
    return [m async for m in agent.run_stream(task=task)]


async def context(agent):
    return await agent.model_context.get_messages()
"""

PROGRAMS = {
    "runs_a_python_block": """
async def main():
    agent = CodeExecutorAgent("runner", executor())
    return await stream(agent, fenced("python", "print(6 * 7)"))
""",
    "runs_python_then_sh": """
async def main():
    agent = CodeExecutorAgent("runner", executor())
    return await stream(agent, "first\\n" + fenced("python", "print('one')") + "\\nthen\\n" + fenced("sh", "echo two"))
""",
    "only_listed_sources": """
async def main():
    agent = CodeExecutorAgent("runner", executor(), sources=["coder"])
    messages = [
        TextMessage(content=fenced("python", "print('user')"), source="user"),
        TextMessage(content=fenced("python", "print('coder')"), source="coder"),
    ]
    response = await agent.on_messages(messages, CancellationToken())
    return response.chat_message
""",
    "only_supported_languages": """
async def main():
    agent = CodeExecutorAgent("runner", executor(), supported_languages=["python"])
    task = fenced("sh", "echo skipped") + "\\n" + fenced("python", "print('kept')")
    return await stream(agent, task)
""",
    "model_writes_runs_and_reflects": """
async def main():
    agent = CodeExecutorAgent("coder", executor(), model_client=model(fenced("python", "print(2 + 2)"), "It is 4."))
    return await stream(agent, "What is 2 + 2?"), await context(agent)
""",
    "model_answers_without_code": """
async def main():
    agent = CodeExecutorAgent("coder", executor(), model_client=model("No code is needed: it is 4."))
    return await stream(agent, "What is 2 + 2?"), await context(agent)
""",
    "model_streams": """
async def main():
    client = model(fenced("python", "print('streamed')"), "Done.")
    agent = CodeExecutorAgent("coder", executor(), model_client=client, model_client_stream=True)
    items = await stream(agent, "go")
    # How the replay clients cut a reply into chunks differs; that chunks come, and where, does not.
    kinds = [type(i).__name__ for i in items]
    return kinds.index("ModelClientStreamingChunkEvent") < kinds.index("CodeGenerationEvent"), [
        i for i in items if type(i).__name__ != "ModelClientStreamingChunkEvent"
    ]
""",
    "approval_granted": """
async def main():
    agent = CodeExecutorAgent(
        "runner", executor(), approval_func=lambda request: ApprovalResponse(approved=True, reason="fine")
    )
    return await stream(agent, fenced("python", "print('approved')"))
""",
    "bash_and_py_fences": """
async def main():
    agent = CodeExecutorAgent("runner", executor())
    task = fenced("bash", "echo from-bash") + "\\n" + fenced("py", "print('from-py')")
    response = await agent.on_messages([TextMessage(content=task, source="user")], CancellationToken())
    return response.chat_message.content.endswith("from-py\\n")
""",
    "approval_sees_the_task": """
async def main():
    seen = []
    def approve(request):
        seen.append([m.content for m in request.context])
        return ApprovalResponse(approved=True, reason="ok")
    agent = CodeExecutorAgent("runner", executor(), approval_func=approve, system_message=None)
    await agent.run(task="please run\\n" + fenced("python", "print(1)"))
    return seen
""",
    "final_response_carries_the_events": """
async def main():
    agent = CodeExecutorAgent("coder", executor(), model_client=model(fenced("python", "print(5)"), "Five."))
    return await agent.on_messages([TextMessage(content="five?", source="user")], CancellationToken())
""",
    "retry_does_not_repeat_the_task": """
async def main():
    client = model(
        fenced("python", "print(undefined_name)"),
        json.dumps({"retry": True, "reason": "undefined name"}),
        fenced("python", "print('fixed')"),
        "Fixed.",
    )
    agent = CodeExecutorAgent("coder", executor(), model_client=client, max_retries_on_error=1)
    await agent.run(task="print fixed")
    return [m.content for m in await context(agent)].count("print fixed")
""",
    "reset_clears_the_context": """
async def main():
    agent = CodeExecutorAgent("coder", executor(), model_client=model(fenced("python", "print(1)"), "One."))
    await agent.run(task="go")
    await agent.on_reset(CancellationToken())
    return len(await context(agent))
""",
}

DIFFERENCES = {
    "bash_and_py_fences": "```bash and ```py fences are run as sh and python; AutoGen skips them",
    "approval_sees_the_task": "approval_func sees the conversation; AutoGen's agent without a model shows it none",
    "final_response_carries_the_events": "the final Response carries the code events as inner messages",
    "retry_does_not_repeat_the_task": "a retry does not add the task to the model context again",
    "reset_clears_the_context": "on_reset clears the model context; AutoGen's does nothing",
}
XFAIL: dict[str, str] = {}


@pytest.mark.parametrize("name", cases(PROGRAMS, XFAIL))
async def test_code_executor_agent_observes_the_same(name: str) -> None:
    await check(__name__, name, HEADER + PROGRAMS[name], differs=DIFFERENCES.get(name))
