"""Agreement over a dataset's annotations: latest answers, skipped items, per-candidate items, references."""

from __future__ import annotations

from itertools import permutations

import krippendorff
import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score

from labelloop.data.model import Dataset
from labelloop.errors import LabelloopError, ParameterError
from labelloop.quality.agreement import agreement
from labelloop.quality.alpha import krippendorff_alpha, masi_distance
from labelloop.quality.kappa import fleiss_kappa

NAN = np.nan
# preference answers, units s1..s6 × (alice, bob, carol); codes 0 -> "0", 1 -> "1", 2 -> "tie".
# alice's later answer to s2 counts, bob's draft on s6 does not, skipped items are missing.
PREF = np.array([[0, 0, 0], [0, 1, 1], [1, 1, NAN], [2, 0, 1], [0, NAN, 0], [1, 1, 1]], dtype=float)
# per-candidate ratings: one unit per (sample, candidate)
RATE = np.array([[5, 4, 5], [2, 2, 1], [3, 2, 2], [3, 4, 5], [1, 2, NAN], [4, 4, NAN], [3, 4, 3], [3, 3, 4],
                 [5, NAN, 4], [1, NAN, 1], [2, 1, 2], [5, 5, 4]], dtype=float)


def test_preference_question(pairs: Dataset) -> None:
    qa = agreement(pairs).question("preference")
    assert (qa.annotators, qa.n_items, qa.n_pairable, qa.n_ratings) == (["alice", "bob", "carol"], 6, 6, 16)
    assert qa.level == "nominal" and list(qa.alpha) == ["nominal"]
    assert qa.stats["alpha"].value == pytest.approx(
        krippendorff.alpha(reliability_data=PREF.T, level_of_measurement="nominal"), abs=1e-12)
    assert round(qa.stats["alpha"].value, 3) == 0.472
    assert qa.stats["percent_agreement"].value == pytest.approx(13 / 18)
    assert qa.stats["percent_agreement"].extra["unanimous_items"] == pytest.approx(4 / 6)
    # Fleiss with 2 or 3 raters per item (Gwet's generalisation): pe = 73/162 -> kappa = 44/89
    assert qa.stats["fleiss_kappa"].value == pytest.approx(44 / 89, abs=1e-12)
    assert qa.stats["fleiss_kappa"].extra["method"].startswith("fleiss-gwet")
    # AC1 over the 4 possible answers ("0", "1", "tie", "both_bad"): 262/397
    assert qa.stats["gwet_ac1"].value == pytest.approx(262 / 397, abs=1e-12)


def test_cohen_per_pair_on_shared_items(pairs: Dataset) -> None:
    qa = agreement(pairs).question("preference")
    got = {(p["a"], p["b"]): p for p in qa.pairs}
    assert {k: v["shared_items"] for k, v in got.items()} == {
        ("alice", "bob"): 5, ("alice", "carol"): 5, ("bob", "carol"): 4}
    for (a, b), p in got.items():
        i, j = ["alice", "bob", "carol"].index(a), ["alice", "bob", "carol"].index(b)
        both = ~np.isnan(PREF[:, i]) & ~np.isnan(PREF[:, j])
        assert p["none"].value == pytest.approx(cohen_kappa_score(PREF[both, i], PREF[both, j]), abs=1e-12)
        assert "linear" not in p  # no weights on an unordered choice


def test_disagreements_per_annotator_and_accuracy(pairs: Dataset) -> None:
    qa = agreement(pairs).question("preference")
    assert [d["sample_id"] for d in qa.disagreements] == ["s4", "s2"]
    assert qa.disagreements[0]["values"] == [{"annotator": "alice", "value": "tie"},
                                             {"annotator": "bob", "value": "0"}, {"annotator": "carol", "value": "1"}]
    # s4: every pair disagrees (1.0) relative to chance D_e = 1 - sum n_c(n_c-1) / n(n-1) = 71/120
    assert qa.disagreements[0]["disagreement"] == pytest.approx(1 / (71 / 120))
    alice = next(r for r in qa.per_annotator if r["annotator"] == "alice")
    assert (alice["ratings"], alice["items_with_others"], alice["agreement_with_others"]) == (6, 6, 0.6)
    without_alice = PREF[:, 1:]
    assert alice["alpha_without"] == pytest.approx(
        krippendorff.alpha(reliability_data=without_alice.T, level_of_measurement="nominal"), abs=1e-12)
    assert [(r["annotator"], r["kind"], r["items"], r["accuracy"]) for r in qa.accuracy] == [
        ("alice", "human", 6, 0.5), ("bob", "human", 5, 0.4), ("carol", "human", 5, 0.4),
        ("gpt-judge", "prediction", 6, pytest.approx(5 / 6))]


