"""The one home of candidate positions: shuffles pinned to exact outputs, so a change to either shuffle
(which would re-order every existing project, cache and pre-label) fails here first."""

from __future__ import annotations

import random

import pytest

from labelloop.data.model import Annotation, Candidate, DataSample
from labelloop.data.positions import (
    candidate_order,
    fnv1a,
    is_no_answer,
    no_answer_text,
    page_order,
    position_index,
    position_label,
    position_labels,
    recorded_order,
    screen_permutation,
)


def _sample(sid: str, ids: str = "abcd") -> DataSample:
    return DataSample(id=sid, candidates=[Candidate(id=c, content=c.upper()) for c in ids])


def test_candidate_order_is_pinned_per_seed_and_sample():
    assert candidate_order(_sample("s1"), 0) == ["d", "a", "c", "b"]
    assert candidate_order(_sample("s1"), 7) == ["a", "b", "d", "c"]
    assert candidate_order(_sample("s1"), 0, shuffle=False) == ["a", "b", "c", "d"]
    assert candidate_order(_sample("s1", ""), 0) == []


def test_screen_permutation_is_the_same_shuffle_by_index():
    assert screen_permutation(_sample("s1"), 0) == [3, 0, 2, 1]
    assert screen_permutation(_sample("s1"), 0, shuffle=False) == [0, 1, 2, 3]
    s = _sample("x", "pqrstu")
    assert [s.candidates[i].id for i in screen_permutation(s, 5)] == candidate_order(s, 5)


def test_candidate_order_is_the_seed_string_every_copy_used():
    # assist/prompt, formats/labelstudio and formats/datalabel all shuffled with f"{seed}:{sample.id}"
    for seed in (0, 1, 42):
        for sid in ("s1", "x", "TASK_001"):
            ids = list("abcdefg")
            random.Random(f"{seed}:{sid}").shuffle(ids)
            assert candidate_order(_sample(sid, "abcdefg"), seed) == ids


def test_page_order_is_pinned_per_annotator():
    assert fnv1a("0|ann|t1") == 561313983
    assert page_order(["a", "b", "c", "d"], 0, "ann", "t1") == ["b", "c", "a", "d"]
    assert page_order(["a", "b", "c", "d"], 7, "alice", "t1") == ["c", "b", "d", "a"]
    assert page_order(["only"], 3, "ann", "t1") == ["only"]


@pytest.mark.parametrize(("position", "label"), [(1, "A"), (26, "Z"), (27, "AA"), (52, "AZ"), (53, "BA"),
                                                 (702, "ZZ"), (703, "AAA")])
def test_position_labels_are_spreadsheet_letters(position: int, label: str):
    assert position_label(position - 1) == label
    assert position_index(label) == position - 1


def test_position_labels_list_and_non_labels():
    assert position_labels(3) == ["A", "B", "C"]
    assert position_labels(28)[25:] == ["Z", "AA", "AB"]
    assert [position_index(x) for x in ("", "a", "A1", "Ä", "option:x")] == [None] * 5


def test_recorded_order_reads_every_key_in_order():
    def ann(meta: dict) -> Annotation:
        return Annotation(annotator="x", metadata=meta)

    assert recorded_order(ann({"order": ["b", "a"]})) == ["b", "a"]
    assert recorded_order(ann({"shown_order": [2, 1, 0]})) == ["2", "1", "0"]
    assert recorded_order(ann({"labelstudio": {"order": [1, 0]}})) == ["1", "0"]
    assert recorded_order(ann({"order": ["a"], "shown_order": ["b"], "labelstudio": {"order": ["c"]}})) == ["a"]
    assert recorded_order(ann({"order": [], "shown_order": ["b"]})) == ["b"]
    assert recorded_order(ann({"order": "ab", "labelstudio": "x"})) is None
    assert recorded_order(ann({})) is None


def test_no_answer_text_names_the_empty_position():
    assert no_answer_text(4, 4) == "(no answer E: this prompt has 4)"
    assert no_answer_text(26, 3) == "(no answer AA: this prompt has 3)"
    assert is_no_answer("(no answer E: this prompt has 4)", 4)
    assert not is_no_answer("(no answer E: this prompt has 4)", 5)  # the label must be its own position's
    assert not is_no_answer("(no answer E)", 4) and not is_no_answer(None, 0)
