"""Finding the team in a Python file: ``PATH[:NAME]`` to a team, a graph, or a function building one.

A ``.json``, ``.yaml`` or ``.yml`` file is a component config instead (``flowgen.core.component_config``): it
loads with flowgen's providers plus those given with ``--allow``, and source code in it only with
``--trust-source-code``.

The convention: a module exposes ``build(model_client=None)`` returning a team (or ``team`` / ``graph``
attributes). ``PATH:NAME`` picks any other attribute. A function is called with the model client
(None means: use your offline model) and, when it accepts one, ``max_turns``. A ``DiGraphBuilder``
(a graph with its agents) runs as a GraphFlow; a bare ``GraphSpec`` can be drawn and checked.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import inspect
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from flowgen.base import Team
from flowgen.errors import CLIError, ComponentConfigError
from flowgen.graph.spec import GraphSpec
from flowgen.models import ChatCompletionClient
from flowgen.teams import DiGraphBuilder, GraphFlow

DEFAULT_NAMES = ("build", "team", "graph")
Runnable = (Team, GraphSpec, DiGraphBuilder)
"""What a module may expose directly (besides a function returning one)."""
HOW_TO_EXPOSE = (
    "define `def build(model_client=None)` returning a team (or a `team` variable), or name it: PATH:NAME"
)


@dataclass(frozen=True, slots=True)
class Target:
    """What ``PATH[:NAME]`` named: the file, the attribute's name and its value.

    Example:
        >>> from pathlib import Path
        >>> target = Target(Path("graphs/x.py"), "build", lambda model_client=None: None)
        >>> target.label, target.is_factory
        ('graphs/x.py:build', True)
    """

    path: Path
    name: str
    value: object

    @property
    def label(self) -> str:
        return f"{self.path}:{self.name}"

    @property
    def is_factory(self) -> bool:
        return callable(self.value) and not isinstance(self.value, (*Runnable, type))


def split_target(text: str) -> tuple[Path, str | None]:
    """``"graphs/x.py:team"`` -> (path, "team"); the name is optional."""
    head, sep, tail = text.rpartition(":")
    if sep and tail.isidentifier() and head:
        return Path(head), tail
    return Path(text), None


COMPONENT_SUFFIXES = (".json", ".yaml", ".yml")


def add_component_options(parser: argparse.ArgumentParser) -> None:
    """The options that say what a component file may load."""
    parser.add_argument(
        "--allow",
        action="append",
        default=[],
        metavar="MODULE",
        help="a component file may load providers and functions from MODULE (repeatable)",
    )
    parser.add_argument(
        "--trust-source-code",
        action="store_true",
        help="a component file may carry source code, which loading runs (only for files you wrote)",
    )


def component_options(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "allowed_providers": list(getattr(args, "allow", None) or ()),
        "trust_source_code": bool(getattr(args, "trust_source_code", False)),
    }


def is_component_file(path: Path) -> bool:
    return path.suffix.lower() in COMPONENT_SUFFIXES


def load_target(
    text: str, *, allowed_providers: Sequence[str] = (), trust_source_code: bool = False
) -> Target:
    """Import the file and find the team (or graph, or factory) it exposes; or read a component file."""
    path, name = split_target(text)
    if not path.is_file():
        raise CLIError(
            f"no such file: {path} — check the path (the examples live in graphs/, e.g. graphs/write_review.py)"
        )
    if is_component_file(path):
        if name is not None:
            raise CLIError(f"{path} is a component file: it describes one team, so drop ':{name}'")
        return Target(path, "component", _component_factory(path, allowed_providers, trust_source_code))
    if path.suffix != ".py":
        raise CLIError(
            f"{path} is not a Python file nor a component file — pass the .py file that builds your team, "
            "or a team's .json/.yaml config"
        )
    module = import_file(path)
    if name is not None:
        if not hasattr(module, name):
            raise CLIError(f"{path} has no attribute {name!r} — {_available(module)}")
        return Target(path, name, getattr(module, name))
    for candidate in DEFAULT_NAMES:
        if hasattr(module, candidate):
            return Target(path, candidate, getattr(module, candidate))
    found = [(k, v) for k, v in vars(module).items() if isinstance(v, Runnable) and not k.startswith("_")]
    if len(found) == 1:
        return Target(path, found[0][0], found[0][1])
    raise CLIError(f"no team found in {path} — {HOW_TO_EXPOSE}")


def _component_factory(path: Path, allowed: Sequence[str], trusted: bool) -> Callable[..., object]:
    """A builder for the team a component file describes; ``max_turns`` overrides the file's."""
    from flowgen.core.component_config import load_component
    from flowgen.core.component_files import file_format, parse_component_text

    try:
        data = parse_component_text(path.read_text(encoding="utf-8"), file_format(path))
    except ComponentConfigError as exc:
        raise CLIError(f"{path}: {exc}") from exc

    def build(model_client: ChatCompletionClient | None = None, max_turns: int | None = None) -> object:
        if model_client is not None:
            raise CLIError(
                f"{path} names its own model clients, so --model cannot replace them — "
                "edit the model_client entries of the file"
            )
        config: Mapping[str, Any] = data
        if max_turns is not None:
            config = {**data, "config": {**data.get("config", {}), "max_turns": max_turns}}
        try:
            return load_component(config, allowed_providers=allowed, trust_source_code=trusted)
        except ComponentConfigError as exc:
            raise CLIError(f"{path}: {exc}") from exc

    build(None)  # refuse a bad file now, naming the problem, before anything runs
    return build


