"""labelloop's ML backend connected to a real Label Studio (each installed version).

Label Studio calls /health and /setup when the backend is added, /predict when predictions are
retrieved, and sends annotations to /webhook (the webhook it creates itself); past the threshold
the backend retrains in the background and the next predictions carry the new model version.
"""

from __future__ import annotations

import json
import time

from typer.testing import CliRunner

from labelloop.annotate.labelstudio import create_annotator
from labelloop.assist.mlbackend import BackgroundServer, MLBackend
from labelloop.assist.simulate import synthetic_preferences
from labelloop.cli import app
from labelloop.formats.labelstudio.config import get_template


def _predictions(client, project_id):
    return {t["data"]["labelloop_id"]: client.get("/api/predictions", params={"task": t["id"]})
            for t in client.export(project_id)}


def _retrieve(client, project_id):
    client.post("/api/dm/actions", params={"id": "retrieve_tasks_predictions", "project": project_id},
                json={"project": project_id, "selectedItems": {"all": True, "excluded": []}})


def test_label_studio_gets_predictions_and_the_backend_learns(ls, tmp_path):
    base = synthetic_preferences(60, seed=3)  # reference labels to start from
    backend = MLBackend("tfidf", model_dir=tmp_path / "model", retrain_every=3, dataset=base)
    v0 = backend._base_model[1]
    ds = synthetic_preferences(6, seed=30)
    ds = ds.model_copy(update={"samples": [s.model_copy(update={"annotations": []}) for s in ds.samples]})
    with BackgroundServer(backend) as srv:
        pushed = create_annotator(server_url=ls.creds.url, api_token=ls.creds.token, data_dir=ls.data_dir,
                                  project_title="ml backend").run(ds)
        pid = pushed.project_id
        c = ls.client()
        ml = c.add_ml_backend(pid, srv.url, title="labelloop")
        assert ml["model_version"] == v0  # from /setup, called by Label Studio
        st = backend.projects[str(pid)]
        assert st.config is not None and st.config.template is not None and st.config.template.name == "rewardbench"
        hooks = [h["url"] for h in c.list_webhooks(pid)]
        assert srv.url + "/webhook" in hooks  # Label Studio made it when the backend was added

        _retrieve(c, pid)
        preds = _predictions(c, pid)
        assert sorted(preds) == sorted(s.id for s in ds.samples)
        tpl = get_template("rewardbench")
        local = dict(zip([s.id for s in ds.samples], backend._base_model[0].predict(ds.samples, tpl.schema)))
        tasks = {t["data"]["labelloop_id"]: t for t in c.export(pid)}
        for sid, plist in preds.items():
            [p] = plist
            assert p["model_version"] == v0
            [item] = p["result"]
            assert (item["from_name"], item["to_name"], item["type"]) == ("preference", "prompt", "choices")
            order = tasks[sid]["data"]["labelloop_order"]
            want = "Answer A" if order[0] == local[sid].values["preference"] else "Answer B"
            assert item["value"]["choices"] == [want]
            assert p["score"] == round(local[sid].score, 6) or abs(p["score"] - local[sid].score) < 1e-6

        # three people's answers reach /webhook; the third starts a training in the background
        for sid in list(tasks)[:3]:
            task = tasks[sid]
            c.create_annotation(task["id"], [{"from_name": "preference", "to_name": "prompt", "type": "choices",
                                              "value": {"choices": ["Answer B"]}}])
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (len(st.records) < 3 or st.training or st.trainings < 1):
            time.sleep(0.1)
        assert len(st.records) == 3 and st.trainings == 1 and st.last_error is None
        v1 = st.version
        assert v1 != v0 and v1.startswith("tfidf-")
        learned = sorted(r["values"]["preference"] for r in st.records.values())
        want_ids = sorted(tasks[sid]["data"]["labelloop_order"][1] for sid in list(tasks)[:3])
        assert learned == want_ids  # "Answer B" read back as the candidate id shown at B

        _retrieve(c, pid)  # Label Studio asks /setup again, sees v1, and fetches new predictions
        after = _predictions(c, pid)
        assert all(any(p["model_version"] == v1 for p in plist) for plist in after.values())
        assert all(any(p["model_version"] == v0 for p in plist) for plist in after.values())
        assert [b["model_version"] for b in c.list_ml_backends(pid)] == [v1]


def test_the_backend_connected_by_command_learns_from_annotations_made_before(ls, tmp_path):
    """Annotations exist before the backend does; ``labelloop mlbackend connect`` adds it, Label Studio's /setup
    hands it the project's token, it reads those annotations, trains on them, and serves the new model."""
    ds = synthetic_preferences(6, seed=31)
    ds = ds.model_copy(update={"samples": [s.model_copy(update={"annotations": []}) for s in ds.samples]})
    pushed = create_annotator(server_url=ls.creds.url, api_token=ls.creds.token, data_dir=ls.data_dir,
                              project_title="ml backend connect").run(ds)
    pid = pushed.project_id
    c = ls.client()
    tasks = {t["data"]["labelloop_id"]: t for t in c.export(pid)}
    before = list(tasks)[:4]
    for sid in before:
        c.create_annotation(tasks[sid]["id"], [{"from_name": "preference", "to_name": "prompt", "type": "choices",
                                                "value": {"choices": ["Answer A"]}}])
    backend = MLBackend("tfidf", model_dir=tmp_path / "model", retrain_every=100)  # untrained, no dataset
    with BackgroundServer(backend) as srv:
        args = ["mlbackend", "connect", "--project", str(pid), "--url", srv.url, "--server", ls.creds.url,
                "--data-dir", str(ls.data_dir)]
        done = CliRunner().invoke(app, args)
        assert done.exit_code == 0, done.output
        [ml] = c.list_ml_backends(pid)
        assert done.output == (f"ML backend {srv.url} (id {ml['id']}, model version tfidf-untrained) connected to "
                               f"project {pid}; predictions are retrieved automatically when a task opens.\n")
        project = c.get_project(pid)
        assert (project["evaluate_predictions_automatically"], project["show_collab_predictions"]) == (True, True)
        st = backend.projects[str(pid)]
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and (st.trainings < 1 or st.training):
            time.sleep(0.1)
        assert (len(st.records), st.trainings, st.last_error, st.sync_error) == (4, 1, None, None)
        learned = sorted(r["values"]["preference"] for r in st.records.values())
        assert learned == sorted(tasks[sid]["data"]["labelloop_order"][0] for sid in before)
        v1 = st.version
        assert v1 is not None and v1.startswith("tfidf-") and v1 != "tfidf-untrained"

        again = CliRunner().invoke(app, [*args, "--json"])
        assert again.exit_code == 0, again.output
        assert json.loads(again.output) == {"backend_id": ml["id"], "project": pid, "url": srv.url,
                                            "model_version": ml["model_version"], "already_connected": True,
                                            "retrieve_predictions_automatically": True}
        assert len(c.list_ml_backends(pid)) == 1

        _retrieve(c, pid)
        after = _predictions(c, pid)
        assert sorted(after) == sorted(tasks)
        assert all(any(p["model_version"] == v1 for p in plist) for plist in after.values())
