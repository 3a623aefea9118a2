"""import-results: values checked against the schema, latest version kept, other files and schemas refused."""

from __future__ import annotations

import csv
import json
from datetime import datetime, timezone

import pytest
from annot_pages import labelling_dataset

from labelloop.annotate.html import file_id_of
from labelloop.annotate.results import import_results
from labelloop.cli import main
from labelloop.data.io import write_dataset
from labelloop.errors import AnnotationValueError, ResultsMismatchError
from labelloop.formats import load
from labelloop.templates import TEMPLATES

RB = TEMPLATES.get("rewardbench")()


def dataset():
    ds = labelling_dataset()
    for s in ds.samples:  # rewardbench is pairwise
        s.candidates = s.candidates[:2]
    ds.schema = RB
    return ds


def row(task, best, *, when="2025-03-01T10:00:00.000Z", annotator="alice", status="submitted", order=None, **more):
    ds = dataset()
    ids = [c.id for c in ds.by_id()[task].candidates] if task in ds.by_id() else ["0", "1"]
    values = {"preference": best, **more} if best is not None else dict(more)
    return {"task_id": task, "annotator": annotator, "status": status, "reason": None, "values": values,
            "created_at": "2025-03-01T09:00:00.000Z", "updated_at": when, "time_spent_s": 12.5,
            "order": order or list(reversed(ids))}


def results_json(path, rows, *, seed=0, schema=RB, file_id=None, annotator="alice"):
    ds = dataset()
    doc = {"format": "labelloop-results", "version": 1, "tool": "labelloop",
           "file_id": file_id or file_id_of(ds.samples, schema, seed), "schema_hash": schema.schema_hash(),
           "seed": seed, "dataset": ds.name, "annotator": annotator, "exported_at": "2025-03-02T00:00:00Z",
           "n_tasks": len(ds.samples), "schema": schema.model_dump(mode="json"), "results": rows}
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_import_json_adds_exact_human_annotations(tmp_path):
    ds = dataset()
    f = results_json(tmp_path / "a.json", [row("t1", "1", rating={"0": 4, "1": 2}), row("t2", "tie"),
                                           row("t3", None, status="skipped")])
    out, report = import_results(ds, [f])
    assert report.imported == 3 and report.by_annotator == {"alice": 3}
    assert report.by_status == {"submitted": 2, "skipped": 1}
    t1 = out.by_id()["t1"].annotations_of("human")
    assert len(t1) == 1
    a = t1[0]
    assert (a.annotator, a.kind, a.status, a.values) == ("alice", "human", "submitted",
                                                         {"preference": "1", "rating": {"0": 4, "1": 2}})
    assert a.created_at == datetime(2025, 3, 1, 9, tzinfo=timezone.utc)
    assert a.updated_at == datetime(2025, 3, 1, 10, tzinfo=timezone.utc)
    assert a.lead_time_s == 12.5 and a.metadata["order"] == ["1", "0"] and a.origin == f"html:{report.file_id}"
    assert out.by_id()["t3"].annotations_of("human")[0].values == {}
    assert out.by_id()["t4"].annotations_of("human") == []
    assert ds.by_id()["t1"].annotations_of("human") == []  # the input is left alone


def test_bad_values_are_reported_by_task_and_question(tmp_path):
    f = results_json(tmp_path / "bad.json", [row("t1", "7"), row("t2", "0", rating={"0": 9}),
                                             row("t9", "0"), row("t5", "0", order=["0", "5"]),
                                             row("t4", "0", colour="red")])
    with pytest.raises(AnnotationValueError) as exc:
        import_results(dataset(), [f])
    msg = str(exc.value)
    assert msg.startswith("5 problem(s) in the results: ")
    assert "bad.json: task 't1', question 'preference': value '7' is not one of ['0', '1', 'tie', 'both_bad']" in msg
    assert "task 't2', question 'rating': candidate '0': rating 9 is not one of the rubric values" in msg
    assert "task 't9' is not in the dataset" in msg
    assert "task 't5': candidate order ['0', '5'] is not a permutation of ['0', '1']" in msg
    assert "task 't4': unknown question 'colour'" in msg
    # a draft may be incomplete, a submitted result may not
    ok = results_json(tmp_path / "draft.json", [row("t1", None, status="draft", comment="later")])
    out, _ = import_results(dataset(), [ok])
    assert out.by_id()["t1"].annotations_of("human")[0].status == "draft"
    with pytest.raises(AnnotationValueError, match="question 'preference': required answer is missing"):
        import_results(dataset(), [results_json(tmp_path / "sub.json", [row("t1", None, comment="x")])])


