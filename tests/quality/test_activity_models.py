"""Project figures the dashboard reads: completion, activity, throughput, distributions, accuracy against the
merged label, calibration, position bias and the reading of alpha, on tiny datasets checked by hand."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from labelloop.data.model import Annotation, Candidate, DataSample, Dataset, Message
from labelloop.data.schema import AnnotationSchema, Option, Question
from labelloop.quality.activity import annotator_activity, completion, distribution, kind_counts, throughput
from labelloop.quality.agreement import accuracy_against_reference
from labelloop.quality.alpha import alpha_reading
from labelloop.quality.models import calibration, merged_dataset
from labelloop.quality.position_bias import first_pick_rates

PICK = Question(name="pick", type="single_choice", options_from_candidates=True, options=[Option(value="tie")])
RANK = Question(name="rank", type="ranking", options_from_candidates=True)
SCALE = Question(name="score", type="rating", min=1, max=4, step=1)


def day(d: int, hour: int = 9) -> datetime:
    return datetime(2025, 5, d, hour, tzinfo=timezone.utc)


def sample(sid: str, anns: list[Annotation], n: int = 3) -> DataSample:
    return DataSample(id=sid, prompt=[Message(role="user", content=sid)],
                      candidates=[Candidate(id=str(i), content=f"c{i}") for i in range(n)], annotations=anns)


def tiny() -> Dataset:
    h = Annotation
    return Dataset(name="tiny", schema=AnnotationSchema(questions=[PICK, RANK, SCALE]), samples=[
        sample("a", [h(annotator="ann", values={"pick": "2", "rank": ["2", "0", "1"], "score": 4}, created_at=day(1),
                       lead_time_s=10, metadata={"order": ["2", "0", "1"]}),
                     h(annotator="ben", values={"pick": "2", "rank": ["2", "1", "0"], "score": 3}, created_at=day(1, 10),
                       lead_time_s=30, metadata={"order": ["0", "1", "2"]}),
                     h(annotator="ben", values={"pick": "0"}, status="draft", created_at=day(1, 8)),
                     h(annotator="m", kind="prediction", values={"pick": "2"}, score=0.9,
                       metadata={"shown_order": ["2", "1", "0"]}),
                     h(annotator="gold", kind="reference", values={"pick": "2"})]),
        sample("b", [h(annotator="ann", values={"pick": "tie", "score": 1}, created_at=day(4), lead_time_s=20,
                       metadata={"order": ["1", "0", "2"]}),
                     h(annotator="ben", status="skipped", created_at=day(4)),
                     h(annotator="m", kind="prediction", values={"pick": "1"}, score=1.0,
                       metadata={"labelstudio": {"order": ["1", "0", "2"]}}),
                     h(annotator="gold", kind="reference", values={"pick": "0"})]),
        sample("c", [h(annotator="ben", status="flagged", updated_at=day(2)),
                     h(annotator="ann", values={"pick": "1"}, metadata={"order": ["0", "1", "2"]})]),
        sample("d", []),
    ])


def test_counts_completion_and_activity() -> None:
    ds = tiny()
    assert kind_counts(ds) == {"human": 7, "prediction": 2, "reference": 2, "aggregate": 0}
    assert completion(ds) == {"samples": 4, "annotators": 2, "wanted": 2, "complete": 1, "complete_share": 0.25,
                              "started": 3, "untouched": 1,
                              "by_count": [{"annotations": 0, "samples": 1}, {"annotations": 1, "samples": 2},
                                           {"annotations": 2, "samples": 1}]}
    assert completion(ds, wanted=1)["complete"] == 3
    rows = {r["annotator"]: r for r in annotator_activity(ds)}
    # ben's draft on "a" is older than his submitted answer; "b" skipped, "c" flagged
    assert {k: rows["ben"][k] for k in ("submitted", "skipped", "flagged", "draft", "timed")} == {
        "submitted": 1, "skipped": 1, "flagged": 1, "draft": 0, "timed": 1}
    assert rows["ann"]["median_time_s"] == 15.0 and rows["ann"]["total_time_s"] == 30.0
    assert (rows["ben"]["first"], rows["ben"]["last"]) == (day(1, 10).isoformat(), day(4).isoformat())


def test_throughput_lists_every_day_and_the_undated() -> None:
    tp = throughput(tiny())
    assert [(d["day"], d["total"], d["by_annotator"]) for d in tp["days"]] == [
        ("2025-05-01", 2, {"ann": 1, "ben": 1}), ("2025-05-02", 0, {}), ("2025-05-03", 0, {}),
        ("2025-05-04", 1, {"ann": 1})]
    assert tp["undated"] == {"ann": 1} and tp["active_days"] == 2 and tp["mean_per_active_day"] == 1.5
    assert tp["per_annotator"] == {"ann": 2, "ben": 1}


def test_distributions_list_the_whole_scale() -> None:
    ds = tiny()
    assert distribution(ds.samples, PICK)["values"] == [
        {"value": "0", "count": 0}, {"value": "1", "count": 1}, {"value": "2", "count": 2}, {"value": "tie", "count": 1}]
    assert distribution(ds.samples, SCALE)["values"] == [
        {"value": 1, "count": 1}, {"value": 2, "count": 0}, {"value": 3, "count": 1}, {"value": 4, "count": 1}]
    rank = distribution(ds.samples, RANK)
    assert rank["counts"] == "first place" and rank["values"][:3] == [
        {"value": "0", "count": 0}, {"value": "1", "count": 0}, {"value": "2", "count": 2}]
    assert distribution(ds.samples, PICK, ("reference",))["values"][0] == {"value": "0", "count": 1}


def test_position_bias_counts_first_shown_picks() -> None:
    ds = tiny()
    rows = {(r["kind"], r["annotator"]): r for r in first_pick_rates(ds.samples, PICK)}
    # ann: "a" picked 2 shown first; "b" a tie (no position); "c" picked 1 shown second
    assert rows[("human", "ann")] == {"annotator": "ann", "kind": "human", "items": 2, "first_picked": 1,
                                      "first_rate": 0.5, "chance": pytest.approx(1 / 3), "last_picked": 0,
                                      "last_rate": 0.0}
    assert rows[("human", "ben")]["first_picked"] == 0 and rows[("human", "ben")]["last_picked"] == 1
    assert rows[("prediction", "m")]["first_picked"] == 2  # the Label Studio order is read too
    top = {r["annotator"]: r["first_picked"] for r in first_pick_rates(ds.samples, RANK)}
    assert top == {"ann": 1, "ben": 0}
    assert first_pick_rates(ds.samples, SCALE) == []


def test_accuracy_against_the_merged_label_and_calibration() -> None:
    ds = tiny()
    merged, how = merged_dataset(ds)
    assert how == "majority merge of the human answers"
    acc = {r["annotator"]: (r["items"], r["accuracy"]) for r in accuracy_against_reference(merged.samples, PICK,
                                                                                             truth_kind="aggregate")}
    # merged labels: a -> "2" (both), b -> "tie" (ann alone), c -> "1" (ann alone)
    assert acc == {"ann": (3, 1.0), "ben": (1, 1.0), "m": (2, 0.5)}
    assert merged_dataset(merged)[1] == "aggregate annotations in the dataset"
    cal = calibration(merged.samples, PICK, bins=2)
    assert cal == [{"annotator": "m", "items": 2, "accuracy": 0.5, "mean_score": 0.95, "ece": pytest.approx(0.45),
                    "bins": [{"lo": 0.0, "hi": 0.5, "n": 0, "mean_score": None, "accuracy": None},
                             {"lo": 0.5, "hi": 1.0, "n": 2, "mean_score": 0.95, "accuracy": 0.5}],
                    "truth": ["aggregate"]}]
    ref_only = calibration(ds.samples, PICK, bins=2, truth_kinds=("reference",))[0]
    assert (ref_only["accuracy"], ref_only["truth"]) == (0.5, ["reference"])
    assert calibration(ds.samples, SCALE) == []  # no prediction answers it


@pytest.mark.parametrize(("value", "reading"), [(0.8, "reliable"), (0.7999, "tentative"), (0.667, "tentative"),
                                                (0.6669, "not reliable"), (-0.2, "not reliable"), (None, "undefined")])
def test_alpha_reading(value: float | None, reading: str) -> None:
    assert alpha_reading(value) == reading
