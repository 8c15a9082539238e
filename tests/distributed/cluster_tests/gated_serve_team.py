"""A served team for ``flowgen serve --workers ray``: the writer answers at once, then every later
model call waits for the gate named ``served-gate`` (see pool_teams.Gate)."""

from __future__ import annotations

from pool_teams import gated_team

from flowgen.teams import RoundRobinGroupChat

GATE = "served-gate"


def build(model_client: object = None) -> RoundRobinGroupChat:
    # The prompt of the critic's first call holds the system message, the task and the draft.
    return gated_team(GATE, 3)
