"""A user predictor named package.module:Class, already trained, predicting from the first request; /setup's
token goes only to a Label Studio on loopback (or the one named)."""

from __future__ import annotations

import textwrap
import time

import httpx
import pytest

from labelloop.assist.mlbackend import BackgroundServer, MLBackend
from labelloop.assist.simulate import synthetic_preferences
from labelloop.data.positions import candidate_order
from labelloop.errors import LabelloopError
from labelloop.formats.labelstudio.config import get_template
from labelloop.ops import mlbackend as ops

USER_PREDICTOR = textwrap.dedent('''
    from labelloop.data.model import Annotation

    class FirstAnswer:
        """Already trained: always prefers the first candidate, with score 0.75."""
        name = "first"
        version = "first-answer-1"

        def __init__(self, seed=0):
            self.seed = seed

        def fit(self, samples, schema):
            self.version = f"first-answer-fit-{len(samples)}"
            return self

        def predict(self, samples, schema):
            return [Annotation(annotator="first", kind="prediction", score=0.75,
                               values={"preference": s.candidates[0].id}) for s in samples]

        def save(self, path):
            path.write_text(self.version)

        def load(self, path):
            self.version = path.read_text()
            return self

    class Untrained(FirstAnswer):
        fitted = False

    USER = "not callable"
''')


@pytest.fixture()
def user_module(tmp_path, monkeypatch):
    (tmp_path / "my_predictors.py").write_text(USER_PREDICTOR)
    monkeypatch.syspath_prepend(str(tmp_path))
    return "my_predictors"


def _predict(url, xml, tasks):
    r = httpx.post(url + "/predict", json={"tasks": tasks, "project": "4.1700000000", "label_config": xml},
                   timeout=30)
    assert r.status_code == 200
    return r.json()["results"]


def test_an_already_trained_user_predictor_predicts_from_the_first_request(tmp_path, user_module):
    tpl = get_template("rewardbench")
    xml = tpl.label_config(2)
    samples = synthetic_preferences(3, seed=5).samples
    tasks = [{"id": i + 1, "data": tpl.task_data(s, candidate_order(s), 2)} for i, s in enumerate(samples)]
    backend = MLBackend(f"{user_module}:FirstAnswer", model_dir=tmp_path / "m", retrain_every=0)
    with BackgroundServer(backend) as srv:
        r = httpx.post(srv.url + "/setup", json={"project": "4.1700000000", "schema": xml}, timeout=30)
        assert r.json() == {"model_version": "first-answer-1"}
        results = _predict(srv.url, xml, tasks)
    for task, s, res in zip(tasks, samples, results):
        shown_at = "Answer A" if task["data"]["labelloop_order"][0] == s.candidates[0].id else "Answer B"
        assert (res["model_version"], res["score"]) == ("first-answer-1", 0.75)
        assert [item["value"]["choices"] for item in res["result"]] == [[shown_at]]


def test_a_user_predictor_that_says_it_is_not_fitted_waits(tmp_path, user_module):
    tpl = get_template("rewardbench")
    xml = tpl.label_config(2)
    s = synthetic_preferences(1, seed=5).samples[0]
    backend = MLBackend(f"{user_module}:Untrained", model_dir=tmp_path / "m", retrain_every=0)
    with BackgroundServer(backend) as srv:
        results = _predict(srv.url, xml, [{"id": 1, "data": tpl.task_data(s, candidate_order(s), 2)}])
    assert results == [{"model_version": f"{user_module}:Untrained-untrained", "score": 0.0, "result": []}]


def test_the_serve_operation_takes_a_user_predictor(tmp_path, user_module):
    served = ops.backend(predictor=f"{user_module}:FirstAnswer", port=0, model_dir=tmp_path / "m")
    assert served.backend._base_model[1] == "first-answer-1"


@pytest.mark.parametrize(("spec", "message"), [
    ("no_such_module_x:Thing", "Cannot import the predictor's module 'no_such_module_x' (No module named "
                               "'no_such_module_x'); is it on the Python path (PYTHONPATH, or installed)?"),
    ("my_predictors:Nope", "The module 'my_predictors' has no 'Nope' (the predictor 'my_predictors:Nope')."),
    ("my_predictors:", "The predictor 'my_predictors:' is not package.module:Class."),
    ("my_predictors:USER", "The predictor 'my_predictors:USER' is not a class or function."),
])
def test_a_bad_predictor_spec_is_one_sentence(tmp_path, user_module, spec, message):
    with pytest.raises(LabelloopError) as err:
        MLBackend(spec, model_dir=tmp_path / "m")
    assert str(err.value) == message


def test_setup_token_never_goes_to_a_host_off_loopback(tmp_path):
    tpl = get_template("rewardbench")
    backend = MLBackend("tfidf", model_dir=tmp_path / "m", retrain_every=0)
    with BackgroundServer(backend) as srv:
        r = httpx.post(srv.url + "/setup", json={"project": "9.1700000000", "schema": tpl.label_config(2),
                                                 "hostname": "http://example.com:8080", "access_token": "secret"},
                       timeout=30)
        assert r.status_code == 200
        st = backend.projects["9"]
        for _ in range(100):
            if st.sync_error:
                break
            time.sleep(0.05)
        m = httpx.get(srv.url + "/metrics", timeout=30).json()["projects"]["9"]
    assert m["sync_error"] == ("not reading earlier annotations from http://example.com:8080: not on loopback and "
                               "not the --label-studio-url given")
    assert (m["annotations"], m["trainings"]) == (0, 0)
    named = MLBackend("tfidf", model_dir=tmp_path / "n", label_studio_url="http://ls.internal:8080")
    assert named._sync_url("http://ls.internal:8080/") == "http://ls.internal:8080"
    assert named._sync_url("http://127.0.0.1:8080") is None
    assert backend._sync_url("http://localhost:8080") == "http://localhost:8080"


def test_connect_checks_the_backend_before_label_studio(tmp_path):
    import socket

    with pytest.raises(LabelloopError) as err:
        ops.connect(1, "ftp://127.0.0.1:9090", data_dir=tmp_path)
    assert str(err.value) == ("url 'ftp://127.0.0.1:9090' is not an http(s) URL of an ML backend, e.g. "
                              "http://127.0.0.1:9090.")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, not listening: nothing answers
        with pytest.raises(LabelloopError) as err:
            ops.connect(1, f"http://127.0.0.1:{port}", data_dir=tmp_path)
    assert str(err.value) == (f"No ML backend answers at url http://127.0.0.1:{port} (ConnectError): start it "
                              "first with labelloop mlbackend serve (it may take a few seconds to listen).")
