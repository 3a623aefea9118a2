"""Label with mouse and keyboard in every question type, reload, export each format, import with the CLI."""

from __future__ import annotations

import csv
import io
import json

import pytest
from annot_pages import all_types_schema, labelling_dataset

from labelloop.cli import main
from labelloop.data.io import write_dataset
from labelloop.data.positions import candidate_order
from labelloop.formats import load


@pytest.fixture
def built(tmp_path):
    ds = labelling_dataset()
    data = tmp_path / "tasks.jsonl"
    write_dataset(ds, data)
    schema = tmp_path / "schema.json"
    schema.write_text(json.dumps(all_types_schema().model_dump(mode="json")), encoding="utf-8")
    html = tmp_path / "annotator.html"
    main(["create", str(data), "--schema", str(schema), "-o", str(html), "--seed", "7", "--quiet"])
    return ds, data, schema, html


def cand_text(ds, tid, cid):
    return ds.by_id()[tid].candidate(cid).content


def test_label_every_type_with_mouse_and_keyboard_then_export_and_import(built, open_page, tmp_path):
    ds, data, schema_path, html = built
    w = open_page(html)
    p = w.page
    w.start("alice")
    ids = {s.id: [c.id for c in s.candidates] for s in ds.samples}
    orders: dict[str, list[str]] = {}
    expected: dict[str, dict] = {}

    # ---------------------------------------------------------------- t1 with the mouse
    assert w.task_id() == "t1"
    o = orders["t1"] = w.order()
    assert o == candidate_order(ds.by_id()["t1"], 7)
    assert sorted(o) == ids["t1"]
    p.click(f"{w.q('best')} button[data-value='{o[1]}']")
    p.click(f"{w.q('issues')} button[data-value='rude']")
    p.click(f"{w.q('issues')} button[data-value='wrong']")
    for cid, v in zip(o, (4, 2, 5)):
        p.click(f"{w.q('quality')} .subrow[data-cand='{cid}'] button[data-value='{v}']")
    p.drag_and_drop(f"{w.q('ranking')} li[data-value='{o[2]}']", f"{w.q('ranking')} li[data-value='{o[0]}']")
    p.fill(f"{w.q('comment')} textarea", "Fine & <b>bold</b> </script>")
    p.click("#task-head .tid")  # leave the text box
    # double-click a word: a real mouse selection
    text0 = cand_text(ds, "t1", o[0])
    box = p.evaluate(
        """([cid, word]) => {
          const el = document.querySelector(`#task .spanable[data-field="candidates.${cid}"]`);
          const node = el.firstChild; const i = node.data.indexOf(word);
          const r = document.createRange(); r.setStart(node, i); r.setEnd(node, i + word.length);
          const b = r.getBoundingClientRect(); return {x: b.x + b.width / 2, y: b.y + b.height / 2};
        }""", [o[0], "sum"])
    p.mouse.dblclick(box["x"], box["y"])
    assert p.evaluate("window.getSelection().toString()") == "sum"
    p.click(f"{w.q('spans')} button[data-value='error']")
    # a selection after an emoji: offsets are in code points, as Python counts them
    u16 = text0.encode("utf-16-le")
    start16 = len(text0[: text0.index("End")].encode("utf-16-le")) // 2
    assert start16 == text0.index("End") + 1  # the emoji is two UTF-16 units
    w.select_text(f"candidates.{o[0]}", start16, start16 + 3)
    w.press("2")
    assert len(u16) == 2 * (len(text0) + 1)
    p.click(f"{w.q('safe')} .subrow[data-cand='{o[0]}'] button[data-value='yes']")
    p.fill(f"{w.q('overall')} input[type='number']", "7.5")
    p.press(f"{w.q('overall')} input[type='number']", "Tab")
    assert w.status() == "submitted"
    assert p.inner_text(f"#task .spanable[data-field='candidates.{o[0]}'] mark >> nth=0") == "sum"
    expected["t1"] = {
        "best": o[1], "issues": ["wrong", "rude"], "quality": {o[0]: 4, o[1]: 2, o[2]: 5},
        "ranking": [o[2], o[0], o[1]], "comment": "Fine & <b>bold</b> </script>",
        "spans": [{"field": f"candidates.{o[0]}", "start": text0.index("sum"), "end": text0.index("sum") + 3,
                   "label": "error"},
                  {"field": f"candidates.{o[0]}", "start": text0.index("End"), "end": text0.index("End") + 3,
                   "label": "nice"}],
        "safe": {o[0]: "yes"}, "overall": 7.5,
    }

    # ---------------------------------------------------------------- t2 with the keyboard only
    w.press("ArrowRight")
    assert w.task_id() == "t2"
    o = orders["t2"] = w.order()
    w.press("2", "ArrowDown", "3", "ArrowDown", "5", "ArrowDown", "1", "ArrowDown", "3")
    w.press("ArrowDown", "2")
    assert p.inner_text(f"{w.q('ranking')} li >> nth=0 >> .it") == "Answer B"
    w.press("3")  # two of three placed: the last one follows
    w.press("ArrowDown", "e")
    p.keyboard.type("typed by keys")
    w.press("Escape", "ArrowDown")
    w.select_text(f"candidates.{o[1]}", 0, 6)
    w.press("1")
    w.press("ArrowDown", "2", "ArrowDown", "ArrowDown", "1", "ArrowDown", "e")
    p.keyboard.type("3")
    w.press("Escape")
    assert w.status() == "submitted"
    expected["t2"] = {
        "best": o[1], "issues": ["long"], "quality": {o[0]: 5, o[1]: 1, o[2]: 3}, "ranking": [o[1], o[2], o[0]],
        "comment": "typed by keys", "spans": [{"field": f"candidates.{o[1]}", "start": 0, "end": 6, "label": "error"}],
        "safe": {o[0]: "no", o[2]: "yes"}, "overall": 3,
    }

    # ---------------------------------------------------------------- t3: accept the suggestion, then change it
    w.press("ArrowRight")
    assert w.task_id() == "t3"
    o = orders["t3"] = w.order()
    assert "judge-llm" in p.inner_text("#suggestion") and "0.875" in p.inner_text("#suggestion")
    w.press("a")
    w.press("ArrowDown", "ArrowDown", "5")
    quality = {"x": 2, "y": 4}
    quality[o[0]] = 5
    expected["t3"] = {"best": "y", "ranking": ["y", "x"], "quality": quality, "comment": "y is right"}
    assert w.status() == "submitted"

    # ---------------------------------------------------------------- t4 flagged, t5 skipped, t6 passed by
    w.press("ArrowRight")
    o = orders["t4"] = w.order()
    w.press("2", "f")
    p.keyboard.type("unclear prompt")
    w.press("Enter")
    assert w.status() == "flagged: unclear prompt"
    expected["t4"] = {"best": o[1]}
    w.press("ArrowRight", "s")
    p.keyboard.type("duplicate")
    w.press("Enter")
    assert w.task_id() == "t6"  # skipping moves on
    orders["t5"] = candidate_order(ds.by_id()["t5"], 7)
    expected["t5"] = {}
    w.press("ArrowRight")

    # ---------------------------------------------------------------- t7: undo and redo several steps
    assert w.task_id() == "t7"
    o = orders["t7"] = w.order()
    w.press("1", "2")
    assert w.pressed(w.q("best")) == [o[1]]
    w.press("z")
    assert w.pressed(w.q("best")) == [o[0]]
    w.press("z")
    assert w.pressed(w.q("best")) == [] and w.status() == "to do"
    w.press("y", "y")
    assert w.pressed(w.q("best")) == [o[1]]
    w.press("Control+z")
    assert w.pressed(w.q("best")) == [o[0]]
    expected["t7"] = {"best": o[0]}
    assert w.status() == "draft"

    # ---------------------------------------------------------------- reload: resume where we were
    w.reload()
    assert p.is_hidden("#modal-name")
    assert w.task_id() == "t7" and w.pressed(w.q("best")) == [o[0]]
    assert p.inner_text("#who") == "alice"
    w.goto_task("t1")
    assert w.pressed(w.q("best")) == [orders["t1"][1]]
    assert p.input_value(f"{w.q('comment')} textarea") == "Fine & <b>bold</b> </script>"

    # ---------------------------------------------------------------- export all three formats
    exported = w.export("json", tmp_path / "r.json")
    w.export("jsonl", tmp_path / "r.jsonl")
    w.export("csv", tmp_path / "r.csv")
    statuses = {"t1": "submitted", "t2": "submitted", "t3": "submitted", "t4": "flagged", "t5": "skipped",
                "t7": "draft"}
    reasons = {"t4": "unclear prompt", "t5": "duplicate"}
    assert exported["format"] == "labelloop-results" and exported["annotator"] == "alice"
    assert exported["seed"] == 7 and exported["schema_hash"] == all_types_schema().schema_hash()
    by_task = {r["task_id"]: r for r in exported["results"]}
    assert set(by_task) == set(statuses)  # t6 was only passed by: no result
    for tid, r in by_task.items():
        assert r["values"] == expected[tid], tid
        assert r["status"] == statuses[tid] and r["annotator"] == "alice"
        assert r["order"] == orders[tid] == candidate_order(ds.by_id()[tid], 7)
        assert r["reason"] == reasons.get(tid)
        assert r["time_spent_s"] >= 0 and r["created_at"] <= r["updated_at"]

    # CSV: one row per result, question columns JSON-encoded
    rows = list(csv.DictReader(io.StringIO((tmp_path / "r.csv").read_text(encoding="utf-8"))))
    assert {r["task_id"] for r in rows} == set(statuses)
    assert json.loads(next(r for r in rows if r["task_id"] == "t1")["q.comment"]) == "Fine & <b>bold</b> </script>"

    # ---------------------------------------------------------------- import each export with the CLI
    for name, extra in (("r.json", []), ("r.jsonl", []), ("r.csv", ["--schema", str(schema_path)])):
        out = tmp_path / f"merged-{name}.jsonl"
        main(["import-results", str(data), str(tmp_path / name), "-o", str(out), "--quiet", *extra])
        merged = load(str(out))
        assert merged.schema.schema_hash() == all_types_schema().schema_hash()
        got = {}
        for s in merged.samples:
            humans = s.annotations_of("human")
            assert len(humans) == (1 if s.id in statuses else 0), (name, s.id)
            for a in humans:
                got[s.id] = a
                assert a.annotator == "alice" and a.origin.startswith("html:")
                assert a.values == expected[s.id], (name, s.id)
                assert a.status == statuses[s.id]
                assert a.metadata["order"] == orders[s.id]
                assert a.metadata.get("reason") == reasons.get(s.id)
                assert a.created_at is not None and a.updated_at >= a.created_at
        # the reference and prediction annotations are kept as they were
        assert [a.kind for a in merged.by_id()["t1"].annotations] == ["reference", "human"]
        assert [a.kind for a in merged.by_id()["t3"].annotations] == ["prediction", "human"]
        assert set(got) == set(statuses)


