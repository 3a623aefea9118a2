"""A person's answer on a hidden gold sample (``metadata["gold_check"]``, as ``import-results --plan`` and
``labelstudio pull --plan`` mark it) is a check of that person, not a label: agreement, merging and the views the
people-counting operations read leave it out, even with accepted predictions counted, and it is not counted as an
accepted prediction."""

from __future__ import annotations

import pytest

from accepted_data import ALICE, BOB, alpha, dataset
from labelloop.data.provenance import count_accepted, independent, independent_view, is_gold_check
from labelloop.quality.agreement import agreement
from labelloop.quality.merge import merge


def _with_gold(sid: str = "s2"):
    ds = dataset(carol=False)
    for s in ds.samples:
        if s.id == sid:
            for a in s.annotations:
                if a.kind == "human":
                    a.metadata["gold_check"] = True
    return ds


def test_a_gold_check_is_no_independent_answer_and_no_accepted_prediction():
    ds = _with_gold()
    checks = [a for s in ds.samples for a in s.annotations if is_gold_check(a)]
    assert [(a.annotator, independent(a)) for a in checks] == [("alice", False), ("bob", False)]
    assert count_accepted(ds) == 0
    for include in (False, True):
        view, left_out = independent_view(ds, include_accepted=include)
        assert left_out == 0
        assert [a.annotator for s in view.samples if s.id == "s2" for a in s.annotations if a.kind == "human"] == []
    assert len(next(s for s in ds.samples if s.id == "s2").annotations) == 3  # the view never changes the dataset


def test_agreement_and_merge_leave_gold_checks_out():
    pref = agreement(_with_gold()).question("preference")
    rest = {k: v for k, v in ALICE.items() if k != "s2"}, {k: v for k, v in BOB.items() if k != "s2"}
    assert pref.n_ratings == 10
    assert pref.stats["alpha"].value == pytest.approx(alpha(*rest), abs=1e-12)
    merged, _ = merge(_with_gold(), strategy="majority")
    s2 = next(s for s in merged.samples if s.id == "s2")
    assert s2.annotations_of("aggregate") == []  # only gold checks answered it: nothing to merge


def test_agreement_reports_each_persons_gold_accuracy_with_its_interval(tmp_path, capsys):
    from statsmodels.stats.proportion import proportion_confint

    from labelloop.cli import main
    from labelloop.data.model import Annotation
    from labelloop.formats import save

    ds = _with_gold("s2")
    for s in ds.samples:  # a second gold sample; the reference is "0" on both: alice is right twice, bob once
        if s.id == "s1":
            for a in s.annotations:
                if a.kind == "human":
                    a.metadata["gold_check"] = True
        if s.id in ("s1", "s2"):
            s.annotations.append(Annotation(annotator="source", kind="reference", values={"preference": "0"}))
    report = agreement(ds, gold_min=0.7)
    lo, hi = proportion_confint(1, 2, method="wilson")
    assert [(g.annotator, g.correct, g.total, g.accuracy, g.below) for g in report.gold] == [
        ("alice", 2, 2, 1.0, False), ("bob", 1, 2, 0.5, True)]
    assert (report.gold[1].low, report.gold[1].high) == pytest.approx((lo, hi), abs=1e-12)
    assert report.question("preference").n_ratings == 8  # s1 and s2 are checks, not labels
    assert report.to_dict()["gold"][1]["annotator"] == "bob"
    path = tmp_path / "gold.jsonl"
    save(ds, path)
    main(["agreement", str(path), "--gold-min", "0.7"])
    text = capsys.readouterr().out
    assert "alice 2/2 correct on gold, 100% (95% interval 34%–100%)" in text
    assert f"bob 1/2 correct on gold, 50% (95% interval {lo:.0%}–{hi:.0%}); below 70%" in text


def test_the_dashboard_shows_gold_accuracy_per_person_and_names_who_is_below():
    from labelloop.data.model import Annotation
    from labelloop.report import dashboard_data
    from labelloop.report.html import render_html
    from labelloop.report.markdown import render_markdown

    ds = _with_gold("s2")
    next(s for s in ds.samples if s.id == "s2").annotations.append(
        Annotation(annotator="source", kind="reference", values={"preference": "0"}))
    data = dashboard_data(ds, bootstrap=0, review=False)
    gold = {p["annotator"]: p["gold"] for p in data["annotators"]}
    assert (gold["alice"]["correct"], gold["alice"]["total"], gold["bob"]["correct"], gold["bob"]["below"]) == (
        1, 1, 0, True)
    assert "Below 70% on the hidden gold samples: bob (see Annotators); their answers there are checks, not labels." \
        in data["notes"]
    page = render_html(data)
    assert 'data-fig="gold/bob" data-value="0.0">0/1 (0%, 0%–79%)</span> <strong class="warn">below 70%</strong>' \
        in page
    assert "| bob | 0 | 1 | 0.000 | 0.000 – 0.793 | yes |" in render_markdown(data)


def test_training_exports_never_take_a_gold_check_as_a_persons_label():
    from labelloop.data.preference import choose_label

    ds = _with_gold("s2")
    q = next(q for q in ds.schema.questions if q.name == "preference")
    s2 = next(s for s in ds.samples if s.id == "s2")
    s1 = next(s for s in ds.samples if s.id == "s1")
    for include in (False, True):
        assert choose_label(s2, q, "human", include_accepted=include) is None
    assert choose_label(s1, q, "human") == ("0", "human")  # alice and bob agree on s1: their label


def test_review_reports_gold_accuracy_and_leaves_gold_checks_out_of_its_checks(tmp_path, capsys):
    from labelloop.assist.review import review_dataset
    from labelloop.cli import main
    from labelloop.data.model import Annotation
    from labelloop.formats import save

    ds = _with_gold("s2")
    next(s for s in ds.samples if s.id == "s2").annotations.append(
        Annotation(annotator="source", kind="reference", values={"preference": "0"}))
    report = review_dataset(ds, gold_min=0.7)
    assert [(g["annotator"], g["correct"], g["total"], g["below"]) for g in report.to_dict()["gold"]] == [
        ("alice", 1, 1, False), ("bob", 0, 1, True)]
    assert "| bob | 0 | 1 | 0% | 0%–79% | yes |" in report.to_markdown()
    path = tmp_path / "gold.jsonl"
    save(ds, path)
    main(["review", str(path), "-o", str(tmp_path / "review.json")])
    text = capsys.readouterr().out
    assert "  bob 0/1 correct on gold, 0% (95% interval 0%–79%); below 70%" in text
