"""Local predictors (TF-IDF, MiniLM), the LLM judge predictor, the registry, and prelabel --provider local."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest

from labelloop.assist.features import TfidfFeatures
from labelloop.assist.predictors import (
    LocalPredictor,
    Predictor,
    get_predictor,
    prelabel_local,
    register_predictor,
)
from labelloop.assist.simulate import accuracy, reveal, synthetic_choices, synthetic_preferences
from labelloop.cli import main
from labelloop.data.io import write_dataset
from labelloop.data.model import Annotation, Candidate, DataSample, Dataset, Message
from labelloop.data.schema import AnnotationSchema, Question
from labelloop.errors import LabelloopError, UnknownNameError
from labelloop.formats import load
from labelloop.templates import TEMPLATES


def test_tfidf_learns_pairwise_preferences_that_generalise_to_new_prompts():
    train = [reveal(s) for s in synthetic_preferences(300, seed=1).samples]
    test = synthetic_preferences(200, seed=2)  # other prompts, other answers
    model = get_predictor("tfidf")
    assert isinstance(model, Predictor)
    assert model.fit(train, test.schema) is model
    version = model.version
    preds = model.predict(test.samples, test.schema)
    assert accuracy(preds, test.samples, "preference") == pytest.approx(0.825)
    p = preds[0]
    assert p.kind == "prediction" and p.annotator == f"local:tfidf/{version}" and p.model_version == version
    probs = p.metadata["probabilities"]["preference"]
    assert set(probs) == {"0", "1"} and sum(probs.values()) == pytest.approx(1.0)
    assert p.score == pytest.approx(max(probs.values()), abs=1e-6)
    for s, pr in zip(test.samples, preds):
        assert test.schema.validate_values(s, pr.values, partial=True) == []
    # deterministic: the same labels give the same version and the same predictions
    again = get_predictor("tfidf")
    assert again.fit(train, test.schema).version == version
    assert [a.values for a in again.predict(test.samples, test.schema)] == [a.values for a in preds]


def test_tfidf_classifies_fixed_options_over_the_sample_text():
    train = [reveal(s) for s in synthetic_choices(400, seed=1).samples]
    test = synthetic_choices(200, seed=2)
    model = get_predictor("tfidf")
    model.fit(train, test.schema)
    preds = model.predict(test.samples, test.schema)
    assert accuracy(preds, test.samples, "label") == pytest.approx(0.83)
    assert {p.values["label"] for p in preds} == {"good", "bad"}


def test_rankings_and_per_candidate_ratings():
    schema = TEMPLATES.get("rewardbench2")()
    samples = []
    for i in range(30):
        cands = [Candidate(id=str(k), content=("excellent detailed careful " * k) + f"answer {i}") for k in range(3)]
        order = ["2", "1", "0"]
        samples.append(DataSample(id=f"s{i}", prompt=[Message(role="user", content=f"q{i}")], candidates=cands,
                                  annotations=[Annotation(annotator="u", values={
                                      "best": "2", "ranking": order, "rating": {"0": 1, "1": 3, "2": 5}})]))
    model = get_predictor("tfidf")
    model.fit(samples[:20], schema)
    preds = model.predict(samples[20:], schema)
    assert [p.values["best"] for p in preds] == ["2"] * 10
    assert [p.values["ranking"] for p in preds] == [["2", "1", "0"]] * 10
    assert [p.values["rating"] for p in preds] == [{"0": 1, "1": 3, "2": 5}] * 10
    assert list(preds[0].values) == ["best", "ranking", "rating"]  # schema order; multi-choice and text not predicted


def test_one_class_seen_and_nothing_learned():
    schema = TEMPLATES.get("single_choice")()
    s = [DataSample(id=f"x{i}", prompt=[Message(role="user", content="hi")], candidates=[Candidate(id="0",
                    content="fine")], annotations=[Annotation(annotator="u", values={"label": "good"})])
         for i in range(3)]
    model = get_predictor("tfidf")
    assert model.predict(s, schema) == [None] * 3  # not fit yet
    model.fit(s, schema)
    [p] = model.predict(s[:1], schema)
    assert p.values == {"label": "good"} and p.score == pytest.approx(4 / 5)  # add-one over 2 options
    text_only = AnnotationSchema(questions=[Question(name="t", type="text")])
    model.fit(s, text_only)
    assert model.predict(s, text_only) == [None] * 3


def test_save_and_load_give_the_same_predictions(tmp_path):
    train = [reveal(s) for s in synthetic_preferences(80, seed=1).samples]
    test = synthetic_preferences(20, seed=2)
    model = get_predictor("tfidf")
    model.fit(train, test.schema)
    model.save(tmp_path / "m.bin")
    loaded = get_predictor("tfidf").load(tmp_path / "m.bin")
    assert loaded.version == model.version
    assert [p.model_dump() for p in loaded.predict(test.samples, test.schema)] == [
        p.model_dump() for p in model.predict(test.samples, test.schema)]
    (tmp_path / "bad.bin").write_bytes(b"not a pickle")
    with pytest.raises(LabelloopError, match="Cannot load the model"):
        get_predictor("tfidf").load(tmp_path / "bad.bin")
    with pytest.raises(LabelloopError, match="is not a saved 'embedding' predictor"):
        LocalPredictor("embedding", model.features).load(tmp_path / "m.bin")


def test_models_saved_before_the_features_moved_still_load(tmp_path):
    # model files pickle the features object; older files name it labelloop.assist.predictors.TfidfFeatures
    train = [reveal(s) for s in synthetic_preferences(80, seed=1).samples]
    test = synthetic_preferences(20, seed=2)
    model = get_predictor("tfidf").fit(train, test.schema)
    model.save(tmp_path / "m.bin")
    text = pickle.dumps(pickle.loads((tmp_path / "m.bin").read_bytes()), protocol=0)
    assert text.count(b"clabelloop.assist.features\nTfidfFeatures\n") == 1
    (tmp_path / "old.bin").write_bytes(text.replace(b"clabelloop.assist.features\nTfidfFeatures\n",
                                                    b"clabelloop.assist.predictors\nTfidfFeatures\n"))
    old = get_predictor("tfidf").load(tmp_path / "old.bin")
    assert type(old.features) is TfidfFeatures and old.version == model.version
    assert [p.values for p in old.predict(test.samples, test.schema)] == [
        p.values for p in model.predict(test.samples, test.schema)]


def test_registry_of_predictors():
    class Always:
        name, version = "always-b", "1"

        def __init__(self, **options):
            self.options = options

        def fit(self, samples, schema):
            return self.version

        def predict(self, samples, schema):
            return [Annotation(annotator="local:always-b/1", kind="prediction", values={"preference": "1"}, score=0.6)
                    for _ in samples]

        def save(self, path):
            pass

        def load(self, path):
            return self

    register_predictor("always-b-test", Always)
    p = get_predictor("always-b-test", foo=1)
    assert isinstance(p, Predictor) and p.options == {"foo": 1}
    with pytest.raises(UnknownNameError, match="Unknown predictor 'nope'; known: .*embedding.*llm.*tfidf"):
        get_predictor("nope")


def test_embedding_predictor_really_loads_minilm():
    pos = ["What a delightful, helpful and kind answer.", "Thank you, this is wonderful and clear.",
           "A friendly, polite and useful reply.", "Great explanation, warm and generous.",
           "Lovely answer, very helpful indeed.", "This is kind, careful and clear.",
           "Brilliant, courteous and informative.", "Such a pleasant and supportive response.",
           "Clear, gracious and thoughtful help.", "Superb, friendly and constructive answer."]
    neg = ["Shut up, that is a stupid question.", "You are an idiot and I will not help.",
           "Go away, nobody cares about you.", "What a dumb thing to ask, loser.",
           "I hate this, you are useless.", "Stop wasting my time, moron.",
           "That is pathetic and so are you.", "Get lost, your question is garbage.",
           "You clearly know nothing, fool.", "Ugh, ask someone else, you pest."]
    schema = TEMPLATES.get("single_choice")()

    def sample(i, text, label):
        return DataSample(id=f"e{i}", prompt=[Message(role="user", content="Reply to the user.")],
                          candidates=[Candidate(id="0", content=text)],
                          annotations=[Annotation(annotator="u", values={"label": label})])

    data = [sample(i, t, "good") for i, t in enumerate(pos)] + [sample(10 + i, t, "bad") for i, t in enumerate(neg)]
    train = data[:6] + data[10:16]
    test = data[6:10] + data[16:]
    model = get_predictor("embedding")
    version = model.fit(train, schema).version
    assert version.startswith("embedding-")
    preds = model.predict(test, schema)
    assert [p.values["label"] for p in preds] == ["good"] * 4 + ["bad"] * 4
    vecs = model.embed(test)
    assert vecs.shape == (8, 384) and np.allclose(np.linalg.norm(vecs, axis=1), 1.0)


def test_llm_predictor_over_a_provider(llm_server):
    ds = Dataset(name="llm", schema=TEMPLATES.get("rewardbench")(), samples=[
        DataSample(id=f"q{i}", prompt=[Message(role="user", content=f"question {i}")],
                   candidates=[Candidate(id="0", content="[GOOD] yes" if i % 2 else "no"),
                               Candidate(id="1", content="no" if i % 2 else "[GOOD] yes")]) for i in range(4)])
    model = get_predictor("llm", provider="compatible", base_url=llm_server.openai_url, model="judge",
                          api_key="k", max_retries=0)
    assert model.fit(ds.samples, ds.schema) is model and model.version == "llm-compatible/judge"
    preds = model.predict(ds.samples, ds.schema)
    assert [p.values["preference"] for p in preds] == ["1", "0", "1", "0"]
    assert [p.score for p in preds] == [0.9] * 4 and preds[0].kind == "prediction"


def _mixed_dataset(n_labelled: int = 200, n_rest: int = 50) -> Dataset:
    ds = synthetic_preferences(n_labelled + n_rest, seed=5)
    samples = [reveal(s) if i < n_labelled else s for i, s in enumerate(ds.samples)]
    return ds.model_copy(update={"samples": samples})


def test_prelabel_local_fits_on_people_and_predicts_the_rest():
    ds = _mixed_dataset()
    out, summary = prelabel_local(ds, ds.schema)
    assert (summary["trained_on"], summary["samples"], summary["predicted"]) == (200, 50, 50)
    labelled = [s for s in out.samples if any(a.kind == "human" for a in s.annotations)]
    assert all(not any(a.kind == "prediction" for a in s.annotations) for s in labelled)
    preds = [next(a for a in s.annotations if a.kind == "prediction") for s in out.samples[200:]]
    refs = [next(a for a in s.annotations if a.kind == "reference") for s in out.samples[200:]]
    hits = sum(p.values["preference"] == r.values["preference"] for p, r in zip(preds, refs))
    assert hits == 43  # 86 %, well above the 50 % of chance
    with pytest.raises(LabelloopError, match="no human annotations to learn from"):
        prelabel_local(synthetic_preferences(5, seed=1), TEMPLATES.get("rewardbench")())
    _, summary = prelabel_local(synthetic_preferences(30, seed=1), TEMPLATES.get("rewardbench")(),
                                fit_on=("reference",))
    assert (summary["trained_on"], summary["samples"]) == (30, 0)


def test_prelabel_cli_provider_local(tmp_path, capsys):
    src = tmp_path / "in.jsonl"
    write_dataset(_mixed_dataset(100, 20), src)
    out = tmp_path / "out.jsonl"
    main(["prelabel", str(src), "-o", str(out), "--provider", "local", "--json", "--quiet"])
    summary = json.loads(capsys.readouterr().out)
    assert (summary["predictor"], summary["trained_on"], summary["predicted"]) == ("tfidf", 100, 20)
    ds = load(out)
    assert sum(1 for s in ds.samples for a in s.annotations if a.kind == "prediction") == 20
    with pytest.raises(SystemExit):
        main(["prelabel", str(src), "-o", str(out), "--provider", "local", "--fit-on", "robots", "--quiet"])
    assert "--fit-on takes human, reference or aggregate" in capsys.readouterr().err
