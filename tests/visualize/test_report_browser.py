"""The HTML report in headless Chromium: loads from file:// cleanly, offline, and links steps to the graph."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest
import visualize_samples as samples

from visualize import html_report


def open_report(page: Any, path: Path) -> tuple[list[str], list[str]]:
    """Load ``path``; return the URLs requested and the console errors seen."""
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.route(
        "**/*", lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort()
    )
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return requests, errors


@pytest.mark.parametrize("name", sorted(samples.RESULTS))
def test_report_loads_without_errors_or_network(browser_page: Any, tmp_path: Path, name: str) -> None:
    path = tmp_path / f"{name}.html"
    html_report(samples.RESULTS[name](), path)
    requests, errors = open_report(browser_page, path)
    assert errors == []
    assert all(url.startswith(("file:", "data:")) for url in requests), requests


def test_clicking_a_step_highlights_its_nodes_and_edges(browser_page: Any, tmp_path: Path) -> None:
    path = tmp_path / "fan_out.html"
    html_report(samples.fanout_result(), path)
    open_report(browser_page, path)
    browser_page.click("button.step[data-step='2']")
    highlighted = browser_page.eval_on_selector_all(".fg-hl", "els => els.map(e => e.id).sort()")
    assert highlighted == ["edge-2", "edge-3", "node-papers", "node-web"]
    browser_page.click(".bar[data-step='1']")
    highlighted = browser_page.eval_on_selector_all(".fg-hl", "els => els.map(e => e.id).sort()")
    assert highlighted == ["edge-0", "edge-1", "node-split"]
    assert browser_page.text_content("#fg-selected") == "step 1: split"


def test_message_details_expand_to_full_content(browser_page: Any, tmp_path: Path) -> None:
    path = tmp_path / "round_robin.html"
    html_report(samples.round_robin_result(), path)
    open_report(browser_page, path)
    assert not browser_page.is_visible("#message-5 pre")
    browser_page.click("#message-5 summary")
    assert browser_page.is_visible("#message-5 pre")


def test_screenshot_of_the_report(browser_page: Any, tmp_path: Path) -> None:
    path = tmp_path / "swarm.html"
    html_report(samples.swarm_result(), path)
    open_report(browser_page, path)
    browser_page.click("button.step[data-step='4']")
    # FLOWGEN_SCREENSHOT_DIR keeps the picture for a human to look at (CI can upload it).
    folder = Path(os.environ.get("FLOWGEN_SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    shot = folder / "swarm_report.png"
    browser_page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000


@pytest.fixture
def real_result() -> Any:
    """A nested round robin run by the real scheduler (made before the browser starts its loop)."""
    teams = pytest.importorskip("flowgen.teams")
    from flowgen.testing import ScriptedAgent

    inner = teams.RoundRobinGroupChat(
        [ScriptedAgent("a", ["x"]), ScriptedAgent("b", ["y"])], max_turns=2, name="inner"
    )
    team = teams.RoundRobinGroupChat([ScriptedAgent("writer", ["draft", "again"]), inner], max_turns=3)
    return asyncio.run(team.run(task="go"))


def test_report_of_a_real_run_loads_and_links_steps(
    real_result: Any, browser_page: Any, tmp_path: Path
) -> None:
    path = tmp_path / "real.html"
    html_report(real_result, path)
    requests, errors = open_report(browser_page, path)
    assert errors == [] and all(url.startswith(("file:", "data:")) for url in requests)
    browser_page.click("button.step[data-step='2']")
    assert browser_page.eval_on_selector_all(".fg-hl", "els => els.map(e => e.id)")[0] == "node-inner"
