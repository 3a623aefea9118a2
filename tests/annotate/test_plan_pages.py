"""create --plan in Chromium: each person's page shows only their tasks, in plan order, and is theirs from the
start (no name to choose or type)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from labelloop.ops import assign

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "rewardbench2_example.jsonl"


def test_each_page_holds_its_person_s_tasks(open_page, tmp_path: Path) -> None:
    plan = tmp_path / "plan.json"
    assign.assign(EXAMPLE, "ana,ben,cai,dee", plan, overlap=2, gold_rate=0.05, seed=0)
    doc = json.loads(plan.read_text())
    r = assign.create_pages(EXAMPLE, plan, tmp_path / "pages")
    assert r.tasks == dict.fromkeys(["ana", "ben", "cai", "dee"], 13)
    for name in ("ana", "dee"):
        w = open_page(Path(r.pages[name]))
        p = w.page
        # their page: no name to choose or type, their name is there from the start
        p.wait_for_selector("#task-id")
        assert not p.is_visible("#modal-name")
        assert p.inner_text("#who") == name
        w.start(name)
        seen = [w.task_id()]
        for _ in range(len(doc["assignments"][name]) - 1):
            w.press("ArrowRight")
            p.wait_for_function("prev => document.getElementById('task-id').textContent !== prev", arg=seen[-1])
            seen.append(w.task_id())
        assert seen == doc["assignments"][name]
        w.press("ArrowRight")  # the last task stays the last
        assert w.task_id() == seen[-1]
        assert p.evaluate("JSON.parse(document.getElementById('ll-meta').textContent).n_tasks") == 13
        got = w.export("json", tmp_path / f"{name}.json")
        assert got["annotator"] == name and got["file_id"] == r.file_ids[name]


def test_results_come_back_into_one_dataset(open_page, tmp_path: Path, capsys) -> None:
    from labelloop.formats import load

    plan = tmp_path / "plan.json"
    assign.assign(EXAMPLE, "ana,ben,cai,dee", plan, overlap=2, gold_rate=0.05, seed=0)
    doc = json.loads(plan.read_text())
    r = assign.create_pages(EXAMPLE, plan, tmp_path / "pages")
    picked = {}
    files = []
    for name in ("ana", "ben"):
        w = open_page(Path(r.pages[name]))
        w.start(name)
        for i in range(2):  # the first two tasks: the first answer on screen is the best
            if i:
                w.press("ArrowRight")
                w.page.wait_for_function("id => document.getElementById('task-id').textContent === id",
                                         arg=doc["assignments"][name][i])
            picked[(name, w.task_id())] = w.order()[0]
            w.press("1")
        if name == "ana":  # and the gold task, which looks like any other
            w.goto_task(doc["gold"]["ids"][0])
            picked[(name, w.task_id())] = w.order()[0]
            w.press("1")
        files.append(tmp_path / f"{name}.json")
        w.export("json", files[-1])
    out = tmp_path / "labelled.jsonl"
    res = assign.import_plan_results(EXAMPLE, plan, files, out)
    assert res.pages == {str(files[0]): "ana", str(files[1]): "ben"}
    assert (res.imported, res.by_annotator, res.gold_samples_added) == (5, {"ana": 3, "ben": 2}, 0)
    ds = load(out)
    got = {(a.annotator, s.id): a.values.get("best") for s in ds.samples for a in s.annotations if a.kind == "human"}
    assert got == {(n, i): v for (n, i), v in picked.items()}
    assert doc["gold"]["ids"] == ["factuality-009"]
    marks = {(a.annotator, s.id) for s in ds.samples for a in s.annotations if a.metadata.get("gold_check")}
    assert marks == {("ana", "factuality-009"), ("ben", "factuality-009")} and res.gold_checks == 2  # ben: his first
    # the command line says the same
    from labelloop.cli import main

    capsys.readouterr()
    main(["import-results", str(EXAMPLE), *map(str, files), "--plan", str(plan), "-o", str(tmp_path / "cli.jsonl")])
    assert capsys.readouterr().out.strip() == (
        f"Imported 5 result(s) from 2 page(s) of {plan} (annotators: ana 3, ben 2; 2 gold check(s) marked). "
        f"Wrote {tmp_path / 'cli.jsonl'}.")
    # importing ana again into the output keeps ben's labels and replaces ana's own
    again = assign.import_plan_results(EXAMPLE, plan, files[:1], out)
    assert (again.imported, again.replaced) == (3, 3)
    assert sum(1 for s in load(out).samples for a in s.annotations if a.kind == "human") == 5
    # a plan the page was not made from
    other = tmp_path / "other.json"
    assign.assign(EXAMPLE, "ana,ben,cai,dee", other, overlap=2, gold_rate=0.05, seed=5)
    from labelloop.errors import ResultsMismatchError
    with pytest.raises(ResultsMismatchError) as info:
        assign.import_plan_results(EXAMPLE, other, files[:1], tmp_path / "x.jsonl")
    assert str(info.value) == (f"{files[0]} comes from annotator file {r.file_ids['ana']}, which is none of the "
                               f"pages plan {other} gives with schema 'rewardbench2' and seed 0.")
    assert not (tmp_path / "x.jsonl").exists()
