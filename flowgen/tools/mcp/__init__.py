"""MCP servers as tools (AutoGen's ``autogen_ext.tools.mcp``); needs the ``mcp`` extra.

Importing this package does not import ``mcp``: that happens when a workbench first connects.
"""

from __future__ import annotations

from flowgen.tools.mcp.adapters import (
    McpToolAdapter,
    SseMcpToolAdapter,
    StdioMcpToolAdapter,
    StreamableHttpMcpToolAdapter,
    mcp_server_tools,
)
from flowgen.tools.mcp.params import (
    McpServerParams,
    SseServerParams,
    StdioServerParams,
    StreamableHttpServerParams,
)
from flowgen.tools.mcp.workbench import McpWorkbench, McpWorkbenchState

__all__ = [
    "McpServerParams",
    "McpToolAdapter",
    "McpWorkbench",
    "McpWorkbenchState",
    "SseMcpToolAdapter",
    "SseServerParams",
    "StdioMcpToolAdapter",
    "StdioServerParams",
    "StreamableHttpMcpToolAdapter",
    "StreamableHttpServerParams",
    "mcp_server_tools",
]
