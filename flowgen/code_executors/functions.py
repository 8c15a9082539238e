"""Functions made importable to executed code: ``with_requirements`` and the module file they become.

An executor given ``functions=[...]`` writes one Python module (``functions_module``, "functions" by
default) into its work dir holding each function's source and the imports it declared, so that code
can say ``from functions import load_data``.
"""

from __future__ import annotations

import functools
import inspect
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, ParamSpec, TypeVar

from flowgen.errors import ConfigurationError

T = TypeVar("T")
P = ParamSpec("P")


@dataclass(frozen=True)
class Alias:
    """``import name as alias``."""

    name: str
    alias: str


@dataclass(frozen=True)
class ImportFromModule:
    """``from module import a, b as c``."""

    module: str
    imports: tuple[str | Alias, ...]

    def __init__(self, module: str, imports: Sequence[str | Alias]) -> None:
        object.__setattr__(self, "module", module)
        object.__setattr__(self, "imports", tuple(imports))


Import = str | ImportFromModule | Alias


def import_to_str(im: Import) -> str:
    """The import statement for ``im``."""
    if isinstance(im, str):
        return f"import {im}"
    if isinstance(im, Alias):
        return f"import {im.name} as {im.alias}"
    names = ", ".join(n if isinstance(n, str) else f"{n.name} as {n.alias}" for n in im.imports)
    return f"from {im.module} import {names}"


@dataclass
class FunctionWithRequirements(Generic[T, P]):
    """A function plus the packages and imports its source needs where the code runs."""

    func: Callable[P, T]
    python_packages: Sequence[str] = field(default_factory=list)
    global_imports: Sequence[Import] = field(default_factory=list)

    @classmethod
    def from_callable(
        cls,
        func: Callable[P, T],
        python_packages: Sequence[str] = (),
        global_imports: Sequence[Import] = (),
    ) -> FunctionWithRequirements[T, P]:
        return cls(func=func, python_packages=list(python_packages), global_imports=list(global_imports))

    @staticmethod
    def from_str(
        func: str, python_packages: Sequence[str] = (), global_imports: Sequence[Import] = ()
    ) -> FunctionWithRequirementsStr:
        return FunctionWithRequirementsStr(func, python_packages, global_imports)

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> T:
        return self.func(*args, **kwargs)


class FunctionWithRequirementsStr:
    """A function given as source text; it is compiled here once so a broken one fails at once."""

    def __init__(
        self, func: str, python_packages: Sequence[str] = (), global_imports: Sequence[Import] = ()
    ) -> None:
        self.func = func
        self.python_packages = list(python_packages)
        self.global_imports = list(global_imports)
        namespace: dict[str, Any] = {}
        try:
            exec(compile(func, "<function source>", "exec"), namespace)
        except Exception as e:
            raise ConfigurationError(f"the function source does not compile or run: {e}") from e
        found = [v for k, v in namespace.items() if inspect.isfunction(v) and not k.startswith("__")]
        if len(found) != 1:
            raise ConfigurationError(
                f"the function source must define exactly one function, it defines {len(found)}"
            )
        self.compiled_func: Callable[..., Any] = found[0]

    def __call__(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError("a function given as source text runs only inside the executor")


AnyFunction = FunctionWithRequirements[Any, Any] | Callable[..., Any] | FunctionWithRequirementsStr


def with_requirements(
    python_packages: Sequence[str] = (), global_imports: Sequence[Import] = ()
) -> Callable[[Callable[P, T]], FunctionWithRequirements[T, P]]:
    """Decorate a function with the packages and imports it needs inside an executor.

    Example:
        >>> @with_requirements(global_imports=["math"])
        ... def circle_area(r: float) -> float:
        ...     return math.pi * r * r
        >>> "import math" in build_python_functions_file([circle_area])
        True
    """

    def wrap(func: Callable[P, T]) -> FunctionWithRequirements[T, P]:
        wrapped = FunctionWithRequirements(
            func=func, python_packages=list(python_packages), global_imports=list(global_imports)
        )
        functools.update_wrapper(wrapped, func)
        return wrapped

    return wrap


def function_source(func: AnyFunction) -> str:
    """The source of ``func`` without its decorators."""
    if isinstance(func, FunctionWithRequirementsStr):
        return func.func
    target = func.func if isinstance(func, FunctionWithRequirements) else func
    source = textwrap.dedent(inspect.getsource(target))
    lines = source.splitlines(keepends=True)
    # Decorators are not importable where the code runs (with_requirements itself is not there).
    while lines and lines[0].lstrip().startswith("@"):
        lines.pop(0)
    return "".join(lines)


def required_packages(funcs: Sequence[AnyFunction]) -> list[str]:
    """Every package the functions declared, each once, in first-seen order."""
    seen: dict[str, None] = {}
    for func in funcs:
        if isinstance(func, FunctionWithRequirements | FunctionWithRequirementsStr):
            seen.update(dict.fromkeys(func.python_packages))
    return list(seen)


def build_python_functions_file(funcs: Sequence[AnyFunction]) -> str:
    """The module text holding every function and, first, every import they declared."""
    imports: dict[str, None] = {}
    for func in funcs:
        if isinstance(func, FunctionWithRequirements | FunctionWithRequirementsStr):
            imports.update(dict.fromkeys(import_to_str(im) for im in func.global_imports))
    parts = ["\n".join(imports), *(function_source(f) for f in funcs)]
    return "\n\n".join(parts) + "\n"


def to_stub(func: Callable[..., Any] | FunctionWithRequirementsStr) -> str:
    """A ``def`` line with the docstring and ``...``: what a prompt shows of a function."""
    target = func.compiled_func if isinstance(func, FunctionWithRequirementsStr) else func
    if isinstance(target, FunctionWithRequirements):
        target = target.func
    stub = f"def {target.__name__}{_signature(target)}:\n"
    if target.__doc__:
        stub += textwrap.indent('"""' + textwrap.dedent(target.__doc__) + '"""', "    ") + "\n"
    return stub + "    ..."


def _signature(func: Callable[..., Any]) -> inspect.Signature:
    # Modules with postponed annotations hold them as strings; a prompt reads better without quotes.
    try:
        return inspect.signature(func, eval_str=True)
    except Exception:
        return inspect.signature(func)
