"""Contradictions within one annotation (issue 17): flagged by validate and review, left out of the export (which
says how many and names --question); the export says how many pairs came from the reference labels."""

from __future__ import annotations

import sys
from pathlib import Path

from labelloop import TEMPLATES, Annotation, load
from labelloop.assist.review import review_dataset
from labelloop.data.io import write_dataset
from labelloop.data.preference import contradictions
from labelloop.formats.dpo import DPOFormat

sys.path.insert(0, str(Path(__file__).parents[1]))
from cli_run import run  # noqa: E402

EXAMPLE = "examples/rewardbench2_example.jsonl"
SCHEMA = TEMPLATES.get("rewardbench2")()
IDS = ["0", "1", "2", "3"]


def test_the_three_contradictions_and_what_is_none():
    assert contradictions(SCHEMA, {"best": "1", "ranking": ["0", "1", "2", "3"]}, IDS) == [
        (("best", "ranking"), "best answer '1' (best) is not first in the ranking (ranking: place 2)")]
    assert contradictions(SCHEMA, {"best": "1", "ranking": [["0", "1"], "2", "3"]}, IDS) == []  # first tier
    assert contradictions(SCHEMA, {"correct": ["2"], "ranking": ["0", "1", "2", "3"]}, IDS) == [
        (("correct", "ranking"), "correct answer '2' (correct) is ranked below '0', which is not marked correct "
         "(ranking)")]
    assert contradictions(SCHEMA, {"correct": ["0", "1"], "ranking": [["0", "1"], "2", "3"]}, IDS) == []
    assert contradictions(SCHEMA, {"rating": {"0": 3, "1": 4}, "ranking": ["0", "1", "2", "3"]}, IDS) == [
        (("rating", "ranking"), "'0' is ranked above '1' (ranking) but rated lower (rating: 3 < 4)")]
    assert contradictions(SCHEMA, {"rating": {"0": 4, "1": 4}, "ranking": ["0", "1", "2", "3"]}, IDS) == []
    assert contradictions(SCHEMA, {"rating": {"0": 3, "1": 4}, "ranking": [["0", "1"], "2", "3"]}, IDS) == []
    assert contradictions(SCHEMA, {"best": "2", "correct": ["0"]}, IDS) == []  # no ranking: nothing to hold against


def _contradicting(tmp_path: Path) -> Path:
    """The bundled example; on ties-023 ana ranks the four primes first but names 12 the best, on math-001 she
    ranks answer 1 above answer 2 and rates it lower."""
    ds = load(EXAMPLE)
    by = {s.metadata["source_id"]: s for s in ds.samples}
    by["ties-023"].annotations.append(Annotation(annotator="ana", values={
        "best": "4", "ranking": [["0", "1", "2", "3"], "4", "5", "6", "7"], "correct": ["0", "1", "2", "3"]}))
    by["math-001"].annotations.append(Annotation(annotator="ana", values={
        "best": "0", "ranking": ["0", "1", "2", "3"], "correct": ["0"], "rating": {"0": 5, "1": 1, "2": 2, "3": 1}}))
    path = tmp_path / "contra.jsonl"
    write_dataset(ds, path)
    return path


def test_validate_review_and_export_catch_them(tmp_path: Path):
    path = _contradicting(tmp_path)
    proc = run("validate", path)
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == [
        "- sample 'math-001': '1' is ranked above '2' (ranking) but rated lower (rating: 1 < 2) (annotator 'ana')",
        "- sample 'ties-023': best answer '4' (best) is not first in the ranking (ranking: place 2) (annotator 'ana')",
        "25 samples read; schema rewardbench2: 2 problem(s)."]
    report = review_dataset(load(path))
    assert [(f["kind"], f["sample_id"], f["question"], f["other_question"]) for f in report.flags] == [
        ("contradiction", "math-001", "rating", "ranking"), ("contradiction", "ties-023", "best", "ranking")]
    # the export reads 'ranking' (the first preference question ana answered): both samples left out, said
    out = tmp_path / "dpo.jsonl"
    proc = run("export", path, "-f", "dpo", "-o", out)
    assert proc.returncode == 0
    assert proc.stdout == f"Wrote 81 rows (dpo) to {out} from 23 of 25 samples (labels: reference 23).\n"
    notes = [x for x in proc.stderr.splitlines() if not x.startswith("Format:")]
    assert notes == [
        f"81 of 81 rows of {out} come from the reference labels (the source data's, not people's), for 23 "
        "sample(s) with no merged or unanimous human label; --label-source human takes people's labels only.",
        f"2 sample(s) left out of {out}: their label for 'ranking' contradicts itself (a best answer not first in "
        "the ranking, a correct answer ranked below an incorrect one, or ratings against the ranking; 'labelloop "
        "validate' lists them); --question picks another question."]
    # another question: 'correct' contradicts nothing, so both of ana's samples train from it
    exp = DPOFormat(label_source="human", question="correct")
    rows = exp.rows(load(path))
    assert exp.stats["with_pairs"] == 2 and exp.stats["contradicted"] == 0 and len(rows) == 16 + 3
    # 'best' contradicts the ranking on ties-023 only
    exp = DPOFormat(label_source="human", question="best")
    exp.rows(load(path))
    assert (exp.stats["with_pairs"], exp.stats["contradicted"], exp.stats["contradicted_questions"]) == (
        1, 1, {"best": 1})


def test_the_default_export_of_the_example_says_its_labels_are_the_references(tmp_path: Path):
    out = tmp_path / "dpo.jsonl"
    proc = run("export", EXAMPLE, "-f", "dpo", "-o", out)
    assert proc.stdout == f"Wrote 100 rows (dpo) to {out} from 25 of 25 samples (labels: reference 25).\n"
    assert proc.stderr.splitlines()[-1] == (
        f"100 of 100 rows of {out} come from the reference labels (the source data's, not people's), for 25 "
        "sample(s) with no merged or unanimous human label; --label-source human takes people's labels only.")
    # asking for a source says nothing about it
    proc = run("export", EXAMPLE, "-f", "dpo", "-o", out, "--label-source", "reference")
    assert "come from the reference labels" not in proc.stderr
