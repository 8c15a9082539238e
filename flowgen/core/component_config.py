"""Component configs: agents, teams, models, tools ... described as JSON, dumped and loaded safely.

A component is AutoGen's ``ComponentModel``: ``provider`` (the class, by import name),
``component_type``, ``version``/``component_version``, ``description``, ``label`` and ``config``
(the constructor's arguments, nested components as ComponentModels). flowgen reads the configs AutoGen
0.7 writes (its ``autogen_*`` provider names map to flowgen's) and differs where AutoGen is unsafe:

- only providers on an allowlist are imported: flowgen's own components and the names the caller
  passes in ``allowed_providers``; anything else is refused before any import;
- a config carrying source code (AutoGen's FunctionTool) is refused unless the caller passes
  ``trust_source_code=True``; flowgen itself stores functions as import references;
- secrets are stored as references to environment variables (``{"$env": "NAME"}``), never as text
  and never as a mask that would load back as the mask;
- every error names the JSON path of the problem (``config.participants[1].config.model_client...``).

flowgen's own classes are described by :class:`ComponentSpec` entries registered from
``flowgen.components``; a user's class becomes a component the AutoGen way, by subclassing
:class:`~flowgen.core.component.Component` with ``component_type``, ``component_config_schema``,
``_to_config`` and ``_from_config``.
"""

from __future__ import annotations

import contextvars
import importlib
import inspect
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar, overload

from pydantic import BaseModel, ConfigDict, ValidationError

from flowgen.errors import ComponentConfigError, UntrustedSourceCodeError

ExpectedT = TypeVar("ExpectedT")


class ComponentModel(BaseModel):
    """A component as data: which class (``provider``) and the arguments to build it (``config``)."""

    model_config = ConfigDict(defer_build=True)  # built on the first dump or load, not at start-up

    provider: str
    component_type: str | None = None
    version: int | None = None
    component_version: int | None = None
    description: str | None = None
    label: str | None = None
    config: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ComponentSpec:
    """How one flowgen class is dumped to and loaded from its config."""

    provider: str
    cls: type[Any]
    component_type: str
    config_schema: type[BaseModel]
    to_config: Callable[[Any], BaseModel]
    from_config: Callable[[Any], Any]
    version: int = 1


# The modules that register flowgen's own components; imported on the first dump or load. A new
# kind of component (code executors, say) adds its module here and calls register_component there.
BUILTIN_COMPONENT_MODULES: list[str] = [
    "flowgen.components.conditions",
    "flowgen.components.contexts",
    "flowgen.components.models",
    "flowgen.components.tools",
    "flowgen.components.agents",
    "flowgen.components.teams",
]

# Components whose module is slow to import (an SDK): their specs load only when one is dumped or
# loaded. Keys are provider names and the classes' own module paths (what dumping sees).
DEFERRED_COMPONENT_MODULES: dict[str, str] = dict.fromkeys(
    (
        "flowgen.models.openai.OpenAIChatCompletionClient",
        "flowgen.models.openai.client.OpenAIChatCompletionClient",
        "flowgen.models.anthropic.AnthropicChatCompletionClient",
        "flowgen.models.anthropic.client.AnthropicChatCompletionClient",
    ),
    "flowgen.components.sdk_models",
)

_BY_PROVIDER: dict[str, ComponentSpec] = {}
_BY_TYPE: dict[type[Any], ComponentSpec] = {}
_loaded_builtins = False

# AutoGen's names for the same components; the class name after the module is kept.
AUTOGEN_MODULES: dict[str, str] = {
    "autogen_agentchat.agents": "flowgen.agents",
    "autogen_agentchat.teams": "flowgen.teams",
    "autogen_agentchat.conditions": "flowgen.conditions",
    "autogen_agentchat.base": "flowgen.base",
    "autogen_agentchat.tools": "flowgen.tools",
    "autogen_core.tools": "flowgen.tools",
    "autogen_core.model_context": "flowgen.model_context",
    "autogen_ext.models.replay": "flowgen.models",
    "autogen_ext.models.openai": "flowgen.models.openai",
    "autogen_ext.models.anthropic": "flowgen.models.anthropic",
    "autogen_ext.tools.mcp": "flowgen.tools.mcp",
}

