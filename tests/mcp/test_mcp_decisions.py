"""The decisions tools over MCP: the leaderboard the CLI prints, errors naming the tool's argument."""

from __future__ import annotations

import shutil
from pathlib import Path

from mcp_client import call, call_error, run_client, server_params

from mcp import ClientSession

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "rewardbench2_example.jsonl"


def test_leaderboard_tool(tmp_path: Path) -> None:
    shutil.copy(EXAMPLE, tmp_path / "rb2.jsonl")

    async def body(s: ClientSession) -> None:
        r = (await call(s, "leaderboard", paths=["rb2.jsonl"], rounds=20))["report"]
        assert (r["source"], r["votes"], r["comparisons"], r["prior"]) == ("reference", 25, 100, 0.5)
        assert [m["model"] for m in r["models"]][:1] == ["model-a"] and round(r["models"][0]["score"], 1) == 1562.5
        text = await call_error(s, "leaderboard", paths=["rb2.jsonl"], anchor_model="gpt")
        assert "anchor_model 'gpt' is none of the ranked models" in text
        (tmp_path / "s.csv").write_text("sample_id,candidate_id,score\nmath-001,0,2\nmath-001,1,1\nmath-001,2,0\n"
                                        "math-001,3,0\nmath-002,0,0\nmath-002,1,1\nmath-002,2,0\nmath-002,3,0\n",
                                        encoding="utf-8")
        e = (await call(s, "evaluate", paths=["rb2.jsonl"], scores="s.csv", rounds=0))["report"]
        assert e["scorers"][0]["subsets"] == [{"subset": "Math", "samples": 2, "kind": "best_of_n", "accuracy": 0.5,
                                               "score": 0.5, "ci": None, "rule": "every correct answer scored above "
                                               "every incorrect one"}]
        text = await call_error(s, "evaluate", paths=["rb2.jsonl"], judges=["gpt"])
        assert "judges: no predictions by gpt; the judges are none." in text

    run_client(server_params(tmp_path), body)
