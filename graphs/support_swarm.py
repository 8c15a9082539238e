"""A support swarm: triage hands off to billing or technical support, who use tools and hand off to the user.

Run it: ``flowgen run graphs/support_swarm.py --task "I was charged twice this month, account 4417"``.
Offline, triage reads the task and hands off to billing (money words) or technical support; the
specialist calls a tool, explains what it found and hands off to the user for a decision, which stops
the run (HandoffTermination). Answer with a HandoffMessage to continue: billing then issues the refund
and ends with "TERMINATE" (see ``python -m flowgen.demo``).
"""

from __future__ import annotations

import re

from flowgen.agents import AssistantAgent
from flowgen.conditions import HandoffTermination, MaxMessageTermination, TextMentionTermination
from flowgen.models import ChatCompletionClient
from flowgen.teams import Swarm
from graphs.offline import Call, scripted

TASK = "I was charged twice this month, account 4417."
MONEY = re.compile(r"charge|refund|invoice|bill|pay", re.IGNORECASE)


def lookup_charges(account: str) -> str:
    """List this month's charges on a customer account."""
    return f"account {account}: 2026-11-01 $20.00 Pro plan; 2026-11-01 $20.00 Pro plan (duplicate)"


def refund(account: str, amount: float) -> str:
    """Refund an amount to the customer's card on file."""
    return f"refunded ${amount:.2f} to the card on file for account {account}"


def service_status(service: str) -> str:
    """Current status of one of our services."""
    return f"{service}: degraded since 09:12 UTC, fix rolling out"


def _account(task: str) -> str:
    found = re.search(r"\d{3,}", task)
    return found.group() if found else "unknown"


def _triage(task: str) -> Call:
    if MONEY.search(task):
        return Call("transfer_to_billing", say="This is about a charge: passing you to billing.")
    return Call("transfer_to_technical", say="This sounds technical: passing you to technical support.")


def build(model_client: ChatCompletionClient | None = None, max_turns: int | None = None) -> Swarm:
    """The support swarm; every agent on ``model_client``, or on its offline script when None."""
    triage = AssistantAgent(
        "triage",
        model_client=model_client or scripted(_triage, agent="triage"),
        handoffs=["billing", "technical"],
        description="Routes the customer to the right team.",
        system_message="You are support triage. Hand billing questions to billing and technical ones to technical.",
    )
    billing = AssistantAgent(
        "billing",
        model_client=model_client
        or scripted(
            lambda task: Call("lookup_charges", {"account": _account(task)}),
            lambda task: Call(
                "transfer_to_user",
                say=f"I see two $20.00 charges on account {_account(task)} on Nov 1; one is a duplicate. "
                "Shall I refund it?",
            ),
            lambda task: Call("refund", {"account": _account(task), "amount": 20.0}),
            "Done: $20.00 is on its way back to your card (3-5 days). TERMINATE",
            agent="billing",
        ),
        tools=[lookup_charges, refund],
        description="Charges and refunds.",
        handoffs=["triage", "user"],
        system_message="You handle billing. Look charges up before answering; ask the user before refunding.",
    )
    technical = AssistantAgent(
        "technical",
        model_client=model_client
        or scripted(
            Call("service_status", {"service": "sync"}),
            Call(
                "transfer_to_user",
                say="Sync is degraded right now and a fix is rolling out. Which device are you on?",
            ),
            "Thanks. It should recover within the hour on every device. TERMINATE",
            agent="technical",
        ),
        tools=[service_status],
        description="Outages and bugs.",
        handoffs=["triage", "user"],
        system_message="You handle technical problems. Check service status first; ask the user for details.",
    )
    stop = HandoffTermination(target="user") | TextMentionTermination("TERMINATE") | MaxMessageTermination(20)
    return Swarm(
        [triage, billing, technical], termination_condition=stop, max_turns=max_turns, name="support_swarm"
    )
