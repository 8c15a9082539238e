"""SelectorGroupChat, Swarm and GraphFlow programs observe the same under flowgen and AutoGen.

Each program is text run by :mod:`tests.compat.differential`: with flowgen's imports against the
values recorded in ``programs/test_differential_teams.json`` (AutoGen's observations, or flowgen's for
the deliberate differences of docs/migration.md), and, when AutoGen is installed, with AutoGen's
imports against flowgen's.
"""

from __future__ import annotations

import pytest

from tests.compat.differential import cases, check

HEADER = '''
from flowgen.agents import AssistantAgent
from flowgen.base import TaskResult
from flowgen.conditions import HandoffTermination, MaxMessageTermination, TextMentionTermination
from flowgen.core import FunctionCall
from flowgen.messages import HandoffMessage, TextMessage
from flowgen.models import CreateResult, ModelFamily, ReplayChatCompletionClient, RequestUsage
from flowgen.teams import DiGraphBuilder, GraphFlow, SelectorGroupChat, Swarm

INFO = {
    "vision": False,
    "function_calling": True,
    "json_output": False,
    "family": ModelFamily.UNKNOWN,
    "structured_output": False,
}


def calls(*pairs):
    return CreateResult(
        finish_reason="function_calls",
        content=[FunctionCall(id=f"call_{i}", name=n, arguments=a) for i, (n, a) in enumerate(pairs)],
        usage=RequestUsage(prompt_tokens=3, completion_tokens=2),
        cached=False,
    )


def model(*replies):
    return ReplayChatCompletionClient(list(replies), model_info=INFO)


def agent(name, *replies, **kwargs):
    return AssistantAgent(name, model(*replies), description=f"The {name} agent.", **kwargs)


def say(name, prefix, n=12):
    return agent(name, *[f"{prefix} {i}" for i in range(1, n + 1)])


async def lookup(query: str) -> str:
    """Look something up."""
    return f"found {query}"


async def stream(team, task="Start."):
    return [m async for m in team.run_stream(task=task)]
'''

