from __future__ import annotations

from flowgen.base import TaskResult
from flowgen.core import CancellationToken
from flowgen.teams import RoundRobinGroupChat
from flowgen.testing import ScriptedAgent


async def test_cancelling_after_the_result_ends_the_stream_cleanly() -> None:
    team = RoundRobinGroupChat([ScriptedAgent("a", ["x", "y"])], max_turns=1)
    token = CancellationToken()
    results = []
    async for item in team.run_stream(task="go", cancellation_token=token):
        if isinstance(item, TaskResult):
            results.append(item)
            token.cancel()
    assert [r.stop_reason for r in results] == ["Maximum number of turns 1 reached."]
    second = await team.run()
    assert [m.to_text() for m in second.messages] == ["y"]
