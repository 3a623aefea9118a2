"""Label Studio JSON files without a server: an export with two annotators and predictions reads back exactly,
and task files written for import round-trip."""

from __future__ import annotations

import json

from labelloop.data.model import Annotation, Candidate, DataSample, Dataset, Message, content_id
from labelloop.formats import load, save
from labelloop.formats.labelstudio import read_export
from labelloop.templates import TEMPLATES


def _ann(aid: int, user: int, result: list, task: int, *, lead: float, cancelled: bool = False) -> dict:
    """An annotation as Label Studio 1.23's JSON export writes it."""
    return {"id": aid, "completed_by": user, "result": result, "was_cancelled": cancelled, "ground_truth": False,
            "created_at": f"2025-06-0{aid}T10:00:00.000000Z", "updated_at": f"2025-06-0{aid}T10:05:00.000000Z",
            "draft_created_at": None, "lead_time": lead, "prediction": {}, "result_count": len(result),
            "unique_id": f"uid-{aid}", "import_id": None, "last_action": None, "bulk_created": False, "task": task,
            "project": 7, "updated_by": user, "parent_prediction": None, "parent_annotation": None,
            "last_created_by": None}


def export_tasks(full_predictions: bool = False) -> list[dict]:
    """Label Studio 1.23's JSON export lists predictions by id; its tasks API (and import files) give them whole."""
    text = "Paris is the capital of Germany 🇩🇪."
    data = {"prompt": "Name the capital of France.", "answer1": text, "answer2": "Paris.", "source": "quiz"}
    r1 = [
        {"id": "a1", "from_name": "comparison", "to_name": "comparison", "type": "pairwise",
         "value": {"selected": "right"}, "origin": "manual"},
        {"id": "a2", "from_name": "issues", "to_name": "prompt", "type": "choices",
         "value": {"choices": ["wrong", "unsafe"]}, "origin": "manual"},
        {"id": "a3", "from_name": "stars", "to_name": "prompt", "type": "rating", "value": {"rating": 4}},
        {"id": "a4", "from_name": "why", "to_name": "prompt", "type": "textarea", "value": {"text": ["B is right"]}},
        {"id": "a5", "from_name": "rank", "to_name": "items", "type": "ranker",
         "value": {"ranker": {"rank": ["answer2", "answer1"]}}},
        # offsets are JavaScript's (UTF-16): the flag emoji counts 4 there, 2 in Python
        {"id": "a6", "from_name": "ner", "to_name": "answer1", "type": "labels",
         "value": {"start": 24, "end": 31, "text": "Germany", "labels": ["error"]}},
        {"id": "a7", "from_name": "ner", "to_name": "answer1", "type": "labels",
         "value": {"start": 32, "end": 36, "text": "🇩🇪", "labels": ["emoji"]}},
    ]
    r2 = [
        {"id": "b1", "from_name": "comparison", "to_name": "comparison", "type": "pairwise",
         "value": {"selected": "left"}},
        {"id": "b2", "from_name": "issues", "to_name": "prompt", "type": "choices", "value": {"choices": ["wrong"]}},
        {"id": "b3", "from_name": "stars", "to_name": "prompt", "type": "rating", "value": {"rating": 2}},
    ]
    pred = [{"from_name": "comparison", "to_name": "comparison", "type": "pairwise", "value": {"selected": "right"}},
            {"from_name": "stars", "to_name": "prompt", "type": "rating", "value": {"rating": 5}}]
    task = {"id": 41, "annotations": [_ann(2, 12, r2, 41, lead=8.0), _ann(1, 11, r1, 41, lead=30.5)],
            "file_upload": "tasks.json", "drafts": [],
            "predictions": [{"id": 5, "result": pred, "model_version": "judge-v2", "score": 0.75, "cluster": None,
                             "neighbors": None, "mislabeling": 0.0, "created_at": "2025-06-01T09:00:00.000000Z",
                             "updated_at": "2025-06-01T09:00:00.000000Z", "model": None, "model_run": None,
                             "task": 41, "project": 7}] if full_predictions else [5],
            "data": data, "meta": {}, "created_at": "2025-06-01T08:00:00.000000Z",
            "updated_at": "2025-06-02T10:05:00.000000Z", "inner_id": 1, "total_annotations": 2,
            "cancelled_annotations": 0, "total_predictions": 1, "comment_count": 0, "unresolved_comment_count": 0,
            "last_comment_updated_at": None, "project": 7, "updated_by": 11, "comment_authors": []}
    skipped = {**task, "id": 42, "data": {**data, "prompt": "Another?"}, "predictions": [],
               "annotations": [_ann(3, 12, [], 42, lead=1.0, cancelled=True)]}
    return [task, skipped]


