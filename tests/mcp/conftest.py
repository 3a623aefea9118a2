"""The MCP server tests' client helpers (``mcp_client``) on the path; the LLM stand-in (``llm_server``) is the root
conftest's."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))  # mcp_client, the client helpers
