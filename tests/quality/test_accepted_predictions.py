"""Accepted model predictions are not people: a person's annotation that is a model's prediction accepted
unchanged (``metadata["accepted_prediction"]``, as the Label Studio pull records it) is left out of agreement,
merging, adjudication, review and training labels unless asked, and every report counts what it left out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from accepted_data import ALICE, BOB, CAROL, MARK, alpha, dataset
from labelloop.assist.review import review_dataset
from labelloop.cli import main
from labelloop.data.model import Annotation, Dataset
from labelloop.data.preference import choose_label
from labelloop.data.provenance import accepted_prediction, count_accepted, independent, without_accepted
from labelloop.formats import load, save
from labelloop.formats.export import export_dataset
from labelloop.quality.adjudicate import adjudicate
from labelloop.quality.agreement import agreement
from labelloop.quality.merge import merge
from labelloop.report import dashboard_data


def test_provenance_reads_the_marker() -> None:
    mine = Annotation(annotator="a", values={"preference": "0"})
    accepted = Annotation(annotator="a", values={"preference": "0"}, metadata={"accepted_prediction": MARK})
    odd = Annotation(annotator="a", values={"preference": "0"}, metadata={"accepted_prediction": True})
    model = Annotation(annotator="m", kind="prediction", values={"preference": "0"})
    assert accepted_prediction(mine) is None and independent(mine) and independent(model)
    assert accepted_prediction(accepted) == MARK and not independent(accepted)
    assert accepted_prediction(odd) == {"prediction_id": None, "model_version": None} and not independent(odd)
    ds = dataset()
    view, n = without_accepted(ds)
    assert n == 7 == count_accepted(ds)
    assert [a.annotator for s in view.samples for a in s.annotations if a.kind == "human"].count("carol") == 0
    assert len(ds.samples[0].annotations) == 4  # the view never changes the dataset
    assert without_accepted(dataset(carol=False))[1] == 0


def test_agreement_leaves_accepted_predictions_out() -> None:
    people = agreement(dataset(carol=False)).question("preference")
    report = agreement(dataset())
    pref = report.question("preference")
    assert report.accepted_predictions_left_out == 7 and not report.include_accepted
    assert pref.annotators == ["alice", "bob"] and pref.n_ratings == 12
    assert pref.stats["alpha"].value == pytest.approx(alpha(ALICE, BOB), abs=1e-12)
    assert pref.stats["alpha"].value == people.stats["alpha"].value
    assert pref.stats["percent_agreement"].value == pytest.approx(1 / 2)
    assert report.to_dict()["accepted_predictions_left_out"] == 7
    assert agreement(dataset(carol=False)).to_dict()["accepted_predictions_left_out"] == 0

    counted = agreement(dataset(), include_accepted=True)
    three = counted.question("preference")
    assert counted.accepted_predictions_left_out == 0 and counted.include_accepted
    assert three.annotators == ["alice", "bob", "carol"] and three.n_ratings == 19
    assert three.stats["alpha"].value == pytest.approx(alpha(ALICE, BOB, CAROL), abs=1e-12)
    assert three.stats["percent_agreement"].value == pytest.approx(5 / 9)


def test_merge_and_adjudicate_leave_accepted_predictions_out() -> None:
    merged, summary = merge(dataset())
    same, _ = merge(dataset(carol=False))
    votes = {s.id: s.annotations_of("aggregate")[0].values.get("preference") for s in merged.samples
             if s.annotations_of("aggregate")}
    assert votes == {s.id: s.annotations_of("aggregate")[0].values.get("preference") for s in same.samples
                     if s.annotations_of("aggregate")}
    assert votes == {"s1": "0", "s2": None, "s3": "1", "s4": None, "s5": None, "s6": "1"}
    assert summary["accepted_predictions_left_out"] == 7
    assert summary["questions"]["preference"]["needs_review"] == 3
    assert sum(1 for s in merged.samples for a in s.annotations if not independent(a)) == 7  # nothing dropped

    merged3, summary3 = merge(dataset(), include_accepted=True)
    votes3 = {s.id: s.annotations_of("aggregate")[0].values.get("preference") for s in merged3.samples}
    assert votes3 == {"s1": "0", "s2": "0", "s3": "1", "s4": "0", "s5": "0", "s6": "1", "s7": "0"}
    assert summary3["accepted_predictions_left_out"] == 0

    _, queue, adj = adjudicate(dataset())
    assert adj["accepted_predictions_left_out"] == 7
    assert [q["sample_id"] for q in queue] == ["s2", "s4", "s5"]
    assert all(a["annotator"] != "carol" for q in queue for a in q["answers"])
    _, queue3, adj3 = adjudicate(dataset(), include_accepted=True)
    assert (queue3, adj3["accepted_predictions_left_out"]) == ([], 0)


def test_training_labels_leave_accepted_predictions_out(tmp_path: Path) -> None:
    ds = dataset()
    q = ds.schema.question("preference")
    by_id = ds.by_id()
    assert choose_label(by_id["s2"], q) is None  # alice 0, bob 1: not unanimous without carol either
    assert choose_label(by_id["s7"], q) is None  # only carol's accepted prediction
    assert choose_label(by_id["s7"], q, include_accepted=True) == ("0", "human")
    assert choose_label(by_id["s3"], q) == ("1", "human")  # alice and bob say 1; the accepted 0 is no vote
    assert choose_label(by_id["s3"], q, include_accepted=True) is None

    def prompts(path: Path) -> list[str]:
        return [json.loads(x)["prompt"] for x in path.read_text().splitlines()]

    res = export_dataset(ds, tmp_path / "dpo.jsonl", "dpo")["all"]
    assert prompts(tmp_path / "dpo.jsonl") == ["Qs1", "Qs3", "Qs6"]
    assert res["accepted_predictions_left_out"] == 7 and res["stats"]["human"] == 3
    res = export_dataset(ds, tmp_path / "dpo3.jsonl", "dpo", include_accepted=True)["all"]
    assert prompts(tmp_path / "dpo3.jsonl") == ["Qs1", "Qs6", "Qs7"]
    assert res["accepted_predictions_left_out"] == 0
    gallery = export_dataset(ds, tmp_path / "g.jsonl", "rm_gallery")["all"]
    assert gallery["accepted_predictions_left_out"] == 7
    labelled = [r["unique_id"] for r in map(json.loads, (tmp_path / "g.jsonl").read_text().splitlines())
                if any((o.get("answer", {}).get("label") or {}).get("preference") for o in r["output"])]
    assert labelled == ["s1", "s3", "s6"]
    # a canonical file keeps every annotation and chooses no label
    canon = export_dataset(ds, tmp_path / "all.jsonl", "jsonl")["all"]
    assert "accepted_predictions_left_out" not in canon
    assert count_accepted(load(tmp_path / "all.jsonl")) == 7


def test_review_takes_no_accepted_prediction_as_evidence() -> None:
    rep = review_dataset(dataset())
    rows = {r["annotator"]: r for r in rep.annotators}
    assert rows["carol"]["accepted_predictions"] == 7 and rows["alice"]["accepted_predictions"] == 0
    assert (rows["carol"]["prediction_comparisons"], rows["carol"]["majority_comparisons"]) == (0, 0)
    assert rows["alice"]["prediction_comparisons"] == 6
    assert rep.summary()["accepted_predictions"] == 7 and rep.human_annotations == 19
    assert not [f for f in rep.flags if f["annotator"] == "carol"]
    counted = {r["annotator"]: r for r in review_dataset(dataset(), include_accepted=True).annotators}
    assert counted["carol"]["prediction_comparisons"] == 7


def shown_in_order(ds: Dataset) -> Dataset:
    """Every person saw candidate 0 first (so position bias is measured)."""
    for s in ds.samples:
        for a in s.annotations_of("human"):
            a.metadata["order"] = ["0", "1"]
    return ds


def test_dashboard_counts_and_honours_the_choice() -> None:
    data = dashboard_data(shown_in_order(dataset()), bootstrap=0, review=False)
    assert data["overview"]["accepted_predictions"] == 7
    assert data["agreement"]["accepted_predictions_left_out"] == 7
    assert data["questions"][0]["alpha"] == pytest.approx(alpha(ALICE, BOB), abs=1e-12)
    assert any(n.startswith("7 human annotation(s) are model predictions accepted unchanged; agreement")
               for n in data["notes"])
    q = data["questions"][0]
    assert q["distribution"]["human"]["answers"] == 12
    assert [(r["annotator"], r["items"]) for r in q["accuracy_merged"] if r["kind"] == "human"] == [
        ("alice", 3), ("bob", 3)]
    assert [(r["annotator"], r["items"], r["first_picked"]) for r in q["position_bias"] if r["kind"] == "human"] == [
        ("alice", 5, 3), ("bob", 6, 2)]
    counted = dashboard_data(shown_in_order(dataset()), bootstrap=0, review=False, include_accepted=True)
    assert counted["questions"][0]["alpha"] == pytest.approx(alpha(ALICE, BOB, CAROL), abs=1e-12)
    assert counted["agreement"]["accepted_predictions_left_out"] == 0
    q3 = counted["questions"][0]
    assert q3["distribution"]["human"]["answers"] == 19
    assert [(r["annotator"], r["items"]) for r in q3["accuracy_merged"] if r["kind"] == "human"] == [
        ("alice", 6), ("bob", 6), ("carol", 7)]
    assert [(r["annotator"], r["items"], r["first_picked"]) for r in q3["position_bias"] if r["kind"] == "human"] == [
        ("alice", 5, 3), ("bob", 6, 2), ("carol", 7, 6)]
    assert dashboard_data(dataset(carol=False), bootstrap=0, review=False)["overview"]["accepted_predictions"] == 0


def run(capsys: pytest.CaptureFixture[str], *args: object) -> str:
    capsys.readouterr()
    main([str(a) for a in args])
    return capsys.readouterr().out


def test_command_line_flag(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    src = tmp_path / "toy.jsonl"
    save(dataset(), src)
    two = json.loads(run(capsys, "agreement", src, "--json"))
    three = json.loads(run(capsys, "agreement", src, "--json", "--include-accepted-predictions"))
    assert two["questions"][0]["annotators"] == ["alice", "bob"] and two["accepted_predictions_left_out"] == 7
    assert two["questions"][0]["stats"]["alpha"]["value"] == pytest.approx(alpha(ALICE, BOB), abs=1e-12)
    assert three["questions"][0]["annotators"] == ["alice", "bob", "carol"]
    assert three["accepted_predictions_left_out"] == 0
    text = run(capsys, "agreement", src, "--question", "preference")
    assert ("note: 7 annotation(s) are model predictions accepted unchanged and were left out as no person's "
            "independent answer (count them with --include-accepted-predictions).") in " ".join(text.split())

    m = json.loads(run(capsys, "merge", src, "-o", tmp_path / "m.jsonl", "--json"))
    m3 = json.loads(run(capsys, "merge", src, "-o", tmp_path / "m3.jsonl", "--json", "--include-accepted-predictions"))
    assert (m["accepted_predictions_left_out"], m["questions"]["preference"]["decided"]) == (7, 3)
    assert (m3["accepted_predictions_left_out"], m3["questions"]["preference"]["decided"]) == (0, 7)
    a = json.loads(run(capsys, "adjudicate", src, "-o", tmp_path / "a.jsonl", "--json"))
    a3 = json.loads(run(capsys, "adjudicate", src, "-o", tmp_path / "a3.jsonl", "--json",
                        "--include-accepted-predictions"))
    assert (a["accepted_predictions_left_out"], a["queued"], a3["accepted_predictions_left_out"], a3["queued"]) == (
        7, 3, 0, 0)

    e = json.loads(run(capsys, "export", src, "-o", tmp_path / "d.jsonl", "-f", "dpo", "--json"))
    e3 = json.loads(run(capsys, "export", src, "-o", tmp_path / "d3.jsonl", "-f", "dpo", "--json",
                        "--include-accepted-predictions"))
    assert (e["all"]["rows"], e["all"]["accepted_predictions_left_out"]) == (3, 7)
    assert (e3["all"]["rows"], e3["all"]["accepted_predictions_left_out"]) == (3, 0)

    d = json.loads(run(capsys, "dashboard", src, "--json", "--bootstrap", 0, "--no-review"))
    d3 = json.loads(run(capsys, "dashboard", src, "--json", "--bootstrap", 0, "--no-review",
                        "--include-accepted-predictions"))
    assert d["questions"][0]["alpha"] == pytest.approx(alpha(ALICE, BOB), abs=1e-12)
    assert d3["questions"][0]["alpha"] == pytest.approx(alpha(ALICE, BOB, CAROL), abs=1e-12)
    assert d["overview"]["accepted_predictions"] == d3["overview"]["accepted_predictions"] == 7
