"""Pulls against a real Label Studio (each installed version): nothing dropped without a word, accepted model
predictions marked, the same dataset from any data dir, projects labelloop did not make pulled with their text.

Annotations are made through the API; values are checked exactly.
"""

from __future__ import annotations

import json

import pytest

from labelloop.annotate.labelstudio import pull_project
from labelloop.api import create_annotator
from labelloop.cli import main
from labelloop.data.model import Annotation, Candidate, DataSample, Dataset, Message
from labelloop.errors import ParameterError

STATE: dict = {}


def make_dataset() -> Dataset:
    """3 samples of 3 answers: a subset in metadata, model names, a reference and a prediction each."""
    samples = []
    for i in range(3):
        cands = [Candidate(id=f"c{k}", content=f"answer {k} to {i}", model=f"model-{k}") for k in range(3)]
        prompt = [Message(role="system", content="Be brief."), Message(role="user", content=f"What is {i}?")]
        ref = Annotation(annotator="rewardbench2", kind="reference", values={"best": "c0"}, origin="rewardbench2")
        pred = Annotation(annotator="judge", kind="prediction", model_version="judge-v1",
                          values={"best": "c1", "ranking": ["c1", "c0", "c2"]})
        samples.append(DataSample(id=f"p{i}", prompt=prompt, candidates=cands, annotations=[ref, pred],
                                  metadata={"subset": "math" if i else "focus"}))
    return Dataset(name="pull test", samples=samples, metadata={"source": "unit"})


def test_push_then_annotate_through_the_api(ls):
    res = create_annotator(server_url=ls.creds.url, api_token=ls.creds.token, template_name="rewardbench2",
                           data_dir=ls.data_dir).run(make_dataset())
    pid = res.project_id
    with ls.client() as c:
        tasks = {t["data"]["labelloop_id"]: t for t in c.iter_tasks(pid)}
        assert sorted(tasks) == ["p0", "p1", "p2"]
        t0, t1, t2 = tasks["p0"], tasks["p1"], tasks["p2"]
        # p0: a valid ranking, an impossible best answer (F: the task has 3) and a rating for answer E
        bad = c.create_annotation(t0["id"], [
            {"from_name": "best", "to_name": "prompt", "type": "choices", "value": {"choices": ["Answer F"]}},
            {"from_name": "ranking", "to_name": "ranking_items", "type": "ranker",
             "value": {"ranker": {"ranking": ["C", "B", "A"]}}},
            {"from_name": "rating_E", "to_name": "answer_E", "type": "rating", "value": {"rating": 4}}])
        # p1: only a comment (best and ranking are required)
        thin = c.create_annotation(t1["id"], [
            {"from_name": "comment", "to_name": "prompt", "type": "textarea", "value": {"text": ["unsure"]}}])
        # p2: the prediction accepted as it is, and the prediction changed by someone
        [pred] = t2["predictions"]
        taken = c.post(f"/api/tasks/{t2['id']}/annotations/",
                       json={"result": pred["result"], "parent_prediction": pred["id"]})
        other = "Answer " + "ABC"[t2["data"]["labelloop_order"].index("c2")]
        changed_result = [r if r["from_name"] != "best" else {**r, "value": {"choices": [other]}}
                          for r in pred["result"]]
        changed = c.post(f"/api/tasks/{t2['id']}/annotations/",
                         json={"result": changed_result, "parent_prediction": pred["id"]})
    assert taken["parent_prediction"] == pred["id"]
    STATE.update(project=pid, tasks=tasks, bad=bad["id"], thin=thin["id"], taken=taken["id"], changed=changed["id"],
                 pred=pred["id"])


def test_task_data_shows_no_reference_labels_and_meta_keeps_them(ls):
    """What annotators can see (task data: Data Manager columns) holds no reference label, prediction or model;
    the task's meta keeps them, in the tasks API and in the export alike."""
    pid = STATE["project"]
    with ls.client() as c:
        paged = {t["data"]["labelloop_id"]: t for t in c.iter_tasks(pid)}
        exported = {t["data"]["labelloop_id"]: t for t in c.export(pid)}
    ref = {"annotator": "rewardbench2", "kind": "reference", "values": {"best": "c0"}, "origin": "rewardbench2"}
    pred = {"annotator": "judge", "kind": "prediction", "model_version": "judge-v1",
            "values": {"best": "c1", "ranking": ["c1", "c0", "c2"]}}
    for tasks in (paged, exported):
        t0 = tasks["p0"]
        assert t0["data"]["labelloop_sample"] == {
            "id": "p0", "prompt": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "What is 0?"}],
            "candidates": [{"id": f"c{k}", "content": f"answer {k} to 0"} for k in range(3)],
            "metadata": {"subset": "focus"}}
        shown = json.dumps(t0["data"])
        assert ("rewardbench2" in shown, "judge" in shown, "model-0" in shown) == (False, False, False)
        hidden = t0["meta"]["labelloop_sample"]
        assert hidden["candidates"] == [{"id": f"c{k}", "model": f"model-{k}", "metadata": {}} for k in range(3)]
        assert hidden["dataset"] == {"name": "pull test", "metadata": {"source": "unit"}}
        assert [{k: a[k] for k in ref} for a in hidden["annotations"][:1]] == [ref]
        assert [{k: a[k] for k in pred} for a in hidden["annotations"][1:]] == [pred]


