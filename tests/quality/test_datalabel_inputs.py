"""DataLabel users: one results file per annotator goes straight into the quality commands."""

from __future__ import annotations

import json
from pathlib import Path

import krippendorff
import pytest

from datalabel_data import PREF_SCHEMA
from labelloop.cli import main
from labelloop.formats import load

TASKS = [
    {"id": "t1", "data": {"prompt": "2+2?", "response_a": "4", "response_b": "5"}},
    {"id": "t2", "data": {"prompt": "Capital of France?", "response_a": "Lyon", "response_b": "Paris"}},
    {"id": "t3", "data": {"prompt": "Hi", "response_a": "Hello!", "response_b": "Go away."}},
    {"id": "t4", "data": {"prompt": "Sky?", "response_a": "Blue", "response_b": "Green"}},
]
VOTES = {"ann1": ["a", "b", "a", "a"], "ann2": ["a", "a", "b", None], "ann3": ["a", "b", "a", "b"]}


def _files(tmp_path: Path) -> list[Path]:
    paths = []
    for name, votes in VOTES.items():
        responses = [{"task_id": t["id"], "data": t["data"], "choice": v, "comment": "",
                      "annotated_at": "2025-01-01T10:00:00.000Z"} for t, v in zip(TASKS, votes) if v is not None]
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps({"schema": PREF_SCHEMA, "metadata": {"annotator": name}, "responses": responses}))
        paths.append(path)
    return paths


def test_agreement_on_datalabel_results_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = _files(tmp_path)
    main(["agreement", *map(str, files), "--json"])
    report = json.loads(capsys.readouterr().out)
    assert [x["question"] for x in report["questions"]] == ["choice", "comment"]
    q = report["questions"][0]
    assert q["question"] == "choice" and q["annotators"] == ["ann1", "ann2", "ann3"]
    assert (q["items"], q["ratings"]) == (4, 11)
    codes = {"a": 0, "b": 1, None: float("nan")}
    data = [[codes[v] for v in votes] for votes in VOTES.values()]
    assert q["stats"]["alpha"]["value"] == pytest.approx(
        krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"), abs=1e-12)
    assert [(p["a"], p["b"], p["shared_items"]) for p in q["pairs"]] == [
        ("ann1", "ann2", 3), ("ann1", "ann3", 4), ("ann2", "ann3", 3)]


def test_merge_datalabel_results_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "merged.jsonl"
    main(["merge", *map(str, _files(tmp_path)), "-o", str(out), "--json"])
    summary = json.loads(capsys.readouterr().out)
    assert summary["questions"]["choice"]["needs_review"] == 1  # t4: a vs b
    ds = load(out)
    got = {s.id: next(a.values.get("choice") for a in s.annotations if a.kind == "aggregate") for s in ds.samples}
    assert got == {"t1": "a", "t2": "b", "t3": "a", "t4": None}
    assert [c.content for c in ds.by_id()["t2"].candidates] == ["Lyon", "Paris"]
