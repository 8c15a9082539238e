"""FunctionTool: a Python function (sync or async) offered to a model as a tool."""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import BaseModel

from flowgen.core import CancellationToken
from flowgen.tools.base import BaseTool
from flowgen.tools.blocking_call import contained, run_in_thread
from flowgen.tools.signature import read_signature


def _function_name(func: Callable[..., Any]) -> str:
    target = func.func if isinstance(func, functools.partial) else func
    return str(getattr(target, "__name__", type(target).__name__))


class FunctionTool(BaseTool[BaseModel, Any]):
    """Wraps ``func``; the arguments schema comes from its signature, type hints and docstring.

    Sync functions run in a daemon thread of their own so they never block the event loop (a
    cancelled run ends at once; the thread runs on until the function returns, see
    ``flowgen.tools.blocking_call``); async functions are awaited. A parameter annotated ``CancellationToken`` receives the call's token and is not shown
    to the model. ``strict=True`` forbids defaults and extra arguments.

    Example:
        >>> import asyncio
        >>> def add(a: int, b: int = 1) -> int:
        ...     '''Add two numbers.
        ...
        ...     Args:
        ...         a: The first number.
        ...         b: The second number.
        ...     '''
        ...     return a + b
        >>> tool = FunctionTool(add, description="Add two numbers.")
        >>> tool.schema["parameters"]["properties"]["a"]["description"]
        'The first number.'
        >>> asyncio.run(tool.run_json({"a": 2}, CancellationToken()))
        3
    """

    def __init__(
        self,
        func: Callable[..., Any],
        description: str,
        name: str | None = None,
        global_imports: Sequence[Any] = [],
        strict: bool = False,
    ) -> None:
        self._func = func
        self._global_imports = list(global_imports)
        tool_name = name or _function_name(func)
        self._signature = read_signature(func, f"{tool_name}args", strict)
        self._is_async = inspect.iscoroutinefunction(func) or inspect.iscoroutinefunction(
            getattr(func, "__call__", None)  # noqa: B004 - async callable objects
        )
        super().__init__(
            self._signature.args_model, self._signature.return_type, tool_name, description, strict
        )

    @property
    def func(self) -> Callable[..., Any]:
        return self._func

    async def run(self, args: BaseModel, cancellation_token: CancellationToken) -> Any:
        kwargs = {name: getattr(args, name) for name in self._signature.arg_names}
        if self._signature.token_param is not None:
            kwargs[self._signature.token_param] = cancellation_token
        if self._is_async:
            work: asyncio.Future[Any] = asyncio.ensure_future(contained(self._func(**kwargs), self.name))
        else:
            # A thread keeps a blocking function off the loop; contextvars travel with it.
            work = run_in_thread(self._func, self.name, **kwargs)
        cancellation_token.link_future(work)
        return await work
