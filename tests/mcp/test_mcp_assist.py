"""The tools over the dashboard, review, guidelines and active-learning modules: the same answers as the library."""

from __future__ import annotations

import json

import pytest
from mcp_client import call, call_error, run_client, server_params

from labelloop.data.model import Annotation, Candidate, DataSample, Dataset, Message
from labelloop.formats import load, save
from labelloop.templates import TEMPLATES
from mcp import ClientSession


def labelled(path):
    """30 pairs; the first 12 answered by alice, bob and carol (carol off on every 4th)."""
    samples = []
    for i in range(30):
        good = i % 2
        anns = [Annotation(annotator=who, kind="human", lead_time_s=10 + i,
                           values={"preference": str(good) if (who != "carol" or i % 4) else str(1 - good)})
                for who in ("alice", "bob", "carol")] if i < 12 else []
        samples.append(DataSample(
            id=f"s{i:02d}", prompt=[Message(role="user", content=f"Question about topic {i % 5}?")],
            candidates=[Candidate(id=c, content=("correct detailed answer" if good == int(c) else "wrong short")
                                  + f" {i}") for c in ("0", "1")], annotations=anns))
    save(Dataset(name="toy", samples=samples, schema=TEMPLATES.get("rewardbench")()), path)
    return path


def test_dashboard_tool(tmp_path):
    pytest.importorskip("labelloop.report")
    from labelloop.report import build_dashboard, dashboard_markdown

    labelled(tmp_path / "ds.jsonl")
    ds = load(tmp_path / "ds.jsonl")

    async def body(s: ClientSession):
        md = await call(s, "dashboard", path="ds.jsonl", output="dash.md", fmt="md")
        assert md["output"] == str(tmp_path / "dash.md") and md["text"] == dashboard_markdown(ds)
        page = await call(s, "dashboard", path="ds.jsonl", title="Week 1")
        assert page["output"] == str(tmp_path / "dashboard.html") and page["text"] == ""
        assert (tmp_path / "dashboard.html").read_text(encoding="utf-8") == build_dashboard(ds, title="Week 1")
        assert "outside the server's roots" in await call_error(s, "dashboard", path="ds.jsonl", output="/tmp/x.html")

    run_client(server_params(tmp_path), body)


def test_review_tool(tmp_path):
    pytest.importorskip("labelloop.assist.review")
    from labelloop.assist.review import review_dataset

    labelled(tmp_path / "ds.jsonl")
    want = review_dataset(load(tmp_path / "ds.jsonl"))

    async def body(s: ClientSession):
        got = await call(s, "review", path="ds.jsonl", output="review.md")
        assert got["report"] == json.loads(json.dumps(want.to_dict(), default=str))
        assert len(got["report"]["flags"]) == 3
        assert (tmp_path / "review.md").read_text(encoding="utf-8") == want.to_markdown()
        err = await call_error(s, "review", path="ds.jsonl", provider="openai")
        assert err == "Error executing tool review: Provider 'openai' needs an API key; set OPENAI_API_KEY."

    run_client(server_params(tmp_path), body)


def test_guidelines_tool(tmp_path):
    pytest.importorskip("labelloop.assist.guidelines")
    from labelloop.assist.guidelines import draft_guidelines

    labelled(tmp_path / "ds.jsonl")
    ds = load(tmp_path / "ds.jsonl")

    async def body(s: ClientSession):
        got = await call(s, "guidelines", schema="rewardbench", path="ds.jsonl", samples=5, output="g.md")
        assert got["text"] == draft_guidelines(TEMPLATES.get("rewardbench")(), ds.samples[:5])
        assert got["text"].startswith("# Annotation guidelines: rewardbench")
        assert (tmp_path / "g.md").read_text(encoding="utf-8") == got["text"]
        err = await call_error(s, "guidelines", schema="rewardbench", language="de")
        assert err.startswith("Error executing tool guidelines: Guidelines in 'de' need an LLM")
        err = await call_error(s, "guidelines", schema="no_such_template")
        assert "no_such_template" in err

    run_client(server_params(tmp_path), body)


def test_select_next_batch_tool(tmp_path):
    pytest.importorskip("labelloop.assist.active")
    from labelloop.assist.active import select_batch

    labelled(tmp_path / "ds.jsonl")
    want = select_batch(load(tmp_path / "ds.jsonl"), batch_size=5, seed=0)

    async def body(s: ClientSession):
        got = await call(s, "select_next_batch", path="ds.jsonl", batch_size=5, output="next.jsonl")
        assert got["selections"] == [{"sample_id": p.sample_id, "rank": p.rank, "score": p.score,
                                      "reason": p.reason} for p in want]
        assert [x["rank"] for x in got["selections"]] == [1, 2, 3, 4, 5]
        assert all(int(x["sample_id"][1:]) >= 12 for x in got["selections"])  # unlabelled samples only
        assert [smp.id for smp in load(tmp_path / "next.jsonl").samples] == [p.sample_id for p in want]
        err = await call_error(s, "select_next_batch", path="ds.jsonl", strategy="vibes")
        assert "vibes" in err

    run_client(server_params(tmp_path), body)
