"""Tools a model can call (AutoGen's ``autogen_core.tools`` and ``autogen_agentchat.tools``).

``BaseTool`` loads with the package (every agent checks its tools against it); the other tools load
on first use (module ``__getattr__``), so that an agent without tools does not pay for them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flowgen.lazy_exports import lazy_exports
from flowgen.tools.base import BaseTool, render_return_value

if TYPE_CHECKING:
    from flowgen.tools.code_execution import CodeExecutionInput, CodeExecutionResult, PythonCodeExecutionTool
    from flowgen.tools.function_tool import FunctionTool
    from flowgen.tools.static_workbench import StaticStreamWorkbench, StaticWorkbench, ToolOverride
    from flowgen.tools.task_runner_tool import AgentTool, TaskRunnerTool, TaskRunnerToolArgs, TeamTool
    from flowgen.tools.workbench import (
        ImageResultContent,
        ResultContent,
        StreamWorkbench,
        TextResultContent,
        ToolResult,
        Workbench,
    )

_LAZY = {
    "CodeExecutionInput": "flowgen.tools.code_execution",
    "CodeExecutionResult": "flowgen.tools.code_execution",
    "PythonCodeExecutionTool": "flowgen.tools.code_execution",
    "AgentTool": "flowgen.tools.task_runner_tool",
    "FunctionTool": "flowgen.tools.function_tool",
    "TaskRunnerTool": "flowgen.tools.task_runner_tool",
    "TaskRunnerToolArgs": "flowgen.tools.task_runner_tool",
    "TeamTool": "flowgen.tools.task_runner_tool",
    "StaticStreamWorkbench": "flowgen.tools.static_workbench",
    "StaticWorkbench": "flowgen.tools.static_workbench",
    "ToolOverride": "flowgen.tools.static_workbench",
    "ImageResultContent": "flowgen.tools.workbench",
    "ResultContent": "flowgen.tools.workbench",
    "StreamWorkbench": "flowgen.tools.workbench",
    "TextResultContent": "flowgen.tools.workbench",
    "ToolResult": "flowgen.tools.workbench",
    "Workbench": "flowgen.tools.workbench",
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)


__all__ = [
    "AgentTool",
    "BaseTool",
    "CodeExecutionInput",
    "CodeExecutionResult",
    "FunctionTool",
    "PythonCodeExecutionTool",
    "ImageResultContent",
    "ResultContent",
    "StaticStreamWorkbench",
    "StaticWorkbench",
    "StreamWorkbench",
    "TaskRunnerTool",
    "TaskRunnerToolArgs",
    "TeamTool",
    "TextResultContent",
    "ToolOverride",
    "ToolResult",
    "Workbench",
    "render_return_value",
]
