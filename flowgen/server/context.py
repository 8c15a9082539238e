"""What every route reaches: settings, access, the store, the thread directory, agents and runs."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from flowgen.checkpoint.protocol import Checkpointer
from flowgen.errors import RequestError
from flowgen.server.access import Access
from flowgen.server.agents import Agents
from flowgen.server.run_registry import RunRegistry
from flowgen.server.settings import ServerSettings
from flowgen.server.thread_directory import ThreadDirectory, ThreadRecord


@dataclass(frozen=True, slots=True)
class Context:
    settings: ServerSettings
    access: Access
    store: Checkpointer
    directory: ThreadDirectory
    agents: Agents
    runs: RunRegistry

    async def own_thread(self, request: Request) -> ThreadRecord:
        """The thread the path names, when the caller owns it (or is an admin); 404 otherwise
        (another key's thread looks absent)."""
        caller = self.access.caller(request)
        thread_id = request.path_params["thread_id"]
        record = await self.directory.get(thread_id)
        if record is None or not caller.may_see(record.owner):
            raise RequestError(
                404, "unknown_thread", f"no thread {thread_id!r}; create one with POST /threads"
            )
        return record


def context(request: Request) -> Context:
    found: Context = request.app.state.flowgen
    return found
