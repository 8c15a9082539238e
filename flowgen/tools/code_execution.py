"""PythonCodeExecutionTool: a tool that runs Python with a code executor (AutoGen's, for AssistantAgent)."""

from __future__ import annotations

from pydantic import BaseModel, Field, model_serializer

from flowgen.code_executors.executor import CodeExecutor
from flowgen.code_executors.types import CodeBlock
from flowgen.core import CancellationToken
from flowgen.tools.base import BaseTool


class CodeExecutionInput(BaseModel):
    code: str = Field(description="The Python code to run; print what you want to see.")


class CodeExecutionResult(BaseModel):
    """Whether the code exited with 0, and its output (which is all the model reads)."""

    success: bool
    output: str

    @model_serializer
    def _as_output(self) -> str:
        return self.output


class PythonCodeExecutionTool(BaseTool[CodeExecutionInput, CodeExecutionResult]):
    """Lets a model run Python through ``executor``; give it a SandboxedCodeExecutor for safety.

    Example:
        >>> import asyncio
        >>> from flowgen.code_executors import SandboxedCodeExecutor
        >>> async def main() -> str:
        ...     async with SandboxedCodeExecutor(timeout=10) as executor:
        ...         tool = PythonCodeExecutionTool(executor)
        ...         result = await tool.run_json({"code": "print(2 ** 10)"}, CancellationToken())
        ...     return tool.return_value_as_string(result)
        >>> asyncio.run(main())
        '1024\\n'
    """

    def __init__(self, executor: CodeExecutor) -> None:
        super().__init__(
            CodeExecutionInput, CodeExecutionResult, "CodeExecutor", "Run Python code and return its output."
        )
        self._executor = executor

    async def run(
        self, args: CodeExecutionInput, cancellation_token: CancellationToken
    ) -> CodeExecutionResult:
        result = await self._executor.execute_code_blocks(
            [CodeBlock(code=args.code, language="python")], cancellation_token=cancellation_token
        )
        return CodeExecutionResult(success=result.exit_code == 0, output=result.output)

    def return_value_as_string(self, value: object) -> str:
        return (
            value.output if isinstance(value, CodeExecutionResult) else super().return_value_as_string(value)
        )
