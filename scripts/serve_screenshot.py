"""The README's picture of the web view: docs/images/serve-thread.png, taken in headless Chromium.

Serves graphs/code_review_flow.py (offline, scripted models) with ``flowgen serve``, starts a run from
the thread page asking it to pause before the lead reviewer, and photographs the page once the run waits for
a person: the graph with the run drawn on it, the input box, steps, messages and token usage.

    python scripts/serve_screenshot.py [--out docs/images/serve-thread.png]
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

from flowgen.testing.served_process import served_process

ROOT = Path(__file__).resolve().parents[1]
AGENT = "code_review_flow"
TASK = "Add a user lookup endpoint."
THREAD = "code-review-1"


def new_thread(url: str) -> str:
    body = json.dumps({"thread_id": THREAD}).encode()  # a fixed id: the picture is the same each time
    request = urllib.request.Request(f"{url}/threads", data=body, method="POST")
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request) as response:
        thread_id: str = json.load(response)["thread_id"]
    return thread_id


def photograph(url: str, out: Path) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("Chromium is missing: run scripts/system-deps.sh (apt-get install chromium)")
    thread = new_thread(url)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900}, device_scale_factor=1)
        page.goto(f"{url}/ui/threads/{thread}?agent={AGENT}")
        page.wait_for_selector('#pause-nodes input[value="lead_reviewer"]')
        page.fill("#task", TASK)
        page.check('#pause-nodes input[value="lead_reviewer"]')
        page.click("#run-start")
        page.wait_for_selector('#thread-status[data-status="interrupted"]')
        page.wait_for_selector('#graph-figure g[data-node="lead_reviewer"].fg-waiting')
        page.fill("#resume-input", "Looks right; go ahead with the review.")
        page.click("#step-list button.step")
        out.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(out), full_page=True)
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images" / "serve-thread.png")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        files = [ROOT / "graphs" / f"{AGENT}.py"]
        with served_process(files, Path(folder) / "runs.db", "--insecure-no-auth", cwd=ROOT) as served:
            photograph(served.url, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
