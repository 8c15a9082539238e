"""Invariant checkers users run on their own selection logic and teams, driven by Hypothesis.

Each checker generates inputs (histories, model scripts, split points), runs the user's code on them
and fails with a shrunk counterexample when an invariant breaks. Call them from a plain test function;
user code may be sync or async (async code runs on a fresh event loop per example, in a worker thread
when the caller is already inside one).

Example:
    >>> from flowgen.messages import BaseChatMessage
    >>> def pick(history):
    ...     spoken = [m.source for m in history if isinstance(m, BaseChatMessage) and m.source != "user"]
    ...     return "critic" if spoken and spoken[-1] == "writer" else "writer"
    >>> check_selector(pick, ["writer", "critic"], allow_repeated_speaker=False, max_examples=20)
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import copy
import inspect
import json
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any, TypeVar

from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.errors import FlakyFailure

from flowgen.base import TaskResult, Team
from flowgen.messages import BaseAgentEvent, BaseChatMessage
from flowgen.testing.models import ScriptedModels
from flowgen.testing.strategies import histories, reply_scripts

T = TypeVar("T")
History = Sequence[BaseAgentEvent | BaseChatMessage]
SelectorFunc = Callable[[History], "str | Awaitable[str | None] | None"]
CandidateFunc = Callable[[History], "list[str] | Awaitable[list[str]]"]
TeamFactory = Callable[[ScriptedModels], "Team | Awaitable[Team]"]
SplitTeamFactory = Callable[[ScriptedModels, int], "Team | Awaitable[Team]"]


def run_sync(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to completion from sync code, even when an event loop is already running here."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, make()).result()


async def _resolve(value: T | Awaitable[T]) -> T:
    if inspect.isawaitable(value):
        return await value
    return value


def _settings(
    max_examples: int | None, hypothesis_settings: settings | None
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    base = hypothesis_settings if hypothesis_settings is not None else settings()
    return settings(base, max_examples=max_examples) if max_examples is not None else settings(base)


def _run_check(check: Callable[[], None]) -> None:
    """Run a Hypothesis-driven check; a failure that does not repeat is itself a failure (nondeterminism)."""
    try:
        check()
    except FlakyFailure as flaky:
        first = flaky.exceptions[0] if flaky.exceptions else flaky
        raise AssertionError(
            f"the code under check behaved differently on the same input (it must be deterministic): {first}"
        ) from flaky


def _names(participants: Sequence[Any]) -> list[str]:
    return [p if isinstance(p, str) else p.name for p in participants]


def _last_speaker(history: History, names: Sequence[str]) -> str | None:
    for message in reversed(history):
        if isinstance(message, BaseChatMessage) and message.source in names:
            return message.source
    return None


def _dump(history: History) -> str:
    return json.dumps([m.dump() for m in history], sort_keys=True)


def check_selector(
    selector_func: SelectorFunc,
    participants: Sequence[Any],
    *,
    candidate_func: CandidateFunc | None = None,
    allow_repeated_speaker: bool = True,
    history: st.SearchStrategy[list[BaseAgentEvent | BaseChatMessage]] | None = None,
    max_examples: int | None = None,
    hypothesis_settings: settings | None = None,
) -> None:
    """Check a ``selector_func`` (as SelectorGroupChat takes it) on generated conversation histories.

    Invariants: it returns a participant's name or None; with ``candidate_func``, a name among the
    candidates (which must be non-empty participants); with ``allow_repeated_speaker=False``, never the
    last speaker; the same history gives the same answer; the history it is given is left unchanged.

    Args:
        selector_func: ``f(history) -> name | None``, sync or async.
        participants: the agents (or their names).
        candidate_func: ``f(history) -> [names]``, sync or async, when the team uses one.
        allow_repeated_speaker: False checks that the last speaker is never chosen again.
        history: the histories to try (default: :func:`~flowgen.testing.strategies.histories` of the
            participants, with agent events mixed in).
        max_examples: how many histories to try (default: the active Hypothesis profile's).
        hypothesis_settings: full control over the search (e.g. ``settings(phases=...)``).
    """
    names = _names(participants)
    histories_strategy = history if history is not None else histories(names, events=True)

    async def choose(h: History) -> tuple[str | None, list[str] | None]:
        candidates = None if candidate_func is None else list(await _resolve(candidate_func(h)))
        return await _resolve(selector_func(h)), candidates

    @_settings(max_examples, hypothesis_settings)
    @given(histories_strategy)
    def selector_keeps_its_invariants(h: list[BaseAgentEvent | BaseChatMessage]) -> None:
        before = _dump(h)
        chosen, candidates = run_sync(lambda: choose(h))
        assert _dump(h) == before, "the selector changed the history it was given; it must only read it"
        assert chosen is None or chosen in names, (
            f"selected {chosen!r}, which is not a participant of {names}"
        )
        if candidates is not None:
            assert candidates, "candidate_func returned no candidates"
            assert set(candidates) <= set(names), f"candidate_func returned non-participants: {candidates}"
            assert chosen is None or chosen in candidates, (
                f"selected {chosen!r} outside the candidates {candidates}"
            )
        if not allow_repeated_speaker:
            last = _last_speaker(h, names)
            assert chosen is None or chosen != last, (
                f"selected {chosen!r} again although repeats are disallowed"
            )
        again, _ = run_sync(lambda: choose(copy.deepcopy(h)))
        assert again == chosen, (
            f"the same history gave {chosen!r} and then {again!r}: selection must be deterministic"
        )

    _run_check(selector_keeps_its_invariants)


def _turns(result: TaskResult, task_count: int) -> int:
    return sum(isinstance(m, BaseChatMessage) for m in result.messages[task_count:])


def check_terminates(
    team_factory: TeamFactory,
    *,
    max_turns: int,
    task: str = "Start.",
    replies: st.SearchStrategy[list[str]] | None = None,
    timeout: float = 30.0,
    max_examples: int | None = None,
    hypothesis_settings: settings | None = None,
) -> None:
    """Check that every run, under any generated model script, stops within ``max_turns`` with a reason.

    Args:
        team_factory: ``f(models) -> team`` (sync or async); build every model with ``models.client()``.
        max_turns: the most turns (chat messages after the task) a run may take.
        task: the task each run starts with.
        replies: the scripts to try (default: :func:`~flowgen.testing.strategies.reply_scripts`).
        timeout: seconds after which a run counts as hanging.
        max_examples: how many scripts to try (default: the active Hypothesis profile's).
        hypothesis_settings: full control over the search.
    """
    scripts = replies if replies is not None else reply_scripts()

    async def run_once(models: ScriptedModels) -> TaskResult:
        team = await _resolve(team_factory(models))
        async with asyncio.timeout(timeout):
            return await team.run(task=task)

    @_settings(max_examples, hypothesis_settings)
    @given(scripts)
    def team_terminates(script: list[str]) -> None:
        try:
            result = run_sync(lambda: run_once(ScriptedModels(script)))
        except TimeoutError:
            raise AssertionError(f"the run did not stop within {timeout} s") from None
        assert result.stop_reason, "the run stopped without a stop reason"
        turns = _turns(result, 1)
        assert turns <= max_turns, f"the run took {turns} turns, more than max_turns={max_turns}"

    _run_check(team_terminates)


def _transcript(result: TaskResult) -> list[tuple[str, str, str]]:
    return [(type(m).__name__, m.source, m.to_text()) for m in result.messages]


def check_state_roundtrip(
    team_factory: SplitTeamFactory,
    *,
    max_split: int = 6,
    task: str = "Start.",
    replies: st.SearchStrategy[list[str]] | None = None,
    max_examples: int | None = None,
    hypothesis_settings: settings | None = None,
) -> None:
    """Check that saving a team at any turn and loading it into a fresh team continues the same way.

    For each generated script and split turn ``k``: a team built with ``max_turns=k`` runs the task
    and saves its state (through JSON); the original team then continues with ``run()`` while a fresh
    team loads the state and does the same. Both continuations must say the same messages.

    Args:
        team_factory: ``f(models, max_turns) -> team`` (sync or async); build models with
            ``models.client()`` and pass ``max_turns`` to the team.
        max_split: the latest turn to save at.
        task: the task the first run starts with.
        replies: the scripts to try (default: :func:`~flowgen.testing.strategies.reply_scripts`).
        max_examples: how many cases to try (default: the active Hypothesis profile's).
        hypothesis_settings: full control over the search.
    """
    scripts = replies if replies is not None else reply_scripts()

    async def continuations(models: ScriptedModels, split: int) -> tuple[TaskResult, TaskResult]:
        original = await _resolve(team_factory(models, split))
        await original.run(task=task)
        state = json.loads(json.dumps(await original.save_state()))
        restored = await _resolve(team_factory(models, split))
        await restored.load_state(state)
        return await original.run(), await restored.run()

    @_settings(max_examples, hypothesis_settings)
    @given(scripts, st.integers(1, max_split))
    def state_round_trips(script: list[str], split: int) -> None:
        kept, restored = run_sync(lambda: continuations(ScriptedModels(script), split))
        assert _transcript(restored) == _transcript(kept), (
            f"after saving at turn {split}, the restored team said {_transcript(restored)} "
            f"but the original said {_transcript(kept)}"
        )
        assert restored.stop_reason == kept.stop_reason, "the continuations stopped for different reasons"

    _run_check(state_round_trips)


__all__ = ["check_selector", "check_state_roundtrip", "check_terminates", "run_sync"]