def test_export_with_two_annotators_and_predictions_reads_back_exactly(tmp_path):
    """Tasks with whole predictions (the tasks API's shape); the export's prediction ids are the next test."""
    path = tmp_path / "project-7-at-2025-06-02.json"
    path.write_text(json.dumps(export_tasks(full_predictions=True)), encoding="utf-8")
    ds = read_export(path, users={11: "one@example.com", 12: "two@example.com"})
    assert ds.name == "project-7-at-2025-06-02"
    s = ds.samples[0]
    assert s.id == "labelstudio-task-41"
    assert s.prompt == [Message(role="user", content="Name the capital of France.")]
    assert [(c.id, c.content) for c in s.candidates] == [("answer1", "Paris is the capital of Germany 🇩🇪."),
                                                        ("answer2", "Paris.")]
    assert s.metadata == {"source": "quiz"}
    assert [(a.kind, a.annotator) for a in s.annotations] == [
        ("prediction", "judge-v2"), ("human", "one@example.com"), ("human", "two@example.com")]
    pred, one, two = s.annotations
    assert (pred.values, pred.score, pred.model_version) == ({"comparison": "answer2", "stars": 5}, 0.75, "judge-v2")
    assert one.values == {
        "comparison": "answer2", "issues": ["wrong", "unsafe"], "stars": 4, "why": "B is right",
        "rank": ["answer2", "answer1"],
        "ner": [{"field": "candidates.answer1", "start": 24, "end": 31, "label": "error"},
                {"field": "candidates.answer1", "start": 32, "end": 34, "label": "emoji"}]}
    assert s.candidates[0].content[24:31] == "Germany" and s.candidates[0].content[32:34] == "🇩🇪"
    assert two.values == {"comparison": "answer1", "issues": ["wrong"], "stars": 2}
    assert (one.lead_time_s, two.lead_time_s, one.status) == (30.5, 8.0, "submitted")
    assert one.metadata["labelstudio"] == {"url": "", "project_id": 7, "task_id": 41, "annotation_id": 1,
                                           "updated_at": "2025-06-01T10:05:00.000000Z"}
    assert str(one.created_at) == "2025-06-01 10:00:00+00:00"
    skipped = ds.samples[1].annotations
    assert [(a.annotator, a.status, a.values) for a in skipped] == [("two@example.com", "skipped", {})]
    # the questions were read off the results
    assert [(q.name, q.type, q.per_candidate) for q in ds.schema.questions] == [
        ("comparison", "single_choice", False), ("issues", "multi_choice", False), ("stars", "rating", False),
        ("why", "text", False), ("rank", "ranking", False), ("ner", "span", False)]
    assert [o.value for o in ds.schema.question("ner").options] == ["error", "emoji"]
    for a in s.annotations:
        assert ds.schema.validate_values(s, a.values, partial=True) == []


