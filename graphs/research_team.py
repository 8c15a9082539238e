"""Teams inside teams: a research team is one participant of an editorial team, whose lead consults a
librarian agent through AgentTool.

Run it: ``flowgen run graphs/research_team.py --task "Brief me on transformer models"``.
Offline, the lead asks the librarian (a tool call to another agent), the nested research team
researches until its fact-checker says VERIFIED, and the writer ends the run with "DONE". The graph
drawing shows the nested team as a cluster.
"""

from __future__ import annotations

from flowgen.agents import AssistantAgent
from flowgen.conditions import MaxMessageTermination, TextMentionTermination
from flowgen.models import ChatCompletionClient
from flowgen.teams import RoundRobinGroupChat
from flowgen.tools import AgentTool
from graphs.offline import Call, scripted

TASK = "Brief me on transformer models."


def research(model_client: ChatCompletionClient | None = None) -> RoundRobinGroupChat:
    """The inner team: a researcher and a fact-checker take turns until the facts are verified."""
    researcher = AssistantAgent(
        "researcher",
        model_client=model_client
        or scripted(
            "Transformers (2017) replace recurrence with self-attention; GPT and BERT are built on them.",
            "Correction: the paper is 'Attention Is All You Need' (Vaswani et al., 2017).",
        ),
        description="States the key facts.",
        system_message="You research the topic and state the key facts with their sources.",
    )
    checker = AssistantAgent(
        "fact_checker",
        model_client=model_client
        or scripted("Which paper introduced them? Cite it.", "Sources check out. VERIFIED"),
        description="Checks every claim.",
        system_message="You check every claim. Ask for sources; reply VERIFIED when all claims hold.",
    )
    stop = TextMentionTermination("VERIFIED") | MaxMessageTermination(8)
    return RoundRobinGroupChat(
        [researcher, checker],
        termination_condition=stop,
        name="research_team",
        description="Researches and verifies facts.",
    )


def build(
    model_client: ChatCompletionClient | None = None, max_turns: int | None = None
) -> RoundRobinGroupChat:
    """The editorial team: lead (with the librarian as a tool), the nested research team, the writer."""
    librarian = AssistantAgent(
        "librarian",
        model_client=model_client
        or scripted("Start with Vaswani et al. 2017 and the BERT paper (Devlin et al. 2018)."),
        description="Finds the key sources on a topic.",
        system_message="You are a librarian. Name the two or three sources to read first.",
    )
    lead = AssistantAgent(
        "lead",
        model_client=model_client
        or scripted(Call("librarian", {"task": "Key sources on transformer models"})),
        tools=[AgentTool(librarian)],
        description="Leads the brief; consults the librarian.",
        system_message="You lead the brief. Ask the librarian for sources, then let the research team work.",
    )
    writer = AssistantAgent(
        "writer",
        model_client=model_client
        or scripted(
            "Brief: transformers (Vaswani et al., 2017) use self-attention instead of recurrence; BERT and GPT "
            "build on them. Read the 2017 paper first. DONE"
        ),
        description="Writes the brief.",
        system_message="Write a five-line brief from what the team found. End with DONE.",
    )
    stop = TextMentionTermination("DONE", sources=["writer"]) | MaxMessageTermination(12)
    return RoundRobinGroupChat(
        [lead, research(model_client), writer],
        termination_condition=stop,
        max_turns=max_turns,
        name="research_brief",
    )
