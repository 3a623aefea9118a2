"""DataLabel (knowlyr-datalabel 0.3.1): schema, tasks and results files in the tool's own layouts.

The layouts are those of the 0.3.1 wheel (README schema, ``examples/sample_data``, the page's JSON /
JSONL / CSV exports, and a real ``merge`` output), written by the tests into tmp_path.
"""

from __future__ import annotations

import csv
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from datalabel_data import PREF_SCHEMA
from labelloop.data.model import Annotation, Candidate, DataSample, Dataset, Message
from labelloop.data.schema import Option, RubricLevel
from labelloop.errors import LabelloopError, ParameterError, SchemaError
from labelloop.formats import load, save
from labelloop.formats.datalabel import (
    DataLabelTasksFormat,
    load_results,
    schema_from_datalabel,
    schema_to_datalabel,
    write_tasks,
)
from labelloop.formats.dpo import DPOFormat
from labelloop.formats.reader import SampleReader
from labelloop.formats.schemas import load_schema
from labelloop.templates import TEMPLATES

README_SCHEMA = {
    "project_name": "我的标注项目",
    "fields": [{"name": "instruction", "display_name": "指令", "type": "text"},
               {"name": "response", "display_name": "回复", "type": "text"}],
    "scoring_rubric": [{"score": 1, "label": "优秀", "description": "回答完整准确"},
                       {"score": 0.5, "label": "一般", "description": "回答基本正确"},
                       {"score": 0, "label": "差", "description": "回答错误或离题"}],
}
PREF_TASKS = [
    {"id": "t1", "data": {"prompt": "2+2?", "response_a": "4", "response_b": "5"}, "task_type": "default"},
    {"id": "t2", "data": {"prompt": "Capital of France?", "response_a": "Lyon", "response_b": "Paris"}},
    {"id": "t3", "data": {"prompt": "Hi", "response_a": "Hello!", "response_b": "Go away."}},
]
VOTES = {"ann1": ["a", "b", "a"], "ann2": ["a", "a", "b"], "ann3": ["a", "b", "a"]}


def _write(path: Path, obj: Any) -> Path:
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def _responses(votes: list[str], comment: str = "") -> list[dict[str, Any]]:
    return [{"task_id": t["id"], "data": t["data"], "choice": v, "comment": comment,
             "annotated_at": "2025-01-01T10:00:00.000Z"} for t, v in zip(PREF_TASKS, votes)]


def _export(path: Path, votes: list[str], *, annotator: str | None = None, comment: str = "") -> Path:
    """The page's JSON export: {schema, metadata, responses}."""
    meta: dict[str, Any] = {"exported_at": "2025-01-01T10:05:00.000Z", "total_tasks": 3, "completed_tasks": 3,
                            "annotation_type": "single_choice", "tool": "DataLabel", "version": "0.1.0"}
    if annotator:
        meta["annotator"] = annotator
    return _write(path, {"schema": PREF_SCHEMA, "metadata": meta, "responses": _responses(votes, comment)})


# real output of `knowlyr-datalabel merge ann1.json ann2.json ann3.json -s majority` on the files above
MERGED = {
    "metadata": {"merged_at": "2026-11-23T09:34:16.871799", "strategy": "majority", "annotator_count": 3,
                 "total_tasks": 3, "agreement_rate": 0.3333333333333333, "conflict_count": 2,
                 "source_files": ["ann1.json", "ann2.json", "ann3.json"], "tool": "DataLabel", "version": "0.2.0"},
    "responses": [
        {"comment": "unsure", "merged_at": "2026-11-23T09:34:16.871739", "choice": "a",
         "individual_choices": ["a", "a", "a"], "task_id": "t1", "annotation_count": 3},
        {"comment": "unsure", "merged_at": "2026-11-23T09:34:16.871777", "choice": "b",
         "individual_choices": ["b", "a", "b"], "task_id": "t2", "annotation_count": 3},
        {"comment": "unsure", "merged_at": "2026-11-23T09:34:16.871791", "choice": "a",
         "individual_choices": ["a", "b", "a"], "task_id": "t3", "annotation_count": 3},
    ],
    "conflicts": [{"task_id": "t2", "values": ["b", "a", "b"], "annotators": ["ann1.json", "ann2.json", "ann3.json"]},
                  {"task_id": "t3", "values": ["a", "b", "a"], "annotators": ["ann1.json", "ann2.json", "ann3.json"]}],
}