def sample_dataset() -> Dataset:
    s = DataSample(
        id="s1", prompt=[Message(role="system", content="be nice"), Message(role="user", content="hi 😀 there")],
        candidates=[Candidate(id="a", content="hello 😀 x", model="m1"), Candidate(id="b", content="yo")],
        metadata={"subset": "chat"},
        annotations=[
            Annotation(annotator="judge", kind="prediction", values={"preference": "b", "rating": {"a": 2, "b": 4}},
                       score=0.7, model_version="j1"),
            Annotation(annotator="ann@x", kind="human", values={"preference": "a", "comment": "ok"}, lead_time_s=3.0),
            Annotation(annotator="rb", kind="reference", values={"preference": "a"})])
    return Dataset(name="t", samples=[s], schema=TEMPLATES.get("rewardbench")())


def test_task_file_with_predictions_round_trips(tmp_path):
    ds = sample_dataset()
    assert save(ds, tmp_path / "tasks.json", "labelstudio", annotations=True) == 1
    tasks = json.loads((tmp_path / "tasks.json").read_text())
    assert (tmp_path / "tasks.label_config.xml").read_text().startswith("<View>")
    task = tasks[0]
    order = task["data"]["labelloop_order"]
    assert sorted(order) == ["a", "b"]
    pos_b = "AB"[order.index("b")]
    assert task["predictions"][0]["model_version"] == "j1" and task["predictions"][0]["score"] == 0.7
    assert {"from_name": "preference", "to_name": "prompt", "type": "choices",
            "value": {"choices": [f"Answer {pos_b}"]}} in task["predictions"][0]["result"]
    assert [a["ground_truth"] for a in task["annotations"]] == [False, True]
    back = load(tmp_path / "tasks.json")  # recognised; the label config beside it names the template
    assert back.samples[0] == ds.samples[0]
    assert back.schema == ds.schema


def test_predictions_only_by_default_and_the_rest_hidden_in_meta(tmp_path):
    """A task file shows annotators what a pushed task shows: its data has no model, no reference or human label
    and no pre-label's author; its meta (stored by Label Studio, shown nowhere) has them, and reading the file
    back gives the same dataset."""
    ds = sample_dataset()
    save(ds, tmp_path / "tasks.json", "labelstudio")
    task = json.loads((tmp_path / "tasks.json").read_text())[0]
    assert "annotations" not in task and len(task["predictions"]) == 1
    shown = json.dumps(task["data"])
    assert [w in shown for w in ("m1", "judge", "j1", "ann@x", "rb", "reference")] == [False] * 6
    assert task["data"]["labelloop_sample"] == {
        "id": "s1", "prompt": [{"role": "system", "content": "be nice"}, {"role": "user", "content": "hi 😀 there"}],
        "candidates": [{"id": "a", "content": "hello 😀 x"}, {"id": "b", "content": "yo"}],
        "metadata": {"subset": "chat"}}
    [pred, human, ref] = ds.samples[0].annotations
    hidden = task["meta"]["labelloop_sample"]
    assert hidden == {"candidates": [{"id": "a", "model": "m1", "metadata": {}}, {"id": "b", "model": None,
                                                                               "metadata": {}}],
                      "annotations": [human.model_dump(mode="json"), ref.model_dump(mode="json")],
                      "dataset": {"name": "t", "metadata": {}}}
    assert task["meta"]["labelloop_annotations"] == {"predictions": [pred.model_dump(mode="json")], "annotations": []}
    back = load(tmp_path / "tasks.json", format="labelstudio")
    assert back.samples[0] == ds.samples[0].model_copy(update={"annotations": [human, ref, pred]})
    # the same file after Label Studio imported and exported it: predictions by id, the meta as it was
    exported = [{**task, "id": 3, "predictions": [17], "annotations": []}]
    (tmp_path / "export.json").write_text(json.dumps(exported), encoding="utf-8")
    again = load(tmp_path / "export.json", format="labelstudio")
    assert again.samples[0] == back.samples[0]


