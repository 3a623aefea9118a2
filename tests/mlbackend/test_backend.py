"""The ML backend alone, over real HTTP on 127.0.0.1: protocol shapes, retraining, swap, restart, bad payloads, auth."""

from __future__ import annotations

import base64
import json
import socket
import threading

import httpx
import pytest

from labelloop.assist.features import TfidfFeatures
from labelloop.assist.mlbackend import Auth, BackgroundServer, MLBackend, parse_label_config, project_key
from labelloop.assist.predictors import LocalPredictor, register_predictor
from labelloop.assist.simulate import reveal, synthetic_preferences
from labelloop.data.positions import candidate_order
from labelloop.formats.labelstudio.config import get_template
from ls_configs import SENTIMENT

POS = ["great lovely wonderful", "lovely great product", "wonderful and great", "great great lovely"]
NEG = ["awful terrible bad", "terrible awful thing", "bad and awful", "awful bad terrible"]


def rb_config() -> tuple[object, str]:
    tpl = get_template("rewardbench")
    return tpl, tpl.label_config(2)


def rb_tasks(tpl, samples, start_id=1):
    return [{"id": start_id + i, "project": 1, "data": tpl.task_data(s, candidate_order(s), 2)}
            for i, s in enumerate(samples)]


def post(url, path, body, **kw):
    return httpx.post(url + path, json=body, timeout=30, **kw)


def sentiment_event(aid: int, tid: int, text: str, label: str, project: int = 7, action="ANNOTATION_CREATED"):
    return {"action": action, "project": {"id": project, "label_config": SENTIMENT},
            "task": {"id": tid, "data": {"text": text}},
            "annotation": {"id": aid, "task": tid, "completed_by": 1, "was_cancelled": False,
                           "result": [{"from_name": "sentiment", "to_name": "review", "type": "choices",
                                       "value": {"choices": [label]}}]}}


@pytest.fixture()
def base_dataset():
    ds = synthetic_preferences(120, seed=3)
    return ds


def test_protocol_shapes_with_a_labelloop_config(tmp_path, base_dataset):
    tpl, xml = rb_config()
    backend = MLBackend("tfidf", model_dir=tmp_path / "m", retrain_every=0, dataset=base_dataset)
    base_version = backend._base_model[1]
    with BackgroundServer(backend) as srv:
        health = httpx.get(srv.url + "/health").json()
        assert health["status"] == "UP" and health["predictor"] == "tfidf"
        r = post(srv.url, "/setup", {"project": "3.1700000000", "schema": xml, "hostname": "http://x",
                                     "access_token": "t", "extra_params": None})
        assert r.status_code == 200 and r.json() == {"model_version": base_version}
        samples = synthetic_preferences(5, seed=8).samples
        tasks = rb_tasks(tpl, samples)
        r = post(srv.url, "/predict", {"tasks": tasks, "project": "3.1700000000", "label_config": xml,
                                       "params": {"login": None, "password": None, "context": None}})
        assert r.status_code == 200
        results = r.json()["results"]
        assert len(results) == 5
        for res in results:
            assert res["model_version"] == base_version and 0.5 <= res["score"] <= 1
            [item] = res["result"]
            assert (item["from_name"], item["to_name"], item["type"]) == ("preference", "prompt", "choices")
            assert item["value"]["choices"][0] in ("Answer A", "Answer B")
        # the same values as the predictor's own, mapped through the task's screen order
        model = backend._base_model[0]
        preds = model.predict(samples, tpl.schema)
        for task, res, p in zip(tasks, results, preds):
            order = task["data"]["labelloop_order"]
            shown = "Answer A" if order[0] == p.values["preference"] else "Answer B"
            assert res["result"][0]["value"]["choices"] == [shown]
            assert res["score"] == pytest.approx(p.score)
        assert httpx.get(srv.url + "/metrics").json()["tasks_predicted"] == 5


def test_parse_label_config_reads_controls_from_xml():
    cfg = parse_label_config(SENTIMENT)
    assert cfg.controls == {"sentiment": ("choices", "review")}
    assert cfg.objects == {"review": "text"}
    assert [(q.name, [o.value for o in q.options]) for q in cfg.schema.questions] == [
        ("sentiment", ["Positive", "Negative"])]
    tpl, xml = rb_config()
    cfg = parse_label_config(xml)
    assert cfg.template is not None and cfg.controls["preference"] == ("choices", "prompt")
    assert cfg.controls["rating_A"] == ("rating", "answer_A")
    assert project_key("12.1700000") == "12" and project_key({"id": 4}) == "4" and project_key(None) == "default"


