"""ops.annotate called directly: the page written, and its exported results imported and saved."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from labelloop.errors import InputFileError, ParameterError
from labelloop.formats import load, save
from labelloop.ops import annotate


def test_create_writes_the_page(two: Path, tmp_path: Path) -> None:
    guide = tmp_path / "guide.md"
    guide.write_text("# Be careful\n", encoding="utf-8")
    r = annotate.create(two, tmp_path / "page.html", guidelines=guide, annotators=["ann1", "ann2"], seed=3)
    assert (r.output, r.tasks, r.schema_name, r.seed) == (str(tmp_path / "page.html"), 3, "rewardbench2", 3)
    assert r.bytes == (tmp_path / "page.html").stat().st_size
    assert "Be careful" in (tmp_path / "page.html").read_text(encoding="utf-8")


def test_create_schema_errors(two: Path, tmp_path: Path) -> None:
    with pytest.raises(ParameterError) as info:
        annotate.create(two, tmp_path / "p.html", template="rating", schema="x.yaml")
    assert str(info.value) == "Give template or schema, not both."
    bare = tmp_path / "bare.jsonl"
    ds = load(two)
    ds.schema = None
    save(ds, bare)
    with pytest.raises(ParameterError) as info:
        annotate.create(bare, tmp_path / "p.html")
    assert str(info.value) == "The dataset carries no schema; name one with template or schema."
    with pytest.raises(InputFileError, match="^Cannot read guidelines file "):
        annotate.create(two, tmp_path / "p.html", guidelines=tmp_path / "missing.md")


def test_import_results_saves_the_people_s_answers(two: Path, tmp_path: Path) -> None:
    page = annotate.create(two, tmp_path / "page.html", seed=0)
    ds = load(two)
    sch = ds.schema
    assert sch is not None
    rows = [{"task_id": ds.samples[0].id, "annotator": "carol", "status": "skipped", "reason": None, "values": {},
             "created_at": "2025-03-01T09:00:00.000Z", "updated_at": "2025-03-01T10:00:00.000Z",
             "time_spent_s": 3.0, "order": [c.id for c in ds.samples[0].candidates]}]
    doc = {"format": "labelloop-results", "version": 1, "tool": "labelloop", "file_id": page.file_id,
           "schema_hash": page.schema_hash, "seed": 0, "dataset": ds.name, "annotator": "carol",
           "exported_at": "2025-03-02T00:00:00Z", "n_tasks": 3, "schema": sch.model_dump(mode="json"),
           "results": rows}
    results = tmp_path / "carol.json"
    results.write_text(json.dumps(doc), encoding="utf-8")
    r = annotate.import_results(two, [results], tmp_path / "out.jsonl")
    assert r.model_dump() == {"output": str(tmp_path / "out.jsonl"), "files": [str(results)], "imported": 1,
                              "replaced": 0, "kept_existing": 0, "by_annotator": {"carol": 1},
                              "by_status": {"skipped": 1}, "file_id": page.file_id, "schema_hash": page.schema_hash,
                              "added_to_output": False, "output_annotators": []}
    carol = [a for a in load(r.output).samples[0].annotations if a.annotator == "carol"]
    assert [(a.kind, a.status) for a in carol] == [("human", "skipped")]
    # dave's results into the same output: added to the labels it holds (ann1, ann2 from the dataset, carol)
    dave = tmp_path / "dave.json"
    rows[0]["annotator"] = "dave"
    dave.write_text(json.dumps({**doc, "annotator": "dave", "results": rows}), encoding="utf-8")
    r = annotate.import_results(two, [dave], tmp_path / "out.jsonl")
    assert (r.imported, r.added_to_output, r.output_annotators) == (1, True, ["ann1", "ann2", "carol"])
    people = [a.annotator for a in load(r.output).samples[0].annotations if a.kind == "human"]
    assert people == ["ann1", "ann2", "carol", "dave"]
    # importing into the dataset's own file is no "existing output"
    r = annotate.import_results(tmp_path / "out.jsonl", [dave], tmp_path / "out.jsonl")
    assert (r.imported, r.replaced, r.added_to_output) == (1, 1, False)
    # an output that is no dataset is refused, never overwritten
    junk = tmp_path / "junk.jsonl"
    junk.write_text("not json\n", encoding="utf-8")
    with pytest.raises(ParameterError) as info:
        annotate.import_results(two, [dave], junk)
    assert info.value.param == "output" and str(info.value).startswith(
        f"{junk} already exists and cannot be read as a dataset (")
    assert str(info.value).endswith("); import into a new file, or remove it first.")
    assert junk.read_text(encoding="utf-8") == "not json\n"
