"""RunPool's arguments and wire records, and the @idempotent marker, checked without a cluster."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from pydantic import ValidationError

from flowgen.core import MessageContext, RoutedAgent, idempotent, message_handler, rpc
from flowgen.core.idempotence import idempotent_types
from flowgen.distributed import Placement, RunPool, RunResult
from flowgen.distributed.run_order import RunOrder
from flowgen.distributed.run_worker import build_team, open_store
from flowgen.errors import ConfigurationError
from flowgen.messages import TextMessage


def a_team() -> object:
    return object()


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ({"workers": 0}, "at least one worker"),
        ({"max_in_flight": 0}, "must each be >= 1"),
        ({"max_attempts": 0}, "must each be >= 1"),
        ({"max_queued": 0}, "max_queued must be >= 1"),
    ],
)
def test_bad_pool_options_say_what_is_wrong(options: dict[str, int], problem: str) -> None:
    with pytest.raises(ConfigurationError, match=problem):
        RunPool(a_team, store="runs.db", **options)  # type: ignore[arg-type]


def test_an_empty_team_mapping_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="needs a team"):
        RunPool({}, store="runs.db")


async def test_a_pool_not_started_says_how_to_start_it() -> None:
    pool = RunPool(a_team, store="runs.db")  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="async with RunPool"):
        await pool.submit("hi")


def test_a_relative_sqlite_path_is_made_absolute_for_the_workers(tmp_path: Path) -> None:
    pool = RunPool(a_team, store="runs.db")  # type: ignore[arg-type]
    assert Path(pool._store_source).is_absolute()  # type: ignore[arg-type]
    assert type(open_store(str(tmp_path / "x.db"))).__name__ == "SqliteCheckpointer"
    assert type(open_store("postgresql://u@127.0.0.1/db")).__name__ == "PostgresCheckpointer"


def test_a_team_that_cannot_save_runs_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="cannot save its runs"):
        build_team("plain", a_team)  # type: ignore[arg-type]


def test_an_order_from_the_wire_is_validated() -> None:
    with pytest.raises(ValidationError):
        RunOrder.model_validate_json('{"thread_id": "", "team": "default"}')
    with pytest.raises(ValidationError):
        RunOrder.model_validate_json('{"thread_id": "t", "team": "default", "run_this": "code"}')


def test_a_result_loads_as_a_task_result() -> None:
    message = TextMessage(content="hi", source="user")
    result = RunResult(thread_id="t", messages=[message.dump()], stop_reason="done", checkpoint_id=None,
                       attempts=2, resumed=True, workers=["w0", "w1"], nodes=["n0", "n1"])  # fmt: skip
    loaded = result.task_result()
    assert loaded.stop_reason == "done"
    assert isinstance(loaded.messages[0], TextMessage) and loaded.messages[0].content == "hi"


@dataclass
class Lookup:
    key: str


@dataclass
class Write:
    key: str


@dataclass
class Peek:
    key: str


class Store(RoutedAgent):
    @idempotent
    @message_handler
    async def on_lookup(self, message: Lookup, ctx: MessageContext) -> str:
        return message.key

    @rpc
    @idempotent
    async def on_peek(self, message: Peek, ctx: MessageContext) -> str:
        return message.key

    @message_handler
    async def on_write(self, message: Write, ctx: MessageContext) -> None:
        return None


class KeptStore(Store):
    pass


def test_idempotent_marks_handlers_above_or_below_their_decorator_and_is_inherited() -> None:
    assert idempotent_types(Store) == frozenset({Lookup, Peek})
    assert idempotent_types(KeptStore) == frozenset({Lookup, Peek})


def test_idempotent_marks_only_callables() -> None:
    with pytest.raises(TypeError, match="marks a message handler"):
        idempotent(3)


def test_a_retry_timeout_must_be_positive() -> None:
    with pytest.raises(ConfigurationError, match="retry_timeout"):
        Placement(retry_timeout=0)


def test_serve_takes_workers_ray_and_an_address() -> None:
    from flowgen.cli.app import parser

    args = parser().parse_args(
        ["serve", "graphs/write_review.py", "--workers", "ray", "--ray-address", "x:1"]
    )
    assert (args.workers, args.ray_address) == ("ray", "x:1")
    assert parser().parse_args(["serve", "graphs/write_review.py"]).workers == "local"
    with pytest.raises(SystemExit):
        parser().parse_args(["serve", "graphs/write_review.py", "--workers", "dask"])


def test_a_served_team_file_is_built_by_path_on_a_worker() -> None:
    from flowgen.cli.serve_command import _absolute, served_team

    root = Path(__file__).resolve().parents[2]
    assert _absolute("graphs/write_review.py:build").endswith("/graphs/write_review.py:build")
    team = served_team(str(root / "graphs" / "write_review.py"), None, {})
    assert team.checkpointer is None and hasattr(team, "checkpointer")


def test_a_postgres_store_has_a_connection_for_every_run_in_flight() -> None:
    store = open_store("postgresql://u@127.0.0.1/db", runs=16)
    assert store._sizes[1] >= 16 + 1  # type: ignore[attr-defined]


def test_a_task_of_chat_messages_crosses_as_dumps_and_loads_back() -> None:
    from flowgen.distributed.run_pool import _dump_task
    from flowgen.distributed.run_worker import _task
    from flowgen.messages import MessageFactory, StopMessage

    sent = [TextMessage(content="plan it", source="user"), TextMessage(content="now", source="user")]
    dumped = _dump_task(sent)
    assert isinstance(dumped, list) and RunOrder(thread_id="t", team="d", task=dumped).task == dumped
    loaded = _task(dumped, MessageFactory())
    assert [m.content for m in loaded] == ["plan it", "now"]
    assert _dump_task("text") == "text" and _task(None, MessageFactory()) is None
    with pytest.raises(ConfigurationError, match="chat messages"):
        _task(
            [
                StopMessage(content="x", source="y").dump(),
                {"type": "ToolCallRequestEvent", "content": [], "source": "a"},
            ],
            MessageFactory(),
        )


async def test_a_submit_names_a_known_team_and_a_real_thread() -> None:
    pool = RunPool(a_team, store="runs.db")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="no team named 'sales'"):
        await pool.submit("hi", team="sales")
    with pytest.raises(ConfigurationError, match="non-empty string"):
        await pool.submit("hi", thread_id="")
