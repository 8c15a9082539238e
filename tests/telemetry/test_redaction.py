"""Secrets out of telemetry text: known values and the shapes keys take."""

from __future__ import annotations

import pytest

from flowgen.telemetry import hooks
from flowgen.telemetry.redaction import REDACTED, Redactor


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("Incorrect API key provided: sk-proj-abcdefgh12345678", "sk-proj-abcdefgh12345678"),
        ("Authorization: Bearer abcdefgh12345xyz", "abcdefgh12345xyz"),
        ('{"api_key": "plainvalue123"}', "plainvalue123"),
        ("x-api-key=zzzzzzzzzz&model=m", "zzzzzzzzzz"),
        ("postgresql://flowgen:hunter2pass@db:5432/runs", "hunter2pass"),
        ("password = 'correct horse battery'", "correct"),
    ],
)
def test_key_shapes_are_redacted(text: str, secret: str) -> None:
    redacted = Redactor(set()).redact(text)
    assert secret not in redacted and REDACTED in redacted


def test_known_values_of_any_shape_are_redacted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_SERVICE_TOKEN", "opaque-value-42")
    monkeypatch.setattr(hooks, "secrets", {"handed-to-a-client"})
    redactor = Redactor()  # reads the environment now
    assert redactor.redact("opaque-value-42 and handed-to-a-client") == f"{REDACTED} and {REDACTED}"


def test_ordinary_text_is_left_alone() -> None:
    text = "The skeleton key opened the task-list; tokens used: 12"
    assert Redactor(set()).redact(text) == text