def test_pull_reports_what_fits_nothing_and_marks_accepted_predictions(ls):
    pid, tasks = STATE["project"], STATE["tasks"]
    ds, stats = pull_project(pid, ls.creds.url, ls.creds.token, data_dir=ls.data_dir)
    assert (stats.tasks, stats.annotations, stats.new, stats.rebuilt_samples) == (3, 4, 4, 0)
    assert stats.unmapped == {"best": 1, "rating": 1}
    assert stats.unmapped_tasks == [{"task_id": tasks["p0"]["id"], "sample_id": "p0", "annotation_id": STATE["bad"],
                                     "annotator": "admin@example.com", "questions": ["best", "rating"],
                                     "values": ['best = "Answer F"', "rating_E = 4"]}]
    assert stats.missing_required == {"best": 2, "ranking": 1}
    assert stats.missing_tasks == [
        {"task_id": tasks["p0"]["id"], "sample_id": "p0", "annotation_id": STATE["bad"],
         "annotator": "admin@example.com", "questions": ["best"]},
        {"task_id": tasks["p1"]["id"], "sample_id": "p1", "annotation_id": STATE["thin"],
         "annotator": "admin@example.com", "questions": ["best", "ranking"]}]
    assert stats.accepted_predictions == 1
    assert stats.notes == []
    by_id = ds.by_id()
    order0 = tasks["p0"]["data"]["labelloop_order"]
    [bad] = [a for a in by_id["p0"].annotations if a.kind == "human"]
    assert bad.values == {"ranking": order0[::-1]}
    assert [r["value"] for r in bad.metadata["labelstudio"]["unmapped_results"]] == [
        {"choices": ["Answer F"]}, {"rating": 4}]
    [thin] = [a for a in by_id["p1"].annotations if a.kind == "human"]
    assert thin.values == {"comment": "unsure"}
    taken, changed = [a for a in by_id["p2"].annotations if a.kind == "human"]
    assert taken.values == {"best": "c1", "ranking": ["c1", "c0", "c2"]}
    assert taken.metadata["accepted_prediction"] == {"prediction_id": STATE["pred"], "model_version": "judge-v1"}
    assert changed.values == {"best": "c2", "ranking": ["c1", "c0", "c2"]}
    assert "accepted_prediction" not in changed.metadata
    STATE["pulled"] = ds

    # page by page: the same
    paged, pstats = pull_project(pid, ls.creds.url, ls.creds.token, data_dir=ls.data_dir, method="pages")
    assert paged.model_dump(mode="json") == ds.model_dump(mode="json")
    assert pstats.as_dict() == stats.as_dict()


def test_pull_from_an_empty_data_dir_gives_the_same_dataset(ls, tmp_path):
    pid = STATE["project"]
    again, stats = pull_project(pid, ls.creds.url, ls.creds.token, data_dir=tmp_path / "elsewhere")
    assert (stats.rebuilt_samples, stats.new, stats.notes) == (3, 4, [])
    assert again.model_dump(mode="json") == STATE["pulled"].model_dump(mode="json")
    p0 = again.by_id()["p0"]
    assert (again.name, again.metadata, p0.metadata) == ("pull test", {"source": "unit"}, {"subset": "focus"})
    assert [m.role for m in p0.prompt] == ["system", "user"]
    assert [c.model for c in p0.candidates] == ["model-0", "model-1", "model-2"]
    assert [(a.kind, a.annotator) for a in p0.annotations] == [
        ("reference", "rewardbench2"), ("prediction", "judge"), ("human", "admin@example.com")]