# ---------------------------------------------------------------- schema
def test_readme_scoring_schema() -> None:
    s = schema_from_datalabel(README_SCHEMA, "schema.json")
    assert s.name == "我的标注项目"
    score, comment = s.questions
    assert (score.name, score.type, score.per_candidate, score.required) == ("score", "rating", False, True)
    assert score.rubric == [RubricLevel(value=1, label="优秀", description="回答完整准确"),
                            RubricLevel(value=0.5, label="一般", description="回答基本正确"),
                            RubricLevel(value=0, label="差", description="回答错误或离题")]
    assert (comment.name, comment.type, comment.required) == ("comment", "text", False)
    assert [(f.name, f.source, f.title) for f in s.fields] == [("instruction", "prompt", "指令"),
                                                              ("candidates", "candidates", "回复")]


def test_choice_ranking_multi_text_and_default_rubric() -> None:
    q = schema_from_datalabel(PREF_SCHEMA).question("choice")
    # "a" and "b" name response_a and response_b: a choice among the candidates, shown under their screen letters
    assert (q.type, q.options, q.options_from_candidates) == ("single_choice", [Option(value="tie", label="Tie")],
                                                              True)
    ranking = {"annotation_config": {"type": "ranking", "options": [{"value": "a", "label": "结果A"},
                                                                     {"value": "b", "label": "结果B"}]}}
    r = schema_from_datalabel(ranking)
    assert [q.name for q in r.questions] == ["ranking", "comment"] and r.name == "datalabel"
    assert (r.question("ranking").options, r.question("ranking").options_from_candidates) == ([], True)
    labels = {"annotation_config": {"type": "single_choice", "options": [{"value": "good"}, {"value": "bad"}]}}
    assert schema_from_datalabel(labels).question("choice").options_from_candidates is False
    multi = schema_from_datalabel({"annotation_config": {"type": "multi_choice",
                                                         "options": [{"label": "x"}, {"value": "y", "label": "Y"}]}})
    assert multi.question("choices").options == [Option(value="x", label="x"), Option(value="y", label="Y")]
    text = schema_from_datalabel({"annotation_config": {"type": "text", "placeholder": "Why?", "max_length": 0}})
    assert (text.question("text").type, text.question("text").placeholder, text.question("text").max_length) == (
        "text", "Why?", None)  # DataLabel's max_length 0 is no limit
    bare = schema_from_datalabel({"project_name": "p", "annotation_config": {"type": "scoring"}})
    assert [lv.value for lv in bare.question("score").rubric] == [1, 0.5, 0]
    both = schema_from_datalabel({**PREF_SCHEMA, "scoring_rubric": README_SCHEMA["scoring_rubric"]})
    assert [(q.name, q.required) for q in both.questions] == [("score", False), ("choice", True), ("comment", False)]


def test_load_schema_reads_datalabel_files(tmp_path: Path) -> None:
    s = load_schema(_write(tmp_path / "schema.json", README_SCHEMA))
    assert s.name == "我的标注项目" and s.question("score").type == "rating"


@pytest.mark.parametrize(("schema", "message"), [
    ({"annotation_config": {"type": "pairwise"}},
     "s.json: annotation_config.type 'pairwise' is not one of scoring, single_choice, multi_choice, text, ranking."),
    ({"annotation_config": {"type": "single_choice"}},
     "s.json: annotation_config.options must be a list of {value, label}."),
    ({"scoring_rubric": [{"label": "good"}]}, "s.json: scoring_rubric[0] has no numeric 'score'."),
    ({"annotation_config": {"type": "ranking", "options": []}},
     "s.json: annotation_config: question 'ranking' is a ranking with nothing to rank."),
])
def test_bad_schemas_give_one_sentence(schema: dict[str, Any], message: str) -> None:
    with pytest.raises(SchemaError) as exc:
        schema_from_datalabel(schema, "s.json")
    assert str(exc.value) == message


