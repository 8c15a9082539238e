"""The scenario catalogue: what each scenario measures, at which sizes, and which metric leads."""

from __future__ import annotations

from dataclasses import dataclass

AGENTS = 5  # round robin and selector teams
SWARM_AGENTS = 3
BRANCHES = 8  # fan-out width; a round is dispatcher + branches + joiner
CONVERSATION_TURNS = 10
LATENCY_S = 0.05
PEER_CAP = 5_000  # longest round robin run by the peers: AutoGen needs minutes per run beyond it


@dataclass(frozen=True, slots=True)
class Scenario:
    """One scenario and how the harness runs and reports it.

    Attributes:
        name: the key used on the command line and in the JSON.
        title: the heading in the table.
        sizes: sizes for a full run (messages, turns, handoffs, rounds or conversations).
        quick_sizes: sizes for ``--quick``.
        size_label: what a size counts.
        metric: the headline metric in each measurement's JSON.
        unit: the metric's unit.
        higher_is_better: True for efficiency, False for costs.
        peer_cap: sizes above it are run for flowgen only (None: no cap).
        repeats: rounds for this scenario whatever ``--repeats`` says (a deterministic count needs one).
    """

    name: str
    title: str
    sizes: tuple[int, ...]
    quick_sizes: tuple[int, ...]
    size_label: str
    metric: str
    unit: str
    higher_is_better: bool = False
    peer_cap: int | None = None
    repeats: int | None = None

    def sizes_for(self, quick: bool) -> tuple[int, ...]:
        return self.quick_sizes if quick else self.sizes

    def runs(self, framework: str, size: int) -> bool:
        """Whether ``framework`` runs this scenario at ``size`` (peers stop at ``peer_cap``)."""
        return framework == "flowgen" or self.peer_cap is None or size <= self.peer_cap


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario(
            "round_robin",
            f"Round robin, {AGENTS} agents",
            (1_000, 5_000, 10_000),
            (50, 200),
            "messages",
            "per_turn_ms",
            "ms/turn",
            peer_cap=PEER_CAP,
        ),
        Scenario(
            "selector",
            f"Selector (selector function), {AGENTS} agents",
            (1_000,),
            (50,),
            "turns",
            "per_turn_ms",
            "ms/turn",
        ),
        Scenario(
            "swarm",
            f"Swarm handoffs, {SWARM_AGENTS} agents",
            (300,),
            (30,),
            "handoffs",
            "per_turn_ms",
            "ms/handoff",
        ),
        Scenario(
            "swarm_instructions",
            "Swarm handoffs, counted by callgrind (deterministic)",
            (300,),
            (30,),
            "handoffs",
            "instructions_k",
            "k instructions/handoff",
            repeats=1,
        ),
        Scenario(
            "fan_out",
            f"Graph fan-out/fan-in, {BRANCHES} branches",
            (200,),
            (5,),
            "rounds",
            "per_turn_ms",
            "ms/turn",
        ),
        Scenario(
            "concurrency",
            f"Concurrency, 2-agent {CONVERSATION_TURNS}-turn conversations, {int(LATENCY_S * 1000)} ms model",
            (10, 100, 1_000),
            (10, 50),
            "conversations",
            "efficiency",
            "ideal/actual",
            higher_is_better=True,
        ),
        Scenario(
            "concurrency_built",
            "Concurrency as above, teams built inside the timed region",
            (100, 1_000),
            (50,),
            "conversations",
            "efficiency",
            "ideal/actual",
            higher_is_better=True,
        ),
        Scenario(
            "startup", "Start-up: import + one-turn team (whole process)", (1,), (1,), "turn", "wall_s", "s"
        ),
        Scenario(
            "startup_instructions",
            "Start-up instructions: the same process, counted by callgrind (deterministic)",
            (1,),
            (1,),
            "turn",
            "instructions_m",
            "M instructions",
            repeats=1,
        ),
        Scenario(
            "memory", "Memory: idle 2-agent teams held", (200,), (20,), "teams", "rss_per_team_kb", "KiB/team"
        ),
    )
}
