"""Finding the team in a file: ``PATH[:NAME]``, the default names, and factories given a model."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from flowgen.cli.loading import load_target, materialize, split_target
from flowgen.errors import CLIError
from flowgen.models import ReplayChatCompletionClient

TEAM = """
from flowgen.teams import RoundRobinGroupChat
from flowgen.testing import ScriptedAgent
my_team = RoundRobinGroupChat([ScriptedAgent("a", ["hi"])], max_turns=1)
"""


def test_split_target_takes_an_optional_name() -> None:
    assert split_target("graphs/x.py:team") == (Path("graphs/x.py"), "team")
    assert split_target("graphs/x.py") == (Path("graphs/x.py"), None)


def test_build_is_preferred_over_other_names(tmp_path: Path) -> None:
    (tmp_path / "both.py").write_text("team = 1\ndef build(model_client=None):\n    return 2\n")
    assert load_target(str(tmp_path / "both.py")).name == "build"


def test_a_single_team_is_found_whatever_its_name(tmp_path: Path) -> None:
    (tmp_path / "one.py").write_text(TEAM)
    target = load_target(str(tmp_path / "one.py"))
    assert target.name == "my_team"
    assert not target.is_factory


def test_a_module_in_a_package_imports_as_part_of_it(tmp_path: Path) -> None:
    package = tmp_path / "apps_pkg_for_test"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "shared.py").write_text("REPLY = 'from the package'\n")
    (package / "app.py").write_text(
        "from apps_pkg_for_test.shared import REPLY\n"
        "from flowgen.teams import RoundRobinGroupChat\n"
        "from flowgen.testing import ScriptedAgent\n"
        "team = RoundRobinGroupChat([ScriptedAgent('a', [REPLY])], max_turns=1)\n"
    )
    target = load_target(str(package / "app.py"))
    assert type(target.value).__module__ == "flowgen.teams.round_robin"


def test_a_factory_gets_the_model_client(tmp_path: Path) -> None:
    (tmp_path / "f.py").write_text(
        "seen = []\ndef build(model_client=None):\n    seen.append(model_client)\n    return 0\n"
    )
    target = load_target(str(tmp_path / "f.py"))
    model = ReplayChatCompletionClient(["x"])
    with pytest.raises(CLIError, match="not a team or a graph"):
        materialize(target, model)
    module = sys.modules[getattr(target.value, "__module__", "")]
    assert module.seen == [model]


def test_a_factory_without_a_model_parameter_refuses_a_model(tmp_path: Path) -> None:
    (tmp_path / "f.py").write_text("def build():\n    return 0\n")
    with pytest.raises(CLIError, match="takes no model client"):
        materialize(load_target(str(tmp_path / "f.py")), ReplayChatCompletionClient(["x"]))


def test_a_digraph_builder_runs_as_a_graph_flow(tmp_path: Path) -> None:
    (tmp_path / "pipeline.py").write_text(
        "from flowgen.teams import DiGraphBuilder\n"
        "from flowgen.testing import ScriptedAgent\n"
        "a, b = ScriptedAgent('a', ['x']), ScriptedAgent('b', ['y'])\n"
        "builder = DiGraphBuilder().add_node(a).add_node(b).add_edge(a, b)\n"
    )
    team = materialize(load_target(str(tmp_path / "pipeline.py")))
    assert type(team).__name__ == "GraphFlow"
    assert getattr(team, "name", None) == "pipeline"
