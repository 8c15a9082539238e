"""RunDiff and the two-path overlay, on saved runs of the support swarm."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flowgen.cli.diff_overlay import BOTH, ONLY_A, ONLY_B, TIMES, UNUSED, diff_dot
from flowgen.cli.run_diff import RunDiff
from flowgen.cli.run_file import load_run

SavedRun = Callable[..., Path]


def runs(saved_run: SavedRun) -> tuple[Path, Path]:
    return (
        saved_run("support_swarm", "I was charged twice, account 4417."),
        saved_run("support_swarm", "The app will not sync."),
    )


def test_a_run_is_the_same_as_itself(saved_run: SavedRun) -> None:
    result = load_run(saved_run()).result
    assert RunDiff.between(result, result).same


def test_diff_names_the_first_differing_step_and_the_edges(saved_run: SavedRun) -> None:
    a, b = (load_run(p).result for p in runs(saved_run))
    diff = RunDiff.between(a, b)
    assert diff.first_step == 1
    assert (diff.steps_a[1], diff.steps_b[1]) == (("billing",), ("technical",))
    assert (("triage", "billing"), 1, 0) in diff.edge_changes()


def test_overlay_colours_each_run_and_what_both_took(saved_run: SavedRun) -> None:
    a, b = (load_run(p).trace for p in runs(saved_run))
    assert a is not None
    dot = diff_dot(a.graph, a, b)
    assert f'"triage" -> "billing" [color="{ONLY_A}"' in dot
    assert f'"triage" -> "technical" [color="{ONLY_B}"' in dot
    assert f'"triage" [shape=box label="triage\\nA{TIMES}1 B{TIMES}1" color="{BOTH}"' in dot
    assert f'"billing" -> "triage" [color="{UNUSED}"' in dot
