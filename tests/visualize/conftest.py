"""Shared fixtures: the sample graphs, traces and results, golden-file comparison, and a browser.

Golden files live in ``tests/visualize/golden``. After an intended change to the drawings, regenerate
them with ``FLOWGEN_UPDATE_GOLDEN=1 .venv/bin/pytest tests/visualize`` and review the diff.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

# pytest puts tests/ on sys.path (for tests/conftest.py), where this directory would pass for a
# namespace package named `visualize` and hide the editable-installed one; the repository root on
# the path lets the import system find the real package instead.
ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
if getattr(sys.modules.get("visualize"), "__file__", "") is None:  # already imported as a namespace
    del sys.modules["visualize"]

import pytest  # noqa: E402
import visualize_samples as samples  # noqa: E402

GOLDEN = Path(__file__).parent / "golden"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(params=sorted(samples.GRAPHS))
def team_kind(request: pytest.FixtureRequest) -> str:
    """Each team shape: round_robin, selector, swarm, fan_out (graph flow) and nested."""
    return str(request.param)


@pytest.fixture
def golden() -> Callable[[str, str], None]:
    """Compare text with ``golden/<name>``; rewrite the file instead when FLOWGEN_UPDATE_GOLDEN is set."""

    def check(name: str, actual: str) -> None:
        path = GOLDEN / name
        if os.environ.get("FLOWGEN_UPDATE_GOLDEN"):
            path.write_text(actual, encoding="utf-8")
        assert path.exists(), f"no golden file {path}; create it with FLOWGEN_UPDATE_GOLDEN=1"
        assert actual == path.read_text(encoding="utf-8"), f"{name} differs from its golden file"

    return check


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
def browser_page(tmp_path: Path) -> Iterator[object]:
    """A page in headless system Chromium (never a downloaded browser), with a fresh profile."""
    executable = chromium_path()
    if executable is None:
        pytest.skip("Chromium is not installed (run scripts/system-deps.sh as root to install it)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=executable,
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 1400, "height": 1000},
        )
        try:
            yield context.new_page()
        finally:
            context.close()
