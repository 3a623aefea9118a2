"""``prelabel --limit N`` is a seeded random sample of the dataset, never just its first N rows."""

from __future__ import annotations

import json
import subprocess
import sys

from labelloop.assist.llm import get_provider
from labelloop.assist.prelabel import prelabel, sample_subset
from labelloop.data.model import Candidate, DataSample, Dataset, Message
from labelloop.formats import load, save
from labelloop.templates import TEMPLATES


def toy(n: int) -> Dataset:
    return Dataset(name="toy", samples=[
        DataSample(id=f"s{i}", prompt=[Message(role="user", content=f"Question {i}?")],
                   candidates=[Candidate(id="0", content=f"a {i} [GOOD]"), Candidate(id="1", content=f"b {i}")])
        for i in range(n)])


def test_sample_subset_is_seeded_and_keeps_file_order():
    ds = toy(10)
    assert [s.id for s in sample_subset(ds.samples, 3, seed=0)] == ["s0", "s2", "s8"]
    assert [s.id for s in sample_subset(ds.samples, 3, seed=1)] == ["s0", "s5", "s7"]
    assert sample_subset(ds.samples, 3, seed=0) == sample_subset(ds.samples, 3, seed=0)
    assert [s.id for s in sample_subset(ds.samples, 50)] == [f"s{i}" for i in range(10)]
    assert [s.id for s in sample_subset(ds.samples, None)] == [f"s{i}" for i in range(10)]


def test_prelabel_limit_asks_only_for_the_sample(llm_server, tmp_path):
    res = prelabel(toy(10), TEMPLATES.get("rewardbench")(),
                   get_provider("compatible", model="m", base_url=llm_server.openai_url), limit=3, seed=1)
    assert [s.id for s in res.dataset.samples] == ["s0", "s5", "s7"]
    asked = sorted(llm_server.first_user(r).split("## Prompt\n")[1].split("\n")[0] for r in llm_server.requests)
    assert asked == ["Question 0?", "Question 5?", "Question 7?"]
    assert res.summary.samples == res.summary.predicted == 3

    data, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    save(toy(10), data)
    p = subprocess.run([sys.executable, "-m", "labelloop.cli", "prelabel", str(data), "-o", str(out), "-t",
                        "rewardbench", "--provider", "compatible", "--base-url", llm_server.openai_url, "--limit", "3",
                        "--no-cache", "--json"], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["samples"] == 3
    assert [s.id for s in load(out).samples] == ["s0", "s2", "s8"]  # the default seed 0
