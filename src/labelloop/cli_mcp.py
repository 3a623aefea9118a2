"""``labelloop mcp``: serve labelloop to AI assistants and IDEs over the Model Context Protocol."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    @app.command("mcp")
    def mcp_cmd(
        root: list[Path] = typer.Option([], "--root", help="A directory the tools may read and write under (repeat "
                                        "for several; default: the current directory). Symlinks are followed and "
                                        "checked."),
        transport: str = typer.Option("stdio", "--transport", help="stdio (for Claude Desktop, IDEs) or http "
                                      "(streamable HTTP on loopback, at http://HOST:PORT/mcp)."),
        host: str = typer.Option("127.0.0.1", "--host", help="http: loopback address to listen on."),
        port: int = typer.Option(8000, "--port", help="http: port to listen on."),
    ) -> None:
        """Run the MCP server: datasets, annotators, agreement and exports as tools for an AI assistant."""
        from labelloop.mcp import serve

        serve(list(root) or None, transport, host, port)
