"""The MCP tools by area, each module a ``register(server, state)``, in the order tools/list lists them."""

from labelloop.mcp.tools import annotate, assist, data, decisions, labelstudio, quality

GROUPS = (data, annotate, quality, decisions, assist, labelstudio)

__all__ = ["GROUPS"]