def test_schema_to_datalabel() -> None:
    assert schema_to_datalabel(TEMPLATES.get("rewardbench")()) == {
        "project_name": "rewardbench",
        "fields": [{"name": "prompt", "display_name": "Prompt", "type": "text"},
                   {"name": "response_a", "display_name": "Response a", "type": "text"},
                   {"name": "response_b", "display_name": "Response b", "type": "text"}],
        "labelloop_question": "preference",
        "annotation_config": {"type": "single_choice", "options": [
            {"value": "a", "label": "Response A"}, {"value": "b", "label": "Response B"},
            {"value": "tie", "label": "Tie"}, {"value": "both_bad", "label": "Both bad"}]},
    }
    rb2 = schema_to_datalabel(TEMPLATES.get("rewardbench2")(), 3)
    assert rb2["labelloop_question"] == "ranking" and rb2["annotation_config"]["type"] == "ranking"
    assert [o["value"] for o in rb2["annotation_config"]["options"]] == ["a", "b", "c"]
    scored = schema_to_datalabel(schema_from_datalabel(README_SCHEMA), 1)
    assert scored["scoring_rubric"] == [{"score": 1, "label": "优秀", "description": "回答完整准确"},
                                        {"score": 0.5, "label": "一般", "description": "回答基本正确"},
                                        {"score": 0, "label": "差", "description": "回答错误或离题"}]
    assert [f["name"] for f in scored["fields"]] == ["prompt", "response"]
    # it reads back as the same kind of question
    assert schema_from_datalabel(scored).question("score").rubric == schema_from_datalabel(
        README_SCHEMA).question("score").rubric
    with pytest.raises(SchemaError, match="has no question DataLabel can show"):
        schema_to_datalabel(TEMPLATES.get("span")())


# ---------------------------------------------------------------- tasks
def test_reads_repo_example_tasks(tmp_path: Path) -> None:
    tasks = [{"id": "TASK_001", "data": {"instruction": "什么是机器学习？", "response": "机器学习是……"}},
             {"id": "TASK_002", "data": {"instruction": "Translate", "input": "bonjour", "response": "hello",
                                         "domain": "mt"}, "task_type": "translation"}]
    path = _write(tmp_path / "tasks.json", tasks)
    reader = SampleReader(path)
    assert reader.format_name == "datalabel"
    a, b = reader.load().samples
    assert a.id == "TASK_001" and a.prompt == [Message(role="user", content="什么是机器学习？")]
    assert a.candidates == [Candidate(id="0", content="机器学习是……")] and a.annotations == []
    assert b.prompt == [Message(role="user", content="Translate\n\nbonjour")]
    assert b.metadata == {"domain": "mt", "task_type": "translation"}


def test_pairwise_chosen_rejected_and_flat_tasks(tmp_path: Path) -> None:
    ds = load(_write(tmp_path / "pref.json", {"samples": PREF_TASKS}))
    assert [c.model_dump() for c in ds.samples[1].candidates] == [
        {"id": "a", "content": "Lyon", "model": None, "metadata": {}},
        {"id": "b", "content": "Paris", "model": None, "metadata": {}}]
    cr = load(_write(tmp_path / "cr.json", {"tasks": [
        {"id": 7, "data": {"question": "q", "chosen": "good", "rejected": "bad", "chosen_model": "m1"}}]}))
    (s,) = cr.samples
    assert s.id == "7" and [(c.id, c.content, c.model) for c in s.candidates] == [("0", "good", "m1"),
                                                                                  ("1", "bad", None)]
    assert [(x.kind, x.values) for x in s.annotations] == [("reference", {"preference": "0"})]
    # flat tasks (no "data") and missing ids, named as DataLabel's page names them
    flat = load(_write(tmp_path / "flat.json", [{"prompt": "p1", "response": "r1"}, {"prompt": "p2", "response": "r2"}]),
                "datalabel")
    assert [s.id for s in flat.samples] == ["TASK_001", "TASK_002"]
    assert flat.samples[1].candidates[0].content == "r2"


def test_tasks_detection_leaves_other_formats_alone(tmp_path: Path) -> None:
    ls_like = {"id": 1, "data": {"text": "x"}, "annotations": [], "predictions": []}  # a Label Studio task
    assert not DataLabelTasksFormat().detect(set(ls_like), ls_like)
    assert DataLabelTasksFormat().detect({"id", "data"}, {"id": 1, "data": {"text": "x"}})
    assert not DataLabelTasksFormat().detect({"id", "data"}, {"id": 1, "data": "text"})
    pairs = [{"id": 1, "prompt": "p", "chosen": "a", "rejected": "b"}]
    assert SampleReader(_write(tmp_path / "pairs.json", pairs)).format_name == "pairs"


