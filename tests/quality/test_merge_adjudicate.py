"""Merging a dataset into aggregate annotations; adjudication rules; the review queue round trip."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from labelloop.data.model import Annotation, Candidate, DataSample, Dataset, Message
from labelloop.data.preference import choose_label
from labelloop.data.schema import AnnotationSchema, Question
from labelloop.errors import LabelloopError, ParameterError, UnknownNameError
from labelloop.quality.adjudicate import adjudicate, apply_decisions, write_queue
from labelloop.quality.merge import merge


def _agg(ds: Dataset, sid: str, annotator: str):
    s = ds.by_id()[sid]
    (ann,) = [a for a in s.annotations if a.kind == "aggregate" and a.annotator == annotator]
    return ann


def test_majority_merge_writes_one_aggregate_per_sample(pairs: Dataset) -> None:
    merged, summary = merge(pairs, "majority")
    s1 = _agg(merged, "s1", "merge:majority")
    assert s1.values == {"preference": "0", "rating": {"0": 5, "1": 2}}
    assert s1.score == pytest.approx(2 / 3) and s1.metadata["needs_review"] is False
    assert s1.metadata["strategy"] == "majority"
    assert s1.metadata["questions"]["preference"]["votes"] == [{"value": "0", "count": 3}]
    s4 = _agg(merged, "s4", "merge:majority")
    assert "preference" not in s4.values and s4.metadata["needs_review"] is True
    assert s4.metadata["questions"]["preference"]["reason"] == "tie between '0', '1', 'tie'"
    s2 = _agg(merged, "s2", "merge:majority")
    assert s2.values["preference"] == "1"  # alice's changed answer is "0"; bob and carol say "1"
    assert "comment" not in s2.values  # two different texts: both kept, nobody's picked
    answers = s2.metadata["questions"]["comment"]["answers"]
    assert [a["annotator"] for a in answers] == ["alice", "bob"]
    assert summary["questions"]["preference"] == {"strategy": "majority", "items": 6, "decided": 5,
                                                  "needs_review": 1}
    assert summary["merged_samples"] == 6
    # merging again replaces the earlier aggregate instead of adding a second one
    again, _ = merge(merged, "majority")
    assert sum(a.kind == "aggregate" for a in again.by_id()["s1"].annotations) == 1
    assert choose_label(again.by_id()["s1"], again.schema.question("preference")) == ("0", "aggregate")


def test_rating_strategies(pairs: Dataset) -> None:
    avg, _ = merge(pairs, "average", questions=["rating"])
    s2 = _agg(avg, "s2", "merge:average")
    # candidate 0: 3, 2, 2 -> the arithmetic mean 7/3; candidate 1: 3, 4, 5 -> 4, spread 2 needs review
    assert s2.values == {"rating": {"0": 7 / 3, "1": 4}}
    assert s2.metadata["questions"]["rating"]["needs_review"] is True
    assert s2.metadata["questions"]["rating"]["candidates"]["1"]["mean"] == pytest.approx(4.0)
    rounded, _ = merge(pairs, "average", questions=["rating"], round_to_scale=True)
    s2 = _agg(rounded, "s2", "merge:average")
    assert s2.values == {"rating": {"0": 2, "1": 4}}  # 7/3 rounded to the 1..5 scale
    assert s2.metadata["questions"]["rating"]["candidates"]["0"]["mean"] == 7 / 3
    med, _ = merge(pairs, "median", questions=["rating"])
    assert _agg(med, "s3", "merge:median").values == {"rating": {"0": 2, "1": 4}}  # median of 1, 2 = 1.5 -> 2


def test_dawid_skene_and_weighted_report_reliability(pairs: Dataset) -> None:
    _, summary = merge(pairs, "dawid-skene", questions=["preference"])
    table = summary["questions"]["preference"]["reliability"]
    assert sorted(r["annotator"] for r in table) == ["alice", "bob", "carol"]
    assert all(0.0 <= r["accuracy"] <= 1.0 for r in table)
    _, summary = merge(pairs, "weighted", questions=["preference"])
    assert set(summary["questions"]["preference"]["skills"]) == {"alice", "bob", "carol"}


def test_bradley_terry_merge(pairs: Dataset, bon: Dataset) -> None:
    merged, summary = merge(pairs, "bradley-terry", questions=["preference"])
    assert summary["questions"]["preference"]["strategy"] == "bradley-terry"
    s1 = _agg(merged, "s1", "merge:bradley-terry")
    assert s1.values == {"preference": "0"}
    scores = s1.metadata["questions"]["preference"]["scores"]
    assert scores["0"] / (scores["0"] + scores["1"]) == pytest.approx(3.5 / 4)  # 3 wins + prior 0.5 of 4 games
    s4 = _agg(merged, "s4", "merge:bradley-terry")  # tie, "0", "1": even
    assert s4.values == {} and s4.metadata["needs_review"]
    ranked, _ = merge(bon, "bradley-terry", questions=["ranking"])
    assert _agg(ranked, "r2", "merge:bradley-terry").values["ranking"][0] == "2"


def test_borda_and_multi_choice_merge(bon: Dataset) -> None:
    merged, _ = merge(bon, "majority", questions=["ranking", "correct"])
    r1 = _agg(merged, "r1", "merge:majority")
    assert r1.values == {"ranking": ["0", "1", "2"], "correct": ["0"]}
    assert r1.metadata["questions"]["ranking"]["strategy"] == "borda"
    union, _ = merge(bon, "union", questions=["correct"])
    assert _agg(union, "r2", "merge:union").values == {"correct": ["1", "2"]}


def test_unknown_strategy_and_missing_experts(pairs: Dataset) -> None:
    with pytest.raises(UnknownNameError) as unknown:
        merge(pairs, "vote")
    assert str(unknown.value) == ("Unknown merge strategy 'vote'; known: majority, average, median, strict, "
                                  "per-option, intersection, union, borda, dawid-skene, weighted, bradley-terry.")
    with pytest.raises(LabelloopError, match="needs a list of experts"):
        merge(pairs, "majority", tie_breaker="experts")


def test_expert_priority_and_longest(pairs: Dataset) -> None:
    out, queue, summary = adjudicate(pairs, "experts", experts=["carol", "bob"])
    assert _agg(out, "s4", "adjudicate:experts").values["preference"] == "1"  # carol
    assert _agg(out, "s3", "adjudicate:experts").values["preference"] == "1"  # carol skipped: bob
    assert queue == [] and summary["queued"] == 0
    longest, queue, _ = adjudicate(pairs, "longest", questions=["comment"])
    assert _agg(longest, "s2", "adjudicate:longest").values == {"comment": "A is too short and skips the proof."}


def test_review_queue_and_apply(pairs: Dataset, tmp_path: Path) -> None:
    out, queue, summary = adjudicate(pairs, "review", questions=["preference", "comment"])
    assert [(q["sample_id"], q["question"]) for q in queue] == [("s2", "preference"), ("s2", "comment"),
                                                                ("s4", "preference")]
    s4 = queue[2]
    assert s4["answers"] == [{"annotator": "alice", "value": "tie"}, {"annotator": "bob", "value": "0"},
                             {"annotator": "carol", "value": "1"}]
    assert s4["options"] == ["0", "1", "tie", "both_bad"] and s4["decision"] is None
    assert s4["candidates"] == [{"id": "0", "content": "Answer A to s4"}, {"id": "1", "content": "Answer B to s4"}]
    path = tmp_path / "queue.jsonl"
    assert write_queue(queue, path) == 3
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    rows[0].update(decision="1", reviewer="dana", note="B is right")
    rows[2].update(decision="0")
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    done, result = apply_decisions(out, path, reviewer="erin")
    assert result == {"applied": 2, "samples": 2, "pending": 1, "reviewers": ["dana", "erin"]}
    dana = _agg(done, "s2", "dana")
    assert dana.values == {"preference": "1"} and dana.metadata["notes"] == {"preference": "B is right"}
    assert dana.metadata["strategy"] == "review" and dana.metadata["needs_review"] is False
    assert choose_label(done.by_id()["s4"], done.schema.question("preference")) == ("0", "aggregate")


def test_bad_decisions_name_file_and_line(pairs: Dataset, tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text(json.dumps({"sample_id": "s4", "question": "preference", "decision": "2", "reviewer": "x"})
                    + "\n")
    with pytest.raises(LabelloopError, match=r"d.jsonl, line 1: sample 's4', question 'preference': value '2' is "
                                             r"not one of"):
        apply_decisions(pairs, path)
    path.write_text('{"sample_id": "s4", "question": "preference", "decision": "0"}\n')
    with pytest.raises(ParameterError) as no_reviewer:
        apply_decisions(pairs, path)
    assert (no_reviewer.value.param, no_reviewer.value.render(lambda p: f"--{p}")) == (
        "reviewer", f"{path}, line 1: the decision has no reviewer; fill in \"reviewer\" or pass --reviewer.")
    path.write_text('\n{"sample_id": "zz", "question": "preference", "decision": "0", "reviewer": "x"}\n')
    with pytest.raises(LabelloopError, match="line 2: sample 'zz' is not in the dataset"):
        apply_decisions(pairs, path)
    path.write_text("{not json\n")
    with pytest.raises(LabelloopError, match="line 1: not valid JSON"):
        apply_decisions(pairs, path)


def test_average_is_the_arithmetic_mean_as_datalabel_gives_it() -> None:
    # DataLabel's merge --strategy average of 1, 1 and 0.5 on a 0..1 scale (step 0.5) gives 0.833; labelloop gave
    # 1 (the mean snapped to the scale). Now: (1 + 1 + 0.5) / 3 = 5/6, and 1 only with round_to_scale.
    q = Question(name="score", type="rating", min=0, max=1, step=0.5)
    ds = Dataset(name="dl", schema=AnnotationSchema(name="dl", questions=[q]), samples=[
        DataSample(id="t1", prompt=[Message(role="user", content="Hi")], candidates=[Candidate(id="0", content="Hello")],
                   annotations=[Annotation(annotator=a, values={"score": v}) for a, v in
                                (("ann1", 1), ("ann2", 1), ("ann3", 0.5))])])
    merged, _ = merge(ds, "average")
    assert _agg(merged, "t1", "merge:average").values == {"score": 5 / 6}
    assert round(5 / 6, 3) == 0.833
    merged, _ = merge(ds, "average", round_to_scale=True)
    assert _agg(merged, "t1", "merge:average").values == {"score": 1}
    merged, _ = merge(ds, "median")  # the median of 1, 1, 0.5 is on the scale already
    assert _agg(merged, "t1", "merge:median").values == {"score": 1}
