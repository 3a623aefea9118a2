"""A task file written by labelloop, imported into a real Label Studio, labelled by two people, exported as JSON
and read back from the file with no server: every value, prediction and person comes back."""

from __future__ import annotations

import json

from labelloop.annotate.labelstudio import LabelStudioClient
from labelloop.annotate.labelstudio.session import add_user
from labelloop.data.model import Annotation, Candidate, DataSample, Dataset, Message
from labelloop.data.positions import position_label
from labelloop.formats import save
from labelloop.formats.labelstudio import read_export
from labelloop.templates import TEMPLATES


def dataset() -> Dataset:
    samples = []
    for i in range(3):
        cands = [Candidate(id=f"c{k}", content=f"answer {k} to {i} 🙂", model=f"m{k}") for k in range(2)]
        pred = Annotation(annotator="judge", kind="prediction", model_version="judge-v1", score=0.5 + i / 10,
                          values={"preference": "c1", "rating": {"c0": 2, "c1": 4}})
        samples.append(DataSample(id=f"s{i}", prompt=[Message(role="user", content=f"question {i}?")],
                                  candidates=cands, annotations=[pred], metadata={"row": i}))
    return Dataset(name="files-live", samples=samples, schema=TEMPLATES.get("rewardbench")())


def test_file_import_label_export_read(ls, tmp_path):
    ds = dataset()
    tasks_path = tmp_path / "tasks.json"
    save(ds, tasks_path, "labelstudio")
    config = (tmp_path / "tasks.label_config.xml").read_text(encoding="utf-8")
    with ls.client() as admin:
        pid = int(admin.create_project(title="files live", label_config=config)["id"])
        admin.import_tasks(pid, json.loads(tasks_path.read_text(encoding="utf-8")))
        u1 = add_user(admin, "files-one@example.com", "files-person-pw-1")
        u2 = add_user(admin, "files-two@example.com", "files-person-pw-2")
        tasks = sorted(admin.export(pid), key=lambda t: t["data"]["labelloop_id"])
    want: dict[str, list[dict]] = {}
    with LabelStudioClient(ls.creds.url, u1["token"]) as c1, LabelStudioClient(ls.creds.url, u2["token"]) as c2:
        for t in tasks:
            order = t["data"]["labelloop_order"]
            c1.create_annotation(t["id"], [
                {"from_name": "preference", "to_name": "prompt", "type": "choices", "value": {"choices": ["Answer B"]}},
                {"from_name": "comment", "to_name": "prompt", "type": "textarea", "value": {"text": ["fine"]}}],
                lead_time=5.0)
            c2.create_annotation(t["id"], [
                {"from_name": "preference", "to_name": "prompt", "type": "choices", "value": {"choices": ["Tie"]}},
                {"from_name": f"rating_{position_label(0)}", "to_name": "answer_A", "type": "rating",
                 "value": {"rating": 3}}], lead_time=7.0)
            want[t["data"]["labelloop_id"]] = [{"preference": order[1], "comment": "fine"},
                                               {"preference": "tie", "rating": {order[0]: 3}}]
    with ls.client() as admin:
        users = {u["id"]: u["email"] for u in admin.users()}
        export = admin.export(pid)
    path = tmp_path / "export.json"
    path.write_text(json.dumps(export), encoding="utf-8")
    (tmp_path / "label_config.xml").write_text(config, encoding="utf-8")  # a project config beside the export
    back = read_export(path, users=users)
    assert back.schema == ds.schema
    for s in sorted(back.samples, key=lambda s: s.id):
        orig = ds.by_id()[s.id]
        assert s.model_dump(exclude={"annotations"}) == orig.model_dump(exclude={"annotations"})
        pred, one, two = s.annotations
        assert (pred.kind, pred.annotator, pred.values, pred.score) == (
            "prediction", "judge", orig.annotations[0].values, orig.annotations[0].score)
        assert [(a.kind, a.annotator, a.values, a.lead_time_s) for a in (one, two)] == [
            ("human", "files-one@example.com", want[s.id][0], 5.0),
            ("human", "files-two@example.com", want[s.id][1], 7.0)]
        assert one.metadata["labelstudio"]["project_id"] == pid
