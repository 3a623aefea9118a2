"""Reward-model and judge accuracy against the labels: RewardBench's pair rule, RewardBench 2's best-of-N rule and
its published Ties score (written out here from its ``process_single_model``), intervals, the scores file."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest

from labelloop.cli import main
from labelloop.data.model import Annotation, Candidate, DataSample, Dataset
from labelloop.errors import InputFileError, LabelloopError
from labelloop.formats import load
from labelloop.ops.decisions import evaluate as evaluate_op
from labelloop.ops.decisions import read_scores
from labelloop.quality.evaluate import evaluate, score_items, ties_score
from labelloop.templates import TEMPLATES

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "rewardbench2_example.jsonl"
PAIR = TEMPLATES.get("rewardbench")()
RB2 = TEMPLATES.get("rewardbench2")()


def pair(k: int, chosen: str, subset: str = "chat") -> DataSample:
    return DataSample(id=f"p{k}", candidates=[Candidate(id="0", content="a"), Candidate(id="1", content="b")],
                      annotations=[Annotation(annotator="rb", kind="reference", values={"preference": chosen})],
                      metadata={"subset": subset})


def bon(sid: str, n: int, correct: list[str], subset: str) -> DataSample:
    return DataSample(id=sid, candidates=[Candidate(id=str(i), content=f"c{i}") for i in range(n)],
                      annotations=[Annotation(annotator="rb", kind="reference", values={"correct": correct})],
                      metadata={"subset": subset})


def test_pairs_chosen_above_rejected_and_equal_scores_are_wrong() -> None:
    ds = Dataset(samples=[pair(0, "0"), pair(1, "1"), pair(2, "0"), pair(3, "0")], schema=PAIR)
    scores = {("p0", "0"): 2.0, ("p0", "1"): 1.0, ("p1", "0"): 0.0, ("p1", "1"): 0.5,
              ("p2", "0"): 1.0, ("p2", "1"): 1.0, ("p3", "0"): -1.0, ("p3", "1"): 3.0}
    r = evaluate(ds, scores, rounds=0)
    assert r.subsets == [{"subset": "chat", "samples": 4, "kind": "pair", "accuracy": 0.5, "score": 0.5, "ci": None,
                          "rule": "chosen scored above rejected"}]
    assert r.overall["score"] == 0.5 and r.overall["accuracy"] == 0.5 and r.labels_from == {"reference": 4}


def test_best_of_n_correct_above_every_incorrect_one() -> None:
    ds = Dataset(samples=[bon("m1", 4, ["0"], "Math"), bon("m2", 4, ["2"], "Math"), bon("m3", 4, ["1"], "Math")],
                 schema=RB2)
    s = {("m1", "0"): 5, ("m1", "1"): 4, ("m1", "2"): 1, ("m1", "3"): 0,   # right
         ("m2", "0"): 5, ("m2", "1"): 4, ("m2", "2"): 4.5, ("m2", "3"): 0,  # above two of three: wrong
         ("m3", "0"): 1, ("m3", "1"): 2, ("m3", "2"): 2, ("m3", "3"): 0}    # equal to one: wrong
    r = evaluate(ds, {k: float(v) for k, v in s.items()}, rounds=0)
    assert (r.subsets[0]["kind"], r.subsets[0]["accuracy"]) == ("best_of_n", pytest.approx(1 / 3))
    assert r.subsets[0]["rule"] == "every correct answer scored above every incorrect one"
    del s[("m3", "3")]
    r = evaluate(ds, {k: float(v) for k, v in s.items()}, rounds=0)
    assert r.samples == 2 and r.left_out == {"samples without a score for every labelled answer": 1}


# ---------------------------------------------------------------------- RewardBench 2's Ties score
def rb2_process_single_model(rows: list[dict]) -> float:
    """RewardBench 2's published Ties scoring (rewardbench/utils.py, process_single_model), written out: rows have
    ``id`` "ref:N" / "tied:N", ``scores`` (the first ``num_correct`` are the correct answers')."""
    def stats(samples):
        correct = [s for ok, s in samples if ok]
        wrong = [s for ok, s in samples if not ok]
        spread = max(correct) - min(correct) if len(correct) > 1 else None
        margin = min(correct) - max(wrong)
        return margin > 0, spread, margin

    ref, tied = {}, {}
    for row in rows:
        kind, pid = row["id"].split(":")
        st = stats([(i < row["num_correct"], v) for i, v in enumerate(row["scores"])])
        (ref if kind == "ref" else tied)[int(pid)] = st
    ref_acc = np.mean([s[0] for s in ref.values()])
    tied_acc = np.mean([s[0] for s in tied.values()])
    both = set(ref) & set(tied)
    diff = np.array([tied[p][1] for p in both])
    m_tied = np.array([tied[p][2] for p in both])
    m_ref = np.array([ref[p][2] for p in both])
    pref = np.mean(m_tied > diff)
    hard = np.mean(np.minimum(m_ref, m_tied) > diff)
    margin = float(np.mean(np.nan_to_num(np.tanh(np.minimum(m_ref, m_tied) / diff - 1), nan=0.0)))
    return float(0.30 * tied_acc + 0.30 * ref_acc + 0.20 * pref + 0.20 * hard + 0.01 * margin)


def ties_dataset(rows: list[dict]) -> tuple[Dataset, dict]:
    samples, scores = [], {}
    for row in rows:
        n = len(row["scores"])
        samples.append(bon(row["id"], n, [str(i) for i in range(row["num_correct"])], "Ties"))
        scores.update({(row["id"], str(i)): float(v) for i, v in enumerate(row["scores"])})
    return Dataset(samples=samples, schema=RB2), scores


def test_ties_score_by_hand() -> None:
    """Prompt 0: ref right (margin 2), tied right (spread 0.5, margin 1.5): preferred and hard; tanh(1.5/0.5 − 1).
    Prompt 1: ref wrong (margin −1), tied right (spread 2.5, margin 0.5): neither; tanh(−1/2.5 − 1).
    Score = 0.3·1 + 0.3·0.5 + 0.2·0.5 + 0.2·0.5 + 0.01·(tanh 2 + tanh −1.4) / 2."""
    rows = [{"id": "ref:0", "num_correct": 1, "scores": [5, 3, 2]},
            {"id": "tied:0", "num_correct": 2, "scores": [5, 4.5, 3, 1]},
            {"id": "ref:1", "num_correct": 1, "scores": [1, 2, 0]},
            {"id": "tied:1", "num_correct": 3, "scores": [6, 3.5, 4, 3, 1]}]
    ds, scores = ties_dataset(rows)
    r = evaluate(ds, scores, rounds=0)
    t = r.subsets[0]["ties"]
    assert (t["ref_accuracy"], t["tied_accuracy"], t["correctness_preferred"], t["correctness_preferred_hard"]) == (
        0.5, 1.0, 0.5, 0.5)
    expected = 0.3 + 0.15 + 0.1 + 0.1 + 0.01 * (math.tanh(2) + math.tanh(-1.4)) / 2
    assert r.subsets[0]["score"] == pytest.approx(expected, abs=1e-12)
    assert r.subsets[0]["score"] == pytest.approx(rb2_process_single_model(rows), abs=1e-12)
    assert r.subsets[0]["accuracy"] == 0.75  # every correct above every incorrect, per sample


def test_ties_score_matches_the_published_code_on_random_scores() -> None:
    rng = np.random.default_rng(5)
    rows = []
    for p in range(30):
        k = int(rng.integers(2, 5))
        ref = rng.normal(size=4).round(2) + np.array([1, 0, 0, 0])
        tied = rng.normal(size=k + 4).round(2) + np.array([1] * k + [0] * 4)
        rows.append({"id": f"ref:{p}", "num_correct": 1, "scores": ref.tolist()})
        rows.append({"id": f"tied:{p}", "num_correct": k, "scores": tied.tolist()})
    ds, scores = ties_dataset(rows)
    items, _ = score_items(ds, scores)
    assert ties_score(items)["score"] == pytest.approx(rb2_process_single_model(rows), abs=1e-12)
    r = evaluate(ds, scores, rounds=300, seed=2)
    lo, hi = r.subsets[0]["ci"]
    assert lo < r.subsets[0]["score"] < hi and r.overall["score"] == r.subsets[0]["score"]


def test_no_ties_score_without_reference_samples() -> None:
    ds, scores = ties_dataset([{"id": "t1", "num_correct": 2, "scores": [3, 2, 1]}])
    r = evaluate(ds, scores, rounds=0)
    assert r.subsets[0]["score"] is None and r.subsets[0]["ties"]["reason"].startswith(
        "RewardBench 2's Ties score needs, for the same prompt, a reference sample")


# ---------------------------------------------------------------------- the scores file and the command
def length_scores(path: Path, fmt: str = "jsonl") -> Path:
    rows = [{"sample_id": s.id, "candidate_id": c.id, "score": len(c.content)} for s in load(EXAMPLE).samples
            for c in s.candidates]
    if fmt == "jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    elif fmt == "csv":
        with path.open("w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=["sample_id", "candidate_id", "score"])
            w.writeheader()
            w.writerows(rows)
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.Table.from_pylist(rows), path)
    return path


EXPECTED = {"Factuality": 5 / 6, "Focus": 0.75, "Math": 1.0, "Precise IF": 0.25, "Safety": 1.0, "Ties": 0.0}


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_example_with_a_length_reward_model(tmp_path: Path, fmt: str) -> None:
    """The longest answer wins: exact accuracies per subset on the bundled RewardBench 2 example."""
    path = length_scores(tmp_path / f"len.{fmt}", fmt)
    r = evaluate_op([EXAMPLE], path, rounds=100).data["scorers"][0]
    assert r["scorer"] == "len" and r["samples"] == 25 and r["labels_from"] == {"reference": 25}
    assert {s["subset"]: s["accuracy"] for s in r["subsets"]} == pytest.approx(EXPECTED)
    assert r["overall"]["accuracy"] == pytest.approx(18 / 25) and r["overall"]["score"] is None
    assert r["overall"]["score_of_scored_subsets"] == pytest.approx((5 / 6 + 0.75 + 1 + 0.25 + 1) / 5)


def test_cli_evaluate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = length_scores(tmp_path / "len.jsonl")
    main(["evaluate", str(EXAMPLE), "--scores", str(path), "--rounds", "0"])
    text = capsys.readouterr().out
    assert text.startswith("# rewardbench2_example: accuracy against the labels\n\n## len\n\n25 samples scored "
                           "against their labels (25 reference); 95% intervals from no bootstrap.")
    assert "| Precise IF | 4 | every correct answer scored above every incorrect one | 25.0% | — | 25.0% |" in text
    main(["evaluate", str(EXAMPLE), "--scores", str(path), "--rounds", "0", "--json"])
    assert json.loads(capsys.readouterr().out)["scorers"][0]["overall"]["accuracy"] == 0.72
    for args, sentence in ((["--labels", "gold"], "Unknown label source 'gold' for --labels; known: auto, "
                                                   "aggregate, human, reference."),
                           ([], "Nothing to evaluate: give --scores")):
        with pytest.raises(SystemExit):
            main(["evaluate", str(EXAMPLE), *args])
        assert sentence in capsys.readouterr().err


def test_bad_scores_files(tmp_path: Path) -> None:
    p = tmp_path / "s.jsonl"
    p.write_text('{"sample_id": "a", "candidate_id": "0", "score": 1}\n{"sample_id": "a", "candidate_id": "1", '
                 '"score": "high"}\n', encoding="utf-8")
    with pytest.raises(InputFileError, match=r"s.jsonl, line 2: score 'high' is not a number\.$"):
        read_scores(p)
    p.write_text('{"sample_id": "a", "candidate": "0", "score": 1}\n', encoding="utf-8")
    with pytest.raises(InputFileError, match="needs the columns sample_id, candidate_id, score; it has sample_id, "
                                             "candidate, score."):
        read_scores(p)
    c = tmp_path / "s.csv"
    c.write_text("sample_id,candidate_id,score\na,0,1\na,0,2\n", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"s.csv, line 3: a second score for sample 'a', candidate '0'\."):
        read_scores(c)
    with pytest.raises(InputFileError, match="Cannot tell the format of scores file"):
        read_scores(tmp_path / "s.txt")


def test_judges_from_prediction_annotations() -> None:
    """Two judges pick the best of four; one is right on both Math samples, one on one. A tie is no pick."""
    samples = [bon("m1", 4, ["0"], "Math"), bon("m2", 4, ["2"], "Math")]
    for s, good, bad in ((samples[0], "0", "1"), (samples[1], "2", "2")):
        s.annotations += [Annotation(annotator="judge-a", kind="prediction", values={"best": good}),
                          Annotation(annotator="judge-b", kind="prediction", values={"best": bad})]
    r = evaluate_op(Dataset(name="j", samples=samples, schema=RB2), rounds=0).data
    assert [(e["scorer"], e["overall"]["accuracy"]) for e in r["scorers"]] == [("judge-a", 1.0), ("judge-b", 0.5)]
    only = evaluate_op(Dataset(name="j", samples=samples, schema=RB2), judges="judge-b", rounds=0).data
    assert [e["scorer"] for e in only["scorers"]] == ["judge-b"]
    with pytest.raises(LabelloopError, match="judges: no predictions by judge-z; the judges are judge-a, judge-b."):
        evaluate_op(Dataset(name="j", samples=samples, schema=RB2), judges="judge-z")
