"""The MCP tools by area, each module a ``register(server, state)``, in the order tools/list lists them."""

from labelloop.mcp.tools import annotate, assign, assist, data, decisions, labelstudio, quality

GROUPS = (data, assign, annotate, quality, decisions, assist, labelstudio)

__all__ = ["GROUPS"]