# AutoGen's short provider names.
WELL_KNOWN_PROVIDERS: dict[str, str] = {
    "openai_chat_completion_client": "flowgen.models.openai.OpenAIChatCompletionClient",
    "OpenAIChatCompletionClient": "flowgen.models.openai.OpenAIChatCompletionClient",
    "azure_openai_chat_completion_client": "flowgen.models.openai.AzureOpenAIChatCompletionClient",
    "AzureOpenAIChatCompletionClient": "flowgen.models.openai.AzureOpenAIChatCompletionClient",
}


def register_component(spec: ComponentSpec) -> None:
    """Make ``spec.cls`` dumpable and ``spec.provider`` loadable (and allowed)."""
    _BY_PROVIDER[spec.provider] = spec
    _BY_TYPE[spec.cls] = spec


def _load_builtins() -> None:
    global _loaded_builtins
    if not _loaded_builtins:
        _loaded_builtins = True
        for module in BUILTIN_COMPONENT_MODULES:
            importlib.import_module(module)


def _spec_for_provider(provider: str) -> ComponentSpec | None:
    if provider not in _BY_PROVIDER and provider in DEFERRED_COMPONENT_MODULES:
        importlib.import_module(DEFERRED_COMPONENT_MODULES[provider])
    return _BY_PROVIDER.get(provider)


def _spec_for_type(cls: type[Any]) -> ComponentSpec | None:
    name = f"{cls.__module__}.{cls.__qualname__}"
    if cls not in _BY_TYPE and name in DEFERRED_COMPONENT_MODULES:
        importlib.import_module(DEFERRED_COMPONENT_MODULES[name])
    return _BY_TYPE.get(cls)


def flowgen_provider(provider: str) -> str:
    """flowgen's name for ``provider`` (AutoGen's names mapped; flowgen's and unknown ones unchanged)."""
    provider = WELL_KNOWN_PROVIDERS.get(provider, provider)
    module, _, name = provider.rpartition(".")
    mapped = AUTOGEN_MODULES.get(module)
    return f"{mapped}.{name}" if mapped is not None else provider


# ---------------------------------------------------------------------------------------------
# Loading: the options of the outermost load_component apply to the components it loads inside.


@dataclass(frozen=True, slots=True)
class _LoadOptions:
    allowed: frozenset[str]
    trust_source_code: bool


_OPTIONS: contextvars.ContextVar[_LoadOptions | None] = contextvars.ContextVar(
    "component_options", default=None
)
_PATH: contextvars.ContextVar[str] = contextvars.ContextVar("component_path", default="")


def join_path(path: str, segment: str) -> str:
    """``path`` extended by a key (``a.b``) or an index (``a[1]``)."""
    if segment.startswith("["):
        return f"{path}{segment}"
    return f"{path}.{segment}" if path else segment


def _error_path(path: str, loc: Sequence[int | str]) -> str:
    for part in loc:
        path = join_path(path, f"[{part}]" if isinstance(part, int) else str(part))
    return path


def _is_component(node: Mapping[str, Any]) -> bool:
    return isinstance(node.get("provider"), str) and isinstance(node.get("config"), Mapping)


def _check_tree(node: Any, path: str, options: _LoadOptions) -> None:
    """Refuse providers off the allowlist and source code, anywhere in the tree, before importing anything."""
    if isinstance(node, Mapping):
        if _is_component(node):
            _check_provider(str(node["provider"]), join_path(path, "provider"), options)
            config = node["config"]
            if config.get("source_code") and not options.trust_source_code:
                raise UntrustedSourceCodeError(
                    join_path(path, "config.source_code"),
                    "this config carries source code, which loading would execute; refused. Replace it "
                    "with a reference to an importable function, or pass trust_source_code=True (--trust-source-code on the command line) if you "
                    "wrote this file yourself",
                )
            _check_tree(config, join_path(path, "config"), options)
            return
        for key, value in node.items():
            _check_tree(value, join_path(path, str(key)), options)
    elif isinstance(node, list | tuple):
        for index, value in enumerate(node):
            _check_tree(value, join_path(path, f"[{index}]"), options)


def _user_allowed(name: str, allowed: frozenset[str]) -> bool:
    """``name`` is listed, or lies in a listed module (``myapp.tools`` allows ``myapp.tools.X``)."""
    return any(name == a or name.startswith((f"{a}.", f"{a}:")) for a in allowed)