# ---------------------------------------------------------------- results
def test_single_results_file_reads_as_human_annotations(tmp_path: Path) -> None:
    path = _export(tmp_path / "ann1.json", VOTES["ann1"])
    reader = SampleReader(path)
    assert reader.format_name == "datalabel_results"
    ds = reader.load()
    assert ds.name == "pref test" and ds.schema is not None and ds.schema.name == "pref test"
    assert [s.id for s in ds.samples] == ["t1", "t2", "t3"]
    t2 = ds.samples[1]
    assert [c.id for c in t2.candidates] == ["a", "b"] and t2.prompt_text == "Capital of France?"
    (ann,) = t2.annotations
    assert (ann.annotator, ann.kind, ann.values, ann.status) == ("ann1", "human", {"choice": "b"}, "submitted")
    assert ann.created_at == datetime(2025, 1, 1, 10, 0, tzinfo=timezone.utc)
    named = load(_export(tmp_path / "pref_test_results.json", VOTES["ann2"], annotator="alice", comment="unsure"))
    assert [(a.annotator, a.values) for a in named.samples[0].annotations] == [
        ("alice", {"choice": "a", "comment": "unsure"})]


def test_load_results_combines_annotators_and_the_merge(tmp_path: Path) -> None:
    files = [_export(tmp_path / f"{name}.json", votes, comment="unsure" if name == "ann2" else "")
             for name, votes in VOTES.items()]
    files.append(_write(tmp_path / "merged.json", MERGED))
    ds = load_results(files)
    assert [s.id for s in ds.samples] == ["t1", "t2", "t3"]
    t2 = ds.by_id()["t2"]
    assert [c.content for c in t2.candidates] == ["Lyon", "Paris"]
    assert [(a.annotator, a.kind, a.values) for a in t2.annotations] == [
        ("ann1", "human", {"choice": "b"}),
        ("ann2", "human", {"choice": "a", "comment": "unsure"}),
        ("ann3", "human", {"choice": "b"}),
        ("datalabel:majority", "aggregate", {"choice": "b", "comment": "unsure"}),
    ]
    agg = t2.annotations[-1]
    assert agg.metadata["individual_choices"] == ["b", "a", "b"] and agg.metadata["strategy"] == "majority"
    assert agg.created_at == datetime(2026, 11, 23, 9, 34, 16, 871777)
    # DPO pairs: the merged label wins; the letters are candidate ids
    pairs = DPOFormat(question="choice").rows(ds)
    assert [(p["prompt"], p["chosen"], p["rejected"]) for p in pairs] == [
        ("2+2?", "4", "5"), ("Capital of France?", "Paris", "Lyon"), ("Hi", "Hello!", "Go away.")]


def test_strict_merge_null_is_flagged(tmp_path: Path) -> None:
    strict = json.loads(json.dumps(MERGED))
    strict["metadata"]["strategy"] = "strict"
    for r in strict["responses"][1:]:
        r["choice"] = None
    ds = load(_write(tmp_path / "strict.json", strict))
    assert [(a.annotator, a.kind, a.status, a.values) for s in ds.samples for a in s.annotations] == [
        ("datalabel:strict", "aggregate", "submitted", {"choice": "a", "comment": "unsure"}),
        ("datalabel:strict", "aggregate", "flagged", {"comment": "unsure"}),
        ("datalabel:strict", "aggregate", "flagged", {"comment": "unsure"}),
    ]


