"""``flowgen run --thread`` and ``flowgen threads list|show|resume|fork|diff|delete`` on a SQLite store."""

from __future__ import annotations

import asyncio
from pathlib import Path

from cli_support import GRAPHS, run_cli

from flowgen.checkpoint import SqliteCheckpointer

TEAM = GRAPHS / "write_review.py"


def _history(db: Path, thread: str) -> list[str]:
    async def read() -> list[str]:
        store = SqliteCheckpointer(db)
        try:
            return [c.checkpoint_id async for c in store.history(thread)]
        finally:
            await store.aclose()

    return asyncio.run(read())


def test_a_run_with_a_thread_is_listed_shown_and_deleted(tmp_path: Path) -> None:
    db = tmp_path / "runs.db"
    ran = run_cli("run", TEAM, "--task", "Write a haiku about autumn", "--thread", "t-1", "--store", db,
                  "--out", tmp_path / "out", "--json")  # fmt: skip
    assert ran.status == 0, ran.output
    listed = run_cli("threads", "list", "--store", db)
    assert listed.status == 0 and "t-1" in listed.output
    shown = run_cli("threads", "show", "t-1", "--store", db)
    ids = _history(db, "t-1")
    assert shown.status == 0 and f"{len(ids)} checkpoints, newest first" in shown.output
    assert shown.output.index(ids[0]) < shown.output.index(ids[-1])  # newest first
    assert "user: Write a haiku about autumn" in shown.output
    html = tmp_path / "report.html"
    reported = run_cli("threads", "report", "t-1", "--team", TEAM, "--store", db, "-o", html)
    assert reported.status == 0 and "Write a haiku about autumn" in html.read_text(encoding="utf-8")
    assert run_cli("threads", "delete", "t-1", "--store", db).status == 0
    assert "t-1" not in run_cli("threads", "list", "--store", db).output


def test_fork_runs_from_an_old_checkpoint_and_diff_shows_where_branches_part(tmp_path: Path) -> None:
    db = tmp_path / "runs.db"
    run_cli(
        "run",
        TEAM,
        "--task",
        "Write a haiku",
        "--thread",
        "t",
        "--store",
        db,
        "--out",
        tmp_path / "o",
        "--json",
    )
    old = _history(db, "t")
    forked = run_cli(
        "threads", "fork", "t", old[-2], "--team", TEAM, "--store", db, "--task", "shorter please"
    )
    assert forked.status == 0, forked.output
    new = _history(db, "t")
    assert len(new) > len(old) and set(old) <= set(new)
    svg = tmp_path / "diff.svg"
    diff = run_cli("threads", "diff", "t", old[0], new[0], "--store", db, "--team", TEAM, "-o", svg)
    assert diff.status == 1 and "common" in diff.output and "shorter please" in diff.output
    assert svg.read_text(encoding="utf-8").lstrip().startswith("<?xml") and "writer" in svg.read_text()
    # The top-level `flowgen diff` takes the same two branches as THREAD@CHECKPOINT with --store.
    top = tmp_path / "top.svg"
    same = run_cli("diff", f"t@{old[0]}", f"t@{new[0]}", "--store", db, "--team", TEAM, "-o", top)
    assert same.status == 1 and "shorter please" in same.output and top.exists()
    wrong = run_cli("diff", "t", f"t@{new[0]}", "--store", db)
    assert wrong.status != 0 and "THREAD@CHECKPOINT" in wrong.output


def test_unknown_threads_and_stores_are_one_line_errors(tmp_path: Path) -> None:
    missing = run_cli("threads", "show", "nope", "--store", tmp_path / "none.db")
    assert missing.status == 1 and "no checkpoint store" in missing.output
    db = tmp_path / "runs.db"
    run_cli("run", TEAM, "--task", "Hi", "--thread", "t", "--store", db, "--out", tmp_path / "o", "--json")
    unknown = run_cli("threads", "resume", "other", "--team", TEAM, "--store", db)
    assert unknown.status == 1 and "thread 'other' is not in" in unknown.output
