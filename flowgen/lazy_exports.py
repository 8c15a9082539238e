"""Package names that load their module on first use: a package's PEP 562 ``__getattr__``.

Every program imports flowgen's packages and uses a few of their names; a module loaded with its
package is paid for at start-up by all of them. Each package lists the names it exports lazily and
the module each lives in, and takes its ``__getattr__`` and ``__dir__`` from :func:`lazy_exports`.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(
    package: str, exports: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of ``package``, loading ``exports[name]`` when ``name`` is read.

    A name, once loaded, is stored in the package, so later reads do not come back here. An export
    whose module is ``package.name`` itself is that module (e.g. ``flowgen.testing.strategies``).
    """
    namespace = sys.modules[package].__dict__

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        loaded = importlib.import_module(module)
        value = loaded if module == f"{package}.{name}" else getattr(loaded, name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted([*namespace, *exports])

    return __getattr__, __dir__
