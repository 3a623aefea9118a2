"""Active learning: the uncertainty measures, k-center greedy, each strategy, the CLI and push --only's reader."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from labelloop.annotate.labelstudio.project import only_samples
from labelloop.assist.active import (
    SELECTION_STRATEGIES,
    Selection,
    k_center_greedy,
    select_batch,
    selection_ids,
    uncertainty,
)
from labelloop.assist.predictors import get_predictor
from labelloop.assist.simulate import labels_to_reach, reveal, simulate_active, synthetic_preferences
from labelloop.cli import main
from labelloop.data.io import write_dataset
from labelloop.data.model import Annotation
from labelloop.errors import LabelloopError, ParameterError, ProjectError, UnknownNameError


def test_contract_names():
    assert SELECTION_STRATEGIES.names() == ["least_confidence", "margin", "entropy", "disagreement", "diversity",
                                            "mix", "random"]
    assert Selection("a", 1, 0.5, "why").as_dict() == {"sample_id": "a", "rank": 1, "score": 0.5, "reason": "why"}


def test_uncertainty_measures_exact():
    p = {"a": 0.7, "b": 0.2, "c": 0.1}
    assert uncertainty(p, "least_confidence") == pytest.approx(0.3)
    assert uncertainty(p, "margin") == pytest.approx(0.5)
    h = -(0.7 * math.log(0.7) + 0.2 * math.log(0.2) + 0.1 * math.log(0.1)) / math.log(3)
    assert uncertainty(p, "entropy") == pytest.approx(h)
    assert uncertainty({"a": 0.5, "b": 0.5}, "entropy") == pytest.approx(1.0)
    assert uncertainty({"a": 1.0}, "margin") == pytest.approx(0.0)


def test_k_center_greedy_exact():
    import random

    x = np.array([[1.0, 0.0], [0.0, 1.0], [0.7071, 0.7071], [0.9, 0.43589], [-1.0, 0.0]])
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    picks = k_center_greedy(x, [0], [1, 2, 3, 4], 3, random.Random(0))
    assert [i for i, _ in picks] == [4, 1, 2]
    assert picks[0][1] == pytest.approx(2.0)  # opposite of the centre: cosine distance 2
    assert picks[1][1] == pytest.approx(1.0)


def _pool(n_labelled: int, n: int = 300):
    ds = synthetic_preferences(n, seed=21)
    return ds.model_copy(update={"samples": [reveal(s) if i < n_labelled else s.model_copy(update={"annotations": []})
                                             for i, s in enumerate(ds.samples)]})


@pytest.mark.parametrize("strategy", ["least_confidence", "margin", "entropy"])
def test_uncertainty_strategies_take_the_least_sure_first(strategy):
    ds = _pool(60)
    picks = select_batch(ds, strategy=strategy, batch_size=10, seed=0)
    assert [p.rank for p in picks] == list(range(1, 11))
    # recompute independently from a predictor fit the same way
    model = get_predictor("tfidf", kinds=("human",), seed=0)
    labelled, pool = ds.samples[:60], ds.samples[60:]
    model.fit(labelled, ds.schema, unlabelled=pool)
    preds = model.predict(pool, ds.schema)
    scores = sorted((uncertainty(p.metadata["probabilities"]["preference"], strategy) for p in preds), reverse=True)
    assert [p.score for p in picks] == pytest.approx(scores[:10], abs=1e-6)
    assert len({p.sample_id for p in picks}) == 10 and all(p.sample_id not in {s.id for s in labelled} for p in picks)


def test_random_is_seeded_and_only_picks_unlabelled():
    ds = _pool(100)
    a = select_batch(ds, strategy="random", batch_size=15, seed=1)
    assert [p.sample_id for p in a] == [p.sample_id for p in select_batch(ds, strategy="random", batch_size=15, seed=1)]
    assert [p.sample_id for p in a] != [p.sample_id for p in select_batch(ds, strategy="random", batch_size=15, seed=2)]
    assert all(int(p.sample_id.split("-")[1]) >= 100 for p in a)


def test_diversity_mix_and_cold_start():
    ds = _pool(40)
    div = select_batch(ds, strategy="diversity", batch_size=8)
    assert len({p.sample_id for p in div}) == 8
    assert all(d1.score >= d2.score - 1e-9 for d1, d2 in zip(div, div[1:]))  # k-center distances never rise
    mix = select_batch(ds, strategy="mix", batch_size=8)
    margin = select_batch(ds, strategy="margin", batch_size=32)
    assert {p.sample_id for p in mix} <= {p.sample_id for p in margin}  # chosen among the 4 × 8 least sure
    cold = select_batch(_pool(0), strategy="margin", batch_size=5)
    assert len(cold) == 5 and cold[0].reason.startswith("cold start")


def test_disagreement_between_prelabels_and_people():
    ds = _pool(0, n=6)
    s = ds.samples
    s[0].annotations += [Annotation(annotator="llm:x/y", kind="prediction", values={"preference": "0"}),
                         Annotation(annotator="ann", kind="human", values={"preference": "1"})]
    s[1].annotations += [Annotation(annotator="llm:x/y", kind="prediction", values={"preference": "0"}),
                         Annotation(annotator="ann", kind="human", values={"preference": "0"})]
    s[2].annotations += [Annotation(annotator="llm:x/y", kind="prediction", values={"preference": "1"}),
                         Annotation(annotator="local:tfidf/v", kind="prediction", values={"preference": "0"})]
    picks = select_batch(ds, strategy="disagreement", batch_size=5, seed=0)
    assert sorted(p.sample_id for p in picks) == sorted([s[0].id, s[2].id])
    assert [p.score for p in picks] == pytest.approx([1 / 3, 1 / 3])  # 3 votes each: two models and people or llm
    assert "people: \"1\"" in next(p.reason for p in picks if p.sample_id == s[0].id)


def test_errors():
    ds = _pool(10, n=20)
    with pytest.raises(UnknownNameError) as unknown:
        select_batch(ds, strategy="smart")
    assert str(unknown.value) == ("Unknown strategy 'smart'; known: least_confidence, margin, entropy, disagreement, "
                                  "diversity, mix, random.")
    with pytest.raises(ParameterError) as small:
        select_batch(ds, strategy="margin", batch_size=0)
    assert (small.value.param, str(small.value)) == ("batch_size", "batch_size must be at least 1, not 0.")
    with pytest.raises(LabelloopError, match="carries no schema"):
        select_batch(ds.model_copy(update={"schema_": None}), strategy="margin")


def test_mix_beats_random_on_a_small_simulation():
    pool = synthetic_preferences(500, seed=11)
    test = synthetic_preferences(300, seed=99)
    r = simulate_active(pool, test, strategies=["mix", "random"], budget=100, step=20, seeds=[0])
    assert r["labels"] == [20, 40, 60, 80, 100]
    assert r["accuracy"]["mix"][-1] == pytest.approx(0.7433333, abs=1e-6)
    assert r["accuracy"]["random"][-1] == pytest.approx(0.6966667, abs=1e-6)
    assert labels_to_reach(r["labels"], r["accuracy"]["mix"], r["accuracy"]["random"][-1]) == 60


def test_select_cli_and_push_only_reader(tmp_path, capsys):
    src = tmp_path / "pool.jsonl"
    ds = _pool(50, n=120)
    write_dataset(ds, src)
    out = tmp_path / "next.jsonl"
    main(["select", str(src), "-o", str(out), "--strategy", "margin", "--batch-size", "7", "--json", "--quiet"])
    summary = json.loads(capsys.readouterr().out)
    assert (summary["selected"], summary["labelled"], summary["samples"]) == (7, 50, 120)
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert [x["rank"] for x in lines] == list(range(1, 8))
    ids = selection_ids(out)
    assert ids == [x["sample_id"] for x in lines]
    main(["select", str(src), "-o", str(tmp_path / "next.txt"), "--strategy", "margin", "--batch-size", "7",
          "--quiet"])
    assert selection_ids(tmp_path / "next.txt") == ids
    main(["select", str(src), "-o", str(tmp_path / "next.json"), "--strategy", "margin", "--batch-size", "7",
          "--quiet"])
    assert selection_ids(tmp_path / "next.json") == ids
    assert selection_ids(src)[:2] == [ds.samples[0].id, ds.samples[1].id]  # a dataset file names its samples too
    batch = only_samples(ds, ids)
    assert [s.id for s in batch.samples] == ids
    with pytest.raises(ProjectError, match="does not have, e.g. 'nope'"):
        only_samples(ds, ["nope"])
