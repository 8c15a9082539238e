"""The web view in headless Chromium against a real ``flowgen serve`` (uvicorn on 127.0.0.1).

From the agents page a person starts a run; the thread page draws it live (nodes light up from the
stream's node and step events), stops at the interrupt before the critic with an input box, continues
when answered (``resume``), and ends idle with every message shown. Every wait is on the page's state.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from web_team import DRAFT, GATED_REPLY, LEAKED_KEY, VERDICT

from flowgen.testing.served_process import served_process

pytestmark = pytest.mark.browser

KEY = "key-web-5be1c0"
ROOT = Path(__file__).resolve().parents[2]
TEAM_FILE = Path(__file__).with_name("web_team.py")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]  # fmt: skip
# Records each class change of a graph node with the thread's status at that moment, so the test can
# tell a node lit by the live stream from one drawn from the stored history afterwards.
WATCH_NODES = """
window.__marks = [];
new MutationObserver((records) => {
  for (const r of records) {
    const t = r.target;
    if (t.getAttribute && t.getAttribute("data-node") !== null) {
      const badge = document.getElementById("thread-status");
      window.__marks.push([t.getAttribute("data-node"), t.getAttribute("class"), badge && badge.dataset.status]);
    }
  }
}).observe(document, { subtree: true, attributes: true, attributeFilter: ["class"] });
"""


@pytest.fixture(scope="module")
def pipes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The named pipes the ``gated`` agent's model talks to the test through (see web_team.gated)."""
    folder = tmp_path_factory.mktemp("pipes")
    made = {"called": folder / "called", "gate": folder / "gate"}
    for pipe in made.values():
        os.mkfifo(pipe)
    return made


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, pipes: dict[str, Path]) -> Iterator[str]:
    """One server for the module; each test makes its own threads."""
    files = [TEAM_FILE, f"{TEAM_FILE}:broken", f"{TEAM_FILE}:gated"]
    env = {"WEB_TEAM_CALLED": str(pipes["called"]), "WEB_TEAM_GATE": str(pipes["gate"])}
    store = tmp_path_factory.mktemp("web") / "runs.db"
    with served_process(files, store, "--api-key", KEY, cwd=ROOT, env=env) as served:
        yield served.url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium (Debian's chromium, never a downloaded browser), one per module."""
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.fail("Chromium is missing: scripts/system-deps.sh installs it (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@dataclass
class Tab:
    """A browser page and what went wrong in it: console errors, page errors, requests leaving the server."""

    page: Any
    problems: list[str] = field(default_factory=list)


@pytest.fixture
def tab(browser: Any, server: str) -> Iterator[Tab]:
    """A fresh page (its own context: no storage shared between tests), kept to the server."""
    context = browser.new_context(viewport={"width": 1300, "height": 1000})
    # Every wait is on the page's state; the long bound only matters on a machine shared and loaded.
    context.set_default_timeout(60_000)
    opened = Tab(context.new_page())
    page = opened.page
    page.on("console", lambda m: opened.problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: opened.problems.append(str(exc)))
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(server) else _refuse(opened, r))
    page.add_init_script(WATCH_NODES)
    try:
        yield opened
    finally:
        context.close()


def _refuse(tab: Tab, route: Any) -> None:
    tab.problems.append(f"left the server: {route.request.url}")
    route.abort()


def node(name: str, state: str) -> str:
    return f'#graph-figure g[data-node="{name}"].{state}'


def enter_key(page: Any) -> None:
    page.fill("#api-key", KEY)
    page.click("#key-form button")


def test_a_run_from_the_page_lights_nodes_pauses_for_a_person_and_ends(tab: Tab, server: str) -> None:
    page = tab.page
    page.goto(f"{server}/ui")
    enter_key(page)
    page.wait_for_selector('#agent-list li[data-agent="web_team"]')
    page.select_option("#start-agent", "web_team")
    page.fill("#start-task", "Write a haiku about autumn.")
    page.click("#start-run")

    page.wait_for_url(f"{server}/ui/threads/**")
    page.wait_for_selector(node("critic", "fg-waiting"))
    page.wait_for_selector('#thread-status[data-status="interrupted"]')
    assert page.is_visible("#human") and "critic" in page.text_content("#human-prompt")
    assert page.is_disabled("#run-start")
    assert page.get_attribute('#graph-figure g[data-node="writer"]', "class").split()[-1] == "fg-done"
    assert DRAFT.splitlines()[0] in page.text_content("#message-list")
    assert page.text_content("#step-list") == "step 1: writer"

    page.fill("#resume-input", "Looks good, go on.")
    page.click("#resume-send")
    page.wait_for_selector('#thread-status[data-status="idle"]')
    page.wait_for_selector(node("critic", "fg-done"))
    assert page.is_hidden("#human")
    assert page.is_visible(node("writer", "fg-done"))
    texts = page.eval_on_selector_all("#message-list details.msg .text", "els => els.map(e => e.textContent)")
    assert texts[0] == "Write a haiku about autumn." and VERDICT in texts
    assert "Looks good, go on." in texts
    assert page.text_content("#step-list") == "step 1: writerstep 2: critic"
    total = page.eval_on_selector_all("#usage-rows tr.total td", "els => els.map(e => e.textContent)")
    assert total[0] == "total" and total[1] == "2" and int(total[4]) > 0

    # Lit live, while the run was going, not only redrawn from the stored thread afterwards.
    marks = page.evaluate("window.__marks")
    assert ["writer", "node agent fg-running", "running"] in marks, marks
    assert ["critic", "node agent fg-running", "running"] in marks, marks
    assert tab.problems == []


def test_the_thread_page_after_a_reload_shows_the_stored_run(tab: Tab, server: str) -> None:
    page = tab.page
    page.goto(f"{server}/ui")
    enter_key(page)
    page.select_option("#start-agent", "web_team")
    page.fill("#start-task", "Write a haiku about autumn.")
    page.click("#start-run")
    page.wait_for_selector('#thread-status[data-status="interrupted"]')
    page.reload()
    page.wait_for_selector('#thread-status[data-status="interrupted"]')
    page.wait_for_selector(node("critic", "fg-waiting"))
    assert page.is_visible(node("writer", "fg-done")) and page.is_visible("#human")
    assert page.text_content("#message-count") == "2"
    thread_url = page.url.split("?")[0]
    page.goto(f"{server}/ui")
    page.wait_for_selector("#thread-rows tr[data-thread]")
    assert page.get_attribute("#thread-rows tr[data-thread] a", "href") == thread_url.removeprefix(server)
    assert tab.problems == []


def test_without_a_key_the_page_says_how_to_get_in(tab: Tab, server: str) -> None:
    page = tab.page
    page.goto(f"{server}/ui")
    page.wait_for_selector("#notice:not([hidden])")
    assert "API key" in page.text_content("#notice") and page.is_visible("#api-key")
    page.goto(f"{server}/ui/threads/some-thread")
    page.wait_for_selector('#thread-status[data-status="no key"]')
    assert "API key" in page.text_content("#notice")
    assert tab.problems == []  # no call was made without the key


def test_a_wrong_key_is_refused_with_the_reason(tab: Tab, server: str) -> None:
    page = tab.page
    page.goto(f"{server}/ui")
    page.fill("#api-key", "not-the-key")
    page.click("#key-form button")
    page.wait_for_selector("#notice:not([hidden])")
    assert "not accepted" in page.text_content("#notice")
    assert page.locator("#agent-list li").count() == 0


# Chunks as a network may cut them: CRLF split between chunks, multi-line data, comments (heartbeats),
# an id kept for the next event, a field without a value, and a last event without its blank line.
SSE_CHUNKS = [
    'id: 1\r\nevent: message\r\ndata: {"a":',
    " 1}\r",
    "\n\r\n: ping\r\n\r\nevent: step\ndata: line one\ndata: line two\n\n",
    "id: 3\nevent: end\ndata\ndata: x\n\nevent: tail\ndata: unfinished",
]
PARSE = """async (chunks) => {
  const { readEvents } = await import("/ui/static/sse.js");
  const encoder = new TextEncoder();
  const body = new ReadableStream({ start(c) { for (const t of chunks) c.enqueue(encoder.encode(t)); c.close(); } });
  const out = [];
  for await (const e of readEvents(new Response(body))) out.push(e);
  return out;
}"""


def test_the_sse_reader_parses_events_however_the_stream_is_cut(tab: Tab, server: str) -> None:
    page = tab.page
    page.goto(f"{server}/ui")
    events = page.evaluate(PARSE, SSE_CHUNKS)
    assert events == [
        {"id": "1", "event": "message", "data": '{"a": 1}'},
        {"id": "1", "event": "step", "data": "line one\nline two"},
        {"id": "3", "event": "end", "data": "\nx"},
    ]
    assert tab.problems == []


def sse(*events: tuple[int, str, dict[str, Any]]) -> str:
    return "".join(
        f"id: {n}\r\nevent: {kind}\r\ndata: {json.dumps(data)}\r\n\r\n" for n, kind, data in events
    )


def text_message(n: int, source: str, content: str) -> dict[str, Any]:
    return {"id": f"m{n}", "source": source, "models_usage": None, "metadata": {}, "content": content,
            "type": "TextMessage", "created_at": "2026-01-01T00:00:00Z"}  # fmt: skip


def test_a_broken_stream_is_rejoined_after_its_last_event(tab: Tab, server: str) -> None:
    """The page's side of rejoining: the stream breaks after event 2, the page asks the run's stream for
    what came after it (Last-Event-ID), and shows every event once. The run streams are played here
    (the rest is the real server), so the break comes at a chosen point."""
    page = tab.page
    thread = httpx.post(f"{server}/threads", headers={"X-API-Key": KEY}).json()["thread_id"]
    first = sse(
        (1, "metadata", {"run_id": "run-1", "thread_id": thread, "agent": "web_team"}),
        (2, "message", text_message(1, "user", "Write a haiku.")),
    )
    rest = sse(
        (3, "node", {"step": 1, "node": "writer", "status": "start"}),
        (4, "message", text_message(2, "writer", DRAFT)),
        (5, "step", {"step": 1, "nodes": ["writer"], "next": ["critic"], "checkpoint_id": "c1"}),
        (6, "end", {"run_id": "run-1", "thread_id": thread, "status": "success", "stop_reason": "done",
                    "checkpoint_id": "c1"}),
    )  # fmt: skip
    rejoins: list[dict[str, str]] = []

    def rejoin(route: Any) -> None:
        rejoins.append(route.request.headers)
        route.fulfill(status=200, headers={"Content-Type": "text/event-stream"}, body=rest)

    page.route(f"{server}/threads/{thread}/runs/stream", lambda r: r.fulfill(
        status=200, headers={"Content-Type": "text/event-stream"}, body=first))  # fmt: skip
    page.route(f"{server}/threads/{thread}/runs/run-1/stream", rejoin)
    page.goto(f"{server}/ui")
    enter_key(page)
    page.goto(f"{server}/ui/threads/{thread}?agent=web_team")
    page.wait_for_selector("#pause-nodes input")
    page.fill("#task", "Write a haiku.")
    page.click("#run-start")
    page.wait_for_selector(node("writer", "fg-done"))
    page.wait_for_selector('#thread-status[data-status="idle"]')
    assert [h.get("last-event-id") for h in rejoins] == ["2"]
    assert rejoins[0]["x-api-key"] == KEY
    sources = page.eval_on_selector_all("#message-list .src", "els => els.map(e => e.textContent)")
    assert sources == ["user", "writer"]
    assert page.text_content("#step-list") == "step 1: writer"
    assert tab.problems == []


def test_a_failing_run_shows_why_without_its_secrets(tab: Tab, server: str) -> None:
    page = tab.page
    thread = httpx.post(f"{server}/threads", headers={"X-API-Key": KEY}).json()["thread_id"]
    page.goto(f"{server}/ui")
    enter_key(page)
    page.goto(f"{server}/ui/threads/{thread}?agent=broken")
    page.wait_for_selector('#graph-figure g[data-node="worker"]')
    page.fill("#task", "Go.")
    page.click("#run-start")
    page.wait_for_selector("#notice:not([hidden])")
    page.wait_for_selector('#thread-status[data-status="idle"]')
    said = page.text_content("#notice")
    assert "the model is down" in said and "run it again without input" in said
    assert LEAKED_KEY not in page.content()
    page.wait_for_selector("#run-start:enabled")
    assert tab.problems == []


def test_a_page_opened_mid_run_follows_it_to_its_end(tab: Tab, server: str, pipes: dict[str, Path]) -> None:
    """A run started elsewhere (by the API) is under way when the page opens: the page shows the thread
    busy, then the run's end (following its stream where the server keeps one, else looking again)."""
    page = tab.page
    headers = {"X-API-Key": KEY}
    thread = httpx.post(f"{server}/threads", headers=headers).json()["thread_id"]
    finished: list[httpx.Response] = []
    body = {"agent": "gated", "input": "Go."}
    url = f"{server}/threads/{thread}/runs/wait"
    runner = threading.Thread(
        target=lambda: finished.append(httpx.post(url, headers=headers, json=body, timeout=120)), daemon=True
    )
    runner.start()
    try:
        assert read_pipe(pipes["called"]) == "called"  # the model has been called: the run is going
        page.goto(f"{server}/ui")
        enter_key(page)
        page.goto(f"{server}/ui/threads/{thread}?agent=gated")
        page.wait_for_selector('#thread-status[data-status="busy"]')
        assert page.is_disabled("#run-start")
    finally:
        # The model reads the gate next; a thread writes it so a failure above cannot hang the test.
        threading.Thread(target=pipes["gate"].write_text, args=("open",), daemon=True).start()
    runner.join(timeout=120)
    assert finished and finished[0].status_code == 200
    page.wait_for_selector('#thread-status[data-status="idle"]')
    page.wait_for_selector(node("worker", "fg-done"))
    assert GATED_REPLY in page.text_content("#message-list")
    # The controls come back once the page has read the thread again after the run's end.
    page.wait_for_selector("#run-start:enabled")
    page.wait_for_selector("#notice", state="hidden")
    # A server without the runs list answers the page's look-up with a 404 (the page then looks again).
    assert [p for p in tab.problems if "404" not in p] == []


def read_pipe(path: Path, seconds: float = 60) -> str:
    """What a writer puts in the named pipe ``path``, waiting for it at most ``seconds``."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        ready, _, _ = select.select([fd], [], [], seconds)
        assert ready, f"nothing was written to {path} in {seconds} s"
        return os.read(fd, 1024).decode()
    finally:
        os.close(fd)
