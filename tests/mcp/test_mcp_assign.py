"""The plan tools over MCP: the same plan file as labelloop assign, errors naming the tool's argument."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from mcp_client import call, call_error, run_client, server_params

from labelloop.cli import main
from mcp import ClientSession

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "rewardbench2_example.jsonl"


def test_assign_tool_writes_the_plan_the_cli_writes(tmp_path: Path) -> None:
    shutil.copy(EXAMPLE, tmp_path / "rb2.jsonl")
    main(["assign", str(tmp_path / "rb2.jsonl"), "--annotators", "ana,ben,cai,dee", "--overlap", "2",
          "--gold-rate", "0.05", "--seed", "7", "-o", str(tmp_path / "cli-plan.json")])

    async def body(s: ClientSession) -> None:
        r = await call(s, "assign", path="rb2.jsonl", annotators=["ana", "ben", "cai", "dee"], overlap=2,
                       gold_rate=0.05, seed=7, output="plan.json")
        assert r["output"].endswith("plan.json")
        assert r["report"]["loads"] == {"ana": 13, "ben": 13, "cai": 13, "dee": 13}
        text = await call_error(s, "assign", path="rb2.jsonl", annotators=["ana"], overlap=2)
        assert text == "Error executing tool assign: overlap 2 needs between 1 and 1 people (the annotators given: ana)."

    run_client(server_params(tmp_path), body)
    ours = json.loads((tmp_path / "plan.json").read_text(encoding="utf-8"))
    cli = json.loads((tmp_path / "cli-plan.json").read_text(encoding="utf-8"))
    assert ours["assignments"] == cli["assignments"] and ours["gold"]["ids"] == cli["gold"]["ids"]
