"""The MCP tools by area, each module a ``register(server, state)``, in the order tools/list lists them."""

from labelloop.mcp.tools import annotate, assist, data, labelstudio, quality

GROUPS = (data, annotate, quality, assist, labelstudio)

__all__ = ["GROUPS"]
