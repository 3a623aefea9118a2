"""Aggregators: every tie is flagged or broken by a named rule; text is never picked by position."""

from __future__ import annotations

import pytest

from labelloop.data.model import Dataset
from labelloop.data.schema import Option, Question
from labelloop.errors import ParameterError, UnknownNameError
from labelloop.quality.aggregators import (
    AGGREGATORS,
    BordaCount,
    BradleyTerryVote,
    Decision,
    ExpertPriority,
    KeepAll,
    LongestAnswer,
    MajorityVote,
    MeanRating,
    MedianRating,
    MultiChoiceVote,
    Strict,
)
from labelloop.quality.bradley_terry import BradleyTerry, fit_strengths
from labelloop.quality.merge import merge
from labelloop.quality.units import Ratings


def R(rows: list[tuple], **kw) -> Ratings:
    return Ratings.from_triples([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], **kw)


VOTES = [("i1", "ann", "a"), ("i1", "bob", "a"), ("i1", "cat", "b"),
         ("i2", "ann", "b"), ("i2", "bob", "a"),
         ("i3", "cat", "b")]


def test_majority_flags_ties_by_default() -> None:
    d = MajorityVote().fit(R(VOTES)).predict()
    assert (d[0].value, d[0].confidence, d[0].needs_review) == ("a", pytest.approx(2 / 3), False)
    assert d[0].details["votes"] == [{"value": "a", "count": 2}, {"value": "b", "count": 1}]
    assert (d[1].value, d[1].needs_review, d[1].reason) == (None, True, "tie between 'a', 'b'")
    assert (d[2].value, d[2].confidence) == ("b", 1.0)


def test_named_tie_breakers() -> None:
    r = R(VOTES, scale=["b", "a"])
    assert MajorityVote(tie_breaker="schema").fit(r).predict()[1].value == "b"
    experts = MajorityVote(tie_breaker="experts", experts=["bob", "ann"]).fit(r).predict()[1]
    assert (experts.value, experts.needs_review) == ("a", False) and "bob" in experts.reason
    unknown = MajorityVote(tie_breaker="experts", experts=["zed"]).fit(r).predict()[1]
    assert unknown.needs_review and unknown.value is None
    picks = {MajorityVote(tie_breaker="random", seed=s).fit(r).predict()[1].value for s in range(20)}
    assert picks == {"a", "b"}
    assert MajorityVote(tie_breaker="random", seed=3).fit(r).labels_ == MajorityVote(
        tie_breaker="random", seed=3).fit(r).labels_
    low = MajorityVote(min_agreement=0.75).fit(r).predict()[0]
    assert low.value == "a" and low.needs_review


def test_numbers_vote_as_numbers() -> None:
    d = MajorityVote().fit(R([("i", "a", 4), ("i", "b", 4.0), ("i", "c", 3)])).predict()[0]
    assert d.value == 4 and d.confidence == pytest.approx(2 / 3)


def test_mean_and_median_snap_to_the_scale_and_flag_spread() -> None:
    rows = [("i1", "a", 4), ("i1", "b", 5), ("i1", "c", 5), ("i2", "a", 1), ("i2", "b", 5)]
    scale = [1, 2, 3, 4, 5]
    mean = MeanRating().fit(R(rows, scale=scale)).predict()
    assert (mean[0].value, mean[0].details["mean"], mean[0].needs_review) == (5, pytest.approx(14 / 3), False)
    assert mean[0].confidence == pytest.approx(1 - 1 / 4)
    assert (mean[1].value, mean[1].needs_review, mean[1].confidence) == (3, True, 0.0)
    med = MedianRating().fit(R([("i", "a", 2), ("i", "b", 3)], scale=scale)).predict()[0]
    assert med.details["median"] == 2.5 and med.value == 3  # halves go up, exact value kept
    raw = MeanRating(snap=False).fit(R(rows)).predict()
    assert raw[0].value == pytest.approx(14 / 3)


def test_strict_needs_unanimity() -> None:
    d = Strict().fit(R(VOTES)).predict()
    assert [x.value for x in d] == [None, None, "b"]
    assert [x.needs_review for x in d] == [True, True, False]


def test_multi_choice_modes() -> None:
    rows = [("i", "a", ["x", "y"]), ("i", "b", ["y"]), ("i", "c", ["y", "z"]), ("j", "a", ["x"]), ("j", "b", [])]
    r = R(rows, kind="set")
    maj = MultiChoiceVote("majority").fit(r).predict()
    assert (maj[0].value, maj[0].needs_review) == (["y"], False)
    assert maj[1].needs_review and maj[1].value == [] and "x" in maj[1].reason
    assert MultiChoiceVote("intersection").fit(r).labels_ == [["y"], []]
    assert MultiChoiceVote("union").fit(r).labels_ == [["x", "y", "z"], ["x"]]
    assert MultiChoiceVote("union").fit(r).predict()[0].confidence == pytest.approx(1 / 3)