def test_threshold_background_training_and_new_version(tmp_path):
    backend = MLBackend("tfidf", model_dir=tmp_path / "m", retrain_every=4)
    with BackgroundServer(backend) as srv:
        r = post(srv.url, "/predict", {"tasks": [{"id": 1, "data": {"text": "great"}}], "project": "7.1",
                                       "label_config": SENTIMENT})
        assert r.json()["results"] == [{"model_version": "tfidf-untrained", "score": 0.0, "result": []}]
        statuses = []
        for i, text in enumerate([POS[0], NEG[0], POS[1]]):
            statuses.append(post(srv.url, "/webhook", sentiment_event(i + 1, i + 1, text,
                                                                      "Positive" if text in POS else "Negative")).json())
        assert [s["status"] for s in statuses] == ["counted"] * 3
        assert backend.projects["7"].trainings == 0
        r = post(srv.url, "/webhook", sentiment_event(4, 4, NEG[1], "Negative")).json()
        assert r["status"] == "started" and r["learned"] == 1
        assert backend.wait_idle(30)
        st = backend.projects["7"]
        assert st.trainings == 1 and st.last_error is None and st.seq == 1
        new = st.version
        assert new.startswith("tfidf-") and new != "tfidf-untrained"
        assert post(srv.url, "/setup", {"project": "7.1", "schema": SENTIMENT}).json() == {"model_version": new}
        r = post(srv.url, "/predict", {"tasks": [{"id": 9, "data": {"text": "wonderful lovely great"}},
                                                 {"id": 10, "data": {"text": "terrible awful"}}],
                                       "project": "7.1", "label_config": SENTIMENT}).json()
        assert [x["model_version"] for x in r["results"]] == [new, new]
        assert [x["result"][0]["value"]["choices"] for x in r["results"]] == [["Positive"], ["Negative"]]
        assert r["results"][0]["result"][0]["from_name"] == "sentiment"
        assert r["results"][0]["result"][0]["to_name"] == "review"
        # an update of a known annotation replaces it, a delete forgets it
        post(srv.url, "/webhook", sentiment_event(4, 4, NEG[1], "Positive", action="ANNOTATION_UPDATED"))
        assert st.records["4"]["values"] == {"sentiment": "Positive"}
        r = post(srv.url, "/webhook", {"action": "ANNOTATIONS_DELETED", "project": {"id": 7},
                                       "annotations": [{"id": 4}, {"id": 99}]}).json()
        assert r["forgotten"] == 1 and sorted(st.records) == ["1", "2", "3"]


class Gate:
    """A user-registered predictor whose fit waits for the test: training made observable."""

    started = threading.Event()
    release = threading.Event()
    fits = 0


def gated(**options):
    class Gated(LocalPredictor):
        def fit(self, samples, schema, **kw):
            Gate.fits += 1
            Gate.started.set()
            assert Gate.release.wait(30)
            return super().fit(samples, schema, **kw)

    options.pop("kinds", None)
    return Gated("gated", TfidfFeatures(), kinds=("human", "reference"), **options)


register_predictor("gated-test", gated)