PROGRAMS = {
    # ------------------------------------------------------------------ SelectorGroupChat
    "selector_model_chooses": """
async def main():
    team = SelectorGroupChat(
        [say("planner", "P"), say("coder", "C"), say("tester", "T")],
        model_client=model("coder", "tester", "planner", "coder"),
        max_turns=4,
    )
    return await stream(team)
""",
    "selector_model_answer_with_extra_text": """
async def main():
    team = SelectorGroupChat(
        [say("planner", "P"), say("coder", "C")],
        model_client=model("I pick coder.", "planner"),
        max_turns=2,
    )
    return await stream(team)
""",
    "selector_func": """
async def main():
    def pick(messages):
        last = messages[-1].source
        return {"user": "coder", "coder": "tester", "tester": None}.get(last)

    team = SelectorGroupChat(
        [say("planner", "P"), say("coder", "C"), say("tester", "T")],
        model_client=model("planner", "coder", "planner"),
        selector_func=pick,
        max_turns=4,
    )
    return await stream(team)
""",
    "candidate_func": """
async def main():
    def candidates(messages):
        return ["tester"] if messages[-1].source == "coder" else ["coder"]

    team = SelectorGroupChat(
        [say("planner", "P"), say("coder", "C"), say("tester", "T")],
        model_client=model(),
        candidate_func=candidates,
        termination_condition=MaxMessageTermination(4),
    )
    return await stream(team)
""",
    "selector_repeated_speaker_not_allowed": """
async def main():
    team = SelectorGroupChat(
        [say("planner", "P"), say("coder", "C")],
        model_client=model("coder", "planner"),
        max_turns=3,
    )
    return await stream(team)
""",
    "selector_repeated_speaker_allowed": """
async def main():
    team = SelectorGroupChat(
        [say("planner", "P"), say("coder", "C")],
        model_client=model("coder", "coder", "planner"),
        allow_repeated_speaker=True,
        max_turns=3,
    )
    return await stream(team)
""",
    "selector_emit_team_events": """
async def main():
    team = SelectorGroupChat(
        [say("planner", "P"), say("coder", "C")],
        model_client=model("coder", "planner"),
        emit_team_events=True,
        max_turns=2,
    )
    return await stream(team)
""",
    "selector_save_load": """
async def main():
    team = SelectorGroupChat([say("planner", "P"), say("coder", "C")], model_client=model("coder"), max_turns=1)
    await team.run(task="Start.")
    state = await team.save_state()
    fresh = SelectorGroupChat([say("planner", "P2"), say("coder", "C2")], model_client=model("planner"), max_turns=1)
    await fresh.load_state(state)
    return await fresh.run()
""",
    # ------------------------------------------------------------------ Swarm
    "swarm_handoffs": """
async def main():
    alice = agent("alice", calls(("transfer_to_bob", "{}")), "Alice again. TERMINATE", handoffs=["bob"])
    bob = agent("bob", "Bob here.", calls(("transfer_to_alice", "{}")), handoffs=["alice"])
    team = Swarm([alice, bob], termination_condition=TextMentionTermination("TERMINATE") | MaxMessageTermination(6))
    return await stream(team)
""",
    "swarm_handoff_with_tool_context": """
async def main():
    alice = agent("alice", calls(("lookup", '{"query": "x"}'), ("transfer_to_bob", "{}")), tools=[lookup], handoffs=["bob"])
    bob = agent("bob", "Bob saw it.")
    team = Swarm([alice, bob], max_turns=2)
    result = await team.run(task="Find x.")
    return result, await bob.model_context.get_messages()
""",
    "swarm_user_handoff_and_resume": """
async def main():
    alice = agent("alice", calls(("transfer_to_user", "{}")), "Thanks. TERMINATE", handoffs=["user"])
    team = Swarm([alice], termination_condition=HandoffTermination("user") | TextMentionTermination("TERMINATE"))
    first = await stream(team)
    second = await stream(team, HandoffMessage(source="user", target="alice", content="Here you go."))
    return first, second
""",
    "swarm_save_load": """
async def main():
    alice = agent("alice", calls(("transfer_to_bob", "{}")), handoffs=["bob"])
    team = Swarm([alice, say("bob", "B")], max_turns=1)
    await team.run(task="Start.")
    state = await team.save_state()
    fresh = Swarm([agent("alice", "A", handoffs=["bob"]), say("bob", "B2")], max_turns=1)
    await fresh.load_state(state)
    return await fresh.run()
""",
    # ------------------------------------------------------------------ GraphFlow
    "graph_sequential": """
async def main():
    a, b, c = say("a", "A"), say("b", "B"), say("c", "C")
    builder = DiGraphBuilder()
    builder.add_node(a).add_node(b).add_node(c)
    builder.add_edge(a, b).add_edge(b, c)
    team = GraphFlow([a, b, c], graph=builder.build())
    return await stream(team)
""",
    "graph_parallel_fan_out_fan_in": """
async def main():
    a, b, c, d = say("a", "A"), say("b", "B"), say("c", "C"), say("d", "D")
    builder = DiGraphBuilder()
    builder.add_node(a).add_node(b).add_node(c).add_node(d)
    builder.add_edge(a, b).add_edge(a, c).add_edge(b, d).add_edge(c, d)
    team = GraphFlow([a, b, c, d], graph=builder.build())
    result = await stream(team)
    return sorted(tuple(m.to_text() for m in result[-1].messages)), result[-1].stop_reason, len(result)
""",
    "graph_conditional": """
async def main():
    judge = agent("judge", "verdict: yes")
    yes, no = say("yes_path", "Y"), say("no_path", "N")
    builder = DiGraphBuilder()
    builder.add_node(judge).add_node(yes).add_node(no)
    builder.add_edge(judge, yes, condition="yes").add_edge(judge, no, condition="no")
    team = GraphFlow([judge, yes, no], graph=builder.build())
    return await stream(team)
""",
    "graph_conditional_callable": """
async def main():
    judge = agent("judge", "verdict: no")
    yes, no = say("yes_path", "Y"), say("no_path", "N")
    builder = DiGraphBuilder()
    builder.add_node(judge).add_node(yes).add_node(no)
    builder.add_edge(judge, yes, condition=lambda m: "yes" in m.to_text())
    builder.add_edge(judge, no, condition=lambda m: "no" in m.to_text())
    team = GraphFlow([judge, yes, no], graph=builder.build())
    return await stream(team)
""",
    "graph_loop": """
async def main():
    writer = say("writer", "draft")
    critic = agent("critic", "revise", "revise", "APPROVE")
    done = say("done", "published")
    builder = DiGraphBuilder()
    builder.add_node(writer).add_node(critic).add_node(done)
    builder.add_edge(writer, critic)
    builder.add_edge(critic, writer, condition=lambda m: "APPROVE" not in m.to_text())
    builder.add_edge(critic, done, condition=lambda m: "APPROVE" in m.to_text())
    builder.set_entry_point(writer)
    team = GraphFlow([writer, critic, done], graph=builder.build(), termination_condition=MaxMessageTermination(20))
    return await stream(team)
""",
    "graph_loop_max_messages": """
async def main():
    writer = say("writer", "draft")
    critic = say("critic", "revise")
    done = say("done", "published")
    builder = DiGraphBuilder()
    builder.add_node(writer).add_node(critic).add_node(done)
    builder.add_edge(writer, critic).add_edge(critic, writer, condition=lambda m: "APPROVE" not in m.to_text())
    builder.add_edge(critic, done, condition=lambda m: "APPROVE" in m.to_text())
    builder.set_entry_point(writer)
    team = GraphFlow([writer, critic, done], graph=builder.build(), termination_condition=MaxMessageTermination(5))
    return await stream(team)
""",
    "graph_substring_condition": """
async def main():
    judge = agent("judge", "DISAPPROVE")
    ok, bad = say("ok", "OK"), say("bad", "BAD")
    builder = DiGraphBuilder()
    builder.add_node(judge).add_node(ok).add_node(bad)
    builder.add_edge(judge, ok, condition="APPROVE").add_edge(judge, bad, condition="DISAPPROVE")
    team = GraphFlow([judge, ok, bad], graph=builder.build())
    return await stream(team)
""",
    "graph_parallel_termination_every_message": """
async def main():
    a, b, c = say("a", "A"), agent("b", "B STOP"), say("c", "C")
    builder = DiGraphBuilder()
    builder.add_node(a).add_node(b).add_node(c)
    builder.add_edge(a, b).add_edge(a, c)
    team = GraphFlow([a, b, c], graph=builder.build(), termination_condition=TextMentionTermination("STOP"))
    result = await team.run(task="Start.")
    return result.stop_reason
""",
    "graph_save_load_after_run": """
async def main():
    a, b = say("a", "A"), say("b", "B")
    builder = DiGraphBuilder()
    builder.add_node(a).add_node(b).add_edge(a, b)
    team = GraphFlow([a, b], graph=builder.build())
    await team.run(task="One.")
    state = await team.save_state()
    a2, b2 = say("a", "A2"), say("b", "B2")
    builder = DiGraphBuilder()
    builder.add_node(a2).add_node(b2).add_edge(a2, b2)
    fresh = GraphFlow([a2, b2], graph=builder.build())
    await fresh.load_state(state)
    return await fresh.run(task="Two.")
""",
    "selector_invalid_names_fall_back": """
async def main():
    team = SelectorGroupChat(
        [say("planner", "P"), say("coder", "C")],
        model_client=model("nobody", "still nobody", "no one", "planner"),
        max_turns=2,
    )
    return await stream(team)
""",
    "selector_two_names_in_answer": """
async def main():
    team = SelectorGroupChat(
        [say("planner", "P"), say("coder", "C"), say("tester", "T")],
        model_client=model("coder or tester", "tester"),
        max_turns=1,
    )
    return await stream(team)
""",
    "selector_streaming_model": """
async def main():
    team = SelectorGroupChat(
        [say("planner", "P"), say("coder", "C")],
        model_client=model("coder", "planner"),
        model_client_streaming=True,
        max_turns=2,
    )
    return await stream(team)
""",
    "selector_single_candidate_skips_model": """
async def main():
    team = SelectorGroupChat(
        [say("planner", "P"), say("coder", "C")],
        model_client=model(),
        candidate_func=lambda messages: ["coder"],
        allow_repeated_speaker=True,
        max_turns=2,
    )
    return await stream(team)
""",
    "selector_async_selector_func": """
async def main():
    async def pick(messages):
        return "coder"

    team = SelectorGroupChat(
        [say("planner", "P"), say("coder", "C")], model_client=model(), selector_func=pick, max_turns=2
    )
    return await stream(team)
""",
    "swarm_task_handoff_picks_first_speaker": """
async def main():
    team = Swarm([say("alice", "A"), say("bob", "B")], max_turns=1)
    return await stream(team, HandoffMessage(source="user", target="bob", content="Bob, please."))
""",
    "swarm_continue_without_task": """
async def main():
    alice = agent("alice", calls(("transfer_to_bob", "{}")), handoffs=["bob"])
    team = Swarm([alice, say("bob", "B")], max_turns=1)
    first = await team.run(task="Start.")
    second = await team.run()
    third = await team.run()
    return first, second, third
""",
    "graph_activation_any": """
async def main():
    a, b, c, d = say("a", "A"), say("b", "B"), say("c", "C"), say("d", "D")
    builder = DiGraphBuilder()
    builder.add_node(a).add_node(b).add_node(c).add_node(d, activation="any")
    builder.add_edge(a, b).add_edge(a, c).add_edge(b, d).add_edge(c, d)
    team = GraphFlow([a, b, c, d], graph=builder.build())
    result = await team.run(task="Start.")
    return [m.source for m in result.messages].count("d"), result.stop_reason
""",
    "graph_conditional_edges_mapping": """
async def main():
    judge = agent("judge", "route: left")
    left, right = say("left", "L"), say("right", "R")
    builder = DiGraphBuilder()
    builder.add_node(judge).add_node(left).add_node(right)
    builder.add_conditional_edges(judge, {"left": left, "right": right})
    team = GraphFlow([judge, left, right], graph=builder.build())
    return await stream(team)
""",
    "graph_run_again_with_new_task": """
async def main():
    a, b = say("a", "A"), say("b", "B")
    builder = DiGraphBuilder()
    builder.add_node(a).add_node(b).add_edge(a, b)
    team = GraphFlow([a, b], graph=builder.build())
    first = await team.run(task="One.")
    second = await team.run(task="Two.")
    return first, second
""",
    "graph_max_turns_then_continue": """
async def main():
    a, b, c = say("a", "A"), say("b", "B"), say("c", "C")
    builder = DiGraphBuilder()
    builder.add_node(a).add_node(b).add_node(c).add_edge(a, b).add_edge(b, c)
    team = GraphFlow([a, b, c], graph=builder.build(), max_turns=2)
    first = await team.run(task="Start.")
    second = await team.run()
    return first, second
""",
    "graph_condition_stops_then_continue": """
async def main():
    a, b, c = say("a", "A"), agent("b", "B STOP"), say("c", "C")
    builder = DiGraphBuilder()
    builder.add_node(a).add_node(b).add_node(c).add_edge(a, b).add_edge(b, c)
    team = GraphFlow([a, b, c], graph=builder.build(), termination_condition=TextMentionTermination("STOP"))
    first = await team.run(task="Start.")
    second = await team.run()
    return first, second
""",
    "graph_save_load_mid_run": """
async def main():
    def build(a, b, c):
        builder = DiGraphBuilder()
        builder.add_node(a).add_node(b).add_node(c).add_edge(a, b).add_edge(b, c)
        return builder.build()

    a, b, c = say("a", "A"), say("b", "B"), say("c", "C")
    team = GraphFlow([a, b, c], graph=build(a, b, c), max_turns=1)
    first = await team.run(task="Start.")
    state = await team.save_state()
    a2, b2, c2 = say("a", "A2"), say("b", "B2"), say("c", "C2")
    fresh = GraphFlow([a2, b2, c2], graph=build(a2, b2, c2))
    await fresh.load_state(state)
    return first, await fresh.run()
""",
    "graph_save_load_mid_loop": """
async def main():
    def build(writer, critic, done):
        builder = DiGraphBuilder()
        builder.add_node(writer).add_node(critic).add_node(done)
        builder.add_edge(writer, critic)
        builder.add_edge(critic, writer, condition=lambda m: "APPROVE" not in m.to_text())
        builder.add_edge(critic, done, condition=lambda m: "APPROVE" in m.to_text())
        builder.set_entry_point(writer)
        return builder.build()

    parts = [say("writer", "draft"), agent("critic", "revise"), say("done", "published")]
    team = GraphFlow(parts, graph=build(*parts), max_turns=3)
    first = await team.run(task="Start.")
    state = await team.save_state()
    parts = [say("writer", "second draft"), agent("critic", "APPROVE"), say("done", "published")]
    fresh = GraphFlow(parts, graph=build(*parts), max_turns=10)
    await fresh.load_state(state)
    return first, await fresh.run()
""",
    "swarm_with_user_proxy": """
from flowgen.agents import UserProxyAgent


async def main():
    alice = agent("alice", calls(("transfer_to_user", "{}")), "Got it. TERMINATE", handoffs=["user"])
    user = UserProxyAgent("user", input_func=lambda prompt: "My answer.")
    team = Swarm([alice, user], termination_condition=TextMentionTermination("TERMINATE") | MaxMessageTermination(8))
    return await stream(team)
""",
    "selector_func_names_a_stranger": """
async def main():
    team = SelectorGroupChat(
        [say("planner", "P"), say("coder", "C")],
        model_client=model("coder"),
        selector_func=lambda messages: "stranger",
        max_turns=1,
    )
    try:
        return await stream(team)
    except Exception as e:
        return [b.__name__ for b in (ValueError, RuntimeError, KeyError) if isinstance(e, b)]
""",
    "selector_one_attempt": """
async def main():
    team = SelectorGroupChat(
        [say("planner", "P"), say("coder", "C"), say("tester", "T")],
        model_client=model("nobody", "tester"),
        max_selector_attempts=1,
        max_turns=2,
    )
    return await stream(team)
""",
    "selector_run_vs_run_stream": """
async def main():
    def build():
        return SelectorGroupChat(
            [say("planner", "P"), say("coder", "C")], model_client=model("coder", "planner"), max_turns=2
        )

    ran = await build().run(task="Start.")
    streamed = await stream(build())
    return ran, streamed[-1]
""",
    "swarm_resume_with_text_after_user_handoff": """
async def main():
    alice = agent("alice", calls(("transfer_to_user", "{}")), "Thanks.", handoffs=["user"])
    team = Swarm([alice], termination_condition=HandoffTermination("user"), max_turns=3)
    await team.run(task="Start.")
    try:
        return await team.run(task="Plain text reply.")
    except Exception as e:
        return [b.__name__ for b in (ValueError, RuntimeError) if isinstance(e, b)]
""",
    "swarm_continue_after_text_turn": """
async def main():
    alice = agent("alice", calls(("transfer_to_bob", "{}")), "A again", handoffs=["bob"])
    bob = agent("bob", "B 1", "B 2", "B 3", handoffs=["alice"])
    team = Swarm([alice, bob], max_turns=2)
    first = await team.run(task="Start.")
    second = await team.run(task="More.")
    return first, second
""",
    "graph_no_condition_matches": """
async def main():
    judge = agent("judge", "maybe")
    yes, no = say("yes_path", "Y"), say("no_path", "N")
    builder = DiGraphBuilder()
    builder.add_node(judge).add_node(yes).add_node(no)
    builder.add_edge(judge, yes, condition=lambda m: "yes" in m.to_text())
    builder.add_edge(judge, no, condition=lambda m: "no" in m.to_text())
    team = GraphFlow([judge, yes, no], graph=builder.build())
    return await stream(team)
""",
    "graph_run_vs_run_stream": """
async def main():
    def build():
        a, b = say("a", "A"), say("b", "B")
        builder = DiGraphBuilder()
        builder.add_node(a).add_node(b).add_edge(a, b)
        return GraphFlow([a, b], graph=builder.build())

    ran = await build().run(task="Start.")
    streamed = await stream(build())
    return ran, streamed[-1]
""",
    "graph_reset_then_run": """
async def main():
    a, b = say("a", "A"), say("b", "B")
    builder = DiGraphBuilder()
    builder.add_node(a).add_node(b).add_edge(a, b)
    team = GraphFlow([a, b], graph=builder.build(), max_turns=1)
    await team.run(task="One.")
    await team.reset()
    return await team.run(task="Two.")
""",
    "selector_streaming_with_team_events": """
async def main():
    team = SelectorGroupChat(
        [say("planner", "P"), say("coder", "C")],
        model_client=model("coder", "planner"),
        model_client_streaming=True,
        emit_team_events=True,
        max_turns=2,
    )
    return await stream(team)
""",
    "swarm_emit_team_events": """
async def main():
    alice = agent("alice", calls(("transfer_to_bob", "{}")), handoffs=["bob"])
    team = Swarm([alice, say("bob", "B")], max_turns=2, emit_team_events=True)
    return await stream(team)
""",
    "swarm_handoff_with_thought": """
async def main():
    thinking = CreateResult(
        finish_reason="function_calls",
        content=[FunctionCall(id="c1", name="transfer_to_bob", arguments="{}")],
        thought="Bob knows this.",
        usage=RequestUsage(prompt_tokens=1, completion_tokens=1),
        cached=False,
    )
    alice = agent("alice", thinking, handoffs=["bob"])
    bob = say("bob", "B")
    team = Swarm([alice, bob], max_turns=2)
    result = await stream(team)
    return result, await bob.model_context.get_messages()
""",
    "graph_emit_no_team_events_param": """
async def main():
    a, b = say("a", "A"), say("b", "B")
    builder = DiGraphBuilder()
    builder.add_node(a).add_node(b).add_edge(a, b)
    team = GraphFlow([a, b], graph=builder.build(), name="flow", description="A flow.")
    return team.name, team.description, await stream(team)
""",
    "graph_parallel_stream_order": """
async def main():
    a, b, c, d = say("a", "A"), say("b", "B"), say("c", "C"), say("d", "D")
    builder = DiGraphBuilder()
    builder.add_node(a).add_node(b).add_node(c).add_node(d)
    builder.add_edge(a, b).add_edge(a, c).add_edge(b, d).add_edge(c, d)
    team = GraphFlow([a, b, c, d], graph=builder.build())
    return await stream(team)
""",
    "digraph_dump": """
async def main():
    a, b, c = say("a", "A"), say("b", "B"), say("c", "C")
    builder = DiGraphBuilder()
    builder.add_node(a).add_node(b).add_node(c, activation="any")
    builder.add_edge(a, b, condition="go").add_edge(a, c, condition="stop").add_edge(b, c)
    return builder.build().model_dump(exclude_none=True)  # flowgen-only fields default to None
""",
    "graph_node_activation_any": """
async def main():
    a, b, c, d, e = say("a", "A"), say("b", "B"), say("c", "C"), say("d", "D"), say("e", "E")
    builder = DiGraphBuilder()
    builder.add_node(a).add_node(b).add_node(c).add_node(d, activation="any").add_node(e)
    builder.add_edge(a, b).add_edge(a, c).add_edge(b, d).add_edge(c, e).add_edge(e, d)
    team = GraphFlow([a, b, c, d, e], graph=builder.build())
    return await stream(team)
""",
    "graph_edge_activation_any": """
async def main():
    a, b, c, d, e = say("a", "A"), say("b", "B"), say("c", "C"), say("d", "D"), say("e", "E")
    builder = DiGraphBuilder()
    builder.add_node(a).add_node(b).add_node(c).add_node(d).add_node(e)
    builder.add_edge(a, b).add_edge(a, c).add_edge(b, d, activation_condition="any")
    builder.add_edge(c, e).add_edge(e, d, activation_condition="any")
    team = GraphFlow([a, b, c, d, e], graph=builder.build())
    return await stream(team)
""",
}

# Deliberate differences (docs/migration.md): recorded from flowgen, and AutoGen must differ.
DIFFERENCES = {
    "graph_substring_condition": "GraphFlow string conditions match whole words, not substrings",
    "graph_parallel_termination_every_message": "termination sees every message of a parallel step",
    # AutoGen reports "Digraph execution is complete" when no edge condition matched; flowgen says
    # why the run could not go on (the node and its conditions).
    # AutoGen 0.7.5 ignores DiGraphBuilder.add_node(activation="any") (only an edge's own
    # activation_condition counts), so the node waits for all its parents; flowgen honours it, and
    # the edges into the node carry it in the dumped graph.
    "graph_node_activation_any": "add_node(activation='any') is honoured: the node runs when any parent is done",
    "digraph_dump": "edges into a node added with activation='any' carry activation_condition 'any'",
    "graph_no_condition_matches": "a dead end's stop reason names the node whose conditions all failed",
}
XFAIL: dict[str, str] = {}


@pytest.mark.parametrize("name", cases(PROGRAMS, XFAIL))
async def test_program_observes_the_same(name: str) -> None:
    await check(__name__, name, HEADER + PROGRAMS[name], differs=DIFFERENCES.get(name))