def test_cli_pull_lists_problems_and_strict_writes_nothing(ls, tmp_path, capsys):
    pid, tasks = STATE["project"], STATE["tasks"]
    out = tmp_path / "pulled.jsonl"
    main(["labelstudio", "pull", "--project", str(pid), "-o", str(out), "--data-dir", str(ls.data_dir), "-q"])
    lines = capsys.readouterr().out.splitlines()
    t0, t1 = tasks["p0"]["id"], tasks["p1"]["id"]
    assert lines == [
        f"Pulled 4 annotation(s) from 3 task(s) of project {pid}: 4 new, 0 changed, 0 already here, 0 skipped by "
        f"the annotator; annotators: admin@example.com. Wrote {out}.",
        "1 annotation(s) are a model's prediction accepted unchanged (marked accepted_prediction).",
        "2 answer(s) fit no question or option, kept in metadata.labelstudio.unmapped_results (best 1, rating 1):",
        f'  task {t0} (sample p0, admin@example.com): best = "Answer F"; rating_E = 4',
        "3 required answer(s) missing (best 2, ranking 1):",
        f"  task {t0} (sample p0, admin@example.com): best",
        f"  task {t1} (sample p1, admin@example.com): best, ranking",
    ]
    main(["labelstudio", "pull", "--project", str(pid), "-o", str(out), "--data-dir", str(ls.data_dir), "--json"])
    got = json.loads(capsys.readouterr().out)
    assert (got["unmapped"], got["accepted_predictions"], got["missing_required"]) == (
        {"best": 1, "rating": 1}, 1, {"best": 2, "ranking": 1})

    strict_out = tmp_path / "strict.jsonl"
    with pytest.raises(SystemExit) as exc:
        main(["labelstudio", "pull", "--project", str(pid), "-o", str(strict_out), "--data-dir", str(ls.data_dir),
              "--strict", "-q"])
    assert exc.value.code == 1
    err = " ".join(capsys.readouterr().err.split())
    assert (f'Project {pid} has 2 answers that fit no question or option (best: 1, rating: 1; the first in task '
            f'{t0}, best = "Answer F"), so nothing was written: fix them in Label Studio, or pull without --strict '
            "to keep them in metadata.labelstudio.unmapped_results.") in err
    assert not strict_out.exists()
    with pytest.raises(ParameterError, match="pull without strict to keep"):
        pull_project(pid, ls.creds.url, ls.creds.token, data_dir=ls.data_dir, strict=True)


SENTIMENT = """<View>
  <Text name="text" value="$text"/>
  <Choices name="sentiment" toName="text" choice="single" showInLine="true">
    <Choice value="Positive"/>
    <Choice value="Negative"/>
    <Choice value="Neutral"/>
  </Choices>
</View>"""


@pytest.mark.parametrize("key", ["text", "review"])
def test_project_labelloop_did_not_make_pulls_with_its_text(ls, tmp_path, key):
    config = SENTIMENT.replace("$text", f"${key}")
    with ls.client() as c:
        project = c.create_project(title=f"classic sentiment {key}", label_config=config)
        pid = int(project["id"])
        c.import_tasks(pid, [{key: "I love this phone.", "stars": 5}, {key: "It broke in a day.", "stars": 1}])
        tasks = list(c.iter_tasks(pid))
        for t, choice in zip(tasks, ["Positive", "Angry"]):
            c.create_annotation(t["id"], [{"from_name": "sentiment", "to_name": "text", "type": "choices",
                                           "value": {"choices": [choice]}}])
    ds, stats = pull_project(pid, ls.creds.url, ls.creds.token, data_dir=tmp_path / "none")
    assert ds.schema is not None and [(q.name, [o.value for o in q.options]) for q in ds.schema.questions] == [
        ("sentiment", ["Positive", "Negative", "Neutral"])]
    assert [(s.id, [(m.role, m.content) for m in s.prompt], s.candidates, s.metadata) for s in ds.samples] == [
        (f"labelstudio-task-{tasks[0]['id']}", [("user", "I love this phone.")], [], {"stars": 5}),
        (f"labelstudio-task-{tasks[1]['id']}", [("user", "It broke in a day.")], [], {"stars": 1})]
    assert [[a.values for a in s.annotations] for s in ds.samples] == [[{"sentiment": "Positive"}], [{}]]
    assert stats.notes == [f"Project {pid} was not made by labelloop: samples read through its label config "
                           f"(text from ${key})."]
    assert (stats.new, stats.unmapped, stats.missing_required) == (2, {"sentiment": 1}, {"sentiment": 1})
    assert stats.unmapped_tasks[0]["values"] == ['sentiment = "Angry"']

