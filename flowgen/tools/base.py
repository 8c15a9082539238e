"""BaseTool: something a model can call, described by a JSON schema (AutoGen's ``autogen_core.tools``)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from flowgen.core import CancellationToken
from flowgen.core.component import Component
from flowgen.errors import ToolArgumentsError
from flowgen.models.types import ToolSchema
from flowgen.tools.schema import build_tool_schema

ArgsT = TypeVar("ArgsT", bound=BaseModel)
ReturnT = TypeVar("ReturnT")


def render_return_value(value: Any) -> str:
    """The text a model reads for a tool's return value: str as is, pydantic models as JSON, else ``str``."""
    if isinstance(value, str):
        return value
    if isinstance(value, BaseModel):
        import json  # here: most programs never render a model result, and json costs start-up time

        dumped = value.model_dump(mode="json")
        return json.dumps(dumped) if isinstance(dumped, dict) else str(dumped)
    return str(value)


def describe_validation_error(tool_name: str, error: ValidationError) -> str:
    problems = "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'arguments'}: {e['msg']}" for e in error.errors()
    )
    return f"invalid arguments for tool {tool_name!r}: {problems}"


class BaseTool(ABC, Component[Any], Generic[ArgsT, ReturnT]):
    """A tool with typed arguments (a pydantic model) and a return type.

    Subclasses implement :meth:`run`; the JSON schema is built once, at construction.

    Example:
        >>> from pydantic import BaseModel
        >>> class EchoArgs(BaseModel):
        ...     text: str
        >>> class Echo(BaseTool[EchoArgs, str]):
        ...     def __init__(self) -> None:
        ...         super().__init__(EchoArgs, str, "echo", "Repeat the text.")
        ...     async def run(self, args: EchoArgs, cancellation_token: CancellationToken) -> str:
        ...         return args.text
        >>> import asyncio
        >>> asyncio.run(Echo().run_json({"text": "hi"}, CancellationToken()))
        'hi'
        >>> Echo().schema["parameters"]["required"]
        ['text']
    """

    def __init__(
        self,
        args_type: type[ArgsT],
        return_type: type[ReturnT] | Any,
        name: str,
        description: str,
        strict: bool = False,
    ) -> None:
        self._args_type = args_type
        self._return_type = return_type
        self._name = name
        self._description = description
        self._strict = strict
        self._schema = build_tool_schema(name, description, args_type, strict)

    @property
    def schema(self) -> ToolSchema:
        """The JSON description the model is offered (built once; do not mutate)."""
        return self._schema

    @property
    def name(self) -> str:
        return self._name

    @property
    def description(self) -> str:
        return self._description

    def args_type(self) -> type[BaseModel]:
        return self._args_type

    def return_type(self) -> Any:
        return self._return_type

    def state_type(self) -> type[BaseModel] | None:
        return None

    def return_value_as_string(self, value: Any) -> str:
        """The text the model reads for ``value``."""
        return render_return_value(value)

    @abstractmethod
    async def run(self, args: ArgsT, cancellation_token: CancellationToken) -> ReturnT:
        """Carry out the call with validated arguments."""

    def validate_args(self, args: Mapping[str, Any]) -> ArgsT:
        """Turn the model's arguments into ``args_type``; raise ToolArgumentsError naming each problem."""
        try:
            return self._args_type.model_validate(args)
        except ValidationError as e:
            raise ToolArgumentsError(describe_validation_error(self._name, e)) from e

    async def run_json(
        self, args: Mapping[str, Any], cancellation_token: CancellationToken, call_id: str | None = None
    ) -> Any:
        """Validate ``args`` (parsed JSON from the model) and run the tool."""
        return await self.run(self.validate_args(args), cancellation_token)

    async def save_state_json(self) -> Mapping[str, Any]:
        """The tool's state, for saving with its agent. Stateless tools return {}."""
        return {}

    async def load_state_json(self, state: Mapping[str, Any]) -> None:
        """Restore what :meth:`save_state_json` returned."""
