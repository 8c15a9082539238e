"""Edge conditions: when a conditional edge is taken, decided from the message that just arrived.

A closed set of JSON-serializable conditions (mention, regex, source, structured field, and their
negation) plus a Python predicate, which works at run time but is marked as not serializable.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from flowgen.messages import BaseChatMessage, StructuredMessage


class _Condition(BaseModel):
    model_config = ConfigDict(frozen=True, ignored_types=(cached_property,), defer_build=True)

    @property
    def serializable(self) -> bool:
        return True

    def describe(self) -> str:
        """A short label for drawings and error messages."""
        raise NotImplementedError

    def matches(self, message: BaseChatMessage) -> bool:
        raise NotImplementedError


class Mention(_Condition):
    """The message text mentions ``text`` as a whole word (``APPROVE`` does not match ``DISAPPROVE``)."""

    kind: Literal["mention"] = "mention"
    text: str
    case_sensitive: bool = True
    word_boundary: bool = True

    @cached_property
    def _pattern(self) -> re.Pattern[str]:
        body = re.escape(self.text)
        if self.word_boundary:
            body = rf"(?<!\w){body}(?!\w)"
        return re.compile(body, 0 if self.case_sensitive else re.IGNORECASE)

    def describe(self) -> str:
        return f"mentions {self.text!r}"

    def matches(self, message: BaseChatMessage) -> bool:
        return self._pattern.search(message.to_model_text()) is not None


class Regex(_Condition):
    """The message text matches a regular expression (``re.search``)."""

    kind: Literal["regex"] = "regex"
    pattern: str
    ignore_case: bool = False

    @cached_property
    def _compiled(self) -> re.Pattern[str]:
        return re.compile(self.pattern, re.IGNORECASE if self.ignore_case else 0)

    def describe(self) -> str:
        return f"/{self.pattern}/"

    def matches(self, message: BaseChatMessage) -> bool:
        return self._compiled.search(message.to_model_text()) is not None


class Source(_Condition):
    """The message was said by one of ``sources``."""

    kind: Literal["source"] = "source"
    sources: tuple[str, ...]

    def describe(self) -> str:
        return "from " + " or ".join(self.sources)

    def matches(self, message: BaseChatMessage) -> bool:
        return message.source in self.sources


FieldOp = Literal["eq", "ne", "in", "truthy", "falsy", "gt", "lt"]


class FieldIs(_Condition):
    """A field of a structured message's content compares to ``value`` (``path`` is dotted)."""

    kind: Literal["field"] = "field"
    path: str
    op: FieldOp = "eq"
    value: Any = None

    def describe(self) -> str:
        symbol = {"eq": "==", "ne": "!=", "in": "in", "gt": ">", "lt": "<"}.get(self.op)
        return f"{self.path} is {self.op}" if symbol is None else f"{self.path} {symbol} {self.value!r}"

    def _lookup(self, message: BaseChatMessage) -> tuple[bool, Any]:
        if not isinstance(message, StructuredMessage):
            return False, None
        current: Any = message.content
        for part in self.path.split("."):
            if isinstance(current, BaseModel) and part in type(current).model_fields:
                current = getattr(current, part)
            elif isinstance(current, dict) and part in current:
                current = current[part]
            else:
                return False, None
        return True, current

    def matches(self, message: BaseChatMessage) -> bool:
        found, actual = self._lookup(message)
        if not found:
            return False
        tests: dict[str, Callable[[], bool]] = {
            "eq": lambda: bool(actual == self.value),
            "ne": lambda: bool(actual != self.value),
            "in": lambda: actual in self.value,
            "truthy": lambda: bool(actual),
            "falsy": lambda: not actual,
            "gt": lambda: bool(actual > self.value),
            "lt": lambda: bool(actual < self.value),
        }
        try:
            return tests[self.op]()
        except TypeError:
            return False


class Not(_Condition):
    """The inner condition does not match."""

    kind: Literal["not"] = "not"
    inner: SerializableCondition

    def describe(self) -> str:
        return f"not ({self.inner.describe()})"

    def matches(self, message: BaseChatMessage) -> bool:
        return not self.inner.matches(message)


class Predicate(_Condition):
    """A Python function of the message. Works at run time; saved graphs keep only its name."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True, defer_build=True)

    kind: Literal["predicate"] = "predicate"
    name: str
    fn: Callable[[BaseChatMessage], bool] | None = Field(default=None, exclude=True)

    @property
    def serializable(self) -> bool:
        return False

    def describe(self) -> str:
        return f"{self.name}(message)"

    def matches(self, message: BaseChatMessage) -> bool:
        if self.fn is None:
            raise ValueError(
                f"predicate condition {self.name!r} was loaded from JSON without its function; "
                "rebuild the graph in Python, or use a serializable condition (Mention, Regex, Source, FieldIs)"
            )
        return bool(self.fn(message))

    @classmethod
    def of(cls, fn: Callable[[BaseChatMessage], bool]) -> Predicate:
        return cls(name=getattr(fn, "__name__", "predicate"), fn=fn)


SerializableCondition = Annotated[Mention | Regex | Source | FieldIs | Not, Field(discriminator="kind")]
Condition = Annotated[Mention | Regex | Source | FieldIs | Not | Predicate, Field(discriminator="kind")]
