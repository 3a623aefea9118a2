"""labelloop's ML backend connected to a real Label Studio (each installed version).

Label Studio calls /health and /setup when the backend is added, /predict when predictions are
retrieved, and sends annotations to /webhook (the webhook it creates itself); past the threshold
the backend retrains in the background and the next predictions carry the new model version.
"""

from __future__ import annotations

import time

from labelloop.annotate.labelstudio import create_annotator
from labelloop.assist.mlbackend import BackgroundServer, MLBackend
from labelloop.assist.simulate import synthetic_preferences
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
