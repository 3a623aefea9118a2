"""The MCP quality tools with the offline page's results beside the dataset, best-of-N agreement figures, review's
``include_accepted`` and merge's ``round_to_scale`` (issue 17)."""

from __future__ import annotations

from pathlib import Path

import pytest
from mcp_client import call, run_client, server_params

from accepted_data import dataset as accepted_dataset
from labelloop.formats import load, save
from mcp import ClientSession
from page_results_data import page_results


def test_quality_tools_read_page_results_and_take_the_new_switches(tmp_path: Path) -> None:
    data, files = page_results(tmp_path)
    save(accepted_dataset(), tmp_path / "toy.jsonl")
    paths = [data.name, files["ana"].name, files["ben"].name]

    async def body(s: ClientSession) -> None:
        rep = (await call(s, "agreement", paths=paths, questions=["best"]))["report"]
        best = rep["questions"][0]
        assert best["annotators"] == ["ana", "ben"]
        assert best["stats"]["bennett_s"]["value"] == pytest.approx(13 / 15, abs=1e-15)
        assert best["stats"]["pairwise_alpha"]["value"] == pytest.approx(1 - 1190 / 7318, abs=1e-15)
        m = (await call(s, "merge", paths=paths, output="m.jsonl", questions=["best"]))["report"]
        assert (m["merged_samples"], m["questions"]["best"]["needs_review"]) == (10, 1)
        d = await call(s, "dashboard", path=data.name, more_paths=paths[1:], output="dash.md", fmt="md")
        assert "ana" in d["text"] and "ben" in d["text"]
        r = (await call(s, "review", path=data.name, more_paths=paths[1:]))["report"]
        assert (r["summary"]["human_annotations"], len(r["annotators"])) == (20, 2)
        left = (await call(s, "review", path="toy.jsonl"))["report"]
        counted = (await call(s, "review", path="toy.jsonl", include_accepted=True))["report"]
        carol = {x["annotator"]: x for x in left["annotators"]}["carol"]
        carol3 = {x["annotator"]: x for x in counted["annotators"]}["carol"]
        assert (left["summary"]["include_accepted"], carol["accepted_predictions"], carol["prediction_comparisons"]) == (
            False, 7, 0)
        assert (counted["summary"]["include_accepted"], carol3["prediction_comparisons"]) == (True, 7)
        # factuality-010: ana rates candidate 0 5 and 1 2, ben the other way round: the mean 3.5, rounded 4
        for name, flag, want in (("avg.jsonl", False, 3.5), ("avg_round.jsonl", True, 4)):
            await call(s, "merge", paths=paths, output=name, strategy="average", questions=["rating"],
                       round_to_scale=flag)
            agg = next(a for a in load(tmp_path / name).by_id()["factuality-010"].annotations
                       if a.kind == "aggregate")
            assert agg.values["rating"] == {"0": want, "1": want, "2": 2, "3": 2}

    run_client(server_params(tmp_path), body)
