"""Speaker choice for SelectorGroupChat, as pure functions of (history, candidates).

Everything here is deterministic and free of I/O, so it can be property-tested: which participants
are candidates, which names a model reply mentions (whole names only), whether a reply is accepted
or earns feedback for another attempt, and the visible fallback once the attempts run out. The
selector policy (:mod:`flowgen.teams.selector`) only adds the model calls between these steps.

Example:
    >>> mentioned("I pick writer.", ["writer", "critic"])
    {'writer': 1}
    >>> mentioned("rewriter", ["writer"])
    {}
    >>> decide(["nobody", "critic"], ("writer", "critic"), participants=("writer", "critic")).speaker
    'critic'
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from flowgen.messages import BaseAgentEvent, BaseChatMessage
from flowgen.models.types import AssistantMessage, LLMMessage, UserMessage

History = Sequence[BaseAgentEvent | BaseChatMessage]


@dataclass(frozen=True, slots=True)
class Verdict:
    """What one model reply amounts to: an accepted ``speaker``, or ``feedback`` for the next attempt."""

    speaker: str | None
    feedback: str = ""


@dataclass(frozen=True, slots=True)
class Choice:
    """The outcome of a selection: who speaks, after how many attempts, why, and whether it fell back."""

    speaker: str
    attempts: int
    reason: str
    fell_back: bool = False


def default_candidates(
    participants: Sequence[str], previous_speaker: str | None, allow_repeated_speaker: bool
) -> tuple[str, ...]:
    """Every participant, minus the previous speaker unless repeats are allowed (never empty)."""
    if previous_speaker is None or allow_repeated_speaker:
        return tuple(participants)
    others = tuple(p for p in participants if p != previous_speaker)
    return others or tuple(participants)


@lru_cache(maxsize=256)
def _name_pattern(name: str) -> re.Pattern[str]:
    # A name also counts written with spaces or escaped underscores (Markdown), as models write it;
    # a spaced form that is only spaces (the name ``_``) would match any gap between words.
    spaced = name.replace("_", " ")
    forms = dict.fromkeys((name, spaced if spaced.strip() else name, name.replace("_", r"\_")))
    body = "|".join(re.escape(f) for f in forms)
    return re.compile(rf"(?<!\w)(?:{body})(?!\w)")


def mentioned(text: str, names: Sequence[str]) -> dict[str, int]:
    """How many times each name is mentioned in ``text`` as a whole name (case-sensitive).

    Longer names are matched first and blanked out, so ``story`` is not found inside ``story_writer``
    written as ``story writer``.
    """
    counts: dict[str, int] = {}
    for name in sorted(names, key=len, reverse=True):
        found = 0

        def _blank(match: re.Match[str]) -> str:
            nonlocal found
            found += 1
            return " " * len(match.group())

        text = _name_pattern(name).sub(_blank, text)
        if found:
            counts[name] = found
    return {name: counts[name] for name in names if name in counts}


def judge(
    reply: str,
    candidates: Sequence[str],
    *,
    participants: Sequence[str],
    previous_speaker: str | None = None,
    allow_repeated_speaker: bool = False,
) -> Verdict:
    """Accept a reply that names exactly one candidate; otherwise say what was wrong, for a retry.

    Mentions are counted over every participant (a reply naming a candidate and a non-candidate is
    ambiguous), then the one name must be a candidate and, unless allowed, not the previous speaker.
    """
    mentions = mentioned(reply, participants)
    options = str(list(candidates))
    if not mentions:
        return Verdict(None, f"No valid name was mentioned. Please select from: {options}.")
    if len(mentions) > 1:
        return Verdict(
            None, f"Expected exactly one name to be mentioned. Please select only one from: {options}."
        )
    (name,) = mentions
    if name == previous_speaker and not allow_repeated_speaker:
        return Verdict(
            None, f"Repeated speaker is not allowed, please select a different name from: {options}."
        )
    if name not in candidates:
        return Verdict(None, f"{name} is not a candidate this turn. Please select from: {options}.")
    return Verdict(name)


def fallback(previous_speaker: str | None, candidates: Sequence[str], attempts: int) -> Choice:
    """The speaker when every attempt failed: the previous speaker if it is a candidate, else the first.

    The previous speaker is a candidate only when repeats are allowed; when they are not, falling
    back to it would give the floor to the one agent the rule excluded.
    """
    if previous_speaker is not None and previous_speaker in candidates:
        speaker, who = previous_speaker, "the previous speaker"
    else:
        speaker, who = candidates[0], "the first candidate"
    reason = (
        f"fallback: the selector model named no single valid candidate in {attempts} attempt(s); "
        f"{who} {speaker!r} speaks"
    )
    return Choice(speaker, attempts, reason, fell_back=True)


def decide(
    replies: Sequence[str],
    candidates: Sequence[str],
    *,
    participants: Sequence[str],
    previous_speaker: str | None = None,
    allow_repeated_speaker: bool = False,
    max_attempts: int = 3,
) -> Choice:
    """The choice a run makes when the selector model answers ``replies`` in turn.

    A pure function of its arguments: the first of the first ``max_attempts`` replies that names
    exactly one candidate wins; otherwise the visible :func:`fallback`. Nothing here draws at random
    (the fallback is AutoGen's deterministic one), so no random generator is involved.
    """
    if not candidates:
        raise ValueError("there must be at least one candidate to choose from")
    if len(candidates) == 1:
        return Choice(candidates[0], 0, f"{candidates[0]!r} is the only candidate")
    for attempt, reply in enumerate(replies[:max_attempts], start=1):
        verdict = judge(
            reply,
            candidates,
            participants=participants,
            previous_speaker=previous_speaker,
            allow_repeated_speaker=allow_repeated_speaker,
        )
        if verdict.speaker is not None:
            return Choice(verdict.speaker, attempt, f"the selector model chose {verdict.speaker!r}")
    return fallback(previous_speaker, candidates, min(len(replies), max_attempts))


def selector_prompt_text(
    template: str, candidates: Sequence[str], descriptions: dict[str, str], history: Sequence[LLMMessage]
) -> str:
    """The prompt the selector model reads: ``template`` with {roles}, {participants} and {history}."""
    return template.format(
        roles=render_roles(candidates, descriptions),
        participants=str(list(candidates)),
        history=render_history(history),
    )


def render_roles(candidates: Sequence[str], descriptions: dict[str, str]) -> str:
    """One ``name: description`` line per candidate, whitespace collapsed so each stays on one line."""
    lines = (re.sub(r"\s+", " ", f"{name}: {descriptions.get(name, '')}").strip() for name in candidates)
    return "\n".join(lines)


def render_history(messages: Sequence[LLMMessage]) -> str:
    """The model context as ``source: content`` paragraphs (user and assistant messages only)."""
    parts: list[str] = []
    for message in messages:
        if isinstance(message, UserMessage | AssistantMessage):
            parts.append(f"{message.source}: {_text(message.content)}".rstrip() + "\n\n")
    return "\n".join(parts)


def _text(content: object) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(
            item if isinstance(item, str) else f"[{type(item).__name__.lower()}]" for item in content
        )
    return str(content)