def test_passing_a_task_changes_neither_its_answer_nor_its_timestamps(built, open_page, tmp_path):
    _, _, _, html = built
    w = open_page(html)
    p = w.page
    w.start("bob")
    o = w.order()
    p.click(f"{w.q('best')} button[data-value='{o[0]}']")
    w.press("ArrowRight", "ArrowRight")
    first = {r["task_id"]: r for r in w.export("json", tmp_path / "a.json")["results"]}
    assert set(first) == {"t1"}
    # visit t1 and t2 again, back and forth, without answering
    w.press("ArrowLeft", "ArrowLeft", "ArrowRight", "ArrowLeft")
    assert w.task_id() == "t1"
    w.reload()
    w.press("ArrowRight", "ArrowRight")
    second = {r["task_id"]: r for r in w.export("json", tmp_path / "b.json")["results"]}
    assert set(second) == {"t1"}
    for key in ("values", "created_at", "updated_at", "status", "order"):
        assert second["t1"][key] == first["t1"][key]
    assert second["t1"]["time_spent_s"] >= first["t1"]["time_spent_s"]


def test_annotator_list_and_one_shuffle_for_everyone(tmp_path, open_page, browser):
    ds = labelling_dataset()
    data = tmp_path / "tasks.jsonl"
    write_dataset(ds, data)
    html = tmp_path / "a.html"
    main(["create", str(data), "--template", "rewardbench2", "-o", str(html), "--annotators", "ann1,ann2",
          "--no-show-predictions", "--quiet"])
    ids = [c.id for c in ds.by_id()["t1"].candidates]
    seen = []
    for name in ("ann1", "ann2"):  # two people, two browsers
        ctx = browser.new_context()
        w = open_page(html, ctx=ctx)
        assert w.page.is_hidden("#name-input")
        w.start(name)
        assert w.order() == candidate_order(ds.by_id()["t1"], 0)  # the seeded shuffle the pre-label prompt uses
        seen.append(w.order())
        w.goto_task("t3")
        assert w.page.query_selector("#suggestion") is None  # predictions hidden for blind work
        w.assert_clean()
        ctx.close()
    assert seen[0] == seen[1] and sorted(seen[0]) == ids  # "Answer A" names the same answer for both people


def test_ranking_by_focused_item_keys_and_buttons(tmp_path, open_page):
    ds = labelling_dataset()
    data = tmp_path / "tasks.jsonl"
    write_dataset(ds, data)
    html = tmp_path / "r.html"
    main(["create", str(data), "--template", "ranking", "-o", str(html), "--quiet"])
    w = open_page(html)
    p = w.page
    w.start("gus")
    o = w.order()
    rank = f"{w.q('ranking')} li"
    p.focus(f"{rank}[data-value='{o[2]}']")
    p.keyboard.press("Alt+ArrowUp")  # C above B: the order is now set
    assert p.eval_on_selector_all(rank, "els => els.map(e => e.dataset.value)") == [o[0], o[2], o[1]]
    assert p.evaluate("document.activeElement.dataset.value") == o[2]  # focus follows the item
    p.keyboard.press("Alt+ArrowUp")
    p.click(f"{rank}[data-value='{o[1]}'] button.up")
    assert w.status() == "submitted"
    result = w.export("json", tmp_path / "r.json")["results"][0]
    assert result["values"] == {"ranking": [o[2], o[1], o[0]]} and result["order"] == o
