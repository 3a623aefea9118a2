"""The MCP tools' ``include_accepted`` argument: accepted model predictions are no person's answer unless asked."""

from __future__ import annotations

from pathlib import Path

import pytest
from mcp_client import call, run_client, server_params

from accepted_data import ALICE, BOB, CAROL, alpha, dataset
from labelloop.formats import save
from mcp import ClientSession


def test_include_accepted_argument(tmp_path: Path) -> None:
    save(dataset(), tmp_path / "toy.jsonl")

    async def body(s: ClientSession) -> None:
        two = (await call(s, "agreement", paths=["toy.jsonl"], questions=["preference"]))["report"]
        three = (await call(s, "agreement", paths=["toy.jsonl"], questions=["preference"],
                            include_accepted=True))["report"]
        assert (two["accepted_predictions_left_out"], two["questions"][0]["annotators"]) == (7, ["alice", "bob"])
        assert two["questions"][0]["stats"]["alpha"]["value"] == pytest.approx(alpha(ALICE, BOB), abs=1e-12)
        assert (three["accepted_predictions_left_out"], three["questions"][0]["annotators"]) == (
            0, ["alice", "bob", "carol"])
        assert three["questions"][0]["stats"]["alpha"]["value"] == pytest.approx(alpha(ALICE, BOB, CAROL), abs=1e-12)
        m = (await call(s, "merge", paths=["toy.jsonl"], output="m.jsonl"))["report"]
        m3 = (await call(s, "merge", paths=["toy.jsonl"], output="m3.jsonl", include_accepted=True))["report"]
        assert (m["accepted_predictions_left_out"], m["questions"]["preference"]["decided"]) == (7, 3)
        assert (m3["accepted_predictions_left_out"], m3["questions"]["preference"]["decided"]) == (0, 7)
        a = (await call(s, "adjudicate", paths=["toy.jsonl"], output="a.jsonl"))["report"]
        a3 = (await call(s, "adjudicate", paths=["toy.jsonl"], output="a3.jsonl", include_accepted=True))["report"]
        assert (a["accepted_predictions_left_out"], a["queued"], a3["accepted_predictions_left_out"]) == (7, 3, 0)
        e = await call(s, "export", path="toy.jsonl", output="d.jsonl")
        e3 = await call(s, "export", path="toy.jsonl", output="d3.jsonl", include_accepted=True)
        assert (e["files"]["all"]["rows"], e["files"]["all"]["accepted_predictions_left_out"]) == (3, 7)
        assert (e3["files"]["all"]["rows"], e3["files"]["all"]["accepted_predictions_left_out"]) == (3, 0)
        assert (tmp_path / "d3.jsonl").read_text().count('"Qs7"') == 1
        d = await call(s, "dashboard", path="toy.jsonl", output="dash.md", fmt="md")
        d3 = await call(s, "dashboard", path="toy.jsonl", output="dash3.md", fmt="md", include_accepted=True)
        assert "agreement, the merged label, the review and each person's figures leave" in " ".join(d["text"].split())
        assert "they count as their annotators" in " ".join(d3["text"].split())

    run_client(server_params(tmp_path), body)
