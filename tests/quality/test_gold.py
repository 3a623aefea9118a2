"""Gold accuracy: the Wilson interval against statsmodels and hand-worked values, and each person's record."""

from __future__ import annotations

import pytest
from statsmodels.stats.proportion import proportion_confint

from labelloop.data.model import Annotation, Candidate, DataSample, Message
from labelloop.quality.gold import accuracy_record, gold_accuracy, wilson_interval
from labelloop.templates import TEMPLATES


@pytest.mark.parametrize("k,n", [(8, 10), (0, 10), (10, 10), (9, 12), (1, 1), (37, 50), (0, 1), (3, 7)])
def test_wilson_matches_statsmodels(k, n):
    lo, hi = wilson_interval(k, n)
    want = proportion_confint(k, n, alpha=0.05, method="wilson")
    assert lo == pytest.approx(want[0], abs=1e-12)
    assert hi == pytest.approx(want[1], abs=1e-12)


def test_wilson_published_values():
    # 8 of 10: the textbook 95% Wilson interval (0.4902, 0.9433); all or nothing reach the ends exactly
    lo, hi = wilson_interval(8, 10)
    assert (round(lo, 4), round(hi, 4)) == (0.4902, 0.9433)
    assert wilson_interval(10, 10) == (pytest.approx(0.7224672001371106, abs=1e-12), 1.0)
    assert wilson_interval(0, 10) == (0.0, pytest.approx(0.27753279986288926, abs=1e-12))
    assert wilson_interval(0, 0) is None
    with pytest.raises(ValueError):
        wilson_interval(3, 2)


def test_flags():
    r = accuracy_record("ana", 9, 12, threshold=0.7)
    assert (r.accuracy, r.below, r.clearly_below) == (0.75, False, False)
    r = accuracy_record("ben", 6, 10, threshold=0.7)
    assert (r.accuracy, r.below, r.clearly_below) == (0.6, True, False)
    r = accuracy_record("cai", 1, 12, threshold=0.7)
    assert r.below and r.clearly_below and r.high == pytest.approx(proportion_confint(1, 12, method="wilson")[1], abs=1e-12)
    r = accuracy_record("dee", 0, 0)
    assert (r.accuracy, r.low, r.high, r.below, r.clearly_below) == (None, None, None, False, False)


def _sample(sid: str, ref: str | None, answers: dict[str, str]) -> DataSample:
    anns = [Annotation(annotator="ref", kind="reference", values={"best": ref})] if ref else []
    anns += [Annotation(annotator=a, kind="human", values={"best": v}) for a, v in answers.items()]
    return DataSample(id=sid, prompt=[Message(role="user", content="q")],
                      candidates=[Candidate(id="0", content="a"), Candidate(id="1", content="b")], annotations=anns)


def test_gold_accuracy_per_person():
    best = [q for q in TEMPLATES.get("rewardbench2")().questions if q.name == "best"]
    samples = [_sample("g1", "0", {"ana": "0", "ben": "1"}), _sample("g2", "1", {"ana": "1", "ben": "1"}),
               _sample("g3", "0", {"ana": "0", "ben": "1", "cai": "0"}), _sample("x", None, {"ana": "1"})]
    got = {r.annotator: (r.correct, r.total) for r in gold_accuracy(samples, best)}
    assert got == {"ana": (3, 3), "ben": (1, 3), "cai": (1, 1)}
    # only the plan's gold ids count
    got = {r.annotator: (r.correct, r.total) for r in gold_accuracy(samples, best, gold_ids=["g1"])}
    assert got == {"ana": (1, 1), "ben": (0, 1)}
    ben = [r for r in gold_accuracy(samples, best, threshold=0.5) if r.annotator == "ben"][0]
    assert ben.below and ben.low == pytest.approx(proportion_confint(1, 3, method="wilson")[0], abs=1e-12)