def test_task_files_written_before_keep_reading(tmp_path):
    """A file from before the meta split (everything in data) reads as it did."""
    ds = sample_dataset()
    save(ds, tmp_path / "tasks.json", "labelstudio")
    [task] = json.loads((tmp_path / "tasks.json").read_text())
    old = {"data": {**task["data"], "labelloop_annotations": task["meta"]["labelloop_annotations"]},
           "predictions": task["predictions"]}
    hidden = task["meta"]["labelloop_sample"]
    old["data"]["labelloop_sample"]["candidates"] = [
        {**c, "model": m["model"], "metadata": {}} for c, m in zip(old["data"]["labelloop_sample"]["candidates"],
                                                                    hidden["candidates"])]
    (tmp_path / "old.json").write_text(json.dumps([old]), encoding="utf-8")
    back = load(tmp_path / "old.json", format="labelstudio").samples[0]
    assert back == ds.samples[0].model_copy(update={"annotations": ds.samples[0].annotations[:1]})


def test_pre_annotations_from_label_studio_s_ml_tutorial(tmp_path):
    """The file Label Studio's ML tutorial writes to import pre-annotations: a list of tasks with only
    ``data: {"review": ...}`` and ``predictions``; no ids. Each task is one sample with its text as the prompt and
    a stable id of its own (from its text; a repeated text gets -2, -3)."""
    def task(review: str, label: str, score: float) -> dict:
        return {"data": {"review": review}, "predictions": [{
            "model_version": "distilbert-sst2", "score": score,
            "result": [{"from_name": "sentiment", "to_name": "text", "type": "choices",
                        "value": {"choices": [label]}}]}]}

    rows = [task("A wonderful little production.", "Positive", 0.98),
            task("This movie was a waste of time.", "Negative", 0.91),
            task("A wonderful little production.", "Positive", 0.97)]
    path = tmp_path / "preannotated.json"
    path.write_text(json.dumps(rows), encoding="utf-8")
    ds = load(path, format="labelstudio")
    first = content_id([Message(role="user", content="A wonderful little production.")], [])
    second = content_id([Message(role="user", content="This movie was a waste of time.")], [])
    assert [s.id for s in ds.samples] == [first, second, f"{first}-2"]
    assert [s.prompt_text for s in ds.samples] == ["A wonderful little production.",
                                                   "This movie was a waste of time.", "A wonderful little production."]
    assert [(s.metadata, s.candidates) for s in ds.samples] == [({}, [])] * 3
    assert [[(a.kind, a.model_version, a.values, a.score) for a in s.annotations] for s in ds.samples] == [
        [("prediction", "distilbert-sst2", {"sentiment": "Positive"}, 0.98)],
        [("prediction", "distilbert-sst2", {"sentiment": "Negative"}, 0.91)],
        [("prediction", "distilbert-sst2", {"sentiment": "Positive"}, 0.97)]]
    assert [ds.samples[i].id for i in range(3)] == [s.id for s in load(path, format="labelstudio").samples]


def test_html_renderings_never_reach_a_rebuilt_sample(tmp_path):
    """A task labelloop made keeps its text's HTML (``html_prompt``, ``html_answer_A``, ``html_context``) and the
    context's title only for the screen: a task without its payload rebuilds the sample without them."""
    ds = sample_dataset()
    save(ds, tmp_path / "tasks.json", "labelstudio")
    [task] = json.loads((tmp_path / "tasks.json").read_text())
    data = task["data"]
    assert sorted(k for k in data if k.startswith(("html_", "context"))) == [
        "context", "context_title", "html_answer_A", "html_answer_B", "html_context", "html_prompt"]
    del data["labelloop_sample"]
    (tmp_path / "bare.json").write_text(json.dumps([{"data": data}]), encoding="utf-8")
    [s] = load(tmp_path / "bare.json", format="labelstudio").samples
    assert (s.id, s.prompt_text, sorted(c.id for c in s.candidates), s.metadata) == ("s1", "hi 😀 there", ["a", "b"],
                                                                                   {})