def test_borda_handles_partial_rankings_and_ties() -> None:
    rows = [("s", "a", ["0", "1", "2"]), ("s", "b", ["1", "0", "2"]), ("s", "c", ["0"])]
    d = BordaCount(universes={"s": ["0", "1", "2"]}).fit(R(rows, kind="ranking")).predict()[0]
    # points (n - rank): a: 2,1,0; b: 1,2,0; c ranks 0 first and ties 1, 2 at 2.5 -> 2, 0.5, 0.5
    assert d.details["points"] == {"0": 5.0, "1": 3.5, "2": 0.5}
    assert d.value == ["0", "1", "2"] and not d.needs_review
    tie = BordaCount().fit(R([("s", "a", ["0", "1"]), ("s", "b", ["1", "0"])], kind="ranking")).predict()[0]
    assert tie.needs_review and tie.reason == "equal Borda points for 0, 1"


def test_text_is_never_picked_by_position() -> None:
    rows = [("i", "a", "Too short."), ("i", "b", "Misses the second step."), ("j", "a", "fine "), ("j", "b", "fine")]
    keep = KeepAll().fit(R(rows)).predict()
    assert keep[0].value is None and keep[0].needs_review
    assert [a["value"] for a in keep[0].details["answers"]] == ["Too short.", "Misses the second step."]
    assert keep[1].value == "fine " and not keep[1].needs_review
    longest = LongestAnswer().fit(R(rows)).predict()
    assert longest[0].value == "Misses the second step." and longest[0].details["chosen_from"] == "b"
    same_len = LongestAnswer().fit(R([("i", "a", "abc"), ("i", "b", "xyz")])).predict()[0]
    assert same_len.needs_review and same_len.value is None


def test_expert_priority_then_majority() -> None:
    rows = [("i1", "ann", "a"), ("i1", "bob", "a"), ("i1", "exp2", "b"),
            ("i2", "ann", "b"), ("i2", "bob", "b"), ("i2", "exp1", "a"), ("i2", "exp2", "b"),
            ("i3", "ann", "a"), ("i3", "bob", "b")]
    d = ExpertPriority(["exp1", "exp2"]).fit(R(rows)).predict()
    assert [x.value for x in d] == ["b", "a", None]
    assert d[1].details["expert"] == "exp1" and d[1].confidence == pytest.approx(1 / 4)
    assert d[2].needs_review and d[2].details["fallback"] == "majority"


def test_bradley_terry_two_players_has_the_closed_form() -> None:
    # with a symmetric prior of 0.5 wins, P(a beats b) = (wins_a + 0.5) / (games + 1)
    s = fit_strengths(["a", "b"], [("a", "b", 1.0)] * 3 + [("b", "a", 1.0)])
    assert s["a"] / (s["a"] + s["b"]) == pytest.approx(3.5 / 5, abs=1e-9)
    assert s["a"] + s["b"] == pytest.approx(1.0)


def test_bradley_terry_orders_best_of_n() -> None:
    games = [("0", "1", 1.0), ("0", "2", 1.0), ("1", "2", 1.0), ("0", "1", 1.0), ("2", "1", 1.0)]
    bt = BradleyTerry().fit({"s": (["0", "1", "2"], games), "t": (["0", "1"], [("0", "1", .5), ("1", "0", .5)])})
    assert bt.order_["s"][0] == "0" and not bt.needs_review_["s"]
    assert bt.confidence_["s"] > 0.5
    assert bt.needs_review_["t"] and bt.confidence_["t"] == pytest.approx(0.5)


# ---------------------------------------------------------------------- the one contract
def _ratings_for(name: str) -> Ratings:
    """Ratings of the kind each registered aggregator reads."""
    if name in ("mean", "median"):
        return R([("i1", "a", 4), ("i1", "b", 5), ("i2", "a", 1)], scale=[1, 2, 3, 4, 5])
    if name == "multi-choice":
        return R([("i1", "a", ["x", "y"]), ("i1", "b", ["y"]), ("i2", "a", ["x"])], kind="set")
    if name in ("borda", "bradley-terry"):
        return R([("i1", "a", ["0", "1", "2"]), ("i1", "b", ["1", "0"]), ("i2", "a", ["1", "0"])], kind="ranking",
                 question=Question(name="ranking", type="ranking", options_from_candidates=True))
    return R(VOTES)


CONSTRUCTED = {"experts": lambda: ExpertPriority(["bob"])}


def test_every_registered_aggregator_fits_to_itself_and_predicts_one_decision_per_item() -> None:
    assert AGGREGATORS.names() == ["borda", "bradley-terry", "dawid-skene", "experts", "keep-all", "longest",
                                   "majority", "mean", "median", "multi-choice", "strict", "weighted"]
    for name in AGGREGATORS:
        agg = CONSTRUCTED.get(name, AGGREGATORS.get(name))()
        ratings = _ratings_for(name)
        assert agg.fit(ratings) is agg, name
        assert len(agg.predict()) == len(ratings.items) > 1, name
        assert all(d is None or isinstance(d, Decision) for d in agg.predict()), name


