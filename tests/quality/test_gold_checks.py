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
