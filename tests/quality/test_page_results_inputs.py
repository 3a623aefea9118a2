"""The offline page's exported results go straight into agreement, merge, dashboard and review beside their
dataset; import-results adds to an output that holds other people's labels; review counts accepted predictions
only when asked; merge --strategy average keeps the mean unless --round (issue 17)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from accepted_data import dataset as accepted_dataset
from labelloop.cli import main
from labelloop.data.model import Annotation, Candidate, DataSample, Dataset, Message
from labelloop.data.schema import AnnotationSchema, Question
from labelloop.formats import load, save
from page_results_data import page_results

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "rewardbench2_example.jsonl"


def run(capsys: pytest.CaptureFixture[str], *args: object) -> str:
    capsys.readouterr()
    main([str(a) for a in args])
    return capsys.readouterr().out


def fails(capsys: pytest.CaptureFixture[str], *args: object) -> str:
    capsys.readouterr()
    with pytest.raises(SystemExit) as exc:
        main([str(a) for a in args])
    assert exc.value.code == 1
    return capsys.readouterr().err


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_agreement_reads_page_results_beside_the_dataset(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                         fmt: str) -> None:
    # before: "Cannot recognise the format of results_ana.json; columns found: annotator, dataset, …"
    data, files = page_results(tmp_path, fmt)
    report = json.loads(run(capsys, "agreement", data, files["ana"], files["ben"], "--question", "best", "--json"))
    best = report["questions"][0]
    assert (best["annotators"], best["items"], best["ratings"]) == (["ana", "ben"], 10, 20)
    # 9 of 10 agree, 4 answers per sample: S = (9/10 - 1/4) / (3/4) = 13/15
    assert best["stats"]["percent_agreement"]["value"] == pytest.approx(9 / 10, abs=1e-15)
    assert best["stats"]["bennett_s"]["value"] == pytest.approx(13 / 15, abs=1e-15)
    assert best["stats"]["pairwise_alpha"]["value"] == pytest.approx(1 - 1190 / 7318, abs=1e-15)


def test_merge_dashboard_and_review_read_page_results(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data, files = page_results(tmp_path)
    merged = tmp_path / "merged.jsonl"
    summary = json.loads(run(capsys, "merge", data, files["ana"], files["ben"], "-o", merged, "--question", "best",
                             "--json"))
    assert (summary["merged_samples"], summary["questions"]["best"]["needs_review"]) == (10, 1)
    agg = {s.id: a.values.get("best") for s in load(merged).samples for a in s.annotations if a.kind == "aggregate"}
    assert len(agg) == 10 and sum(v == "0" for v in agg.values()) == 9 and agg["factuality-010"] is None
    dash = json.loads(run(capsys, "dashboard", data, files["ana"], files["ben"], "--json", "--bootstrap", "0"))
    best = next(q for q in dash["agreement"]["questions"] if q["question"] == "best")
    assert best["stats"]["bennett_s"]["value"] == pytest.approx(13 / 15, abs=1e-15)
    out = tmp_path / "review.json"
    review = json.loads(run(capsys, "review", data, files["ana"], files["ben"], "-o", out, "--json"))
    assert (review["human_annotations"], review["annotators"], review["samples"]) == (20, 2, 25)


def test_page_results_without_their_dataset_is_one_sentence(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    _, files = page_results(tmp_path)
    err = fails(capsys, "agreement", files["ana"], files["ben"])
    assert err == (f"error: {files['ana']}, {files['ben']}: results files of the offline page name their tasks "
                   "only; give the dataset the page was built from first (DATASET RESULTS...).\n")


def test_import_results_one_person_after_the_other_keeps_both(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    # before: the second import wrote the dataset with ben's labels only; ana's 10 were gone without a word
    data, files = page_results(tmp_path)
    out = tmp_path / "labelled.jsonl"
    first = run(capsys, "import-results", data, files["ana"], "-o", out)
    assert first == (f"Imported 10 result(s) from 1 file(s) (annotators: ana 10; status: submitted 10). "
                     f"Wrote {out}.\n")
    second = run(capsys, "import-results", data, files["ben"], "-o", out)
    assert second == (f"Imported 10 result(s) from 1 file(s) (annotators: ben 10; status: submitted 10; added to the "
                      f"labels {out} already held (ana)). Wrote {out}.\n")
    ds = load(out)
    people = sorted((s.id, a.annotator) for s in ds.samples for a in s.annotations if a.kind == "human")
    assert len(people) == 20 and {a for _, a in people} == {"ana", "ben"}
    assert sum(a.kind == "reference" for s in ds.samples for a in s.annotations) == 25
    # ana imports again (the same export): her labels are replaced, ben's stay
    again = json.loads(run(capsys, "import-results", data, files["ana"], "-o", out, "--json"))
    assert (again["imported"], again["replaced"], again["added_to_output"], again["output_annotators"]) == (
        10, 10, True, ["ana", "ben"])
    assert sum(a.kind == "human" for s in load(out).samples for a in s.annotations) == 20


def test_import_results_refuses_an_output_with_other_samples(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    data, files = page_results(tmp_path)
    other = tmp_path / "other.jsonl"
    ds = load(EXAMPLE)
    ds.samples = ds.samples[:3]
    save(ds, other)
    before = other.read_bytes()
    err = fails(capsys, "import-results", data, files["ana"], "-o", other).splitlines()
    assert err[-1] == (f"error: {other} already exists and holds other samples than rewardbench2_example; importing "
                       "into it would replace its labels: choose a new --output, or remove it first.")
    assert other.read_bytes() == before


def test_review_include_accepted_predictions(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # carol accepted the model's suggestion unchanged on all 7 samples (metadata["accepted_prediction"])
    toy = tmp_path / "toy.jsonl"
    save(accepted_dataset(), toy)
    out = tmp_path / "r.json"
    text = run(capsys, "review", toy, "-o", out)
    assert ("note: 7 annotation(s) are model predictions accepted unchanged and were left out as no person's "
            "independent answer (count them with --include-accepted-predictions).") in text
    left_out = {r["annotator"]: r for r in json.loads(out.read_text())["annotators"]}
    assert (left_out["carol"]["accepted_predictions"], left_out["carol"]["prediction_comparisons"]) == (7, 0)
    summary = json.loads(run(capsys, "review", toy, "-o", out, "--include-accepted-predictions", "--json"))
    assert (summary["accepted_predictions"], summary["include_accepted"]) == (7, True)
    counted = {r["annotator"]: r for r in json.loads(out.read_text())["annotators"]}
    assert counted["carol"]["prediction_comparisons"] == 7


def test_merge_average_round(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # 1, 1 and 0.5 on a 0..1 scale: DataLabel's average is 0.833; labelloop gave 1 before
    q = Question(name="score", type="rating", min=0, max=1, step=0.5)
    ds = Dataset(name="dl", schema=AnnotationSchema(name="dl", questions=[q]), samples=[
        DataSample(id="t1", prompt=[Message(role="user", content="Hi")], candidates=[Candidate(id="0", content="Yo")],
                   annotations=[Annotation(annotator=a, values={"score": v})
                                for a, v in (("ann1", 1), ("ann2", 1), ("ann3", 0.5))])])
    src = tmp_path / "dl.jsonl"
    save(ds, src)
    for flags, want in (((), 5 / 6), (("--round",), 1)):
        out = tmp_path / "m.jsonl"
        run(capsys, "merge", src, "-o", out, "--strategy", "average", *flags)
        agg = next(a for a in load(out).samples[0].annotations if a.kind == "aggregate")
        assert agg.values == {"score": want}
