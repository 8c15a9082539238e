"""Write the tutorial notebooks from the cells below (no outputs: they are executed by the test suite).

Run ``python notebooks/build_notebooks.py`` after editing a cell; commit the .ipynb files it writes.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

SETUP = """\
# Make the examples in graphs/ importable whether Jupyter starts here or at the repository root.
import pathlib, sys
root = pathlib.Path.cwd()
root = root if (root / "graphs").is_dir() else root.parent
sys.path.insert(0, str(root))
%load_ext visualize"""

QUICKSTART = [
    new_markdown_cell(
        "# flowgen quickstart\n\n"
        "An agent, a team, a run streamed to the console, and pictures of the team and of the run. "
        "Everything here runs offline on deterministic models; the last section shows how to switch to a real one.\n\n"
        "`%load_ext visualize` makes teams, graphs and results display as pictures."
    ),
    new_code_cell(SETUP),
    new_markdown_cell(
        "## An agent\n\n"
        "`AssistantAgent` is AutoGen's class, with the same arguments. `ReplayChatCompletionClient` answers from "
        "a list, so the cell always gives the same result."
    ),
    new_code_cell(
        "from flowgen.agents import AssistantAgent\n"
        "from flowgen.models import ReplayChatCompletionClient\n\n"
        'agent = AssistantAgent("assistant", model_client=ReplayChatCompletionClient(["Paris."]))\n'
        'result = await agent.run(task="What is the capital of France?")\n'
        "result.messages[-1].content"
    ),
    new_markdown_cell(
        "## A team\n\n"
        "A writer and a critic take turns (`RoundRobinGroupChat`) until the critic says APPROVE. "
        "`FunctionChatCompletionClient` computes each reply with a Python function — here, from how many "
        "times the agent has spoken."
    ),
    new_code_cell(
        "from flowgen.conditions import MaxMessageTermination, TextMentionTermination\n"
        "from flowgen.models import AssistantMessage, FunctionChatCompletionClient\n"
        "from flowgen.teams import RoundRobinGroupChat\n\n\n"
        "def script(*replies):\n"
        '    """A model answering its n-th call with replies[n]."""\n'
        "    def reply(messages, info):\n"
        "        turn = sum(isinstance(m, AssistantMessage) for m in messages)\n"
        "        return replies[min(turn, len(replies) - 1)]\n"
        "    return FunctionChatCompletionClient(reply)\n\n\n"
        'writer = AssistantAgent("writer", model_client=script("Leaves fall one by one", "Red leaves let go of light"))\n'
        'critic = AssistantAgent("critic", model_client=script("Make it concrete.", "Vivid. APPROVE"))\n'
        'stop = TextMentionTermination("APPROVE") | MaxMessageTermination(10)\n'
        "team = RoundRobinGroupChat([writer, critic], termination_condition=stop)\n"
        "team  # a team displays as its graph"
    ),
    new_markdown_cell(
        "## Run it, streaming to the console\n\n`Console` prints each message as it arrives and returns the `TaskResult`."
    ),
    new_code_cell(
        "from flowgen.ui import Console\n\n"
        'result = await Console(team.run_stream(task="Write a haiku about autumn."))\n'
        "result.stop_reason"
    ),
    new_markdown_cell(
        "The result displays as the graph with the run drawn on it: who ran how often, which edges were taken, where and why it stopped."
    ),
    new_code_cell("result"),
    new_markdown_cell("## Render\n\nThe same pictures as text (Mermaid, DOT) or SVG files, for docs and CI."),
    new_code_cell(
        "import visualize\n\nprint(visualize.to_mermaid(team))\nsvg = visualize.render_svg(result)\nsvg[:60]"
    ),
    new_code_cell(
        "from IPython.display import SVG\n\nSVG(visualize.sequence_svg(result))  # who said what to whom"
    ),
    new_markdown_cell(
        "## A real model\n\n"
        "Swap the scripted clients for a real one; nothing else changes:\n\n"
        "```python\n"
        "from flowgen.models.spec import client_from_spec\n"
        'model = client_from_spec("openai:gpt-4o-mini")  # reads OPENAI_API_KEY\n'
        'writer = AssistantAgent("writer", model_client=model)\n'
        "```\n\n"
        "From the terminal, every example in `graphs/` runs the same way:\n\n"
        "```\n"
        'flowgen run graphs/write_review.py --task "Write a haiku about autumn"\n'
        'flowgen run graphs/write_review.py --task "Write a haiku about autumn" --model openai:gpt-4o-mini\n'
        "```"
    ),
]

GRAPHS = [
    new_markdown_cell(
        "# Graphs\n\n"
        "Every flowgen team is an explicit graph. `GraphFlow` lets you write the graph yourself with "
        "`DiGraphBuilder` (AutoGen's API): parallel fan-out, joins, conditional edges and loops. flowgen checks "
        "the graph before any model call and draws it — and any run on it."
    ),
    new_code_cell(SETUP),
    new_markdown_cell(
        "## Fan-out and join\n\n`ScriptedAgent` (from the test kit) says what its script says: no model needed."
    ),
    new_code_cell(
        "from flowgen.teams import DiGraphBuilder, GraphFlow\n"
        "from flowgen.testing import ScriptedAgent\n\n"
        'writer = ScriptedAgent("writer", ["A draft."])\n'
        'legal = ScriptedAgent("legal", ["No legal issues."])\n'
        'tone = ScriptedAgent("tone", ["Friendly enough."])\n'
        'editor = ScriptedAgent("editor", ["Published."])\n\n'
        "builder = DiGraphBuilder()\n"
        "for agent in (writer, legal, tone, editor):\n"
        "    builder.add_node(agent)\n"
        "builder.add_edge(writer, legal).add_edge(writer, tone)  # legal and tone run in parallel\n"
        "builder.add_edge(legal, editor).add_edge(tone, editor)  # the editor waits for both\n"
        "flow = GraphFlow(builder.get_participants(), builder.build())\n"
        "flow"
    ),
    new_code_cell(
        'result = await flow.run(task="Announce the release.")\n'
        "[s.nodes for s in result.trace.steps()], result.stop_reason"
    ),
    new_code_cell("result"),
    new_markdown_cell(
        "## Conditions and loops\n\n"
        "An edge may carry a condition: a word (a whole-word mention), a predicate, or one of flowgen's "
        "serializable conditions (`Mention`, `Regex`, `Source`, `FieldIs`, `Not`). Here the reviewer sends the "
        "draft back until it says APPROVE."
    ),
    new_code_cell(
        "from flowgen.conditions import MaxMessageTermination\n"
        "from flowgen.graph import Regex\n\n"
        'author = ScriptedAgent("author", ["v1", "v2"])\n'
        'reviewer = ScriptedAgent("reviewer", ["REVISE: shorter", "APPROVE"])\n'
        'publisher = ScriptedAgent("publisher", ["Shipped v2."])\n\n'
        "builder = DiGraphBuilder()\n"
        "for agent in (author, reviewer, publisher):\n"
        "    builder.add_node(agent)\n"
        "builder.add_edge(author, reviewer)\n"
        'builder.add_edge(reviewer, author, condition=Regex(pattern=r"^REVISE"))\n'
        'builder.add_edge(reviewer, publisher, condition="APPROVE")\n'
        "builder.set_entry_point(author)\n"
        "loop = GraphFlow(builder.get_participants(), builder.build(), termination_condition=MaxMessageTermination(20))\n"
        'looped = await loop.run(task="Write the release note.")\n'
        "looped"
    ),
    new_markdown_cell(
        "## Validation errors\n\n"
        "A graph that cannot run as meant is refused before any model call, with findings that name the nodes "
        "and say how to fix them. `flowgen check graphs/x.py` prints the same findings (and exits 1) in CI."
    ),
    new_code_cell(
        "from flowgen.graph import AgentNode, GraphSpec, NextEdge\n"
        "from flowgen.graph.validate import check\n\n"
        "broken = GraphSpec(\n"
        '    nodes=(AgentNode(name="a"), AgentNode(name="b"), AgentNode(name="island")),\n'
        '    edges=(NextEdge(source="a", target="b"), NextEdge(source="b", target="ghost")),\n'
        '    entry=("a",),\n'
        ")\n"
        "for finding in check(broken):\n"
        '    print(f"{finding.code}: {finding.problem}\\n    fix: {finding.fix}")'
    ),
    new_code_cell(
        "from flowgen.errors import FlowgenError\n\n"
        "builder = DiGraphBuilder()\n"
        'ping, pong = ScriptedAgent("ping", ["ping"]), ScriptedAgent("pong", ["pong"])\n'
        "builder.add_node(ping).add_node(pong).add_edge(ping, pong).add_edge(pong, ping)\n"
        "try:\n"
        "    GraphFlow(builder.get_participants(), builder.build())  # a loop that nothing stops\n"
        "except FlowgenError as error:\n"
        "    print(type(error).__name__, error)"
    ),
    new_markdown_cell(
        "## A run overlay of a real example\n\n"
        "`graphs/code_review_flow.py`: security and style reviews in parallel, a lead joins them and loops back "
        "to the author until approved. Offline it runs on models scripted for the story."
    ),
    new_code_cell(
        "from graphs import code_review_flow\n\n"
        "review = code_review_flow.build()\n"
        "reviewed = await review.run(task=code_review_flow.TASK)\n"
        "reviewed"
    ),
]

TESTING = [
    new_markdown_cell(
        "# Testing multi-agent code\n\n"
        "`flowgen.testing` holds what you need to test your own agents and teams deterministically: scripted "
        "agents and models, invariant checks driven by Hypothesis, and strategies for writing your own properties."
    ),
    new_code_cell(SETUP),
    new_markdown_cell(
        "## Scripted agents\n\nA `ScriptedAgent` says its script; a test asserts on the observable result."
    ),
    new_code_cell(
        "from flowgen.conditions import TextMentionTermination\n"
        "from flowgen.teams import RoundRobinGroupChat\n"
        "from flowgen.testing import ScriptedAgent\n\n"
        'team = RoundRobinGroupChat([ScriptedAgent("writer", ["draft", "final"]), ScriptedAgent("critic", ["again", "APPROVE"])],\n'
        '                           termination_condition=TextMentionTermination("APPROVE"))\n'
        'result = await team.run(task="write")\n'
        'assert [m.source for m in result.messages] == ["user", "writer", "critic", "writer", "critic"]\n'
        "result.stop_reason"
    ),
    new_markdown_cell(
        "## Does the team always stop?\n\n"
        "`check_terminates` runs the team under many generated model scripts (`ScriptedModels`) and fails with "
        "the smallest script for which it does not stop within `max_turns`."
    ),
    new_code_cell(
        "from hypothesis import settings\n"
        "from flowgen.agents import AssistantAgent\n"
        "from flowgen.conditions import MaxMessageTermination\n"
        "from flowgen.testing.checks import check_terminates\n\n"
        "# Reproducible, and no per-example deadline: a shared machine may be slow.\n"
        "QUICK = settings(max_examples=15, deadline=None, derandomize=True)\n\n\n"
        "def review_team(models):\n"
        '    writer = AssistantAgent("writer", model_client=models.client())\n'
        '    critic = AssistantAgent("critic", model_client=models.client())\n'
        '    stop = TextMentionTermination("APPROVE") | MaxMessageTermination(6)\n'
        "    return RoundRobinGroupChat([writer, critic], termination_condition=stop)\n\n\n"
        "check_terminates(review_team, max_turns=6, hypothesis_settings=QUICK)\n"
        '"always stops"'
    ),
    new_markdown_cell(
        "## A selector's invariants\n\n"
        "`check_selector` feeds a `selector_func` (as `SelectorGroupChat` takes it) generated conversation "
        "histories and checks it returns a participant, never repeats the last speaker when repeats are "
        "disallowed, and is deterministic. A wrong one fails with a shrunk counterexample."
    ),
    new_code_cell(
        "from flowgen.messages import BaseChatMessage\n"
        "from flowgen.testing.checks import check_selector\n\n"
        'NAMES = ["planner", "local", "language"]\n\n\n'
        "def rotate(history):\n"
        '    """The next speaker after the last one to speak (events such as tool calls are not speaking)."""\n'
        "    spoken = [m.source for m in history if isinstance(m, BaseChatMessage) and m.source in NAMES]\n"
        "    return NAMES[(NAMES.index(spoken[-1]) + 1) % len(NAMES)] if spoken else NAMES[0]\n\n\n"
        "check_selector(rotate, NAMES, allow_repeated_speaker=False, hypothesis_settings=QUICK)\n"
        '"rotate keeps its invariants"'
    ),
    new_code_cell(
        "def sticky(history):\n"
        '    """Wrong on purpose: whoever spoke last speaks again."""\n'
        "    spoken = [m.source for m in history if isinstance(m, BaseChatMessage) and m.source in NAMES]\n"
        "    return spoken[-1] if spoken else NAMES[0]\n\n\n"
        "try:\n"
        "    check_selector(sticky, NAMES, allow_repeated_speaker=False, hypothesis_settings=QUICK)\n"
        "except AssertionError as failure:\n"
        "    print(str(failure).splitlines()[0])"
    ),
    new_markdown_cell(
        "## Your own property\n\n"
        "The strategies that drive the checks are public. Here, a Hypothesis property of a selector: whatever "
        "the history, a `SelectorGroupChat` using `rotate` gives every participant a turn within three turns."
    ),
    new_code_cell(
        "from hypothesis import given\n"
        "from flowgen.messages import TextMessage\n"
        "from flowgen.testing.strategies import histories\n\n\n"
        "@settings(QUICK, max_examples=40)\n"
        "@given(histories(NAMES))\n"
        "def every_participant_speaks_within_three_turns(history):\n"
        "    history = list(history)\n"
        "    chosen = []\n"
        "    for _ in range(3):\n"
        "        name = rotate(history)\n"
        "        chosen.append(name)\n"
        "        history.append(TextMessage(content='.', source=name))\n"
        "    assert sorted(chosen) == sorted(NAMES)\n\n\n"
        "every_participant_speaks_within_three_turns()\n"
        '"property holds"'
    ),
    new_markdown_cell(
        "## The selector in a real team\n\n"
        "The same function drives a `SelectorGroupChat`; its run shows the rotation on the graph."
    ),
    new_code_cell(
        "from flowgen.models import ReplayChatCompletionClient\n"
        "from flowgen.teams import SelectorGroupChat\n\n"
        "agents = [ScriptedAgent(n, [f'{n} here'] * 2) for n in NAMES]\n"
        "chat = SelectorGroupChat(agents, model_client=ReplayChatCompletionClient([]), selector_func=rotate,\n"
        "                         termination_condition=MaxMessageTermination(7))\n"
        'chosen = await chat.run(task="plan a trip")\n'
        "assert [m.source for m in chosen.messages][1:] == NAMES * 2\n"
        "chosen"
    ),
]

CORE = [
    new_markdown_cell(
        "# The Core layer: agents that address each other through a runtime\n\n"
        "`flowgen.core` is AutoGen Core's actor API (`autogen_core`): agents with ids, handlers chosen by message "
        "type, `send_message` (a request with a reply) and `publish_message` (to every subscriber of a topic), "
        "on a `SingleThreadedAgentRuntime`. AutoGen Core code runs after changing its imports."
    ),
    new_code_cell(SETUP),
    new_markdown_cell(
        "## Agents and messages\n\n"
        "A `RoutedAgent` declares its handlers with `@message_handler` (sends and publishes), `@rpc` (sends only) "
        "or `@event` (publishes only); the annotation of `message` is the type it takes."
    ),
    new_code_cell(
        "from pydantic import BaseModel\n\n"
        "from flowgen.core import (AgentId, MessageContext, RoutedAgent, SingleThreadedAgentRuntime, TopicId,\n"
        "                          TypeSubscription, event, rpc)\n\n\n"
        "class Order(BaseModel):\n"
        "    item: str\n\n\n"
        "class HowMany(BaseModel):\n"
        "    pass\n\n\n"
        "class Shop(RoutedAgent):\n"
        '    """One per customer session: counts the orders published to its session."""\n\n'
        "    def __init__(self) -> None:\n"
        '        super().__init__("keeps a customer\'s orders")\n'
        "        self.orders: list[str] = []\n\n"
        "    @event\n"
        "    async def on_order(self, message: Order, ctx: MessageContext) -> None:\n"
        "        self.orders.append(message.item)\n\n"
        "    @rpc\n"
        "    async def on_how_many(self, message: HowMany, ctx: MessageContext) -> int:\n"
        "        return len(self.orders)\n\n\n"
        "runtime = SingleThreadedAgentRuntime(record_deliveries=True)\n"
        'await Shop.register(runtime, "shop", Shop)\n'
        'await runtime.add_subscription(TypeSubscription("orders", "shop"))  # topic source -> agent key\n'
        "runtime.start()\n"
        'for session, item in [("ann", "tea"), ("bob", "cake"), ("ann", "scone")]:\n'
        '    await runtime.publish_message(Order(item=item), TopicId("orders", session))\n'
        "await runtime.stop_when_idle()\n"
        '[await runtime.send_message(HowMany(), AgentId("shop", who)) for who in ("ann", "bob")]'
    ),
    new_markdown_cell(
        "## Its drawing\n\n"
        "The runtime recorded every delivery (`record_deliveries=True`). `visualize.core` draws the topology — "
        "agent types, topics, subscriptions — with what was delivered on it, in the same format teams use, "
        "and the deliveries as a sequence diagram."
    ),
    new_code_cell(
        "from IPython.display import SVG\n\n"
        "from visualize.core import core_sequence_svg, core_svg\n\n"
        "SVG(core_svg(runtime))"
    ),
    new_code_cell("SVG(core_sequence_svg(runtime))"),
    new_markdown_cell(
        "## A larger application, from the command line\n\n"
        "`graphs/core_workers.py` has a coordinator publishing work to workers, collecting their results with "
        "`send_message`, and a `ClosureAgent` gathering the output. It exposes `build_runtime()` and "
        "`drive(runtime, task)`, so `flowgen check`, `flowgen render` and `flowgen run` take it:\n\n"
        "```\nflowgen check graphs/core_workers.py\nflowgen run graphs/core_workers.py --task 6\n```"
    ),
    new_code_cell(
        "from graphs import core_workers\n\n"
        "app = await core_workers.build_runtime()\n"
        "app.start_recording()\n"
        'total = await core_workers.drive(app, "6")\n'
        "print(total, core_workers.OUTPUT.get_nowait())\n"
        "SVG(core_svg(app))"
    ),
    new_markdown_cell(
        "## Virtual actors\n\n"
        "With `evict_idle_after=`, agents idle that long are saved and dropped, and made again with their state "
        "on their next message: a runtime serving many sessions holds only the active ones."
    ),
    new_code_cell(
        "clock = [0.0]\n"
        "sessions = SingleThreadedAgentRuntime(evict_idle_after=60, clock=lambda: clock[0])\n"
        'await Shop.register(sessions, "shop", Shop)\n'
        "for n in range(1000):\n"
        '    await sessions.send_message(HowMany(), AgentId("shop", f"s{n}"))\n'
        "clock[0] = 120\n"
        "evicted = await sessions.evict_idle()\n"
        "evicted, len(list(sessions.live_agents()))"
    ),
]


OBSERVABILITY = [
    new_markdown_cell(
        "# Observability: a run's spans next to its trace\n\n"
        "flowgen records every run as a trace of its own (what `visualize` draws). With "
        "`flowgen.telemetry.instrument()` the same events also become OpenTelemetry spans (GenAI conventions: "
        "`invoke_workflow` for the team, `invoke_agent` per turn, `chat` per model call, `execute_tool` per tool "
        "call), Prometheus metrics and, if asked, JSON log lines. Here the spans go to an in-memory exporter; "
        "the README shows how to send them to an OTLP collector instead."
    ),
    new_code_cell(SETUP),
    new_code_cell(
        "from opentelemetry.sdk.trace import TracerProvider\n"
        "from opentelemetry.sdk.trace.export import SimpleSpanProcessor\n"
        "from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter\n\n"
        "import flowgen.telemetry as telemetry\n\n"
        "exporter = InMemorySpanExporter()\n"
        "provider = TracerProvider()\n"
        "provider.add_span_processor(SimpleSpanProcessor(exporter))\n"
        "telemetry.instrument(tracer_provider=provider)"
    ),
    new_markdown_cell(
        "## A team with a tool\n\nA researcher looks a fact up with a tool, then a writer uses it. The models are "
        "replayed, so the run is the same every time."
    ),
    new_code_cell(
        "from flowgen.agents import AssistantAgent\n"
        "from flowgen.conditions import MaxMessageTermination\n"
        "from flowgen.core import FunctionCall\n"
        "from flowgen.models import CreateResult, ModelInfo, ReplayChatCompletionClient, RequestUsage\n"
        "from flowgen.teams import RoundRobinGroupChat\n"
        "from flowgen.tools import FunctionTool\n\n\n"
        "def population(city: str) -> str:\n"
        '    return {"Paris": "2.1 million"}.get(city, "unknown")\n\n\n'
        'info = ModelInfo(vision=False, function_calling=True, json_output=False, family="unknown", structured_output=False)\n'
        "lookup = CreateResult(\n"
        '    finish_reason="function_calls",\n'
        '    content=[FunctionCall(id="call-1", name="population", arguments=\'{"city": "Paris"}\')],\n'
        "    usage=RequestUsage(prompt_tokens=40, completion_tokens=12),\n"
        ")\n"
        "researcher = AssistantAgent(\n"
        '    "researcher",\n'
        "    ReplayChatCompletionClient([lookup], model_info=info),\n"
        '    tools=[FunctionTool(population, "The population of a city.")],\n'
        ")\n"
        'writer = AssistantAgent("writer", ReplayChatCompletionClient(["Paris has about 2.1 million people."]))\n'
        'team = RoundRobinGroupChat([researcher, writer], termination_condition=MaxMessageTermination(3), name="facts")\n'
        'result = await team.run(task="How many people live in Paris?")\n'
        "result.stop_reason"
    ),
    new_markdown_cell(
        "## The spans, as a tree, next to flowgen's drawing of the same run\n\n"
        "One trace: the team span, a turn span per agent, and inside each turn its model call and tool call. "
        "The drawing on the right is the run trace that `TaskResult` carries; the spans are that trace, exported."
    ),
    new_code_cell(
        "import html\n\n"
        "import visualize\n"
        "from IPython.display import HTML\n\n"
        "spans = exporter.get_finished_spans()\n"
        'tree = telemetry.span_tree(spans, attributes=["gen_ai.tool.call.id", "gen_ai.usage.output_tokens"])\n'
        "HTML(\n"
        "    '<div style=\"display:flex;gap:2em;align-items:flex-start\">'\n"
        "    f'<pre class=\"span-tree\">{html.escape(tree)}</pre><div>{visualize.render_svg(result)}</div></div>'\n"
        ")"
    ),
    new_code_cell("print(tree)"),
    new_markdown_cell("The run itself, drawn on its graph:"),
    new_code_cell("result"),
    new_markdown_cell(
        "## Metrics\n\nThe same run counted for Prometheus (`telemetry.start_metrics_server(9464)` serves them "
        "at `/metrics`; `telemetry.render_metrics()` gives the body to any web framework)."
    ),
    new_code_cell(
        "body, content_type = telemetry.render_metrics()\n"
        "print('\\n'.join(line for line in body.decode().splitlines()\n"
        "                if line.startswith(('flowgen_agent_turns_total', 'flowgen_tool_calls_total', 'flowgen_model_tokens_total'))))"
    ),
    new_markdown_cell("Turn telemetry off again: every hook is skipped and nothing is recorded."),
    new_code_cell("telemetry.uninstrument()"),
]


DURABLE = [
    new_markdown_cell(
        "# Durable runs and time travel\n\n"
        "A team with a checkpoint store saves every step of a run under a thread id. This notebook runs a "
        "support swarm, forks its thread from the start with a different customer message, and draws the "
        "fork against its parent on the graph. Everything runs offline."
    ),
    new_code_cell(SETUP),
    new_markdown_cell(
        "## A swarm that routes on the customer's last message\n\n"
        "Triage hands money questions to billing and everything else to technical support; each specialist "
        "answers and ends. The models are Python functions of the prompt, so a resumed or forked thread "
        "gets the answers a real model would give the same conversation."
    ),
    new_code_cell(
        "import tempfile, pathlib\n"
        "from flowgen.agents import AssistantAgent\n"
        "from flowgen.checkpoint import SqliteCheckpointer\n"
        "from flowgen.conditions import TextMentionTermination\n"
        "from flowgen.core import FunctionCall\n"
        "from flowgen.messages import TextMessage\n"
        "from flowgen.models import CreateResult, FunctionChatCompletionClient, RequestUsage, UserMessage\n"
        "from flowgen.teams import Swarm\n\n\n"
        "def triage_model(messages, info):\n"
        "    last = [m.content for m in messages if isinstance(m, UserMessage) and m.source == 'user'][-1]\n"
        "    target = 'billing' if 'charge' in last else 'technical'\n"
        "    call = FunctionCall(id=f'c{len(messages)}', name=f'transfer_to_{target}', arguments='{}')\n"
        "    return CreateResult(finish_reason='function_calls', content=[call], usage=RequestUsage(0, 0), cached=False)\n\n\n"
        "def specialist(answer):\n"
        "    return FunctionChatCompletionClient(lambda messages, info: answer + ' TERMINATE')\n\n\n"
        "store = SqliteCheckpointer(pathlib.Path(tempfile.mkdtemp()) / 'runs.db')\n"
        "team = Swarm(\n"
        "    [\n"
        "        AssistantAgent('triage', model_client=FunctionChatCompletionClient(triage_model), handoffs=['billing', 'technical']),\n"
        "        AssistantAgent('billing', model_client=specialist('Refunded the duplicate charge.')),\n"
        "        AssistantAgent('technical', model_client=specialist('A fix for the login crash is rolling out.')),\n"
        "    ],\n"
        "    termination_condition=TextMentionTermination('TERMINATE'),\n"
        "    checkpointer=store,\n"
        ")\n"
        "result = await team.run(task='I was charged twice this month', thread_id='ticket-7')\n"
        "[m.source for m in result.messages], result.stop_reason"
    ),
    new_markdown_cell(
        "## The thread's history\n\n"
        "`team.history()` gives the checkpoints newest first: the step, the nodes that ran, the ones to run "
        "next, and the messages that step added."
    ),
    new_code_cell(
        "history = [c async for c in team.history('ticket-7')]\n"
        "[(c.step, c.source, c.ran, c.frontier, [m['source'] for m in c.messages]) for c in history]"
    ),
    new_markdown_cell(
        "## A fork\n\n"
        "`update_state` writes an edited checkpoint on top of an older one — here the thread's first "
        "checkpoint (the task), with a second customer message — and running the thread continues from "
        "it, on a new branch. The old branch stays in the store."
    ),
    new_code_cell(
        "start = history[-1]\n"
        "edit = TextMessage(content='Sorry, wrong ticket: the app crashes on login', source='user')\n"
        "fork_point = await team.update_state('ticket-7', [edit], checkpoint_id=start.checkpoint_id)\n"
        "forked = await team.run(thread_id='ticket-7')\n"
        "after = [c async for c in team.history('ticket-7')]\n"
        "assert history[0].checkpoint_id in [c.checkpoint_id for c in after]  # the parent branch is kept\n"
        "[m.source for m in forked.messages], forked.stop_reason"
    ),
    new_markdown_cell(
        "## The fork drawn against its parent\n\n"
        "`team.thread_trace()` rebuilds a branch's trace from its checkpoints. Blue is the parent only, "
        "orange the fork only, green both."
    ),
    new_code_cell(
        "from IPython.display import SVG\n"
        "from flowgen.cli.diff_overlay import diff_dot\n"
        "from flowgen.cli.drawing import dot_to_svg\n\n"
        "parent = await team.thread_trace('ticket-7', history[0].checkpoint_id)\n"
        "fork = await team.thread_trace('ticket-7')\n"
        "assert parent.visits()['billing'] == 1 and fork.visits()['technical'] == 1\n"
        "SVG(dot_to_svg(diff_dot(team.graph, parent, fork)))"
    ),
]


def write(name: str, cells: list[nbformat.NotebookNode]) -> Path:
    notebook = new_notebook(cells=cells)
    for index, cell in enumerate(notebook.cells):
        cell.id = f"{name}-{index:02d}"  # stable ids: regenerating changes only what was edited
    notebook.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    notebook.metadata["language_info"] = {"name": "python"}
    path = HERE / f"{name}.ipynb"
    nbformat.validate(notebook)
    nbformat.write(notebook, path)
    return path


def main() -> None:
    for name, cells in (
        ("quickstart", QUICKSTART),
        ("graphs", GRAPHS),
        ("testing", TESTING),
        ("observability", OBSERVABILITY),
        ("core", CORE),
        ("durable", DURABLE),
    ):
        print(write(name, cells))


if __name__ == "__main__":
    main()
