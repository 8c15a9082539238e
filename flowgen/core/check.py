"""Checks of a Core application before it starts: what ``flowgen check`` reports for a runtime.

Two kinds of finding:

- a message type some agent class sends or publishes (``self.send_message(T(...))``,
  ``self.publish_message(T(...), ...)`` in its source) that no registered agent type handles;
- a subscription whose agent type is not registered (its messages would reach nobody).

The send/publish scan reads the agent classes' source: a message built elsewhere and passed in a
variable is not seen. Delivery records (``record_deliveries=True``) add what a run really sent.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flowgen.core.routed_agent import RoutedAgent

if TYPE_CHECKING:
    from flowgen.core.single_threaded_runtime import SingleThreadedAgentRuntime


@dataclass(frozen=True, slots=True)
class CoreFinding:
    """One problem found, with the fix in words."""

    kind: str
    message: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"


def check_runtime(runtime: SingleThreadedAgentRuntime) -> list[CoreFinding]:
    """Every finding for the agents and subscriptions registered on ``runtime``."""
    classes = runtime.agent_classes()
    handled: set[type[Any]] = set()
    for name, cls in classes.items():
        handled.update(runtime.declared_handled_types.get(name, ()))
        if isinstance(cls, type) and issubclass(cls, RoutedAgent):
            handled.update(cls.handled_types())
    findings = []
    for name, cls in sorted(classes.items()):
        if cls is None:
            continue
        for verb, message_type in sorted(set(_emitted_types(cls)), key=lambda vt: (vt[0], vt[1].__name__)):
            if message_type not in handled:
                findings.append(
                    CoreFinding(
                        "unhandled message type",
                        f"agent type {name!r} ({cls.__name__}) {verb} {message_type.__name__}, which no "
                        "registered agent handles: add a handler taking it, or register the agent that does",
                    )
                )
    for subscription in runtime.subscriptions:
        agent_type = getattr(subscription, "agent_type", None)
        if agent_type is not None and agent_type not in classes:
            findings.append(
                CoreFinding(
                    "unregistered subscriber",
                    f"subscription {subscription!r} names agent type {agent_type!r}, which is not registered: "
                    "register it, or remove the subscription",
                )
            )
    return findings


def _emitted_types(cls: type[Any]) -> Iterator[tuple[str, type[Any]]]:
    """(verb, type) for each ``send_message(T(...))`` / ``publish_message(T(...))`` in the class."""
    for klass in cls.__mro__:
        if klass.__module__.startswith("flowgen.core") or klass is object:
            continue
        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(klass)))
        except (OSError, TypeError, SyntaxError):
            continue
        module_globals = vars(inspect.getmodule(klass) or object())
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args):
                continue
            verb = {"send_message": "sends", "publish_message": "publishes"}.get(node.func.attr)
            first = node.args[0]
            if verb is None or not (isinstance(first, ast.Call) and isinstance(first.func, ast.Name)):
                continue
            found = module_globals.get(first.func.id)
            if isinstance(found, type):
                yield verb, found