def test_bursts_coalesce_and_predictions_use_the_old_model_during_training(tmp_path):
    Gate.started.clear(), Gate.release.clear()
    Gate.fits = 0
    backend = MLBackend("gated-test", model_dir=tmp_path / "m", retrain_every=2)
    with BackgroundServer(backend) as srv:
        for i, (t, lab) in enumerate([(POS[0], "Positive"), (NEG[0], "Negative")]):
            post(srv.url, "/webhook", sentiment_event(i + 1, i + 1, t, lab))
        Gate.release.set()  # the first training runs freely
        assert backend.wait_idle(30)
        v1 = backend.projects["7"].version
        Gate.release.clear(), Gate.started.clear()
        r = post(srv.url, "/webhook", {"action": "START_TRAINING", "project": {"id": 7}}).json()
        assert r["status"] == "started"
        assert Gate.started.wait(10)
        # during training: a burst of events and a second START_TRAINING coalesce into one more run
        statuses = [post(srv.url, "/webhook", sentiment_event(10 + i, 10 + i, (POS + NEG)[i],
                                                              "Positive" if i < 4 else "Negative")).json()["status"]
                    for i in range(8)]
        assert statuses == ["counted", "queued"] * 4
        assert post(srv.url, "/webhook", {"action": "START_TRAINING", "project": {"id": 7}}).json()["status"] == "queued"
        pred = post(srv.url, "/predict", {"tasks": [{"id": 1, "data": {"text": "great"}}], "project": "7",
                                          "label_config": SENTIMENT}).json()
        assert pred["results"][0]["model_version"] == v1  # the old model serves while the new one trains
        m = httpx.get(srv.url + "/metrics").json()["projects"]["7"]
        assert m["training"] is True and m["pending"] is True
        Gate.release.set()
        assert backend.wait_idle(30)
    st = backend.projects["7"]
    assert Gate.fits == 3 and st.trainings == 3 and st.seq == 3
    assert st.version != v1 and len(st.records) == 10
    assert sorted(p.name for p in (st.dir / "versions").iterdir()) == ["000001", "000002", "000003"]


def test_restart_loads_the_latest_version_and_the_annotations(tmp_path):
    backend = MLBackend("tfidf", model_dir=tmp_path / "m", retrain_every=2)
    for i, (t, lab) in enumerate([(POS[0], "Positive"), (NEG[0], "Negative"), (POS[2], "Positive"),
                                  (NEG[2], "Negative")]):
        assert backend.handle("POST", "/webhook", sentiment_event(i + 1, i + 1, t, lab))[0] == 200
        backend.wait_idle(30)
    st = backend.projects["7"]
    assert st.seq == 2
    body = {"tasks": [{"id": 5, "data": {"text": t}} for t in POS + NEG], "project": "7.5"}
    before = backend.handle("POST", "/predict", body)[1]
    with open(st.dir / "events.jsonl", "a") as fh:
        fh.write('{"op": "put", "annot')  # a line torn by a crash
    again = MLBackend("tfidf", model_dir=tmp_path / "m", retrain_every=2)
    st2 = again.projects["7"]
    assert (st2.version, st2.seq, sorted(st2.records)) == (st.version, 2, ["1", "2", "3", "4"])
    assert again.handle("POST", "/predict", body)[1] == before  # label config restored too
    assert again.handle("POST", "/setup", {"project": "7.5"})[1] == {"model_version": st.version}


@pytest.mark.parametrize("path,body,reason", [
    ("/predict", b"{not json", "not valid JSON"),
    ("/predict", b"[1, 2]", "must be a JSON object"),
    ("/predict", json.dumps({"tasks": "x", "label_config": SENTIMENT}).encode(), "'tasks' must be a list"),
    ("/predict", json.dumps({"tasks": [{"id": 1, "data": {"text": "a"}}], "project": "55.1"}).encode(),
     "no label config known for project 55"),
    ("/predict", json.dumps({"tasks": [{"id": 1}], "label_config": SENTIMENT}).encode(), "has no 'data' object"),
    ("/setup", json.dumps({"project": "1.1", "schema": "<View><Text"}).encode(), "not valid XML"),
    ("/setup", json.dumps({"project": "1.1", "schema": "<View><Text name='t' value='$t'/></View>"}).encode(),
     "no control tags"),
    ("/webhook", json.dumps({"project": {"id": 1}}).encode(), "no 'action'"),
    ("/webhook", json.dumps({"action": "ANNOTATION_CREATED", "project": {"id": 1, "label_config": SENTIMENT},
                             "annotation": {"id": 1, "result": []}}).encode(), "no 'task' object"),
    ("/webhook", json.dumps({"action": "ANNOTATION_CREATED", "task": {}, "annotation": {"id": 1}}).encode(),
     "has no 'project'"),
    ("/webhook", json.dumps({"action": "ANNOTATIONS_CREATED", "project": {"id": 1, "label_config": SENTIMENT},
                             "annotation": [{"id": 1, "task": 5}], "task": [{"id": 6, "data": {}}]}).encode(),
     "names task 5"),
    ("/webhook", json.dumps({"action": "ANNOTATION_CREATED", "project": {"id": 1, "label_config": SENTIMENT},
                             "task": {"id": 1, "data": {"text": "x"}},
                             "annotation": {"id": 1, "result": "oops"}}).encode(), "'result' is not a list"),
])
def test_malformed_payloads_get_400_with_a_reason(tmp_path, path, body, reason):
    backend = MLBackend("tfidf", model_dir=tmp_path / "m")
    with BackgroundServer(backend) as srv:
        r = httpx.post(srv.url + path, content=body, headers={"Content-Type": "application/json"})
        assert r.status_code == 400
        assert reason in r.json()["error"]
        assert httpx.get(srv.url + "/health").json()["status"] == "UP"  # still serving


