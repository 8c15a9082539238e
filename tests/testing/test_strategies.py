from __future__ import annotations

import keyword
import re

from hypothesis import find, given

from flowgen.graph.conditions import Mention
from flowgen.messages import BaseChatMessage, TextMessage
from flowgen.testing.strategies import embedded, histories, nasty_text, participant_names, reply_scripts


@given(participant_names(max_size=8))
def test_participant_names_are_unique_valid_identifiers(names: list[str]) -> None:
    assert len(set(names)) == len(names)
    assert all(n.isidentifier() and not keyword.iskeyword(n) and n != "user" for n in names)
    assert not any(n.startswith("__") and n.endswith("__") for n in names)


@given(embedded("APPROVE"))
def test_an_embedded_word_is_not_a_whole_word_mention(text: str) -> None:
    assert "APPROVE" in text
    assert not Mention(text="APPROVE").matches(TextMessage(content=text, source="critic"))


def test_nasty_text_includes_the_empty_the_huge_and_the_embedded() -> None:
    assert find(nasty_text(["DONE"]), lambda t: t == "") == ""
    assert len(find(nasty_text(["DONE"]), lambda t: len(t) > 10_000)) > 10_000
    assert re.search(
        r"\wDONE|DONE\w", find(nasty_text(["DONE"]), lambda t: bool(re.search(r"\wDONE|DONE\w", t)))
    )


@given(histories(["writer", "critic"], max_size=5))
def test_histories_open_with_the_task_and_speak_among_the_participants(
    history: list[BaseChatMessage],
) -> None:
    assert history[0].source == "user"
    assert all(m.source in ("writer", "critic") for m in history[1:])


@given(reply_scripts(min_size=2, max_size=4))
def test_reply_scripts_respect_their_size(script: list[str]) -> None:
    assert 2 <= len(script) <= 4
