"""labelloop over the Model Context Protocol: the library as tools, resources and prompts.

Thin by design: every tool parses its typed arguments, checks paths against the roots and calls one
library function; figures come back as the library reports them. What only matters when a model drives
the library lives in this package: the root check (``guard.py``: every path, symlinks resolved, must lie under
a ``--root``; ``sandbox.py`` holds every open of the process to it), the endpoints a secret may go to
(``endpoints.py``), and the redaction of secrets from anything sent back (by :mod:`labelloop.secrets`'s rule).
The tools are in ``tools/``, one module per area; resources and prompts in ``resources.py``.
"""

from pathlib import Path
from typing import Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError

from labelloop.errors import LabelloopError
from labelloop.mcp import resources, tools
from labelloop.mcp.endpoints import Endpoints
from labelloop.mcp.guard import Guard
from labelloop.mcp.sandbox import Sandbox
from labelloop.mcp.state import State
from labelloop.urls import LOOPBACK, is_loopback

INSTRUCTIONS = """\
labelloop: human-in-the-loop annotation of LLM data. Typical loop: convert a raw file into a dataset,
(optionally) prelabel it with an LLM, create_annotator (an offline HTML page) or labelstudio_push, then
import_results / labelstudio_pull, agreement, merge or adjudicate, and export (e.g. format 'dpo').
Paths are relative to the server's first root; paths outside the roots are refused. Read
labelloop://question-types and labelloop://templates before designing a schema.
"""


class Server(MCPServer):
    """An ``MCPServer`` that refuses arguments a tool does not declare (the SDK would drop them silently, and a
    caller's ``schema=`` to a tool without one would do something other than it asked)."""

    async def call_tool(self, name: str, arguments: dict[str, Any], context: Context | None = None):
        tool = self._tool_manager.get_tool(name)
        if tool is not None:
            known = set((tool.parameters or {}).get("properties", {}))
            unknown = sorted(set(arguments) - known)
            if unknown:
                raise ToolError(f"{name} takes no argument{'s' if len(unknown) > 1 else ''} "
                                f"{', '.join(unknown)}; it takes {', '.join(sorted(known)) or 'none'}.")
        return await super().call_tool(name, arguments, context)


def build_server(roots: list[Path] | None = None, *, host: str = "127.0.0.1", port: int = 8000,
                 endpoints: Endpoints | None = None) -> MCPServer:
    """An ``MCPServer`` whose tools may read and write only under ``roots`` (default: the current directory) and
    send secrets only to the operator's ``endpoints`` (default: the providers' own APIs, ``$LABEL_STUDIO_URL``)."""
    from labelloop._version import __version__

    state = State(Guard(roots), endpoints or Endpoints.configure())
    mcp = Server("labelloop", version=__version__, instructions=INSTRUCTIONS, log_level="WARNING")
    for group in tools.GROUPS:
        group.register(mcp, state)
    resources.register(mcp, state)
    return mcp



def check_host(host: str) -> None:
    if not is_loopback(host):
        raise LabelloopError(f"--host {host} is not a loopback address; the MCP server has no authentication, so it "
                             f"listens only on {', '.join(LOOPBACK)}.")


def serve(roots: list[Path] | None = None, transport: str = "stdio", host: str = "127.0.0.1",
          port: int = 8000, endpoints: Endpoints | None = None) -> None:
    """Run the server until the client goes away (stdio) or the process is stopped (http)."""
    if transport not in ("stdio", "http"):
        raise LabelloopError(f"Unknown transport {transport!r}; use stdio or http.")
    for r in roots or []:
        if not Path(r).expanduser().is_dir():
            raise LabelloopError(f"--root {r} is not a directory.")
    server = build_server(roots, endpoints=endpoints)
    Sandbox(Guard(roots).roots).install()  # from here on, every file the process opens lies under a root
    if transport == "stdio":
        server.run("stdio")
    else:
        check_host(host)
        server.run("streamable-http", host=host, port=port)

