"""ops.quality called directly: the files written, the summaries, and the checks made before anything is read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from labelloop.errors import ParameterError, UnknownNameError
from labelloop.formats import load
from labelloop.ops import quality

BEST = {"best": {"strategy": "majority", "items": 3, "decided": 2, "needs_review": 1}}


def test_agreement(two: Path) -> None:
    q = quality.agreement([two], question=["best"]).to_dict()["questions"][0]
    assert (q["question"], q["items"], q["pairable_items"], q["ratings"]) == ("best", 3, 3, 6)


def test_agreement_checks_bootstrap_first(tmp_path: Path) -> None:
    with pytest.raises(ParameterError) as info:
        quality.agreement([tmp_path / "never-read.jsonl"], bootstrap=-1)
    assert str(info.value) == "bootstrap must be 0 or more, not -1."


def test_merge(two: Path, tmp_path: Path) -> None:
    r = quality.merge([two], tmp_path / "m.jsonl", question=["best"])
    assert r.output == str(tmp_path / "m.jsonl")
    assert r.summary == {"strategy": "majority", "annotator": "merge:majority", "samples": 3, "merged_samples": 3,
                         "needs_review_samples": 1, "questions": BEST, "accepted_predictions_left_out": 0}
    assert sum(a.kind == "aggregate" for s in load(r.output).samples for a in s.annotations) == 3  # merged_samples


def test_merge_refuses_an_unknown_strategy_before_reading(tmp_path: Path) -> None:
    with pytest.raises(UnknownNameError, match="^Unknown merge strategy 'nope'; known: majority, "):
        quality.merge([tmp_path / "never-read.jsonl"], tmp_path / "m.jsonl", "nope")


def test_merge_experts_tie_breaker_names_experts(two: Path, tmp_path: Path) -> None:
    with pytest.raises(ParameterError) as info:
        quality.merge([two], tmp_path / "m.jsonl", tie_breaker="experts")
    assert str(info.value) == "Expert priority needs a list of experts (experts a,b)."


def test_adjudicate_writes_the_queue_through_check_path(two: Path, tmp_path: Path) -> None:
    seen: list[tuple[str, str]] = []

    def check(p: Path, what: str) -> Path:
        seen.append((p.name, what))
        return p

    r = quality.adjudicate([two], tmp_path / "adj.jsonl", question=["best"], check_path=check)
    assert seen == [("adj.review.jsonl", "queue")]
    assert (r.queue, r.pending) == (str(tmp_path / "adj.review.jsonl"), 1)
    assert r.summary == {"strategy": "majority", "annotator": "adjudicate:majority", "samples": 3,
                         "merged_samples": 3, "needs_review_samples": 1, "questions": BEST, "queued": 1,
                         "accepted_predictions_left_out": 0, "queue": str(tmp_path / "adj.review.jsonl")}
    lines = [json.loads(line) for line in Path(r.queue).read_text(encoding="utf-8").splitlines()]
    assert [(e["question"], e["decision"]) for e in lines] == [("best", None)]


def test_apply_reads_the_decisions_back(two: Path, tmp_path: Path) -> None:
    r = quality.adjudicate([two], tmp_path / "adj.jsonl", question=["best"])
    queue = Path(r.queue or "")
    entries = [json.loads(line) for line in queue.read_text(encoding="utf-8").splitlines()]
    for e in entries:
        e["decision"], e["reviewer"] = "1", "rev"
    queue.write_text("".join(json.dumps(e) + "\n" for e in entries), encoding="utf-8")
    done = quality.apply([tmp_path / "adj.jsonl"], queue, tmp_path / "final.jsonl")
    assert (done.summary["applied"], done.summary["pending"], done.summary["reviewers"]) == (1, 0, ["rev"])


def test_no_dataset_is_a_parameter_error(tmp_path: Path) -> None:
    with pytest.raises(ParameterError) as info:
        quality.merge([], tmp_path / "m.jsonl")
    assert (info.value.param, str(info.value)) == ("datasets", "Give at least one dataset path.")
