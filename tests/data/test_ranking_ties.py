"""Rankings with ties (issue 17): a ranking item may be a tier of equally good answers; no pair inside a tier."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.stats import kendalltau

from labelloop import TEMPLATES, Annotation, Question, load
from labelloop.data.schema import AnnotationSchema, ranking_tiers
from labelloop.formats.dpo import DPOFormat, sample_pairs
from labelloop.quality.leaderboard import pairwise
from labelloop.quality.ranking import kendall_tau_b, kendall_w, ranks

EXAMPLE = "examples/rewardbench2_example.jsonl"
CORRECT = ["0", "1", "2", "3"]  # 11, 13, 17, 19; 4..7 are 12, 15, 21, 9


def prime_sample(value):
    ds = load(EXAMPLE)
    s = next(x for x in ds.samples if x.metadata.get("source_id") == "ties-023")
    s.annotations.append(Annotation(annotator="ana", values={"ranking": value, "correct": CORRECT}))
    return ds, s


def test_tiers_read_from_either_form():
    assert ranking_tiers(["c1", ["c2", "c3"], "c4"]) == [["c1"], ["c2", "c3"], ["c4"]]
    assert ranking_tiers([["a", "b"], ["c"]]) == [["a", "b"], ["c"]]
    assert ranking_tiers(["a", "b"]) == [["a"], ["b"]]


def test_rewardbench2_ranking_allows_ties_and_hash_of_others_unchanged():
    assert TEMPLATES.get("rewardbench2")().question("ranking").ties is True
    plain = AnnotationSchema(questions=[Question(name="r", type="ranking", options_from_candidates=True)])
    assert "ties" not in json.dumps(plain.model_dump(mode="json")) or plain.schema_hash() == AnnotationSchema(
        questions=[Question(name="r", type="ranking", options_from_candidates=True, ties=False)]).schema_hash()
    tied = AnnotationSchema(questions=[Question(name="r", type="ranking", options_from_candidates=True, ties=True)])
    assert tied.schema_hash() != plain.schema_hash()
    with pytest.raises(ValueError, match="ties is for a ranking question"):
        Question(name="x", type="single_choice", options_from_candidates=True, ties=True)


def test_validation_of_tiered_rankings():
    ds, s = prime_sample(None)
    schema = ds.schema
    ok = [["0", "1", "2", "3"], "4", "5", "6", "7"]
    assert schema.validate_values(s, {"ranking": ok}, partial=True) == []
    assert schema.validate_values(s, {"ranking": [["0", "1"], ["1", "2"]]}, partial=True) == [
        f"sample {s.id!r}, question 'ranking': ranking [['0', '1'], ['1', '2']] repeats an item"]
    assert schema.validate_values(s, {"ranking": [["0", "9"]]}, partial=True) == [
        f"sample {s.id!r}, question 'ranking': ranking items ['9'] are not among "
        "['0', '1', '2', '3', '4', '5', '6', '7']"]
    assert schema.validate_values(s, {"ranking": ["0", []]}, partial=True) == [
        f"sample {s.id!r}, question 'ranking': ranking ['0', []] is not a list of ids or of tiers (lists of ids)"]
    strict = AnnotationSchema(questions=[Question(name="ranking", type="ranking", options_from_candidates=True)])
    assert strict.validate_values(s, {"ranking": ok}) == [
        f"sample {s.id!r}, question 'ranking': ranking {ok!r} puts answers in one place (a tier), but question "
        "'ranking' does not allow ties"]


def test_prime_ties_dpo_pairs_only_correct_over_incorrect(tmp_path):
    # today's strict ranking: 11 first, then 13, 17, 19 below it as "rejected" (3 of 7 pairs correct vs correct)
    ds, s = prime_sample(["0", "1", "2", "3", "4", "5", "6", "7"])
    pairs, source, _ = sample_pairs(s, ds.schema)
    assert source == "human" and len(pairs) == 7
    assert [p for p in pairs if p[1] in CORRECT] == [("0", "1"), ("0", "2"), ("0", "3")]
    # the four correct answers in one tier, the rest below
    ds, s = prime_sample([CORRECT, "4", "5", "6", "7"])
    pairs, source, _ = sample_pairs(s, ds.schema)
    assert source == "human"
    assert sorted(pairs) == [(a, b) for a in CORRECT for b in ["4", "5", "6", "7"]]  # 16 pairs
    pairs_all, _, _ = sample_pairs(s, ds.schema, policy="all")
    assert len(pairs_all) == 16 + 6 and not [p for p in pairs_all if p[0] in CORRECT and p[1] in CORRECT]
    pairs_adj, _, _ = sample_pairs(s, ds.schema, policy="adjacent")
    assert pairs_adj == [(a, "4") for a in CORRECT] + [("4", "5"), ("5", "6"), ("6", "7")]
    # the exported file
    ds.samples = [s]
    out = tmp_path / "dpo.jsonl"
    DPOFormat(label_source="human").write(ds, out)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 16
    assert sorted({r["chosen"] for r in rows}) == ["11", "13", "17", "19"]
    assert sorted({r["rejected"] for r in rows}) == ["12", "15", "21", "9"]


def test_mid_ranks_for_tiers_and_kendall():
    universe = ["a", "b", "c", "d", "e"]
    assert ranks(["a", ["b", "c", "d"], "e"], universe).tolist() == [1.0, 3.0, 3.0, 3.0, 5.0]
    assert ranks([["a", "b"]], universe).tolist() == [1.5, 1.5, 4.0, 4.0, 4.0]
    x = ranks(["a", ["b", "c"], "d", "e"], universe)
    y = ranks([["a", "b"], "c", "e", "d"], universe)
    assert kendall_tau_b(x, y) == pytest.approx(kendalltau(x, y).statistic, abs=1e-12)
    # W with ties: 12 S / (m² (n³ - n) - m Σ T); two rankings, n = 5
    mat = np.vstack([x, y])
    totals = mat.sum(axis=0)
    s = ((totals - totals.mean()) ** 2).sum()
    assert kendall_w(mat) == pytest.approx(12 * s / (4 * 120 - 2 * (6 + 6)), abs=1e-12)


def test_leaderboard_votes_tie_inside_a_tier():
    schema = TEMPLATES.get("rewardbench2")()
    q = schema.question("ranking")
    got = pairwise(q, [["a", "b"], "c"], ["a", "b", "c"])
    assert sorted(got) == [("a", "b", 0.5), ("a", "c", 1.0), ("b", "c", 1.0)]


def test_agreement_on_tiered_rankings_uses_mid_ranks():
    from labelloop.quality.agreement import agreement

    ds, s = prime_sample([CORRECT, "4", "5", "6", "7"])
    s.annotations.append(Annotation(annotator="ben", values={"ranking": [["0", "1"], ["2", "3"], "4", "5", "6", "7"],
                                                             "correct": CORRECT}))
    ds.samples = [s]
    qa = next(q for q in agreement(ds, questions=["ranking"]).questions if q.question == "ranking")
    ids = [c.id for c in s.candidates]
    a = ranks([CORRECT, "4", "5", "6", "7"], ids)
    b = ranks([["0", "1"], ["2", "3"], "4", "5", "6", "7"], ids)
    assert a.tolist() == [2.5, 2.5, 2.5, 2.5, 5, 6, 7, 8] and b.tolist() == [1.5, 1.5, 3.5, 3.5, 5, 6, 7, 8]
    assert qa.stats["kendall_w"].value == pytest.approx(kendall_w(np.vstack([a, b])), abs=1e-12)
    assert qa.stats["kendall_tau"].value == pytest.approx(kendalltau(a, b).statistic, abs=1e-12)


def test_a_pre_label_ranking_may_have_tiers_where_the_question_allows_them():
    from labelloop.assist.prompt import View, parse_answer

    ds, s = prime_sample(None)
    view = View(order=[c.id for c in s.candidates])  # A = '0' (11), B = '1' (13), …
    reply = json.dumps({"values": {"best": "A", "ranking": [["A", "B", "C", "D"], "E", "F", "G", "H"]}})
    parsed = parse_answer(reply, ds.schema, s, view)
    assert parsed.problems == [] and parsed.values["ranking"] == [CORRECT, "4", "5", "6", "7"]
    strict = AnnotationSchema(questions=[Question(name="ranking", type="ranking", options_from_candidates=True)])
    parsed = parse_answer(json.dumps({"values": {"ranking": [["A", "B"], "C", "D", "E", "F", "G", "H"]}}), strict, s,
                          view)
    assert parsed.problems == ["question 'ranking': ['A', 'B'] is not one of ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H']"]


def test_evaluate_reads_a_tiered_ranking_as_the_correct_set():
    from labelloop.quality.evaluate import score_items

    ds, s = prime_sample([CORRECT, "4", "5", "6", "7"])
    ds.samples = [s]
    scores = {(s.id, c.id): (10.0 if c.id in CORRECT else 1.0) - int(c.id) * 0.1 for c in s.candidates}
    (item,), _ = score_items(ds, scores, label_source="human")
    assert (item.n_correct, item.accurate, item.ties) == (4, True, ("tied", s.id))
    assert item.margin == pytest.approx((10.0 - 0.3) - (1.0 - 0.4), abs=1e-12)
    # a strict ranking put only 11 in the top tier: the other primes counted as incorrect
    ds2, s2 = prime_sample(["0", "1", "2", "3", "4", "5", "6", "7"])
    ds2.samples = [s2]
    (item2,), _ = score_items(ds2, scores, label_source="human")
    assert (item2.n_correct, item2.margin) == (1, pytest.approx(10.0 - 9.9, abs=1e-12))
