"""``labelloop mcp``: serve labelloop to AI assistants and IDEs over the Model Context Protocol."""

from __future__ import annotations

from pathlib import Path

import typer


def mcp_cmd(
    root: list[Path] = typer.Option([], "--root", help="A directory the tools may read and write under (repeat "
                                    "for several; default: the current directory). Symlinks are followed and "
                                    "checked."),
    transport: str = typer.Option("stdio", "--transport", help="stdio (for Claude Desktop, IDEs) or http "
                                  "(streamable HTTP on loopback, at http://HOST:PORT/mcp)."),
    host: str = typer.Option("127.0.0.1", "--host", help="http: loopback address to listen on."),
    port: int = typer.Option(8000, "--port", help="http: port to listen on."),
    provider_url: list[str] = typer.Option([], "--provider-url", metavar="[PROVIDER=]URL", help="An LLM endpoint "
                                           "the tools may call (repeat for several; a bare URL is for the "
                                           "compatible provider). Without one, only the providers' own APIs; a "
                                           "caller's base_url must be one of these."),
    api_key_env: list[str] = typer.Option([], "--api-key-env", metavar="[PROVIDER=]NAME", help="The environment "
                                          "variable holding a provider's key (a bare NAME is for compatible, "
                                          "which otherwise sends no key)."),
    label_studio_url: str | None = typer.Option(None, "--label-studio-url", help="The Label Studio the tools "
                                                "may talk to with $LABEL_STUDIO_API_KEY (default: "
                                                "$LABEL_STUDIO_URL; a server started from the data dir is "
                                                "always allowed, with its own token)."),
) -> None:
    """Run the MCP server: datasets, annotators, agreement and exports as tools for an AI assistant."""
    from labelloop.mcp import serve
    from labelloop.mcp.endpoints import Endpoints

    serve(list(root) or None, transport, host, port,
          Endpoints.configure(provider_url, api_key_env, label_studio_url))
