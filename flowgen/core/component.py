"""Component: the interface of everything that can be described as a component config.

flowgen's base classes (agents, teams, termination conditions, model clients, model contexts, tools,
workbenches) have it, so it loads with them and stays small; the configs themselves, loading and
dumping live in :mod:`flowgen.core.component_config`, imported on the first dump or load.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Self, TypeVar, overload

if TYPE_CHECKING:
    from pydantic import BaseModel

    from flowgen.core.component_config import ComponentModel

ConfigT = TypeVar("ConfigT", bound="BaseModel")
ExpectedT = TypeVar("ExpectedT")


class Component(Generic[ConfigT]):
    """The component interface, AutoGen's way: ``obj.dump_component()``, ``Cls.load_component(model)``.

    flowgen's base classes (agents, teams, termination conditions, model clients, model contexts,
    tools, workbenches) have it. A user's class becomes a component by setting ``component_type``
    and ``component_config_schema`` and implementing ``_to_config`` and ``_from_config``; its provider
    is its import name (or ``component_provider_override``), which loading must be allowed.

    Example:
        >>> from pydantic import BaseModel
        >>> class GreeterConfig(BaseModel):
        ...     greeting: str
        >>> class Greeter(Component[GreeterConfig]):
        ...     component_type = "custom"
        ...     component_config_schema = GreeterConfig
        ...     component_provider_override = "flowgen.core.component.Greeter"
        ...     def __init__(self, greeting: str) -> None:
        ...         self.greeting = greeting
        ...     def _to_config(self) -> GreeterConfig:
        ...         return GreeterConfig(greeting=self.greeting)
        ...     @classmethod
        ...     def _from_config(cls, config: GreeterConfig) -> Greeter:
        ...         return cls(config.greeting)
        >>> Greeter("hi").dump_component().config
        {'greeting': 'hi'}
    """

    component_type: ClassVar[str]
    component_config_schema: ClassVar[type[BaseModel]]
    component_version: ClassVar[int] = 1
    component_provider_override: ClassVar[str | None] = None
    component_description: ClassVar[str | None] = None
    component_label: ClassVar[str | None] = None

    def _to_config(self) -> ConfigT:
        raise NotImplementedError(f"{type(self).__name__} does not implement _to_config")

    @classmethod
    def _from_config(cls, config: ConfigT) -> Self:
        raise NotImplementedError(f"{cls.__name__} does not implement _from_config")

    def dump_component(self) -> ComponentModel:
        """This object as a ComponentModel."""
        from flowgen.core.component_config import dump_component

        return dump_component(self)

    @overload
    @classmethod
    def load_component(
        cls,
        model: ComponentModel | Mapping[str, Any],
        expected: None = None,
        *,
        allowed_providers: Sequence[str] = (),
        trust_source_code: bool = False,
    ) -> Self: ...

    @overload
    @classmethod
    def load_component(
        cls,
        model: ComponentModel | Mapping[str, Any],
        expected: type[ExpectedT],
        *,
        allowed_providers: Sequence[str] = (),
        trust_source_code: bool = False,
    ) -> ExpectedT: ...

    @classmethod
    def load_component(
        cls,
        model: ComponentModel | Mapping[str, Any],
        expected: type[Any] | None = None,
        *,
        allowed_providers: Sequence[str] = (),
        trust_source_code: bool = False,
    ) -> Any:
        """Build the component ``model`` describes; it must be a ``cls`` (or ``expected``)."""
        from flowgen.core.component_config import load_component

        return load_component(
            model,
            expected or cls,
            allowed_providers=allowed_providers,
            trust_source_code=trust_source_code,
        )
