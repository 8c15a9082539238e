"""A selector group chat plans a trip: a model picks who speaks next among four specialists.

Run it: ``flowgen run graphs/travel_planner.py --task "Plan a 3-day trip to Nepal"``.
Offline, the selector calls the planner, the local expert, the language expert and the summariser in
turn; the summariser ends the run with "TERMINATE".
"""

from __future__ import annotations

from flowgen.agents import AssistantAgent
from flowgen.conditions import MaxMessageTermination, TextMentionTermination
from flowgen.models import ChatCompletionClient
from flowgen.teams import SelectorGroupChat
from graphs.offline import scripted

TASK = "Plan a 3-day trip to Nepal."


def build(
    model_client: ChatCompletionClient | None = None, max_turns: int | None = None
) -> SelectorGroupChat:
    """The travel team; every agent (and the selector) on ``model_client``, or on offline scripts."""
    planner = AssistantAgent(
        "planner_agent",
        model_client=model_client
        or scripted(
            "Day 1: Kathmandu, Durbar Square. Day 2: Nagarkot sunrise hike. Day 3: Bhaktapur old town."
        ),
        description="Drafts the day-by-day plan.",
        system_message="You are a travel planner. Draft a day-by-day plan for the user's request.",
    )
    local = AssistantAgent(
        "local_agent",
        model_client=model_client
        or scripted("Eat momo in Thamel, and take the early bus to Nagarkot to be there before sunrise."),
        description="Suggests local food, transport and hidden gems.",
        system_message="You are a local guide. Add authentic local activities and practical transport tips.",
    )
    language = AssistantAgent(
        "language_agent",
        model_client=model_client
        or scripted("Learn 'Namaste' (hello) and 'Dhanyabad' (thank you); English is common in Thamel."),
        description="Gives language and communication tips.",
        system_message="You are a language coach. Give the phrases and communication tips the trip needs.",
    )
    summary = AssistantAgent(
        "travel_summary_agent",
        model_client=model_client
        or scripted(
            "Final plan: Kathmandu and momo in Thamel; sunrise at Nagarkot (early bus); Bhaktapur on day 3. "
            "Say 'Namaste' and 'Dhanyabad'. TERMINATE"
        ),
        description="Writes the final plan once the others have spoken.",
        system_message="Combine the team's suggestions into a final plan. End your message with TERMINATE.",
    )
    selector = model_client or scripted(
        "planner_agent", "local_agent", "language_agent", "travel_summary_agent"
    )
    stop = TextMentionTermination("TERMINATE") | MaxMessageTermination(15)
    return SelectorGroupChat(
        [planner, local, language, summary],
        model_client=selector,
        termination_condition=stop,
        max_turns=max_turns,
        name="travel_planner",
    )
