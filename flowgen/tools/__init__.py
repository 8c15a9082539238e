"""Tools a model can call (AutoGen's ``autogen_core.tools`` and ``autogen_agentchat.tools``)."""

from flowgen.tools.base import BaseTool, render_return_value
from flowgen.tools.function_tool import FunctionTool
from flowgen.tools.task_runner_tool import AgentTool, TaskRunnerTool, TaskRunnerToolArgs, TeamTool

__all__ = [
    "AgentTool",
    "BaseTool",
    "FunctionTool",
    "TaskRunnerTool",
    "TaskRunnerToolArgs",
    "TeamTool",
    "render_return_value",
]