def test_latest_version_wins_when_a_file_is_imported_twice(tmp_path):
    monday = results_json(tmp_path / "mon.json", [row("t1", "0", when="2025-03-03T10:00:00Z"),
                                                  row("t2", "0", when="2025-03-03T10:00:00Z")])
    friday = results_json(tmp_path / "fri.json", [row("t1", "1", when="2025-03-07T10:00:00Z"),
                                                  row("t3", "tie", when="2025-03-07T10:00:00Z")])
    bob = results_json(tmp_path / "bob.json", [row("t1", "tie", annotator="bob")], annotator="bob")
    want = {("t1", "alice"): "1", ("t2", "alice"): "0", ("t3", "alice"): "tie", ("t1", "bob"): "tie"}

    def got(ds):
        return {(s.id, a.annotator): a.values["preference"] for s in ds.samples for a in s.annotations_of("human")}

    for order in ([monday, friday, bob], [friday, bob, monday]):
        out, report = import_results(dataset(), order)
        assert got(out) == want and report.imported == 4
    # step by step: the second import replaces older versions and keeps newer ones already there
    step1, _ = import_results(dataset(), [friday])
    step2, report = import_results(step1, [monday])
    assert got(step2) == {("t1", "alice"): "1", ("t2", "alice"): "0", ("t3", "alice"): "tie"}
    assert (report.imported, report.kept_existing, report.replaced) == (1, 1, 0)
    step3, report = import_results(step2, [friday])
    assert (report.imported, report.replaced) == (2, 2)
    assert len(step3.by_id()["t1"].annotations_of("human")) == 1


def test_results_from_another_file_or_schema_are_refused(tmp_path):
    ds = dataset()
    other = results_json(tmp_path / "other.json", [row("t1", "0")], seed=5)
    other_doc = json.loads(other.read_text())
    other_doc["seed"] = 0  # a file id that this dataset cannot produce
    other.write_text(json.dumps(other_doc))
    with pytest.raises(ResultsMismatchError, match="belong to a different file"):
        import_results(ds, [other])
    changed = ds.model_copy(deep=True)
    changed.samples[0].candidates[0].content = "edited"
    with pytest.raises(ResultsMismatchError, match="different file"):
        import_results(changed, [results_json(tmp_path / "a.json", [row("t1", "0")])])
    # different schema: the dataset's schema is rewardbench, the results were made with rewardbench2
    rb2 = TEMPLATES.get("rewardbench2")()
    r2 = results_json(tmp_path / "rb2.json", [{**row("t1", None), "values": {"best": "0", "ranking": ["0", "1"]}}],
                      schema=rb2)
    with pytest.raises(ResultsMismatchError, match="pass the schema the annotator was built with"):
        import_results(ds, [r2])
    with pytest.raises(ResultsMismatchError, match="belong to a different schema"):
        import_results(ds, [r2], schema=TEMPLATES.get("ranking")())
    out, _ = import_results(ds, [r2], schema=rb2)
    assert out.schema.name == "rewardbench2"
    # a hand-edited schema inside the results
    doc = json.loads(r2.read_text())
    doc["schema"]["questions"][0]["options_from_candidates"] = False
    doc["schema"]["questions"][0]["options"] = [{"value": "x"}]
    r2.write_text(json.dumps(doc))
    with pytest.raises(ResultsMismatchError, match="was edited by hand"):
        import_results(ds, [r2], schema=rb2)
    # two files of two different annotator files
    a = results_json(tmp_path / "a.json", [row("t1", "0")])
    b = results_json(tmp_path / "b.json", [row("t1", "0")], seed=3)
    with pytest.raises(ResultsMismatchError, match="import results of one annotator file at a time|seed"):
        import_results(ds, [a, b])