def test_bad_parameters_are_refused_when_the_aggregator_is_built() -> None:
    with pytest.raises(UnknownNameError) as tie:
        MajorityVote(tie_breaker="coin")
    assert str(tie.value) == "Unknown tie-breaker 'coin'; known: review, schema, random, experts."
    with pytest.raises(UnknownNameError) as mode:
        MultiChoiceVote("most")
    assert str(mode.value) == "Unknown multi-choice mode 'most'; known: majority, intersection, union."
    with pytest.raises(ParameterError) as experts:
        ExpertPriority([])
    assert (experts.value.param, str(experts.value)) == ("experts",
                                                          "Expert priority needs a list of experts (experts a,b).")
    assert experts.value.render(lambda p: "--" + p) == "Expert priority needs a list of experts (--experts a,b)."


def test_bradley_terry_vote_matches_the_per_item_model() -> None:
    q = Question(name="ranking", type="ranking", options_from_candidates=True)
    rows = [("s", "a", ["0", "1", "2"]), ("s", "b", ["0", "2"]), ("t", "a", ["1"])]
    agg = BradleyTerryVote(candidates={"s": ["0", "1", "2"], "t": ["0", "1"]}).fit(R(rows, kind="ranking", question=q))
    games = [("0", "1", 1.0), ("0", "2", 1.0), ("1", "2", 1.0), ("0", "2", 1.0), ("0", "1", 1.0), ("2", "1", 1.0)]
    model = BradleyTerry().fit({"s": (["0", "1", "2"], games), "t": (["0", "1"], [("1", "0", 1.0)])})
    s, t = agg.predict()
    assert s.value == model.order_["s"] == ["0", "1", "2"] and s.details["scores"] == model.scores_["s"]
    assert t.value == ["1", "0"] and t.confidence == model.confidence_["t"] == 0.75
    both_bad = Question(name="best", type="single_choice", options_from_candidates=True,
                        options=[Option(value="both_bad")])
    nothing = BradleyTerryVote(candidates={"s": ["0", "1"]}).fit(R([("s", "a", "both_bad")], question=both_bad))
    assert nothing.predict() == [None] and nothing.labels_ == [None]


def test_bradley_terry_and_borda_through_merge_keep_their_exact_values(bon: Dataset, pairs: Dataset) -> None:
    # the figures the merge gave before Bradley-Terry became an aggregator (labelloop 76b3f88)
    bt, summary = merge(bon, "bradley-terry", questions=["ranking", "best"])
    meta = {s.id: next(a for a in s.annotations if a.kind == "aggregate").metadata["questions"] for s in bt.samples}
    assert meta["r1"]["ranking"]["scores"] == {"0": 0.5918107262322845, "1": 0.2777938389857604,
                                               "2": 0.13039543478195523}
    assert meta["r1"]["ranking"]["confidence"] == 0.6805515402094212
    assert meta["r1"]["best"]["scores"] == {"0": 0.555555555523204, "1": 0.3333333333614693, "2": 0.11111111111532673}
    assert meta["r2"]["ranking"]["scores"] == {"2": 0.7768622403676712, "1": 0.1344357709667886,
                                               "0": 0.08870198866554029}
    assert meta["r2"]["best"]["confidence"] == 0.8750000000000001
    assert (meta["r3"]["ranking"]["needs_review"], meta["r3"]["ranking"]["reason"]) == (
        True, "equal Bradley-Terry scores at the top")
    assert meta["r3"]["ranking"]["scores"] == {"0": 0.4545454545430493, "1": 0.4545454545430493,
                                               "2": 0.09090909091390147}
    assert summary["questions"]["ranking"] == {"strategy": "bradley-terry", "items": 3, "decided": 2,
                                               "needs_review": 1}
    borda, _ = merge(bon, "borda", questions=["ranking"])
    points = {s.id: next(a for a in s.annotations if a.kind == "aggregate").metadata["questions"]["ranking"]
              for s in borda.samples}
    assert {sid: (p["points"], p["confidence"]) for sid, p in points.items()} == {
        "r1": ({"0": 5.0, "1": 3.0, "2": 1.0}, 0.7777777777777777),
        "r2": ({"2": 6.0, "1": 2.0, "0": 1.0}, 0.8888888888888888),
        "r3": ({"0": 3.0, "1": 3.0, "2": 0.0}, 0.8333333333333333)}
    # an item whose answers state no preference gets no Bradley-Terry decision at all, as before
    for a in pairs.by_id()["s4"].annotations:
        if a.kind == "human" and a.status == "submitted":
            a.values["preference"] = "both_bad"
    prefs, summary = merge(pairs, "bradley-terry", questions=["preference"])
    assert summary["questions"]["preference"] == {"strategy": "bradley-terry", "items": 5, "decided": 5,
                                                  "needs_review": 0}
    assert [a.kind for a in prefs.by_id()["s4"].annotations if a.kind == "aggregate"] == []
    assert next(a for a in prefs.by_id()["s2"].annotations if a.kind == "aggregate").metadata["questions"][
        "preference"]["scores"] == {"1": 0.625, "0": 0.375}
