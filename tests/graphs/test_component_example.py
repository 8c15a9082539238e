"""graphs/write_review.json: the write_review example as a component file, equal to the Python one."""

from __future__ import annotations

from pathlib import Path

from flowgen.core import load_component_file
from flowgen.teams import RoundRobinGroupChat
from graphs import write_review

JSON = Path(__file__).resolve().parents[2] / "graphs" / "write_review.json"


async def test_the_json_team_runs_like_the_python_example() -> None:
    team = load_component_file(JSON)
    assert isinstance(team, RoundRobinGroupChat)
    loaded = await team.run(task=write_review.TASK)
    original = await write_review.build().run(task=write_review.TASK)
    assert [(m.source, m.to_text()) for m in loaded.messages] == [
        (m.source, m.to_text()) for m in original.messages
    ]
    assert loaded.stop_reason == original.stop_reason == "Text 'APPROVE' mentioned"


def test_the_json_team_has_the_python_examples_graph() -> None:
    assert load_component_file(JSON).graph == write_review.build().graph
