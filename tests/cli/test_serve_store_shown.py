"""What ``flowgen serve`` prints about its store never shows the database password."""

from __future__ import annotations

from flowgen.cli.serve_command import shown_store


def test_a_store_urls_password_is_not_shown() -> None:
    shown = shown_store("postgresql://flowgen:s3cret-pw_9@postgres:5432/flowgen")
    assert "s3cret-pw_9" not in shown and shown.endswith("@postgres:5432/flowgen")


def test_a_sqlite_path_is_shown_as_given() -> None:
    assert shown_store("/data/runs.db") == "/data/runs.db"
