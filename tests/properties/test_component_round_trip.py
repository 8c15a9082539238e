"""Any team a config describes survives dump -> load -> dump unchanged, draws the same graph and runs the same."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings

from flowgen.base import Team
from flowgen.core import component_text, dump_component, load_component
from flowgen.core.component_files import parse_component_text
from flowgen.testing.component_strategies import component_teams

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _outcome(team: Team) -> Any:
    try:
        result = asyncio.run(team.run(task="Begin."))
    except Exception as e:  # the original and the loaded team must fail alike, too
        return ("raised", type(e).__name__, str(e))
    return ([(m.type, m.source, m.to_text()) for m in result.messages], result.stop_reason)


@SETTINGS
@given(component_teams())
def test_dump_load_dump_is_identical(make: Callable[[], Team]) -> None:
    dumped = dump_component(make())
    assert dump_component(load_component(dumped)) == dumped


@SETTINGS
@given(component_teams())
def test_json_and_yaml_texts_load_to_the_same_team(make: Callable[[], Team]) -> None:
    team = make()
    for form in ("json", "yaml"):
        text = component_text(team, form)  # type: ignore[arg-type]
        assert component_text(load_component(parse_component_text(text, form)), form) == text  # type: ignore[arg-type]


@SETTINGS
@given(component_teams())
def test_a_loaded_team_has_the_same_graph(make: Callable[[], Team]) -> None:
    team = make()
    assert load_component(dump_component(team)).graph == team.graph  # type: ignore[attr-defined]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(component_teams())
def test_a_loaded_team_runs_exactly_as_the_original(make: Callable[[], Team]) -> None:
    original = make()
    loaded = load_component(dump_component(make()))
    assert _outcome(loaded) == _outcome(original)
