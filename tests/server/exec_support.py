"""Support for the tests of what a run executes: an app serving teams that stop for a person.

- ``relay``: a round robin of a, b and c on a scripted model, stopping at the 7th message;
- ``support``: the support swarm (triage hands off to billing or technical);
- ``billing``: one agent whose refund tool call needs a person's approval (``approved``);
- ``flaky``: a round robin of a and b, whose model is down;
- ``fan``: a graph flow: a, then b and c together, then d.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from server_support import KEY_A, settings

from flowgen.agents import AssistantAgent
from flowgen.agents.approval import ApprovalResponse, ToolApprovalRequest
from flowgen.base import Team
from flowgen.checkpoint import SqliteCheckpointer
from flowgen.conditions import MaxMessageTermination
from flowgen.core import FunctionCall
from flowgen.models import (
    CallInfo,
    CreateResult,
    FunctionChatCompletionClient,
    FunctionExecutionResultMessage,
    LLMMessage,
    RequestUsage,
    UserMessage,
)
from flowgen.server import create_app
from flowgen.teams import DiGraphBuilder, GraphFlow, RoundRobinGroupChat
from flowgen.testing import ScriptedAgent, ScriptedModels
from flowgen.tools import FunctionTool
from graphs import support_swarm

REFUNDS: list[str] = []


def relay() -> Team:
    models = ScriptedModels(["alpha", "beta", "gamma", "delta"])
    agents = [AssistantAgent(n, model_client=models.client()) for n in ("a", "b", "c")]
    return RoundRobinGroupChat(agents, termination_condition=MaxMessageTermination(7), name="relay")


def refund(account: str) -> str:
    """Refund the duplicate charge."""
    REFUNDS.append(account)
    return f"refunded account {account}"


def _billing_model(messages: Sequence[LLMMessage], info: CallInfo) -> CreateResult | str:
    if any(isinstance(m, FunctionExecutionResultMessage) for m in messages):
        return "done"
    call = FunctionCall(id="r1", name="refund", arguments='{"account": "4417"}')
    return CreateResult(
        finish_reason="function_calls", content=[call], usage=RequestUsage(0, 0), cached=False
    )


def needs_a_person(request: ToolApprovalRequest) -> ApprovalResponse:
    said = [m.content for m in request.context if isinstance(m, UserMessage) and m.source == "user"]
    if said and said[-1] == "approved":
        return ApprovalResponse(approved=True)
    return ApprovalResponse(approved=False, reason="refunds need a person", pause=True)


def billing() -> Team:
    agent = AssistantAgent(
        "billing",
        model_client=FunctionChatCompletionClient(_billing_model),
        tools=[FunctionTool(refund, description="Refund.")],
        approval_func=needs_a_person,
    )
    return RoundRobinGroupChat([agent], termination_condition=MaxMessageTermination(3), name="billing")


def flaky() -> Team:
    """a answers; b's model is down."""

    def down(messages: object, info: object) -> str:
        raise RuntimeError("the model is down")

    a = AssistantAgent("a", model_client=ScriptedModels(["fine"]).client())
    b = AssistantAgent("b", model_client=FunctionChatCompletionClient(down))
    return RoundRobinGroupChat([a, b], max_turns=4, name="flaky")


def fan() -> Team:
    """a, then b and c in one step, then d."""
    a, b, c, d = (ScriptedAgent(n, [n.upper()]) for n in "abcd")
    builder = DiGraphBuilder()
    for agent in (a, b, c, d):
        builder.add_node(agent)
    builder.add_edge(a, b).add_edge(a, c).add_edge(b, d).add_edge(c, d)
    return GraphFlow(builder.get_participants(), builder.build(), name="fan")


TEAMS: dict[str, Callable[[], Team]] = {
    "relay": relay,
    "support": support_swarm.build,
    "billing": billing,
    "flaky": flaky,
    "fan": fan,
}


@dataclass
class Exec:
    client: httpx.AsyncClient
    store: SqliteCheckpointer
    headers: dict[str, str]

    async def thread(self) -> str:
        response = await self.client.post("/threads", headers=self.headers)
        assert response.status_code == 201, response.text
        thread_id: str = response.json()["thread_id"]
        return thread_id

    async def stream(self, thread_id: str, body: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        """A streamed run's events as (kind, data), ids checked to count 1, 2, 3 ..."""
        response = await self.client.post(
            f"/threads/{thread_id}/runs/stream", headers=self.headers, json=body
        )
        assert response.status_code == 200, response.text
        events = sse(response.text)
        assert [e["id"] for e in events] == [str(n) for n in range(1, len(events) + 1)]
        return [(e["event"], json.loads(e["data"])) for e in events]

    async def wait(self, thread_id: str, body: dict[str, Any]) -> httpx.Response:
        return await self.client.post(f"/threads/{thread_id}/runs/wait", headers=self.headers, json=body)

    async def get(self, path: str) -> dict[str, Any]:
        response = await self.client.get(path, headers=self.headers)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def stored(self) -> tuple[Any, ...]:
        """Everything the server keeps: each stored thread with its checkpoints, and the caller's threads."""
        kept = []
        for t in await self.store.threads():
            kept.append((t.model_dump(), [c.model_dump() async for c in self.store.history(t.thread_id)]))
        listed = await self.get("/threads")
        return tuple(kept), listed


def sse(text: str) -> list[dict[str, str]]:
    events = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        fields: dict[str, str] = {}
        for line in block.split("\n"):
            if line and not line.startswith(":"):
                name, _, value = line.partition(":")
                fields[name] = value.removeprefix(" ")
        if fields:
            events.append(fields)
    return events


def said(events: Sequence[tuple[str, dict[str, Any]]]) -> list[str]:
    """The chat messages of a run, as source:text."""
    return [f"{d['source']}:{d.get('content')}" for k, d in events if k == "message"]


@contextlib.asynccontextmanager
async def serving_exec(tmp_path: Path) -> AsyncIterator[Exec]:
    config = settings(tmp_path, max_body_bytes=100_000)
    store = SqliteCheckpointer(config.store)
    app = create_app(TEAMS, config, store)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield Exec(client, store, {"X-API-Key": KEY_A})
    finally:
        app.state.flowgen.directory.close()
        await store.aclose()