def test_prediction_ids_of_an_export_are_kept(tmp_path):
    path = tmp_path / "export.json"
    path.write_text(json.dumps(export_tasks()), encoding="utf-8")
    s = read_export(path).samples[0]
    assert [(a.kind, a.annotator) for a in s.annotations] == [("human", "user:11"), ("human", "user:12")]
    assert s.metadata == {"source": "quiz", "labelstudio": {"prediction_ids": [5]}}


def test_results_that_fit_no_control_go_to_the_annotation_s_metadata_not_its_values():
    from labelloop.formats.labelstudio.config import get_template
    from labelloop.formats.labelstudio.tasks import prediction_to_annotation, to_annotation

    tpl = get_template("rewardbench")
    data = {"labelloop_order": ["1", "0"], "answer_A": "b", "answer_B": "a"}
    odd = [{"from_name": "mystery", "type": "choices", "value": {"choices": ["x"]}}]
    picked = [{"from_name": "preference", "to_name": "prompt", "type": "choices", "value": {"choices": ["Answer A"]}}]
    raw = {"id": 5, "result": picked + odd, "completed_by": 3}
    ann = to_annotation(raw, {"id": 9, "data": data}, tpl, "http://ls", 2, {3: "a@x"})
    assert ann.values == {"preference": "1"}
    assert ann.metadata["labelstudio"]["unmapped_results"] == odd
    pred = prediction_to_annotation({"model_version": "m"}, tpl.process_annotations(picked + odd, data))
    assert (pred.values, pred.metadata["labelstudio"]["unmapped_results"]) == ({"preference": "1"}, odd)


def test_a_pushed_task_hides_reference_labels_and_models_in_meta_and_reads_back(tmp_path):
    """A task for a server: its data (what annotators see) has no annotation and no model; its meta has them; an
    export of such tasks reads back with the models, and an older task (all in its data) too."""
    from labelloop.formats.labelstudio import get_template, sample_task
    from labelloop.formats.labelstudio.tasks import task_payload

    ds = sample_dataset()
    s = ds.samples[0]
    tpl = get_template("rewardbench")
    task, n_pred = sample_task(tpl, s, ["b", "a"], 2, True, dataset=ds, meta=True)
    assert n_pred == 1
    assert task["data"]["labelloop_sample"] == {
        "id": "s1", "prompt": [{"role": "system", "content": "be nice"}, {"role": "user", "content": "hi 😀 there"}],
        "candidates": [{"id": "a", "content": "hello 😀 x"}, {"id": "b", "content": "yo"}],
        "metadata": {"subset": "chat"}}
    assert "rb" not in json.dumps(task["data"]) and "m1" not in json.dumps(task["data"])
    hidden = task["meta"]["labelloop_sample"]
    assert hidden["candidates"] == [{"id": "a", "model": "m1", "metadata": {}}, {"id": "b", "model": None,
                                                                                 "metadata": {}}]
    assert hidden["annotations"] == [a.model_dump(mode="json") for a in s.annotations]
    assert hidden["dataset"] == {"name": "t", "metadata": {}}
    whole, _ = sample_task(tpl, s, ["b", "a"], 2, True, dataset=ds)
    assert task_payload(task) == whole["data"]["labelloop_sample"]  # the two halves are the whole sample
    assert task_payload(whole) == whole["data"]["labelloop_sample"]  # an older task: all in its data
    (tmp_path / "label_config.xml").write_text(tpl.label_config(2, context=True), encoding="utf-8")
    for t in (task, whole):
        path = tmp_path / "export.json"
        path.write_text(json.dumps([{**t, "id": 9, "annotations": [], "predictions": []}]), encoding="utf-8")
        [back] = load(path, format="labelstudio").samples
        assert (back.id, back.prompt, back.candidates, back.metadata) == (s.id, s.prompt, s.candidates, s.metadata)
