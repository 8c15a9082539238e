"""CassetteChatCompletionClient: record a model's exchanges once, replay them exactly, fail loudly on drift.

A cassette is a JSONL file. The first line is a header (format version and the model's
``model_info``); every other line is one exchange: the canonical request (messages, tools, tool
choice, output format, extra create arguments), its hash ``key``, the CreateResult, and, for
streamed calls, the text chunks in order. Lines are plain JSON with keys sorted, so a cassette
diffs well in code review.

Replay looks a request up by its key; identical requests are answered in the order they were
recorded. A request with no recording is drift: CassetteDriftError shows a unified diff against
the next recorded request that was not used yet, which is where a deterministic run would be.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from collections import deque
from collections.abc import AsyncGenerator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from flowgen.core import CancellationToken
from flowgen.errors import CassetteDriftError, ConfigurationError
from flowgen.models.client import ChatCompletionClient, JsonOutput, ToolChoice, Tools, validate_model_info
from flowgen.models.function import FULL_INFO
from flowgen.models.scripted import UsageMeter
from flowgen.models.token_estimate import estimate_tokens
from flowgen.models.types import CreateResult, LLMMessage, ModelInfo, RequestUsage, tool_schema

CassetteMode = Literal["record", "replay", "auto"]
FORMAT_VERSION = 1
Json = dict[str, Any]


def canonical_request(
    messages: Sequence[LLMMessage],
    tools: Tools,
    tool_choice: ToolChoice,
    json_output: JsonOutput,
    extra_create_args: Mapping[str, Any],
) -> Json:
    """The request as plain JSON: what a cassette stores, hashes and compares."""
    output: Any = json_output
    if isinstance(json_output, type) and issubclass(json_output, BaseModel):
        output = {"model": json_output.__name__, "schema": json_output.model_json_schema()}
    request = {
        "messages": [m.model_dump(mode="json") for m in messages],
        "tools": [dict(tool_schema(t)) for t in tools],
        "tool_choice": tool_choice if isinstance(tool_choice, str) else {"tool": tool_choice.schema["name"]},
        "json_output": output,
        "extra_create_args": dict(extra_create_args),
    }
    # Round-trip through JSON so tuples, enums and the like compare as they will after loading.
    loaded: Json = json.loads(json.dumps(request, default=str))
    return loaded


def request_key(request: Json) -> str:
    text = json.dumps(request, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass
class Exchange:
    """One recorded call: the request, the result and (for streams) the chunks."""

    line: int
    key: str
    request: Json
    result: CreateResult
    chunks: list[str] | None = None
    used: bool = field(default=False, compare=False)

    def to_json(self) -> Json:
        return {
            "key": self.key,
            "request": self.request,
            "response": self.result.model_dump(mode="json"),
            "chunks": self.chunks,
        }


class CassetteChatCompletionClient(ChatCompletionClient):
    """Wraps a client to record its exchanges to ``path``, or replays them from ``path`` without it.

    Modes: ``"record"`` starts a fresh cassette and calls ``inner_client`` for every request;
    ``"replay"`` answers only from the cassette (no client needed); ``"auto"`` replays what is
    recorded and records, through ``inner_client``, what is not.

    Example:
        >>> import asyncio, tempfile, pathlib
        >>> from flowgen.models import ReplayChatCompletionClient, UserMessage
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "demo.jsonl"
        >>> ask = [UserMessage(content="hi", source="user")]
        >>> recorder = CassetteChatCompletionClient(ReplayChatCompletionClient(["hello"]), path, mode="record")
        >>> asyncio.run(recorder.create(ask)).content
        'hello'
        >>> player = CassetteChatCompletionClient(None, path, mode="replay")
        >>> asyncio.run(player.create(ask)).content
        'hello'
    """

    def __init__(
        self,
        inner_client: ChatCompletionClient | None,
        path: str | Path,
        mode: CassetteMode = "auto",
        *,
        model_info: ModelInfo | None = None,
    ) -> None:
        if mode not in ("record", "replay", "auto"):
            raise ConfigurationError(f"cassette mode must be 'record', 'replay' or 'auto', not {mode!r}")
        if mode == "record" and inner_client is None:
            raise ConfigurationError("a cassette in record mode needs inner_client= (the model to record)")
        self._inner = inner_client
        self._path = Path(path)
        self._mode = mode
        self._usage = UsageMeter()
        self._exchanges: list[Exchange] = []
        self._by_key: dict[str, deque[Exchange]] = {}
        self._calls = 0
        recorded_info = self._open()
        if model_info is not None:
            validate_model_info(model_info)
        self._model_info: ModelInfo = (
            model_info
            or (inner_client.model_info if inner_client is not None else None)
            or recorded_info
            or FULL_INFO
        )
        if mode == "record" or not self._path.exists():
            self._start_file()

    @property
    def path(self) -> Path:
        return self._path

    @property
    def mode(self) -> CassetteMode:
        return self._mode

    @property
    def exchanges(self) -> list[Exchange]:
        """Every exchange in the cassette, in recorded order."""
        return list(self._exchanges)

    def _open(self) -> ModelInfo | None:
        if self._mode == "record" or (self._mode == "auto" and not self._path.exists()):
            return None  # the header is written with the first recording
        if not self._path.exists():
            raise ConfigurationError(
                f"cassette {self._path} does not exist; record it first (mode='record' with a real model)"
            )
        return self._load()

    def _load(self) -> ModelInfo | None:
        info: ModelInfo | None = None
        with self._path.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, start=1):
                if not line.strip():
                    continue
                try:
                    entry = json.loads(line)
                    if "flowgen_cassette" in entry:
                        info = entry.get("model_info")
                        continue
                    exchange = Exchange(
                        line=number,
                        key=entry["key"],
                        request=entry["request"],
                        result=CreateResult.model_validate(entry["response"]),
                        chunks=entry.get("chunks"),
                    )
                except (ValueError, KeyError, TypeError) as exc:
                    raise ConfigurationError(f"{self._path}:{number} is not a cassette line: {exc}") from exc
                self._remember(exchange)
        return info

    def _remember(self, exchange: Exchange) -> None:
        self._exchanges.append(exchange)
        self._by_key.setdefault(exchange.key, deque()).append(exchange)

    def _start_file(self) -> None:
        """Write a fresh cassette holding only its header (record mode starts over)."""
        self._path.parent.mkdir(parents=True, exist_ok=True)
        header = {"flowgen_cassette": FORMAT_VERSION, "model_info": dict(self._model_info)}
        self._path.write_text(json.dumps(header, sort_keys=True) + "\n", encoding="utf-8")

    def _write(self, exchange: Exchange) -> None:
        with self._path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(exchange.to_json(), sort_keys=True, ensure_ascii=False) + "\n")
        self._remember(exchange)
        exchange.used = True

    def _lookup(self, request: Json) -> Exchange | None:
        """The next unused recording of this exact request; drift when replay cannot answer."""
        self._calls += 1
        if self._mode != "record":
            queue = self._by_key.get(request_key(request))
            while queue:
                exchange = queue.popleft()
                if not exchange.used:
                    exchange.used = True
                    return exchange
        if self._mode == "replay" or self._inner is None:
            raise self._drift(request)
        return None

    def _drift(self, request: Json) -> CassetteDriftError:
        expected = next((e for e in self._exchanges if not e.used), None)
        sent = json.dumps(request, indent=2, sort_keys=True, ensure_ascii=False).splitlines()
        if expected is None:
            return CassetteDriftError(
                f"call #{self._calls} has no recording in cassette {self._path}: all "
                f"{len(self._exchanges)} recorded exchanges were already used. The run asked the model "
                "more often than when it was recorded; re-record the cassette (mode='record') if that is intended."
            )
        recorded = json.dumps(expected.request, indent=2, sort_keys=True, ensure_ascii=False).splitlines()
        diff = "\n".join(
            difflib.unified_diff(
                recorded,
                sent,
                fromfile=f"recorded ({self._path.name} line {expected.line})",
                tofile="sent",
                lineterm="",
            )
        )
        return CassetteDriftError(
            f"call #{self._calls} does not match cassette {self._path}: the request drifted from the "
            f"recording (- recorded, + sent):\n{diff}\n"
            "Re-record the cassette (mode='record') if the change is intended."
        )

    async def create(
        self,
        messages: Sequence[LLMMessage],
        *,
        tools: Tools = (),
        tool_choice: ToolChoice = "auto",
        json_output: JsonOutput = None,
        extra_create_args: Mapping[str, Any] = {},
        cancellation_token: CancellationToken | None = None,
    ) -> CreateResult:
        request = canonical_request(messages, tools, tool_choice, json_output, extra_create_args)
        exchange = self._lookup(request)
        if exchange is None:
            assert self._inner is not None  # _lookup raises drift when there is nothing to record with
            result = await self._inner.create(
                messages,
                tools=tools,
                tool_choice=tool_choice,
                json_output=json_output,
                extra_create_args=extra_create_args,
                cancellation_token=cancellation_token,
            )
            exchange = Exchange(len(self._exchanges) + 2, request_key(request), request, result)
            self._write(exchange)
        self._usage.record(exchange.result.usage)
        return exchange.result

    async def create_stream(
        self,
        messages: Sequence[LLMMessage],
        *,
        tools: Tools = (),
        tool_choice: ToolChoice = "auto",
        json_output: JsonOutput = None,
        extra_create_args: Mapping[str, Any] = {},
        cancellation_token: CancellationToken | None = None,
    ) -> AsyncGenerator[str | CreateResult, None]:
        request = canonical_request(messages, tools, tool_choice, json_output, extra_create_args)
        exchange = self._lookup(request)
        if exchange is not None:
            chunks = exchange.chunks
            if chunks is None:  # recorded through create(): the whole text is one chunk
                content = exchange.result.content
                chunks = [content] if isinstance(content, str) and content else []
            for chunk in chunks:
                yield chunk
            self._usage.record(exchange.result.usage)
            yield exchange.result
            return
        assert self._inner is not None
        recorded: list[str] = []
        async for item in self._inner.create_stream(
            messages,
            tools=tools,
            tool_choice=tool_choice,
            json_output=json_output,
            extra_create_args=extra_create_args,
            cancellation_token=cancellation_token,
        ):
            if isinstance(item, str):
                recorded.append(item)
                yield item
                continue
            self._write(Exchange(len(self._exchanges) + 2, request_key(request), request, item, recorded))
            self._usage.record(item.usage)
            yield item

    async def close(self) -> None:
        if self._inner is not None:
            await self._inner.close()

    def actual_usage(self) -> RequestUsage:
        return self._usage.current

    def total_usage(self) -> RequestUsage:
        return self._usage.total

    def count_tokens(self, messages: Sequence[LLMMessage], *, tools: Tools = ()) -> int:
        if self._inner is not None:
            return self._inner.count_tokens(messages, tools=tools)
        return estimate_tokens(messages, tools=tools)

    def remaining_tokens(self, messages: Sequence[LLMMessage], *, tools: Tools = ()) -> int:
        if self._inner is not None:
            return self._inner.remaining_tokens(messages, tools=tools)
        return max(128_000 - self.count_tokens(messages, tools=tools), 0)

    @property
    def model_info(self) -> ModelInfo:
        return self._model_info

    def assert_complete(self) -> None:
        """Fail when recorded exchanges were never replayed (the run asked the model less than before)."""
        unused = [e for e in self._exchanges if not e.used]
        if unused:
            raise CassetteDriftError(
                f"{len(unused)} of {len(self._exchanges)} recorded exchanges in {self._path} were never "
                f"replayed (first unused at line {unused[0].line}); the run stopped earlier than the recording"
            )