def test_unknown_events_get_200_and_are_ignored(tmp_path):
    backend = MLBackend("tfidf", model_dir=tmp_path / "m")
    with BackgroundServer(backend) as srv:
        r = post(srv.url, "/webhook", {"action": "PROJECT_UPDATED", "project": {"id": 1}})
        assert r.status_code == 200 and r.json() == {"status": "ignored", "action": "PROJECT_UPDATED"}
        assert httpx.get(srv.url + "/nope").status_code == 404
        assert httpx.get(srv.url + "/metrics").json()["ignored_events"] == 1


def test_bulk_annotations_created_are_learned(tmp_path):
    backend = MLBackend("tfidf", model_dir=tmp_path / "m", retrain_every=3)
    anns, tasks = [], []
    for i, text in enumerate(POS[:2] + NEG[:2]):
        ev = sentiment_event(i + 1, i + 1, text, "Positive" if text in POS else "Negative")
        anns.append(ev["annotation"])
        tasks.append(ev["task"])
    status, body = backend.handle("POST", "/webhook", {"action": "ANNOTATIONS_CREATED", "annotation": anns,
                                                       "task": tasks, "project": {"id": 7, "label_config": SENTIMENT}})
    assert (status, body["learned"], body["status"]) == (200, 4, "started")
    assert backend.wait_idle(30) and backend.projects["7"].trainings == 1


def test_basic_auth_and_shared_secret(tmp_path):
    backend = MLBackend("tfidf", model_dir=tmp_path / "m")
    with BackgroundServer(backend, auth=Auth("ls:pw", "s3cret")) as srv:
        assert httpx.get(srv.url + "/health").status_code == 401
        assert httpx.get(srv.url + "/health", auth=("ls", "wrong")).status_code == 401
        assert httpx.get(srv.url + "/health", auth=("ls", "pw")).status_code == 200
        assert httpx.get(srv.url + "/health", headers={"X-Labelloop-Secret": "s3cret"}).status_code == 200
        assert httpx.get(srv.url + "/health", headers={"Authorization": "Bearer s3cret"}).status_code == 200
        assert httpx.get(srv.url + "/health", headers={"X-Labelloop-Secret": "nope"}).status_code == 401
        bad = "Basic " + base64.b64encode(b"\xff\xfe").decode()
        assert httpx.get(srv.url + "/health", headers={"Authorization": bad}).status_code == 401


def test_learns_from_reference_base_and_webhooks_together(tmp_path):
    """A project's training set is the starting dataset plus what its people labelled."""
    ds = synthetic_preferences(40, seed=4)
    backend = MLBackend("tfidf", model_dir=tmp_path / "m", retrain_every=1, dataset=ds)
    tpl, xml = rb_config()
    s = reveal(synthetic_preferences(1, seed=5).samples[0])
    task = rb_tasks(tpl, [s])[0]
    result = tpl.to_result(s.annotations[0].values, task["data"])
    ev = {"action": "ANNOTATION_CREATED", "project": {"id": 2, "label_config": xml}, "task": task,
          "annotation": {"id": 1, "task": 1, "result": result}}
    assert backend.handle("POST", "/webhook", ev)[1]["status"] == "started"
    backend.wait_idle(30)
    samples, schema = backend.training_samples(backend.projects["2"])
    assert len(samples) == 41 and samples[-1].annotations[0].values == s.annotations[0].values
    assert schema.name == "rewardbench"


