"""The MCP server's cost over the command line an assistant would otherwise shell out to.

ours: one ``python -m labelloop.mcp`` session over stdio (SDK client), tool calls ``info`` and ``convert``.
peer: ``labelloop info --json`` / ``labelloop convert --quiet`` as a fresh subprocess per call.

    .venv/bin/python bench/mcp_server.py [--rows 100000] [--calls 20] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import anyio

from mcp import ClientSession, StdioServerParameters, stdio_client


def write_pairs(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for i in range(rows):
            fh.write(json.dumps({"id": f"r{i}", "prompt": f"Question {i}: " + "words " * 20,
                                 "chosen": "a good answer " * 10, "rejected": "a bad answer " * 10}) + "\n")


def ours(work: Path, calls: int) -> dict[str, float]:
    params = StdioServerParameters(command=sys.executable, args=["-m", "labelloop.mcp", "--root", str(work)],
                                   env={k: v for k, v in os.environ.items() if k in ("PATH", "HOME")}, cwd=str(work))
    out: dict[str, float] = {}

    async def main() -> None:
        t0 = time.perf_counter()
        with open(os.devnull, "w") as errlog:
            async with stdio_client(params, errlog=errlog) as (r, w), ClientSession(r, w) as s:
                await s.initialize()
                out["startup_s"] = time.perf_counter() - t0
                t = time.perf_counter()
                for _ in range(calls):
                    res = await s.call_tool("info", {"path": "small.jsonl"})
                    assert not res.is_error
                out["info_s"] = (time.perf_counter() - t) / calls
                t = time.perf_counter()
                res = await s.call_tool("convert", {"src": "big.jsonl", "output": "ours.parquet"},
                                        progress_callback=_ignore)
                assert not res.is_error, res.content
                out["convert_s"] = time.perf_counter() - t

    anyio.run(main)
    return out


async def _ignore(done: float, total: float | None, message: str | None) -> None:
    return None


def peer(work: Path, calls: int) -> dict[str, float]:
    cli = [sys.executable, "-m", "labelloop.cli"]
    t = time.perf_counter()
    for _ in range(calls):
        subprocess.run([*cli, "info", "small.jsonl", "--json"], cwd=work, check=True, capture_output=True)
    info_s = (time.perf_counter() - t) / calls
    t = time.perf_counter()
    subprocess.run([*cli, "convert", "big.jsonl", "-o", "peer.parquet", "--quiet"], cwd=work, check=True,
                   capture_output=True)
    return {"startup_s": 0.0, "info_s": info_s, "convert_s": time.perf_counter() - t}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--calls", type=int, default=20)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        write_pairs(work / "small.jsonl", 100)
        write_pairs(work / "big.jsonl", args.rows)
        a, b = ours(work, args.calls), peer(work, args.calls)
    figures = {"ours": a, "peer": b, "ratio": {k: (a[k] / b[k] if b[k] else None) for k in ("info_s", "convert_s")}}
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print(f"{'':34} {'startup s':>10} {'info s/call':>12} {'convert s':>10}")
    print(f"{'MCP session (stdio)':34} {a['startup_s']:>10.2f} {a['info_s']:>12.3f} {a['convert_s']:>10.2f}")
    print(f"{'CLI subprocess per call':34} {'-':>10} {b['info_s']:>12.3f} {b['convert_s']:>10.2f}")
    r = figures["ratio"]
    print(f"{'ratio ours/peer':34} {'':>10} {r['info_s']:>12.2f} {r['convert_s']:>10.2f}")
    print(f"({args.rows:,} rows converted; info on 100 rows, {args.calls} calls)")


if __name__ == "__main__":
    main()
