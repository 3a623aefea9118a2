"""labelloop as a Model Context Protocol server (the ``mcp`` extra): ``labelloop mcp`` or ``python -m labelloop.mcp``.

Import ``build_server`` / ``serve`` from ``labelloop.mcp.server``; this package stays importable without the SDK.
"""

from __future__ import annotations

from pathlib import Path


def serve(roots: list[Path] | None = None, transport: str = "stdio", host: str = "127.0.0.1", port: int = 8000,
          endpoints=None) -> None:
    """Run the MCP server; a missing SDK is one clear sentence, not a traceback. ``endpoints``: an
    ``labelloop.mcp.endpoints.Endpoints``, where secrets may go (default: providers' own APIs, $LABEL_STUDIO_URL)."""
    try:
        from labelloop.mcp.server import serve as _serve
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.split(".")[0] == "mcp":
            from labelloop.errors import MissingDependencyError

            raise MissingDependencyError("The MCP server needs the mcp SDK 2.3 or later: "
                                         "pip install 'labelloop[mcp]'.") from None
        raise
    _serve(roots, transport, host, port, endpoints)
