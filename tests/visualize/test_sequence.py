"""The sequence diagram: who said what to whom, drawn as SVG without a layout engine."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable

import visualize_samples as samples

from flowgen.messages import ModelClientStreamingChunkEvent, TextMessage
from visualize import sequence_svg
from visualize.sequence import build_sequence

SVG = "{http://www.w3.org/2000/svg}"


def test_participants_in_order_of_first_appearance() -> None:
    assert build_sequence(samples.swarm_result()).participants == ("user", "triage", "billing", "refunds")


def test_a_message_goes_to_the_next_speaker_and_the_last_back_to_the_user() -> None:
    arrows = build_sequence(samples.round_robin_result()).arrows
    assert (arrows[0].source, arrows[0].target) == ("user", "writer")
    assert (arrows[3].source, arrows[3].target) == ("writer", "critic")
    assert (arrows[-1].source, arrows[-1].target) == ("critic", "user")


def test_handoffs_go_to_their_target_and_tool_calls_to_self() -> None:
    arrows = build_sequence(samples.swarm_result()).arrows
    assert (arrows[4].kind, arrows[4].target) == ("handoff", "triage")
    assert (arrows[2].kind, arrows[2].source, arrows[2].target) == ("tool_call", "billing", "billing")
    assert arrows[7].kind == "tool_result" and arrows[7].error


def test_streaming_chunks_are_left_out() -> None:
    messages = [
        TextMessage(source="user", content="hi"),
        ModelClientStreamingChunkEvent(source="bot", content="he"),
        TextMessage(source="bot", content="hello"),
    ]
    assert len(build_sequence(messages).arrows) == 2


def test_svg_has_one_arrow_per_message_in_order() -> None:
    result = samples.swarm_result()
    root = ET.fromstring(sequence_svg(result))
    groups = [g for g in root.iter(f"{SVG}g") if "msg" in (g.get("class") or "").split()]
    assert [g.get("id") for g in groups] == [f"msg-{i}" for i in range(len(result.messages))]
    assert "kind-handoff" in (groups[1].get("class") or "")
    assert "error" in (groups[7].get("class") or "").split()


def test_svg_has_one_lifeline_per_participant() -> None:
    root = ET.fromstring(sequence_svg(samples.round_robin_result()))
    lifelines = [g for g in root.iter(f"{SVG}g") if g.get("class") == "lifeline"]
    assert [g.findtext(f"{SVG}title") for g in lifelines] == ["user", "writer", "critic"]


def test_svg_cuts_long_text_but_keeps_it_in_the_title() -> None:
    root = ET.fromstring(sequence_svg(samples.round_robin_result()))
    long = next(g for g in root.iter(f"{SVG}g") if g.get("id") == "msg-5")
    shown = " ".join(t.text or "" for t in long.iter(f"{SVG}text"))
    assert "\u2026" in shown
    assert (long.findtext(f"{SVG}title") or "").count("More lines.") == 40


def test_svg_is_byte_identical_across_renders() -> None:
    assert sequence_svg(samples.swarm_result()) == sequence_svg(samples.swarm_result())


def test_sequence_svg_matches_golden(golden: Callable[[str, str], None]) -> None:
    for name, make in sorted(samples.RESULTS.items()):
        golden(f"{name}_sequence.svg", sequence_svg(make()))