def test_serves_on_ipv6_loopback(tmp_path):
    try:
        socket.create_server(("::1", 0), family=socket.AF_INET6).close()
    except OSError:
        pytest.skip("no IPv6 loopback here")
    backend = MLBackend("tfidf", model_dir=tmp_path / "m")
    with BackgroundServer(backend, host="::1") as srv:
        assert srv.url == f"http://[::1]:{srv.port}"
        r = post(srv.url, "/setup", {"project": "4.1", "schema": SENTIMENT})
        assert (r.status_code, r.json()) == (200, {"model_version": "tfidf-untrained"})
        assert httpx.get(srv.url + "/health").json()["projects"] == 1


def test_annotators_are_kept_apart(tmp_path):
    """A user id, an email, a user object: each person is one annotator, and two people are never one."""
    backend = MLBackend("tfidf", model_dir=tmp_path / "m", retrain_every=0)
    who = [12, 13, {"id": 14, "email": "ann@example.org"}, {"id": 15}, {"id": "16", "email": ""}, "bo@example.org",
           "x" * 256]
    for i, completed_by in enumerate(who):
        ev = sentiment_event(i + 1, i + 1, POS[0], "Positive")
        ev["annotation"]["completed_by"] = completed_by
        assert backend.handle("POST", "/webhook", ev)[0] == 200
    ev = sentiment_event(99, 99, NEG[0], "Negative")
    del ev["annotation"]["completed_by"]  # a payload that does not say who
    assert backend.handle("POST", "/webhook", ev)[0] == 200
    task = {"id": 50, "data": {"text": NEG[1]}, "annotations": [{**sentiment_event(50, 50, NEG[1], "Negative")[
        "annotation"], "completed_by": 17}]}
    assert backend.handle("POST", "/train", {"project": "7", "annotations": [task]})[0] == 200
    assert backend.wait_idle(30)
    records = backend.projects["7"].records
    assert {aid: rec["annotator"] for aid, rec in records.items()} == {
        "1": "user:12", "2": "user:13", "3": "ann@example.org", "4": "user:15", "5": "user:16", "6": "bo@example.org",
        "7": "x" * 256, "99": "labelstudio", "50": "user:17"}
    samples, _ = backend.training_samples(backend.projects["7"])
    assert [a.annotator for s in samples for a in s.annotations][:2] == ["user:12", "user:13"]


@pytest.mark.parametrize("completed_by,error", [
    (None, "must be a user id (a number), an email or a user object, not null"),
    (True, "must be a user id (a number), an email or a user object, not true or false"),
    (1.5, "must be a user id (a number), an email or a user object, not a decimal number"),
    ([12], "must be a user id (a number), an email or a user object, not a list"),
    ("", "must be a user id (a number), an email or a user object, not an empty string"),
    (" ", "must be a user id (a number), an email or a user object, not an empty string"),
    ({}, "is a user object with neither an 'email' nor an 'id'"),
    ({"email": None, "id": None}, "is a user object with neither an 'email' nor an 'id'"),
    ({"id": True}, "is a user object with neither an 'email' nor an 'id'"),
    ("x" * 257, "is 257 characters long, over the limit of 256 (a shortened name could merge two people)"),
    ({"email": "a" * 300 + "@example.org"},
     "is 312 characters long, over the limit of 256 (a shortened name could merge two people)"),
    pytest.param(10 ** 300, "is 306 characters long, over the limit of 256 (a shortened name could merge two "
                 "people)", id="a-301-digit-id"),
])
def test_an_unusable_annotator_gets_400_naming_the_field(tmp_path, completed_by, error):
    backend = MLBackend("tfidf", model_dir=tmp_path / "m", retrain_every=0)
    with BackgroundServer(backend) as srv:
        ev = sentiment_event(3, 1, POS[0], "Positive")
        ev["annotation"]["completed_by"] = completed_by
        r = post(srv.url, "/webhook", ev)
        assert (r.status_code, r.json()) == (400, {"error": f"ANNOTATION_CREATED: the 'completed_by' of annotation "
                                                            f"3 {error}"})
        task = {"id": 1, "data": {"text": POS[0]}, "annotations": [ev["annotation"]]}
        r = post(srv.url, "/train", {"project": "7", "label_config": SENTIMENT, "annotations": [task]})
        assert (r.status_code, r.json()) == (400, {"error": f"/train: task 1: the 'completed_by' of annotation 3 "
                                                            f"{error}"})
    assert backend.projects["7"].records == {}