def _check_provider(provider: str, path: str, options: _LoadOptions) -> None:
    name = flowgen_provider(provider)
    if name in _BY_PROVIDER or name in DEFERRED_COMPONENT_MODULES:
        return
    if _user_allowed(name, options.allowed) or _user_allowed(provider, options.allowed):
        return
    if name != provider and name.startswith("flowgen."):
        raise ComponentConfigError(
            path, f"{provider!r} has no flowgen counterpart that loads from a config yet"
        )
    raise ComponentConfigError(
        path,
        f"not an allowed provider ({provider!r}); flowgen loads only its own components and the "
        "providers you list: pass allowed_providers=[...] naming it (--allow on the command line) if you trust it",
    )


def _component_class(provider: str, path: str) -> type[Any]:
    module_name, _, class_name = provider.rpartition(".")
    try:
        found = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError, ValueError) as e:
        raise ComponentConfigError(path, f"cannot import {provider!r}: {e}") from e
    if not (inspect.isclass(found) and hasattr(found, "_from_config") and _own_schema(found) is not None):
        raise ComponentConfigError(
            path,
            f"{provider!r} is not a component class (a Component subclass with component_config_schema, "
            "_to_config and _from_config)",
        )
    return found


def _own_schema(cls: type[Any]) -> type[BaseModel] | None:
    schema = getattr(cls, "component_config_schema", None)
    return schema if inspect.isclass(schema) and issubclass(schema, BaseModel) else None


def _validated(schema: type[BaseModel], config: Mapping[str, Any], path: str) -> BaseModel:
    try:
        return schema.model_validate(config)
    except ValidationError as e:
        first = e.errors()[0]
        raise ComponentConfigError(_error_path(join_path(path, "config"), first["loc"]), first["msg"]) from e


def _build(model: ComponentModel, path: str) -> Any:
    provider = flowgen_provider(model.provider)
    spec = _spec_for_provider(provider)
    if spec is not None:
        config = _validated(spec.config_schema, model.config, path)
        return _constructed(lambda: spec.from_config(config), path)
    cls = _component_class(provider, join_path(path, "provider"))
    schema = _own_schema(cls)
    assert schema is not None
    config = _validated(schema, model.config, path)
    return _constructed(lambda: cls._from_config(config), path)


def _constructed(build: Callable[[], Any], path: str) -> Any:
    try:
        return build()
    except ComponentConfigError:
        raise
    except (ValueError, TypeError) as e:
        raise ComponentConfigError(join_path(path, "config") if path else "config", str(e)) from e


def _as_model(model: ComponentModel | Mapping[str, Any], path: str) -> ComponentModel:
    if isinstance(model, ComponentModel):
        return model
    try:
        return ComponentModel.model_validate(model)
    except ValidationError as e:
        first = e.errors()[0]
        raise ComponentConfigError(_error_path(path, first["loc"]), first["msg"]) from e


@overload
def load_component(
    model: ComponentModel | Mapping[str, Any],
    expected: None = None,
    *,
    allowed_providers: Sequence[str] = (),
    trust_source_code: bool = False,
) -> Any: ...


@overload
def load_component(
    model: ComponentModel | Mapping[str, Any],
    expected: type[ExpectedT],
    *,
    allowed_providers: Sequence[str] = (),
    trust_source_code: bool = False,
) -> ExpectedT: ...


def load_component(
    model: ComponentModel | Mapping[str, Any],
    expected: type[Any] | None = None,
    *,
    allowed_providers: Sequence[str] = (),
    trust_source_code: bool = False,
) -> Any:
    """Build the component ``model`` describes, after checking the whole tree.

    Inside another component's loading (a team loading its agents), the outer call's
    ``allowed_providers`` and ``trust_source_code`` apply and cannot be widened.

    Raises:
        ComponentConfigError: naming the JSON path of the first problem.
        UntrustedSourceCodeError: the config carries source code and ``trust_source_code`` is False.
    """
    _load_builtins()
    outer = _OPTIONS.get()
    path = _PATH.get()
    raw = model.model_dump() if isinstance(model, ComponentModel) else model
    if outer is None:
        options = _LoadOptions(frozenset(allowed_providers), trust_source_code)
        _check_tree(raw, path, options)
        token = _OPTIONS.set(options)
        try:
            built = _build(_as_model(model, path), path)
        finally:
            _OPTIONS.reset(token)
    else:
        _check_tree(raw, path, outer)
        built = _build(_as_model(model, path), path)
    if expected is not None and not isinstance(built, expected):
        raise ComponentConfigError(
            path or "provider",
            f"expected a {expected.__name__}, but the config describes a {type(built).__name__}",
        )
    return built


