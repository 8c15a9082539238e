"""A participant named ``_`` is mentioned only when a reply writes ``_`` (found by the properties)."""

from __future__ import annotations

from flowgen.teams import speaker_choice


def test_a_reply_naming_one_candidate_is_not_ambiguous_with_a_participant_named_underscore() -> None:
    verdict = speaker_choice.judge("writer", ["writer"], participants=["writer", "_"])
    assert verdict.speaker == "writer"


def test_a_participant_named_underscore_counts_when_written() -> None:
    assert speaker_choice.mentioned("I pick _ now", ["writer", "_"]) == {"_": 1}
