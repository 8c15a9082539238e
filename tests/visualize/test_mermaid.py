"""Mermaid: the graph as a flowchart (with run counts) and a run as a sequence diagram."""

from __future__ import annotations

from collections.abc import Callable

import visualize_samples as samples

from flowgen.messages import TextMessage
from visualize import sequence_mermaid, to_mermaid
from visualize.mermaid import label


def test_flowchart_has_every_edge_with_its_arrow_kind() -> None:
    text = to_mermaid(samples.swarm_graph())
    assert text.count("==>") == 4 and '|"transfer_to_billing"|' in text
    selector = to_mermaid(samples.selector_graph())
    assert 'n_select{"select"}' in selector and "linkStyle 1 stroke-dasharray:2 3" in selector


def test_flowchart_of_a_run_shows_counts_and_classes() -> None:
    text = to_mermaid(samples.round_robin_trace())
    assert 'n_writer["writer<br/>tools: rhymes<br/>\u00d7 2"]:::visited' in text
    assert "\u00d72 \u00b7 step 1" in text


def test_nested_team_is_a_subgraph() -> None:
    text = to_mermaid(samples.nested_graph())
    assert 'subgraph n_research_team["team research"]' in text
    assert "n_research --> n_research_2f_searcher" in text


def test_labels_escape_what_mermaid_would_parse() -> None:
    assert label('a "b"; #c <d>\ne') == "a #quot;b#quot;#59; #35;c #lt;d#gt;<br/>e"


def test_sequence_has_one_line_per_message_in_order() -> None:
    result = samples.swarm_result()
    lines = sequence_mermaid(result).splitlines()
    arrows = [line for line in lines if line.startswith("  p") and "participant" not in line]
    assert len(arrows) == len(result.messages)
    assert arrows[1] == "  p1-)p2: \u21d2 handoff to billing: Transferred to billing."
    assert arrows[2].startswith("  p2-)p2: \u2699 lookup_invoice(")
    assert arrows[7].startswith("  p3--)p3: \u26a0 \u21a9 refund")


def test_sequence_cuts_long_content_to_one_line() -> None:
    messages = [TextMessage(source="user", content="word " * 100), TextMessage(source="bot", content="ok")]
    first = sequence_mermaid(messages).splitlines()[3]
    assert first.endswith("\u2026") and len(first) < 80


def test_mermaid_matches_golden(team_kind: str, golden: Callable[[str, str], None]) -> None:
    golden(f"{team_kind}.mmd", to_mermaid(samples.GRAPHS[team_kind]()))
    golden(f"{team_kind}_run.mmd", to_mermaid(samples.TRACES[team_kind]()))


def test_sequence_mermaid_matches_golden(golden: Callable[[str, str], None]) -> None:
    for name, make in sorted(samples.RESULTS.items()):
        golden(f"{name}_sequence.mmd", sequence_mermaid(make()))
