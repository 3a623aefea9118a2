"""create --plan in Chromium: each person's page shows only their tasks, in plan order, and their name is the
only one it offers."""

from __future__ import annotations

import json
from pathlib import Path

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
        p.wait_for_selector("#modal-name:not([hidden])")
        # one choice, their own name; no box to type another
        names = p.eval_on_selector_all("#name-choices button", "els => els.map(e => e.getAttribute('data-name'))")
        assert names == [name]
        assert not p.is_visible("#name-input") and not p.is_visible("#name-ok")
        w.start(name)
        assert p.inner_text("#who") == name
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