def test_csv_and_jsonl_and_the_cli(tmp_path, capsys):
    ds = dataset()
    ds.schema = None  # so the CSV needs the schema from the command line
    data = tmp_path / "d.jsonl"
    write_dataset(ds, data)
    fid = file_id_of(ds.samples, RB, 0)
    rows = [row("t1", "1", rating={"0": 5}), row("t2", "both_bad", comment="a, \"quoted\"\nline")]
    cols = ["task_id", "annotator", "file_id", "schema_hash", "seed", "status", "reason", "created_at", "updated_at",
            "time_spent_s", "order", "q.preference", "q.rating", "q.comment"]
    with open(tmp_path / "r.csv", "w", newline="", encoding="utf-8") as fh:
        wr = csv.writer(fh)
        wr.writerow(cols)
        for r in rows:
            vals = r["values"]
            wr.writerow([r["task_id"], r["annotator"], fid, RB.schema_hash(), 0, r["status"], "", r["created_at"],
                         r["updated_at"], r["time_spent_s"], json.dumps(r["order"])]
                        + [json.dumps(vals[q]) if q in vals else "" for q in ("preference", "rating", "comment")])
    out = tmp_path / "out.jsonl"
    with pytest.raises(SystemExit) as exc:
        main(["import-results", str(data), str(tmp_path / "r.csv"), "-o", str(out), "--quiet"])
    assert exc.value.code == 1
    assert capsys.readouterr().err.strip() == (f"error: {tmp_path / 'r.csv'} does not carry its schema (CSV) and the "
                                               "dataset has none; pass --template or --schema, or import the JSON or "
                                               "JSONL export.")
    main(["import-results", str(data), str(tmp_path / "r.csv"), "-o", str(out), "--template", "rewardbench", "--json"])
    summary = json.loads(capsys.readouterr().out)
    assert summary["imported"] == 2 and summary["file_id"] == fid
    merged = load(str(out))
    assert merged.schema.name == "rewardbench"
    got = {s.id: a.values for s in merged.samples for a in s.annotations_of("human")}
    assert got == {"t1": {"preference": "1", "rating": {"0": 5}},
                   "t2": {"preference": "both_bad", "comment": "a, \"quoted\"\nline"}}

    # JSONL: a header line with the schema, then one result per line
    head = {"format": "labelloop-results-header", "file_id": fid, "schema_hash": RB.schema_hash(), "seed": 0,
            "annotator": "zoe", "schema": RB.model_dump(mode="json")}
    lines = [json.dumps(head)] + [json.dumps({**r, "annotator": "zoe", "file_id": fid,
                                              "schema_hash": RB.schema_hash()}) for r in rows]
    (tmp_path / "r.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    main(["import-results", str(out), str(tmp_path / "r.jsonl"), "-o", str(tmp_path / "out2.jsonl"), "--quiet"])
    merged = load(str(tmp_path / "out2.jsonl"))
    assert sorted(a.annotator for a in merged.by_id()["t1"].annotations_of("human")) == ["alice", "zoe"]
    # a line from another file inside the same JSONL is refused
    bad = dict(json.loads(lines[1]), file_id="0000000000000000")
    (tmp_path / "mixed.jsonl").write_text("\n".join([lines[0], json.dumps(bad)]) + "\n", encoding="utf-8")
    with pytest.raises(SystemExit):
        main(["import-results", str(data), str(tmp_path / "mixed.jsonl"), "-o", str(tmp_path / "x.jsonl"), "-q"])
    assert "line 2: file_id '0000000000000000' differs" in capsys.readouterr().err
    # not a results file at all
    (tmp_path / "nope.json").write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(SystemExit):
        main(["import-results", str(data), str(tmp_path / "nope.json"), "-o", str(tmp_path / "x.jsonl"), "-q"])
    assert "not a labelloop results file" in capsys.readouterr().err
    assert not (tmp_path / "x.jsonl").exists()


def test_a_time_without_zone_is_read_as_utc_when_versions_are_compared(tmp_path):
    # one results file written without a zone, the other with one: the later change wins, as everywhere
    # (labelloop.data.timestamps.last_changed); comparing them used to fail
    naive = results_json(tmp_path / "naive.json", [row("t1", "0", when="2025-03-07T11:00:00")])
    aware = results_json(tmp_path / "aware.json", [row("t1", "1", when="2025-03-07T10:30:00Z")])
    for files in ([naive, aware], [aware, naive]):
        out, report = import_results(dataset(), files)
        assert [a.values["preference"] for a in out.by_id()["t1"].annotations_of("human")] == ["0"]
        assert report.imported == 1