def import_file(path: Path) -> ModuleType:
    """Import ``path``; inside a package (``__init__.py`` beside it) it is imported as the package's module."""
    root, dotted = _module_name(path.resolve())
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    try:
        if dotted is not None:
            return importlib.import_module(dotted)
        spec = importlib.util.spec_from_file_location(f"flowgen_user_{path.stem}", path)
        if spec is None or spec.loader is None:  # pragma: no cover - a .py file always has a loader
            raise CLIError(f"cannot import {path}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        return module
    except CLIError:
        raise
    except SystemExit as exc:
        raise _exited(f"{path}, while being imported,", exc) from exc
    except Exception as exc:
        raise CLIError(
            f"could not import {path}: {type(exc).__name__}: {exc} — fix the error in that file"
        ) from exc


def _exited(who: str, exc: SystemExit) -> CLIError:
    """A module or builder that exits (sys.exit, SystemExit) did nothing flowgen can run: say so."""
    return CLIError(
        f"{who} called sys.exit({exc.code!r}), so there is no team to run — keep a script's entry point "
        'under `if __name__ == "__main__":` so that importing the file does not exit'
    )


def _module_name(path: Path) -> tuple[Path, str | None]:
    parts = [path.stem]
    folder = path.parent
    while (folder / "__init__.py").is_file():
        parts.insert(0, folder.name)
        folder = folder.parent
    if len(parts) == 1:
        return path.parent, None
    return folder, ".".join(parts)


def _available(module: ModuleType) -> str:
    names = [k for k, v in vars(module).items() if _drawable(v, module.__name__) and not k.startswith("_")]
    return f"it offers: {', '.join(sorted(names))}" if names else HOW_TO_EXPOSE


def _drawable(value: object, module: str) -> bool:
    if isinstance(value, Runnable):
        return True
    return inspect.isfunction(value) and value.__module__ == module  # defined there, not imported


def materialize(
    target: Target, model_client: ChatCompletionClient | None = None, max_turns: int | None = None
) -> Team | GraphSpec:
    """The team or graph ``target`` names, calling it first when it is a factory."""
    value: Any = target.value
    if target.is_factory:
        value = _call_factory(target, model_client, max_turns)
    elif model_client is not None:
        raise CLIError(
            f"{target.label} is a ready-made team, so --model cannot change its model — "
            "expose `def build(model_client=None)` instead"
        )
    if isinstance(value, DiGraphBuilder):
        return GraphFlow(value.get_participants(), value.build(), max_turns=max_turns, name=target.path.stem)
    if max_turns is not None and not target.is_factory:
        raise CLIError(
            f"{target.label} is a ready-made team — set max_turns where it is built, or expose build()"
        )
    if isinstance(value, Team | GraphSpec):
        return value
    raise CLIError(f"{target.label} is a {type(value).__name__}, not a team or a graph — {HOW_TO_EXPOSE}")


def _call_factory(target: Target, model_client: ChatCompletionClient | None, max_turns: int | None) -> object:
    factory: Any = target.value
    params = inspect.signature(factory).parameters
    kwargs: dict[str, object] = {}
    if params:
        kwargs[next(iter(params))] = model_client
    elif model_client is not None:
        raise CLIError(
            f"{target.label}() takes no model client, so --model cannot be applied — add a model_client parameter"
        )
    if max_turns is not None:
        if "max_turns" not in params:
            raise CLIError(
                f"{target.label}() takes no max_turns, so --max-turns cannot be applied — add a max_turns parameter"
            )
        kwargs["max_turns"] = max_turns
    try:
        return factory(**kwargs)
    except CLIError:
        raise
    except SystemExit as exc:
        raise _exited(f"{target.label}()", exc) from exc
    except TypeError as exc:
        raise CLIError(
            f"calling {target.label}() failed: {exc} — it should accept (model_client=None)"
        ) from exc