def test_per_candidate_ratings_all_levels(pairs: Dataset) -> None:
    qa = agreement(pairs).question("rating")
    assert qa.per_candidate and qa.level == "ordinal" and qa.n_items == 12 and qa.n_ratings == 32
    assert list(qa.alpha) == ["ordinal", "nominal", "interval", "ratio"]
    for level, stat in qa.alpha.items():
        assert stat.value == pytest.approx(krippendorff.alpha(reliability_data=RATE.T, level_of_measurement=level),
                                           abs=1e-12)
    pair = next(p for p in qa.pairs if (p["a"], p["b"]) == ("alice", "bob"))
    both = ~np.isnan(RATE[:, 0]) & ~np.isnan(RATE[:, 1])
    for wt in ("linear", "quadratic"):
        assert pair[wt].value == pytest.approx(cohen_kappa_score(RATE[both, 0], RATE[both, 1], labels=[1, 2, 3, 4, 5],
                                                                 weights=wt), abs=1e-12)
    assert qa.stats["gwet_ac1"].extra["categories"] == 5
    top = qa.disagreements[0]
    assert (top["sample_id"], top["candidate_id"]) == ("s2", "1")
    alice = next(r for r in qa.per_annotator if r["annotator"] == "alice")
    assert alice["mean_abs_difference"] == pytest.approx(13 / 20)


def test_level_override_and_bootstrap(pairs: Dataset) -> None:
    qa = agreement(pairs, questions=["rating"], level="interval", bootstrap=200, seed=7).question("rating")
    assert qa.level == "interval" and list(qa.alpha)[0] == "interval"
    assert qa.stats["alpha"].ci is not None and qa.alpha["nominal"].ci is None
    assert qa.stats["fleiss_kappa"].ci is not None
    assert qa.pairs[0]["none"].ci is not None
    again = agreement(pairs, questions=["rating"], level="interval", bootstrap=200, seed=7).question("rating")
    assert again.stats["alpha"].ci == qa.stats["alpha"].ci
    with pytest.raises(LabelloopError, match="Level 'interval' does not fit question 'preference'"):
        agreement(pairs, questions=["preference"], level="interval")


def test_predictions_count_as_annotators_on_request(pairs: Dataset) -> None:
    qa = agreement(pairs, include_predictions=True).question("preference")
    assert qa.annotators == ["alice", "bob", "carol", "gpt-judge"] and qa.n_ratings == 22


def test_text_is_counted_not_scored(pairs: Dataset) -> None:
    qa = agreement(pairs).question("comment")
    assert (qa.annotators, qa.n_items, qa.stats) == (["alice", "bob"], 1, {})
    assert "free text" in qa.notes[0]


def test_rankings_and_multi_choice(bon: Dataset) -> None:
    report = agreement(bon)
    rk = report.question("ranking")
    # W per item: 4/9, 7/9 (cy's partial ranking ties the rest), 3/4
    assert rk.stats["kendall_w"].value == pytest.approx((4 / 9 + 7 / 9 + 3 / 4) / 3, abs=1e-12)
    assert rk.stats["kendall_w"].n_items == 3
    assert [d["sample_id"] for d in rk.disagreements] == ["r1", "r3", "r2"]
    correct = report.question("correct")
    assert correct.level == "masi" and list(correct.alpha) == ["masi", "jaccard", "nominal"]
    units = [[("0",), ("0", "2"), ("0",)], [("2",), ("1", "2"), ("2",)], [("1",), ()]]
    values = [v for u in units for v in u]
    n = len(values)
    d_o = sum(masi_distance(a, b) / (len(u) - 1) for u in units for a, b in permutations(u, 2)) / n
    d_e = sum(masi_distance(a, b) for a, b in permutations(values, 2)) / (n * (n - 1))
    assert correct.stats["alpha"].value == pytest.approx(1 - d_o / d_e, abs=1e-12)


def test_degenerate_dataset_reports_undefined(pairs: Dataset) -> None:
    one = pairs.model_copy(deep=True)
    for s in one.samples:
        s.annotations = [a for a in s.annotations if a.annotator == "alice"]
    qa = agreement(one).question("preference")
    assert qa.stats["alpha"].value is None and qa.stats["alpha"].reason == "no item has two or more ratings"
    assert qa.stats["fleiss_kappa"].to_dict()["undefined"] == "no item has two or more ratings"
    assert qa.pairs == [] and qa.disagreements == []


def test_without_a_schema_question_types_are_inferred(pairs: Dataset) -> None:
    bare = pairs.model_copy(deep=True)
    bare.schema = None
    report = agreement(bare)
    assert report.inferred_schema
    types = {q.question: (q.type, q.per_candidate) for q in report.questions}
    assert types == {"preference": ("single_choice", False), "rating": ("rating", True), "comment": ("text", False)}
    assert report.question("rating").alpha["interval"].value == pytest.approx(
        krippendorff.alpha(reliability_data=RATE.T, level_of_measurement="interval"), abs=1e-12)


def test_interval_parameters_are_refused_by_the_library_naming_them(pairs: Dataset) -> None:
    with pytest.raises(ParameterError) as minus:
        agreement(pairs, bootstrap=-1)
    assert (minus.value.param, str(minus.value)) == ("bootstrap", "bootstrap must be 0 or more, not -1.")
    assert minus.value.render(lambda p: "--" + p) == "--bootstrap must be 0 or more, not -1."
    with pytest.raises(ParameterError) as level:
        krippendorff_alpha(np.array([[1, 2, 3], [1, 2, 2]]), "ordinal", ci_level=1.5)
    assert str(level.value) == "ci_level must be between 0 and 1 (0.95 is usual), not 1.5."
    assert fleiss_kappa(np.array([[2, 0], [1, 1], [0, 2]]), bootstrap=0).bootstrap == 0