def function_reference(func: Callable[..., Any]) -> str:
    """``module:qualname`` of an importable function, checked to import back to ``func`` itself."""
    module, qualname = getattr(func, "__module__", None), getattr(func, "__qualname__", None)
    if not module or not qualname or "<" in qualname or module == "__main__":
        raise ComponentConfigError(
            "",
            f"{func!r} cannot be stored as a reference: only a function defined at the top level of an "
            "importable module can (not a lambda, a nested function, or one defined in __main__)",
        )
    return f"{module}:{qualname}"


def config_path(segment: str) -> str:
    """The JSON path of ``segment`` in the config being loaded now."""
    return join_path(join_path(_PATH.get(), "config"), segment)


def resolve_function(reference: str, segment: str) -> Callable[..., Any]:
    """Import the function ``reference`` names, if its module is allowed by the current load."""
    path = config_path(segment)
    options = _OPTIONS.get()
    module_name, _, qualname = reference.partition(":")
    if not module_name or not qualname:
        raise ComponentConfigError(
            path, f"{reference!r} is not a function reference; write 'module:function'"
        )
    allowed = options.allowed if options is not None else frozenset()
    if not (_user_allowed(reference, allowed) or reference.startswith("flowgen.testing.")):
        raise ComponentConfigError(
            path,
            f"{reference!r} is not in an allowed module; loading it would import and run that module: "
            f"pass allowed_providers=[{module_name!r}] if you trust it",
        )
    try:
        found: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            found = getattr(found, part)
    except (ImportError, AttributeError) as e:
        raise ComponentConfigError(path, f"cannot import {reference!r}: {e}") from e
    if not callable(found):
        raise ComponentConfigError(path, f"{reference!r} is not callable")
    return found  # type: ignore[no-any-return]


def trusts_source_code() -> bool:
    """Whether the load under way was allowed to run source code from its config."""
    options = _OPTIONS.get()
    return options is not None and options.trust_source_code


@contextmanager
def _at(path: str) -> Iterator[None]:
    token = _PATH.set(path)
    try:
        yield
    finally:
        _PATH.reset(token)


def load_child(model: ComponentModel | Mapping[str, Any], segment: str, expected: Any) -> Any:
    """Load a component nested in the config being loaded; ``segment`` is its key (``participants[1]``)."""
    with _at(config_path(segment)):
        return load_component(model, expected)


# ---------------------------------------------------------------------------------------------
# Dumping.


def _description(cls: type[Any]) -> str | None:
    doc = inspect.getdoc(cls)
    return doc.split("\n\n")[0].strip() if doc else None


def dump_component(component: Any) -> ComponentModel:
    """The ComponentModel describing ``component`` (raises ComponentConfigError if it cannot be described)."""
    _load_builtins()
    cls = type(component)
    spec = _spec_for_type(cls)
    if spec is not None:
        config = spec.to_config(component)
        return ComponentModel(
            provider=spec.provider,
            component_type=spec.component_type,
            version=spec.version,
            component_version=spec.version,
            description=_description(cls),
            label=cls.__name__,
            config=config.model_dump(mode="json"),
        )
    if _own_schema(cls) is not None and hasattr(component, "_to_config"):
        return _dump_own(component)
    raise ComponentConfigError(
        "",
        f"{cls.__module__}.{cls.__qualname__} cannot be dumped as a component: flowgen knows no config "
        "for it; make it a Component subclass (component_config_schema, _to_config, _from_config)",
    )


def _dump_own(component: Any) -> ComponentModel:
    """A user's Component subclass, dumped with its own ``_to_config``."""
    cls = type(component)
    provider = cls.component_provider_override or f"{cls.__module__}.{cls.__qualname__}"
    if "<locals>" in provider:
        raise ComponentConfigError("", f"{provider} is a local class: a component must be importable")
    return ComponentModel(
        provider=provider,
        component_type=cls.component_type,
        version=cls.component_version,
        component_version=cls.component_version,
        description=cls.component_description or _description(cls),
        label=cls.component_label or cls.__name__,
        config=component._to_config().model_dump(mode="json"),
    )
