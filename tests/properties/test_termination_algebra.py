"""Properties of termination conditions: the | & algebra, a reference model, reset and saved state."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flowgen.base import TerminatedException, TerminationCondition
from flowgen.messages import BaseAgentEvent, BaseChatMessage
from flowgen.testing.strategies import message_steps, termination_expressions, termination_leaf_strategies
from flowgen.testing.termination import TerminationExpr

SOURCES = ["writer", "rewriter", "critic"]
Steps = list[list[BaseChatMessage | BaseAgentEvent]]


async def stop_step(
    condition: TerminationCondition, steps: Sequence[Sequence[BaseChatMessage | BaseAgentEvent]]
) -> int | None:
    """Feed the steps one by one, as a team does; the index of the step that stopped the run."""
    for index, step in enumerate(steps):
        if await condition(step) is not None:
            assert condition.terminated, "a condition that returned a StopMessage must report terminated"
            return index
    return None


LEAVES = termination_leaf_strategies(SOURCES)


@pytest.mark.parametrize("kind", sorted(LEAVES))
@given(data=st.data(), steps=message_steps(SOURCES))
async def test_each_condition_agrees_with_its_reference_model(
    kind: str, data: st.DataObject, steps: Steps
) -> None:
    expr = data.draw(LEAVES[kind], label="condition")
    assert await stop_step(expr.build(), steps) == expr.stop_step(steps), str(expr)


@given(termination_expressions(SOURCES), message_steps(SOURCES))
async def test_combined_conditions_agree_with_the_reference_model(
    expr: TerminationExpr, steps: Steps
) -> None:
    assert await stop_step(expr.build(), steps) == expr.stop_step(steps), str(expr)


@given(
    termination_expressions(SOURCES, max_leaves=3),
    termination_expressions(SOURCES, max_leaves=3),
    message_steps(SOURCES),
)
async def test_or_stops_at_the_first_step_either_would(
    a: TerminationExpr, b: TerminationExpr, steps: Steps
) -> None:
    alone = [
        s for s in (await stop_step(a.build(), steps), await stop_step(b.build(), steps)) if s is not None
    ]
    assert await stop_step(a.build() | b.build(), steps) == (min(alone) if alone else None)


@given(
    termination_expressions(SOURCES, max_leaves=3),
    termination_expressions(SOURCES, max_leaves=3),
    message_steps(SOURCES),
)
async def test_and_stops_once_both_have(a: TerminationExpr, b: TerminationExpr, steps: Steps) -> None:
    sa, sb = await stop_step(a.build(), steps), await stop_step(b.build(), steps)
    expected = None if sa is None or sb is None else max(sa, sb)
    assert await stop_step(a.build() & b.build(), steps) == expected


@given(termination_expressions(SOURCES), message_steps(SOURCES), message_steps(SOURCES))
async def test_reset_restores_the_original_behaviour(
    expr: TerminationExpr, used: Steps, steps: Steps
) -> None:
    condition = expr.build()
    await stop_step(condition, used)
    await condition.reset()
    assert not condition.terminated
    assert await stop_step(condition, steps) == await stop_step(expr.build(), steps)


@given(termination_expressions(SOURCES), message_steps(SOURCES, max_steps=12))
async def test_a_stopped_condition_refuses_more_messages(expr: TerminationExpr, steps: Steps) -> None:
    condition = expr.build()
    if await stop_step(condition, steps) is None:
        return
    with pytest.raises(TerminatedException):
        await condition([])


@given(termination_expressions(SOURCES), message_steps(SOURCES), st.integers(0, 8))
async def test_saved_state_continues_like_the_original(
    expr: TerminationExpr, steps: Steps, split: int
) -> None:
    head, tail = steps[:split], steps[split:]
    original = expr.build()
    if await stop_step(original, head) is not None:
        return
    restored = expr.build()
    restored.load_state(json.loads(json.dumps(original.dump_state())))
    assert await stop_step(restored, tail) == await stop_step(original, tail)


@pytest.mark.parametrize("kind", sorted(LEAVES))
@given(data=st.data(), steps=message_steps(SOURCES, max_steps=10))
async def test_each_condition_saves_and_restores_its_progress(
    kind: str, data: st.DataObject, steps: Steps
) -> None:
    expr = data.draw(LEAVES[kind], label="condition")
    split = data.draw(st.integers(0, len(steps)), label="split")
    original = expr.build()
    if await stop_step(original, steps[:split]) is not None:
        return
    restored = expr.build()
    restored.load_state(json.loads(json.dumps(original.dump_state())))
    assert await stop_step(restored, steps[split:]) == await stop_step(original, steps[split:]), str(expr)
