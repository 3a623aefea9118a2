"""LLM pre-labels and drafted guidelines reach Label Studio: `labelloop prelabel` output pushed with
`labelstudio push --guidelines` gives predictions (model version, score) and the project's instructions."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from fake_llm import FakeLLM  # the root conftest's stand-in
from labelloop.assist.guidelines import draft_guidelines
from labelloop.data.model import Candidate, DataSample, Dataset, Message
from labelloop.formats import load, save
from labelloop.formats.labelstudio.config import get_template
from labelloop.formats.labelstudio.instructions import guidelines_html
from labelloop.templates import TEMPLATES

HERE = Path(__file__).resolve().parent


def test_prelabels_and_guidelines_reach_label_studio(ls, tmp_path):
    data = tmp_path / "in.jsonl"
    save(Dataset(name="prelabelled", samples=[
        DataSample(id=f"q{i}", prompt=[Message(role="user", content=f"Question {i}?")],
                   candidates=[Candidate(id="0", content=f"first {i}" + (" [GOOD]" if i % 2 else "")),
                               Candidate(id="1", content=f"second {i}" + ("" if i % 2 else " [GOOD]"))])
        for i in range(4)]), data)
    server = FakeLLM()
    run = [sys.executable, "-m", "labelloop.cli"]
    try:
        p = subprocess.run(run + ["prelabel", str(data), "-o", str(tmp_path / "pre.jsonl"), "-t", "rewardbench",
                                  "--provider", "compatible", "--model", "m1", "--base-url", server.openai_url,
                                  "--no-cache", "-q"], capture_output=True, text=True, timeout=120)
    finally:
        server.close()
    assert p.returncode == 0, p.stderr
    g = tmp_path / "guidelines.md"
    g.write_text(draft_guidelines(TEMPLATES.get("rewardbench")(), load(tmp_path / "pre.jsonl").samples, examples=1),
                 encoding="utf-8")
    p = subprocess.run(run + ["labelstudio", "push", str(tmp_path / "pre.jsonl"), "--guidelines", str(g),
                              "--url", ls.creds.url, "--token", ls.creds.token, "--data-dir", str(ls.data_dir),
                              "--json"], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    pushed = json.loads(p.stdout)
    assert (pushed["tasks"], pushed["predictions"], pushed["template"]) == (4, 4, "rewardbench")
    tpl = get_template("rewardbench")
    with ls.client() as c:
        project = c.get_project(pushed["project_id"])
        keys = ("**Keys**: Which answer is better?: 1 Answer A, 2 Answer B, 3 Tie, 4 Both bad (the same keys as the "
                "offline page); Ctrl+Enter submits; other choices show their key beside them.")
        assert tpl.hotkeys(2) == keys
        assert project["expert_instruction"] == guidelines_html(g.read_text(encoding="utf-8").strip() + "\n\n" + keys)
        assert "<h3>Annotation guidelines: rewardbench</h3>" in project["expert_instruction"]
        assert project["show_instruction"] is True
        tasks = list(c.iter_tasks(pushed["project_id"]))
    assert len(tasks) == 4
    for t in tasks:
        i = int(t["data"]["labelloop_id"][1:])
        [pred] = t["predictions"]
        assert pred["model_version"] == "judge-1-2024-06"  # the version the API reported
        assert pred["score"] == 0.9
        assert tpl.process_annotations(pred["result"], t["data"])["preference"] == ("0" if i % 2 else "1")
