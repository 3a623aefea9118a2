"""The one position-bias rule, and both readings built on it (the dashboard's rates, the review's test)."""

from __future__ import annotations

from collections import Counter

import pytest
from scipy.stats import binomtest

from labelloop.data.model import Annotation, Candidate, DataSample
from labelloop.data.schema import Option, Question
from labelloop.quality.position_bias import (
    binomial_sf,
    first_pick_rates,
    measures_position,
    picked_position,
    position_counts,
    position_test,
)

PICK = Question(name="pick", type="single_choice", options_from_candidates=True, options=[Option(value="tie")])
RANK = Question(name="rank", type="ranking", options_from_candidates=True)
EACH = Question(name="each", type="single_choice", options_from_candidates=True, per_candidate=True)
SCALE = Question(name="score", type="rating", min=1, max=4, step=1)


def ann(values: dict, order: list[str] | None, **kw) -> Annotation:
    return Annotation(annotator=kw.pop("annotator", "ann"), values=values,
                      metadata={} if order is None else {"order": order}, **kw)


def test_which_questions_have_a_screen_position():
    assert [measures_position(q) for q in (PICK, RANK, EACH, SCALE)] == [True, True, False, False]


def test_picked_position_reads_the_recorded_order():
    assert picked_position(ann({"pick": "2"}, ["1", "2", "0"]), PICK) == (1, 3)
    assert picked_position(ann({"rank": ["0", "2", "1"]}, ["1", "2", "0"]), RANK) == (2, 3)
    pre = Annotation(annotator="m", kind="prediction", values={"pick": "0"}, metadata={"shown_order": ["0", "1"]})
    assert picked_position(pre, PICK) == (0, 2)  # a pre-label's shown_order counts like a person's order
    ls = Annotation(annotator="b", values={"pick": "1"}, metadata={"labelstudio": {"order": ["0", "1"]}})
    assert picked_position(ls, PICK) == (1, 2)


@pytest.mark.parametrize("answer", [
    ann({"pick": "tie"}, ["0", "1"]),  # a tie picks no position
    ann({"pick": "0"}, None),  # no recorded order
    ann({"pick": "0"}, ["0"]),  # one answer shown: nothing to prefer
    ann({"pick": "5"}, ["0", "1"]),  # not among the answers shown
    ann({}, ["0", "1"]),
])
def test_answers_without_a_position(answer: Annotation):
    assert picked_position(answer, PICK) is None


def test_first_pick_rates_exact():
    cands = [Candidate(id=str(i), content=str(i)) for i in range(3)]
    samples = [
        DataSample(id="a", candidates=cands, annotations=[ann({"pick": "2"}, ["2", "0", "1"]),
                                                          ann({"pick": "1"}, ["2", "0", "1"], annotator="ben")]),
        DataSample(id="b", candidates=cands[:2], annotations=[ann({"pick": "1"}, ["0", "1"]),
                                                              ann({"pick": "tie"}, ["0", "1"], annotator="ben")]),
    ]
    assert first_pick_rates(samples, PICK) == [
        {"annotator": "ann", "kind": "human", "items": 2, "first_picked": 1, "first_rate": 0.5,
         "chance": pytest.approx((1 / 3 + 1 / 2) / 2), "last_picked": 1, "last_rate": 0.5},
        {"annotator": "ben", "kind": "human", "items": 1, "first_picked": 0, "first_rate": 0.0,
         "chance": pytest.approx(1 / 3), "last_picked": 1, "last_rate": 1.0},
    ]
    assert first_pick_rates(samples, SCALE) == []


def test_position_counts_and_the_binomial_test_exact():
    answers = [("carol", ann({"pick": o[0]}, o)) for o in (["0", "1"], ["1", "0"], ["0", "1"], ["1", "0"])]
    answers.append(("carol", ann({"pick": "1"}, ["0", "1"])))
    answers.append(("dan", ann({"pick": "2"}, ["0", "1", "2"])))
    tables = position_counts(answers, [PICK, SCALE])
    assert dict(tables) == {("carol", "pick", 2): Counter({0: 4, 1: 1}), ("dan", "pick", 3): Counter({2: 1})}
    row = position_test(tables[("carol", "pick", 2)], 2)
    p = binomtest(4, 5, 0.5, alternative="greater").pvalue
    assert row == {"candidates": 2, "answers": 5, "counts": {"A": 4, "B": 1}, "most_picked": "A", "share": 0.8,
                   "chance": 0.5, "p_value": pytest.approx(p, rel=1e-12), "p_adjusted": pytest.approx(2 * p, rel=1e-12)}
    assert position_test(tables[("dan", "pick", 3)], 3)["counts"] == {"A": 0, "B": 0, "C": 1}


def test_labels_past_26_answers_are_spreadsheet_letters():
    ids = [str(i) for i in range(28)]
    row = position_test(Counter({26: 3, 0: 1}), 28)
    assert row["most_picked"] == "AA" and list(row["counts"])[25:] == ["Z", "AA", "AB"]
    assert picked_position(ann({"pick": "27"}, ids), PICK) == (27, 28)


def test_binomial_tail_matches_scipy():
    for k, n, p in [(9, 10, 0.5), (30, 40, 1 / 3), (1, 5, 0.5), (5, 5, 0.25), (700, 1000, 0.5), (3, 12, 0.25)]:
        assert binomial_sf(k, n, p) == pytest.approx(binomtest(k, n, p, alternative="greater").pvalue, rel=1e-9)
    assert (binomial_sf(0, 5, 0.3), binomial_sf(6, 5, 0.3)) == (1.0, 0.0)