def test_jsonl_and_csv_exports_read_the_same(tmp_path: Path) -> None:
    rows = [{"task_id": "TASK_001", "data": {"instruction": "Q1", "response": "A1"}, "score": 0.5,
             "comment": "", "annotated_at": "2025-01-01T10:00:00.000Z"},
            {"task_id": "TASK_002", "data": {"instruction": "Q2", "response": "A2"}, "score": 1,
             "comment": "good", "annotated_at": "2025-01-02T10:00:00.000Z"}]
    jl = tmp_path / "bob.jsonl"
    jl.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    cs = tmp_path / "bob.csv"
    with cs.open("w", encoding="utf-8", newline="") as fh:  # the page's CSV: objects JSON-stringified
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        for r in rows:
            w.writerow({k: json.dumps(v, ensure_ascii=False) if isinstance(v, dict) else v for k, v in r.items()})
    schema = schema_from_datalabel(README_SCHEMA)
    for path in (jl, cs):
        assert SampleReader(path).format_name == "datalabel_results"
        ds = load_results([path], schema=schema)
        assert [(s.id, s.prompt_text, s.candidates[0].content) for s in ds.samples] == [
            ("TASK_001", "Q1", "A1"), ("TASK_002", "Q2", "A2")]
        assert [(a.annotator, a.values) for s in ds.samples for a in s.annotations] == [
            ("bob", {"score": 0.5}), ("bob", {"score": 1, "comment": "good"})]
        assert ds.schema == schema


def test_multi_choice_ranking_text_and_llm_prelabels(tmp_path: Path) -> None:
    cfg = {"annotation_config": {"type": "ranking", "options": [{"value": "a"}, {"value": "b"}, {"value": "c"}]}}
    doc = {"schema": cfg, "metadata": {},
           "responses": [{"task_id": "x", "data": {"prompt": "p", "response_a": "A", "response_b": "B",
                                                   "response_c": "C"}, "ranking": ["c", "a", "b"], "comment": ""}]}
    (s,) = load(_write(tmp_path / "rank.json", doc)).samples
    assert s.annotations[0].values == {"ranking": ["c", "a", "b"]}
    pre = {"responses": [{"task_id": "TASK_001", "score": 1, "source": "llm_prelabel"}]}
    (p,) = load(_write(tmp_path / "prelabel.json", pre)).samples
    assert [(a.annotator, a.kind, a.values) for a in p.annotations] == [("prelabel", "prediction", {"score": 1})]


# ---------------------------------------------------------------- bad results
def test_value_outside_the_schema_names_file_task_and_value(tmp_path: Path) -> None:
    path = _export(tmp_path / "ann1.json", ["a", "maybe", "a"])
    with pytest.raises(LabelloopError) as exc:
        load(path)
    msg = str(exc.value)
    assert msg.startswith(f"{path}#2: sample 't2', question 'choice': value 'maybe' is not one of ['a', 'b', 'tie']")


def test_unknown_task_id_is_one_sentence(tmp_path: Path) -> None:
    tasks = _write(tmp_path / "tasks.json", PREF_TASKS)
    doc = {"schema": PREF_SCHEMA, "metadata": {}, "responses": _responses(["a", "b", "a"])}
    doc["responses"][2]["task_id"] = "t9"
    path = _write(tmp_path / "ann.json", doc)
    with pytest.raises(LabelloopError) as exc:
        load_results([path], tasks=tasks)
    assert str(exc.value) == f"{path}: task_id 't9' is not a task in the tasks file."


@pytest.mark.parametrize(("response", "message"), [
    ({"task_id": "t1", "score": "high"}, "score 'high' is not a number"),
    ({"task_id": "t1", "comment": "x", "score": None}, "no answer: none of score, choice, choices, text, ranking is set"),
    ({"task_id": "t1", "score": 1, "annotated_at": "yesterday"}, "annotated_at 'yesterday' is not an ISO 8601 time"),
])
def test_bad_responses(tmp_path: Path, response: dict[str, Any], message: str) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text(json.dumps(response) + "\n", encoding="utf-8")
    with pytest.raises(LabelloopError) as exc:
        load(path, "datalabel_results")
    assert str(exc.value).startswith(f"{path}:1: {message}")


