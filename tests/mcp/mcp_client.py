"""Helpers for an MCP client from the SDK that starts ``python -m labelloop.mcp`` over stdio, as an assistant would."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio

from mcp import ClientSession, StdioServerParameters, stdio_client

if sys.version_info < (3, 11):  # pragma: no cover
    from exceptiongroup import BaseExceptionGroup
else:
    BaseExceptionGroup = BaseExceptionGroup  # noqa: PLW0127  (the builtin, named for ruff's py310 target)

REPO = Path(__file__).resolve().parents[2]
PYTHON = sys.executable


def server_params(*roots: Path, env: dict[str, str] | None = None, cwd: Path | None = None) -> StdioServerParameters:
    args = ["-m", "labelloop.mcp"]
    for r in roots:
        args += ["--root", str(r)]
    base = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "PYTHONPATH", "TMPDIR")}
    return StdioServerParameters(command=PYTHON, args=args, env={**base, **(env or {})},
                                 cwd=str(cwd or roots[0]))


def run_client(params: StdioServerParameters, body: Callable[[ClientSession], Awaitable[Any]],
               timeout: float = 120) -> Any:
    """Start the server, initialise a session, run ``body(session)``, stop the server; bounded by ``timeout``."""
    async def main() -> Any:
        with anyio.fail_after(timeout):
            with open(os.devnull, "w") as errlog:
                async with stdio_client(params, errlog=errlog) as (read, write):
                    async with ClientSession(read, write) as session:
                        await session.initialize()
                        return await body(session)

    try:
        return anyio.run(main)
    except BaseExceptionGroup as group:  # the SDK's task groups wrap the test's own failure: show that one
        leaf: BaseException = group
        while isinstance(leaf, BaseExceptionGroup) and len(leaf.exceptions) == 1:
            leaf = leaf.exceptions[0]
        raise leaf from None


async def call(session: ClientSession, name: str, progress: list | None = None, **arguments: Any) -> dict[str, Any]:
    """Call a tool that must succeed; returns its structured result."""
    async def on_progress(done: float, total: float | None, message: str | None) -> None:
        progress.append((done, total))

    res = await session.call_tool(name, arguments, progress_callback=on_progress if progress is not None else None)
    text = " ".join(getattr(c, "text", "") for c in res.content)
    assert not res.is_error, f"{name} failed: {text}"
    assert res.structured_content is not None
    assert json.loads(text) == res.structured_content  # the text content mirrors the structured result
    return res.structured_content


async def call_error(session: ClientSession, name: str, **arguments: Any) -> str:
    """Call a tool that must fail; returns the error text the model reads."""
    res = await session.call_tool(name, arguments)
    assert res.is_error, f"{name} unexpectedly succeeded: {res.structured_content}"
    return " ".join(getattr(c, "text", "") for c in res.content)
