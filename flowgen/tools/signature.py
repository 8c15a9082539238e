"""A pydantic arguments model read from a function's signature, type hints and docstring."""

from __future__ import annotations

import functools
import inspect
import re
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, create_model

from flowgen.core import CancellationToken
from flowgen.errors import ConfigurationError

_ARG_LINE = re.compile(r"^\s*(\*{0,2}\w+)\s*(?:\([^)]*\))?\s*:\s*(.*)$")
_SECTION = re.compile(r"^\s*(Args|Arguments|Parameters|Returns|Raises|Yields|Example|Examples|Note)s?:\s*$")


@dataclass(frozen=True, slots=True)
class FunctionSignature:
    """What calling the function needs: its arguments model, argument names and the token parameter."""

    args_model: type[BaseModel]
    arg_names: tuple[str, ...]
    token_param: str | None
    return_type: Any


def docstring_arg_descriptions(doc: str | None) -> dict[str, str]:
    """Per-argument descriptions from a Google-style ``Args:`` section."""
    if not doc:
        return {}
    found: dict[str, str] = {}
    in_args = False
    current: str | None = None
    for line in inspect.cleandoc(doc).splitlines():
        section = _SECTION.match(line)
        if section:
            in_args = section.group(1) in ("Args", "Arguments", "Parameters")
            current = None
            continue
        if not in_args:
            continue
        match = _ARG_LINE.match(line)
        if match and (len(line) - len(line.lstrip())) <= 4:
            current = match.group(1).lstrip("*")
            found[current] = match.group(2).strip()
        elif current and line.strip():
            found[current] = f"{found[current]} {line.strip()}".strip()
    return found


def _annotated_description(annotation: Any) -> str | None:
    if get_origin(annotation) is Annotated:
        for meta in get_args(annotation)[1:]:
            if isinstance(meta, str):
                return meta
    return None


def _is_token(annotation: Any) -> bool:
    return annotation is CancellationToken or annotation == "CancellationToken"


def _type_hints(func: Callable[..., Any]) -> dict[str, Any]:
    target = func.func if isinstance(func, functools.partial) else func
    try:
        return typing.get_type_hints(target, include_extras=True)
    except (NameError, TypeError) as e:
        raise ConfigurationError(
            f"cannot resolve the type hints of {getattr(target, '__name__', target)!r}: {e}; "
            "import every type its signature names at module level"
        ) from e


def read_signature(func: Callable[..., Any], model_name: str, strict: bool) -> FunctionSignature:
    """Build the arguments model; a ``CancellationToken`` parameter is left out (the tool injects it)."""
    hints = _type_hints(func)
    docs = docstring_arg_descriptions(inspect.getdoc(func))
    fields: dict[str, Any] = {}
    names: list[str] = []
    token_param: str | None = None
    for param in inspect.signature(func).parameters.values():
        if param.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            continue
        annotation = hints.get(param.name, param.annotation)
        if annotation is inspect.Parameter.empty:
            annotation = Any
        if _is_token(annotation):
            token_param = param.name
            continue
        description = _annotated_description(annotation) or docs.get(param.name) or param.name
        default = ... if param.default is inspect.Parameter.empty else param.default
        fields[param.name] = (annotation, Field(default, description=description))
        names.append(param.name)
    config = ConfigDict(extra="forbid") if strict else ConfigDict()
    model = create_model(model_name, __config__=config, **fields)
    return FunctionSignature(model, tuple(names), token_param, hints.get("return", Any))