def test_same_annotator_twice_is_refused(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    a = _export(tmp_path / "results.json", VOTES["ann1"])
    b = _export(tmp_path / "x" / "results.json", VOTES["ann2"])
    with pytest.raises(LabelloopError, match=r"both read as annotator 'results'; rename one or set its "
                                             r"metadata\.annotator\.$"):
        load_results([a, b])


# ---------------------------------------------------------------- writing tasks, and the whole loop
def _dataset() -> Dataset:
    samples = [
        DataSample(id="s1", prompt=[Message(role="user", content="2+2?")],
                   candidates=[Candidate(id="0", content="4", model="m-a"), Candidate(id="1", content="5",
                                                                                       model="m-b")],
                   annotations=[Annotation(annotator="rewardbench", kind="reference", values={"preference": "0"})],
                   metadata={"subset": "math"}),
        DataSample(id="s2", prompt=[Message(role="system", content="Be kind."), Message(role="user", content="Hi")],
                   candidates=[Candidate(id="0", content="Hello!", metadata={"messages": [
                       {"role": "assistant", "content": "Hello!"}]}), Candidate(id="1", content="Go away.")]),
    ]
    return Dataset(name="loop", samples=samples, schema=TEMPLATES.get("rewardbench")())


def test_write_tasks_exact(tmp_path: Path) -> None:
    out = tmp_path / "tasks.json"
    assert write_tasks(_dataset(), out, shuffle=False, schema_path=tmp_path / "schema.json") == 2
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["samples"][0] == {
        "id": "s1", "data": {"prompt": "2+2?", "response_a": "4", "response_b": "5"}, "task_type": "default",
        "labelloop": {"candidates": [{"key": "response_a", "id": "0", "model": "m-a"},
                                     {"key": "response_b", "id": "1", "model": "m-b"}],
                      "metadata": {"subset": "math"}}}
    assert doc["samples"][1]["data"]["prompt"] == [{"role": "system", "content": "Be kind."},
                                                   {"role": "user", "content": "Hi"}]
    assert doc["schema"] == json.loads((tmp_path / "schema.json").read_text(encoding="utf-8"))
    assert doc["schema"]["annotation_config"]["type"] == "single_choice"


@pytest.mark.parametrize("shuffle", [False, True])
def test_tasks_round_trip(tmp_path: Path, shuffle: bool) -> None:
    original = _dataset()
    out = tmp_path / "tasks.json"
    save(original, out, "datalabel", shuffle=shuffle)
    back = load(out)
    assert SampleReader(out).format_name == "datalabel"
    for a, b in zip(original.samples, back.samples):
        assert (b.id, b.prompt, b.candidates, b.metadata) == (a.id, a.prompt, a.candidates, a.metadata)
    assert back.schema is not None and back.schema.name == "rewardbench"


def test_seeded_shuffle_is_recorded_and_deterministic(tmp_path: Path) -> None:
    ds = Dataset(samples=[DataSample(id=f"s{i}", prompt=[Message(role="user", content=str(i))],
                                     candidates=[Candidate(id=str(k), content=f"{i}-{k}") for k in range(3)])
                          for i in range(8)])
    write_tasks(ds, tmp_path / "a.json")
    write_tasks(ds, tmp_path / "b.json")
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()
    tasks = json.loads((tmp_path / "a.json").read_text(encoding="utf-8"))["samples"]
    orders = [[t["data"][f"response_{x}"] for x in "abc"] for t in tasks]
    assert any(o != sorted(o) for o in orders)  # some task is shown in another order than the ids
    for t in tasks:
        for e in t["labelloop"]["candidates"]:
            assert t["data"][e["key"]] == f"{t['data']['prompt']}-{e['id']}"


def test_full_loop_maps_letters_back_to_candidate_ids(tmp_path: Path) -> None:
    original = _dataset()
    tasks_path, schema_path = tmp_path / "tasks.json", tmp_path / "schema.json"
    write_tasks(original, tasks_path, schema_path=schema_path)
    dl_schema = json.loads(schema_path.read_text(encoding="utf-8"))
    tasks = json.loads(tasks_path.read_text(encoding="utf-8"))["samples"]

    def letter_of(task: dict[str, Any], content: str) -> str:
        return next(k for k, v in task["data"].items() if v == content).removeprefix("response_")

    # what each person clicked in DataLabel's page (letters in the shuffled order shown)
    picks = {"alice": ["4", "Hello!"], "bob": ["5", "Hello!"]}
    files = []
    for person, contents in picks.items():
        responses = [{"task_id": t["id"], "data": t["data"], "choice": letter_of(t, c), "comment": "",
                      "annotated_at": "2025-03-01T12:00:00.000Z"} for t, c in zip(tasks, contents)]
        files.append(_write(tmp_path / f"{person}.json", {"schema": dl_schema, "metadata": {}, "responses": responses}))
    ds = load_results(files, schema=original.schema, tasks=tasks_path)
    assert [(s.id, [(a.annotator, a.values) for a in s.annotations]) for s in ds.samples] == [
        ("s1", [("alice", {"preference": "0"}), ("bob", {"preference": "1"})]),
        ("s2", [("alice", {"preference": "0"}), ("bob", {"preference": "0"})]),
    ]
    assert [c.model for c in ds.samples[0].candidates] == ["m-a", "m-b"]
    for s in ds.samples:
        assert original.schema.validate_sample(s) == []


def _ragged() -> Dataset:
    return Dataset(name="ragged", schema=TEMPLATES.get("rewardbench2")(), samples=[
        DataSample(id="s1", prompt=[Message(role="user", content="Pick")],
                   candidates=[Candidate(id=f"c{k}", content=f"one-{k}") for k in range(3)]),
        DataSample(id="s2", prompt=[Message(role="user", content="Pick again")],
                   candidates=[Candidate(id="x", content="two-x"), Candidate(id="y", content="two-y")])])


def test_ragged_ranking_cards_and_options_name_the_same_answers(tmp_path: Path) -> None:
    # DataLabel has one schema per project: its ranking options are a, b, c for every task, so the task with
    # two answers shows a card for c too (it used to have none, and its results could not be read)
    tasks_path, schema_path = tmp_path / "tasks.json", tmp_path / "schema.json"
    write_tasks(_ragged(), tasks_path, schema_path=schema_path, shuffle=False)
    dl_schema = json.loads(schema_path.read_text(encoding="utf-8"))
    assert [o["value"] for o in dl_schema["annotation_config"]["options"]] == ["a", "b", "c"]
    tasks = json.loads(tasks_path.read_text(encoding="utf-8"))["samples"]
    assert tasks[1]["data"] == {"prompt": "Pick again", "response_a": "two-x", "response_b": "two-y",
                                "response_c": "(no answer C: this prompt has 2)"}
    assert tasks[1]["labelloop"]["candidates"] == [{"key": "response_a", "id": "x"}, {"key": "response_b", "id": "y"}]
    # DataLabel's ranking orders every option, the empty position too: it is dropped when read
    responses = [{"task_id": "s1", "data": tasks[0]["data"], "ranking": ["b", "c", "a"]},
                 {"task_id": "s2", "data": tasks[1]["data"], "ranking": ["c", "b", "a"]}]
    results = _write(tmp_path / "alice.json", {"schema": dl_schema, "metadata": {"annotator": "alice"},
                                               "responses": responses})
    ds = load_results([results], schema=_ragged().schema, tasks=tasks_path)
    assert [(s.id, [c.id for c in s.candidates], s.annotations[0].values) for s in ds.samples] == [
        ("s1", ["c0", "c1", "c2"], {"ranking": ["c1", "c2", "c0"]}),
        ("s2", ["x", "y"], {"ranking": ["y", "x"]})]
    alone = load_results([results], schema=_ragged().schema)  # without the tasks file: letters as ids
    assert [(s.id, [c.id for c in s.candidates], s.annotations[0].values) for s in alone.samples] == [
        ("s1", ["a", "b", "c"], {"ranking": ["b", "c", "a"]}), ("s2", ["a", "b"], {"ranking": ["b", "a"]})]
    # the tasks file reads back as the dataset it came from, without the empty card
    back = load(tasks_path)
    assert [[(c.id, c.content) for c in s.candidates] for s in back.samples] == [
        [("c0", "one-0"), ("c1", "one-1"), ("c2", "one-2")], [("x", "two-x"), ("y", "two-y")]]
    assert back.samples[1].metadata == {}


def test_picking_an_empty_position_is_refused(tmp_path: Path) -> None:
    tasks_path, schema_path = tmp_path / "tasks.json", tmp_path / "schema.json"
    ds = _ragged()
    ds.schema = TEMPLATES.get("rewardbench")()
    write_tasks(ds, tasks_path, schema_path=schema_path, shuffle=False)
    tasks = json.loads(tasks_path.read_text(encoding="utf-8"))["samples"]
    results = _write(tmp_path / "bob.json", {"schema": json.loads(schema_path.read_text(encoding="utf-8")),
                                             "metadata": {"annotator": "bob"},
                                             "responses": [{"task_id": "s2", "data": tasks[1]["data"], "choice": "c"}]})
    with pytest.raises(LabelloopError) as exc:
        load_results([results], schema=ds.schema, tasks=tasks_path)
    assert str(exc.value).split(";")[0] == (f"{results}#1: sample 's2', question 'preference': value 'c' is not "
                                            "one of ['a', 'b', 'tie', 'both_bad']")


# ---------------------------------------------------------------------- issue 17: DataLabel's own files
#: DataLabel's examples/sample_data/tasks.json layout, flat (as its import-tasks writes JSONL / CSV rows)
FLAT_TASKS = [{"id": "TASK_001", "instruction": "什么是机器学习？", "response": "机器学习是人工智能的一个分支。"},
              {"id": "TASK_002", "instruction": "解释什么是深度学习", "response": "深度学习使用多层神经网络。"}]


def test_flat_tasks_are_recognised_without_format(tmp_path: Path) -> None:
    p = _write(tmp_path / "tasks.json", FLAT_TASKS)
    reader = SampleReader(p)
    assert (reader.format_name, reader.detected) == ("datalabel", True)
    ds = reader.load()
    assert [(s.id, s.prompt_text, [c.content for c in s.candidates]) for s in ds.samples] == [
        ("TASK_001", "什么是机器学习？", ["机器学习是人工智能的一个分支。"]),
        ("TASK_002", "解释什么是深度学习", ["深度学习使用多层神经网络。"])]
    # rows with an id and an instruction but no response are not taken for tasks
    with pytest.raises(ParameterError, match="Cannot recognise the format"):
        SampleReader(_write(tmp_path / "notes.json", [{"id": 1, "instruction": "x"}]))


def test_fields_naming_only_the_prompt_still_show_the_answers() -> None:
    s = schema_from_datalabel({**README_SCHEMA, "fields": [{"name": "instruction", "display_name": "指令"}]})
    assert [(f.name, f.source, f.title) for f in s.fields] == [("instruction", "prompt", "指令"),
                                                              ("candidates", "candidates", None)]


def test_text_max_length_both_ways_and_checked() -> None:
    s = schema_from_datalabel({"annotation_config": {"type": "text", "placeholder": "Why?", "max_length": 5}})
    q = s.question("text")
    assert (q.placeholder, q.max_length) == ("Why?", 5)
    assert schema_to_datalabel(s)["annotation_config"] == {"type": "text", "placeholder": "Why?", "max_length": 5}
    sample = DataSample(id="x", prompt=[Message(role="user", content="p")], candidates=[Candidate(id="0", content="c")])
    assert s.validate_values(sample, {"text": "12345"}) == []
    assert s.validate_values(sample, {"text": "123456"}) == [
        "sample 'x', question 'text': text of 6 characters is longer than max_length 5"]
    with pytest.raises(SchemaError, match=r"max_length must be a whole number of characters \(0: no limit\), "
                                          r"not -1"):
        schema_from_datalabel({"annotation_config": {"type": "text", "max_length": -1}})


def test_pre_json_combines_with_the_tasks_as_pre_labels(tmp_path: Path) -> None:
    from labelloop.quality.inputs import load_inputs

    tasks = _write(tmp_path / "tasks.json", {"samples": PREF_TASKS})
    # what `knowlyr-datalabel prelabel schema.json tasks.json -o pre.json` writes (llm/prelabel.py)
    pre = _write(tmp_path / "pre.json", {"responses": [
        {"task_id": "t1", "choice": "a", "source": "llm_prelabel"},
        {"task_id": "t2", "choice": "b", "source": "llm_prelabel"}]})
    ann1 = _write(tmp_path / "ann1.json", {"schema": PREF_SCHEMA, "metadata": {"annotator": "ann1"},
                                           "responses": [{"task_id": "t1", "choice": "tie"}]})
    ds = load_inputs([tasks, pre, ann1], schema=schema_from_datalabel(PREF_SCHEMA))
    by = ds.by_id()
    assert [c.content for c in by["t1"].candidates] == ["4", "5"]
    assert [(a.annotator, a.kind, a.values) for a in by["t1"].annotations] == [
        ("pre", "prediction", {"choice": "a"}), ("ann1", "human", {"choice": "tie"})]
    assert [(a.annotator, a.kind, a.values) for a in by["t2"].annotations] == [("pre", "prediction", {"choice": "b"})]
    assert by["t3"].annotations == []
