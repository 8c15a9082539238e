"""Property: whatever the subscriptions and publishes, each published message reaches exactly the
agents subscribed to its topic (keyed by the topic's source), never its sender, and
stop_when_idle() returns once everything, including what handlers published in turn, is delivered."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from flowgen.core import (
    AgentId,
    MessageContext,
    RoutedAgent,
    SingleThreadedAgentRuntime,
    TopicId,
    TypeSubscription,
    event,
)

TYPES = ("a", "b", "c")
TOPICS = ("t1", "t2")
SOURCES = ("s1", "s2")


@dataclass
class Shout:
    id: int
    echo: bool  # a receiver publishes an echo of it on the same topic, once


class Member(RoutedAgent):
    heard: dict[AgentId, list[tuple[int, AgentId | None]]] = {}

    def __init__(self) -> None:
        super().__init__("records what it hears")

    @event
    async def on_shout(self, message: Shout, ctx: MessageContext) -> None:
        Member.heard.setdefault(self.id, []).append((message.id, ctx.sender))
        if message.echo:
            assert ctx.topic_id is not None
            await self.publish_message(Shout(message.id + 1000, echo=False), ctx.topic_id)


subscriptions = st.sets(st.tuples(st.sampled_from(TOPICS), st.sampled_from(TYPES)), max_size=6)
publishes = st.lists(
    st.tuples(
        st.sampled_from(TOPICS), st.sampled_from(SOURCES), st.sampled_from((None, *TYPES)), st.booleans()
    ),
    max_size=8,
)


def expected(
    subs: set[tuple[str, str]], sent: list[tuple[str, str, str | None, bool]]
) -> dict[AgentId, list]:
    heard: dict[AgentId, list[tuple[int, AgentId | None]]] = {}
    for index, (topic, source, sender, echo) in enumerate(sent):
        sender_id = None if sender is None else AgentId(sender, source)
        receivers = [AgentId(t, source) for top, t in sorted(subs) if top == topic]
        for receiver in receivers:
            if receiver == sender_id:
                continue
            heard.setdefault(receiver, []).append((index, sender_id))
            if echo:  # its echo reaches the topic's other subscribers
                for other in receivers:
                    if other != receiver:
                        heard.setdefault(other, []).append((index + 1000, receiver))
    return heard


async def run(
    subs: set[tuple[str, str]], sent: list[tuple[str, str, str | None, bool]]
) -> dict[AgentId, list]:
    Member.heard = {}
    runtime = SingleThreadedAgentRuntime()
    for agent_type in TYPES:
        await Member.register(runtime, agent_type, Member, skip_direct_message_subscription=True)
    for topic, agent_type in sorted(subs):
        await runtime.add_subscription(TypeSubscription(topic, agent_type))
    runtime.start()
    for index, (topic, source, sender, echo) in enumerate(sent):
        sender_id = None if sender is None else AgentId(sender, source)
        await runtime.publish_message(Shout(index, echo), TopicId(topic, source), sender=sender_id)
    await asyncio.wait_for(runtime.stop_when_idle(), timeout=30)
    assert list(runtime.handler_failures) == []
    return Member.heard


@settings(max_examples=60, deadline=None)
@given(subscriptions, publishes)
def test_publishes_reach_exactly_the_subscribers_never_the_sender(
    subs: set[tuple[str, str]], sent: list[tuple[str, str, str | None, bool]]
) -> None:
    heard = asyncio.run(run(subs, sent))
    want = expected(subs, sent)
    assert {k: sorted(v, key=repr) for k, v in heard.items()} == {
        k: sorted(v, key=repr) for k, v in want.items()
    }
