"""``flowgen run / render / check`` on a Core application (a module exposing build_runtime)."""

from __future__ import annotations

from pathlib import Path

from flowgen.engine.trace import NodeFinished, RunTrace
from tests.cli.cli_support import GRAPHS, run_cli

APP = GRAPHS / "core_workers.py"

BROKEN = """
from pydantic import BaseModel

from flowgen.core import (
    MessageContext, RoutedAgent, SingleThreadedAgentRuntime, TopicId, TypeSubscription, message_handler,
)


class Ask(BaseModel):
    text: str


class Orphan(BaseModel):
    text: str


class Talker(RoutedAgent):
    def __init__(self) -> None:
        super().__init__("publishes a type nobody takes")

    @message_handler
    async def on_ask(self, message: Ask, ctx: MessageContext) -> None:
        await self.publish_message(Orphan(text=message.text), TopicId("somewhere", "k"))


async def build_runtime():
    runtime = SingleThreadedAgentRuntime()
    await Talker.register(runtime, "talker", Talker)
    await runtime.add_subscription(TypeSubscription("news", "ghost"))
    return runtime
"""


def test_run_writes_the_trace_topology_and_sequence(tmp_path: Path) -> None:
    outcome = run_cli("run", APP, "--task", "6", "--out", tmp_path)
    assert outcome.status == 0, outcome.output
    trace = RunTrace.model_validate_json((tmp_path / "run.json").read_text())
    finished = [e for e in trace.events if isinstance(e, NodeFinished)]
    # 6 work items + 3 collects reach workers; 1 job to the coordinator; 1 summary to the closure.
    assert sorted({e.node for e in finished}) == ["coordinator", "output", "worker"]
    assert sum(e.node == "worker" for e in finished) == 9
    assert "topic:work" in (tmp_path / "graph.svg").read_text()
    assert (tmp_path / "sequence.svg").read_text().count('<g id="msg-') == 11


def test_render_draws_the_topology_before_anything_runs(tmp_path: Path) -> None:
    outcome = run_cli("render", APP, "--format", "dot")
    assert outcome.status == 0
    assert '"node-topic_3a_work" -> "node-worker"' in outcome.output
    assert "subscribed" in outcome.output


def test_check_passes_a_sound_app() -> None:
    outcome = run_cli("check", APP)
    assert outcome.status == 0 and outcome.output.startswith("ok")


def test_check_reports_unhandled_types_and_unregistered_subscribers(tmp_path: Path) -> None:
    app = tmp_path / "broken_core.py"
    app.write_text(BROKEN)
    outcome = run_cli("check", app)
    assert outcome.status == 1
    assert "'talker' (Talker) publishes Orphan, which no registered agent handles" in outcome.output
    assert "names agent type 'ghost', which is not registered" in outcome.output
