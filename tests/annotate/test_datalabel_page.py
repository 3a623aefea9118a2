"""DataLabel projects on the offline page: a real headless Chromium, one browser session.

DataLabel's files (https://github.com/liuxiaotong/data-label: ``examples/sample_data/tasks.json``, the
schema of its README, ``annotation_config`` ``text`` with ``placeholder`` / ``max_length`` as its page reads
them) are written here by the test.
"""

from __future__ import annotations

import json
from pathlib import Path

from labelloop.annotate.html import build_annotator
from labelloop.assist.prompt import View, build_user_message
from labelloop.data.positions import candidate_order
from labelloop.formats import load
from labelloop.formats.schemas import load_schema

#: flat tasks, as DataLabel's import-tasks writes them: id, instruction and lettered responses
TASKS = [
    {"id": "TASK_001", "instruction": "Name a prime between 10 and 20.",
     "response_a": "11", "response_b": "15", "response_c": "I cannot say."},
    {"id": "TASK_002", "instruction": "What is 2 + 2?", "response_a": "4", "response_b": "5", "response_c": "22"},
    {"id": "TASK_003", "instruction": "Capital of France?", "response_a": "Lyon", "response_b": "Paris",
     "response_c": "Nice"},
]
#: a ranking of the three responses; the schema's fields name only the instruction
RANKING_SCHEMA = {
    "project_name": "rank",
    "fields": [{"name": "instruction", "display_name": "Instruction", "type": "text"}],
    "annotation_config": {"type": "ranking", "options": [{"value": "a", "label": "结果A"},
                                                         {"value": "b", "label": "结果B"},
                                                         {"value": "c", "label": "结果C"}]},
}
TEXT_SCHEMA = {
    "project_name": "notes",
    "fields": [{"name": "instruction", "type": "text"}, {"name": "response_a", "type": "text"}],
    "annotation_config": {"type": "text", "placeholder": "What is wrong with the answer?", "max_length": 12},
}


def _project(tmp: Path, schema: dict) -> tuple:
    (tmp / "tasks.json").write_text(json.dumps(TASKS, ensure_ascii=False), encoding="utf-8")
    (tmp / "schema.json").write_text(json.dumps(schema, ensure_ascii=False), encoding="utf-8")
    sch = load_schema(tmp / "schema.json")
    ds = load(tmp / "tasks.json")  # recognised as DataLabel tasks without --format
    return ds, sch


def test_datalabel_ranking_names_one_answer_per_letter_for_everyone(tmp_path, open_page, browser):
    ds, sch = _project(tmp_path, RANKING_SCHEMA)
    assert [f.source for f in sch.fields] == ["prompt", "candidates"]  # the answers are shown
    rank = sch.question("ranking")
    assert (rank.options, rank.options_from_candidates) == ([], True)
    html = tmp_path / "rank.html"
    build_annotator(ds, sch, html, seed=0, annotators=["ana", "ben"])
    s = ds.by_id()["TASK_001"]
    shared = candidate_order(s, 0)
    assert shared == ["b", "c", "a"]  # the seeded shuffle moved the answers
    seen = []
    for name in ("ana", "ben"):
        ctx = browser.new_context()
        w = open_page(html, ctx=ctx)
        w.start(name)
        assert w.task_id() == "TASK_001"
        p = w.page
        cards = p.eval_on_selector_all("#task .cand", "els => els.map(e => [e.dataset.cand, "
                                                       "e.querySelector('h3').textContent])")
        items = p.eval_on_selector_all(f"{w.q('ranking')} li", "els => els.map(e => [e.dataset.value, "
                                                                "e.textContent])")
        assert [c for c, _ in cards] == [v for v, _ in items] == shared
        assert [t for _, t in cards] == ["Answer A", "Answer B", "Answer C"]
        assert [text for _, text in items] == ["–Answer A▲▼", "–Answer B▲▼", "–Answer C▲▼"]  # rank, name, moves
        seen.append(cards)
        w.assert_clean()
        ctx.close()
    assert seen[0] == seen[1]
    # the pre-label prompt shows the same answer under the same letter
    prompt = build_user_message(sch, s, View(candidate_order(s, 0)))
    contents = {c.id: c.content for c in s.candidates}
    for lab, cid in zip("ABC", shared):
        assert f'<answer label="{lab}">\n{contents[cid]}\n</answer>' in prompt
    assert '"ranking" (required): Ranking\n  Give a list ordering all of: "A", "B", "C", best first.' in prompt


def test_datalabel_text_question_placeholder_and_max_length(tmp_path, open_page):
    ds, sch = _project(tmp_path, TEXT_SCHEMA)
    q = sch.question("text")
    assert (q.placeholder, q.max_length) == ("What is wrong with the answer?", 12)
    html = tmp_path / "text.html"
    build_annotator(ds, sch, html)
    w = open_page(html)
    w.start("ana")
    box = f"{w.q('text')} textarea"
    p = w.page
    assert p.get_attribute(box, "placeholder") == "What is wrong with the answer?"
    assert p.get_attribute(box, "maxlength") == "12"
    p.click(box)
    p.keyboard.type("far too long for the box")
    assert p.input_value(box) == "far too long"  # the page stops at 12 characters
    w.assert_clean()
    s = ds.samples[0]
    assert sch.validate_values(s, {"text": "far too long"}) == []
    assert sch.validate_values(s, {"text": "far too long!"}) == [
        "sample 'TASK_001', question 'text': text of 13 characters is longer than max_length 12"]
