"""FunctionTool: schema from the signature, sync/async execution, cancellation, rendering, strict mode."""

from __future__ import annotations

import asyncio
import threading
from typing import Annotated

import pytest
from pydantic import BaseModel

from flowgen.core import CancellationToken
from flowgen.errors import ConfigurationError, ToolArgumentsError
from flowgen.tools import FunctionTool


class Point(BaseModel):
    x: int
    y: int


def add(a: int, b: Annotated[int, "The second addend."] = 2) -> int:
    """Add two numbers.

    Args:
        a: The first addend.
        b: Ignored here; the Annotated text wins.
    """
    return a + b


def test_schema_comes_from_signature_hints_and_docstring() -> None:
    tool = FunctionTool(add, description="Add.")
    schema = tool.schema
    assert schema["name"] == "add"
    assert schema["description"] == "Add."
    params = schema["parameters"]
    assert params["required"] == ["a"]
    assert params["properties"]["a"]["type"] == "integer"
    assert params["properties"]["a"]["description"] == "The first addend."
    assert params["properties"]["b"]["description"] == "The second addend."
    assert params["properties"]["b"]["default"] == 2
    assert params["additionalProperties"] is False
    assert schema["strict"] is False


def test_name_overrides_the_function_name() -> None:
    assert FunctionTool(add, description="Add.", name="plus").schema["name"] == "plus"


def test_nested_models_are_inlined_without_refs() -> None:
    def move(point: Point) -> str:
        return "ok"

    params = FunctionTool(move, description="Move.").schema["parameters"]
    assert "$ref" not in str(params)
    assert params["properties"]["point"]["properties"]["x"]["type"] == "integer"


def test_pydantic_arguments_arrive_as_model_instances() -> None:
    seen: list[object] = []

    def move(point: Point) -> str:
        seen.append(point)
        return "moved"

    tool = FunctionTool(move, description="Move.")
    assert asyncio.run(tool.run_json({"point": {"x": 1, "y": 2}}, CancellationToken())) == "moved"
    assert seen == [Point(x=1, y=2)]


async def test_sync_function_runs_off_the_event_loop() -> None:
    loop_thread = threading.get_ident()

    def where() -> int:
        return threading.get_ident()

    tool = FunctionTool(where, description="Thread id.")
    assert await tool.run_json({}, CancellationToken()) != loop_thread


async def test_async_function_is_awaited() -> None:
    async def double(n: int) -> int:
        await asyncio.sleep(0)
        return 2 * n

    assert await FunctionTool(double, description="Double.").run_json({"n": 4}, CancellationToken()) == 8


async def test_cancellation_token_parameter_is_injected_and_hidden() -> None:
    received: list[CancellationToken] = []

    async def job(n: int, cancellation_token: CancellationToken) -> int:
        received.append(cancellation_token)
        return n

    tool = FunctionTool(job, description="Job.")
    token = CancellationToken()
    assert "cancellation_token" not in tool.schema["parameters"]["properties"]
    assert await tool.run_json({"n": 1}, token) == 1
    assert received == [token]


async def test_cancelling_the_token_stops_an_async_tool() -> None:
    started = asyncio.Event()

    async def forever() -> str:
        started.set()
        await asyncio.Event().wait()
        return "never"

    token = CancellationToken()
    tool = FunctionTool(forever, description="Waits.")
    async with asyncio.TaskGroup() as group:
        run = group.create_task(tool.run_json({}, token))
        await started.wait()
        token.cancel()
        with pytest.raises(asyncio.CancelledError):
            await run


async def test_invalid_arguments_raise_tool_arguments_error_naming_the_field() -> None:
    tool = FunctionTool(add, description="Add.")
    with pytest.raises(ToolArgumentsError, match=r"'add'.*a: Input should be a valid integer"):
        await tool.run_json({"a": "many"}, CancellationToken())
    with pytest.raises(ValueError, match="a: Field required"):
        await tool.run_json({}, CancellationToken())


def test_strict_tool_forbids_extra_arguments_in_schema() -> None:
    def pick(a: int) -> int:
        return a

    schema = FunctionTool(pick, description="Pick.", strict=True).schema
    assert schema["strict"] is True
    assert schema["parameters"]["additionalProperties"] is False
    assert schema["parameters"]["required"] == ["a"]


def test_strict_tool_with_defaults_fails_at_construction() -> None:
    with pytest.raises(ConfigurationError, match=r"strict.*\bb\b.*defaults"):
        FunctionTool(add, description="Add.", strict=True)


@pytest.mark.parametrize(
    ("value", "text"),
    [("plain", "plain"), (Point(x=1, y=2), '{"x": 1, "y": 2}'), (42, "42"), ([1, 2], "[1, 2]")],
)
def test_return_value_is_rendered_as_text(value: object, text: str) -> None:
    assert FunctionTool(add, description="Add.").return_value_as_string(value) == text


def test_plain_callables_and_partials_are_accepted() -> None:
    import functools

    tool = FunctionTool(functools.partial(add, b=5), description="Add five.")
    assert tool.name == "add"
    assert asyncio.run(tool.run_json({"a": 1}, CancellationToken())) == 6
