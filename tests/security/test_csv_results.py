"""A results CSV from the page, with formula cells neutralised by a leading quote, imports to the values the
person gave (issue 14, item 5): the quote the export added is taken off, and only that one."""

from __future__ import annotations

import csv
import json

from labelloop.annotate.html import file_id_of
from labelloop.annotate.results import import_results
from labelloop.data.io import csv_safe
from labelloop.data.model import Candidate, DataSample, Dataset, Message
from labelloop.templates import TEMPLATES

RB = TEMPLATES.get("rewardbench")()


def test_page_csv_with_quoted_formula_cells_imports_exact_values(tmp_path):
    ids = ["-2", "=cmd", "'=kept", "plain"]
    ds = Dataset(name="csv", schema=RB, samples=[
        DataSample(id=i, prompt=[Message(role="user", content="q")],
                   candidates=[Candidate(id="0", content="a"), Candidate(id="1", content="b")]) for i in ids])
    comments = {"-2": "@SUM(A1)", "=cmd": "+1", "'=kept": "'-x", "plain": "fine"}
    head = ["task_id", "annotator", "file_id", "schema_hash", "seed", "status", "reason", "created_at", "updated_at",
            "time_spent_s", "order", "q.preference", "q.comment"]
    with open(tmp_path / "r.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(head)
        for i in ids:
            row = [i, "ana", file_id_of(ds.samples, RB, 0), RB.schema_hash(), 0, "submitted", "", "", "", "",
                   json.dumps(["0", "1"]), json.dumps("0"), json.dumps(comments[i])]
            w.writerow([csv_safe(c, reversible=True) for c in row])  # as the page writes them
    raw = (tmp_path / "r.csv").read_text(encoding="utf-8")
    assert "\n'-2," in raw and "\n'=cmd," in raw and "\n''=kept," in raw
    out, rep = import_results(ds, [tmp_path / "r.csv"])
    assert rep.imported == 4
    assert {s.id: s.annotations[0].values for s in out.samples} == {
        i: {"preference": "0", "comment": comments[i]} for i in ids}


def test_dpo_csv_says_how_many_cells_it_quoted(tmp_path):
    """Answers that start with '- ' (Markdown lists) are common: the CSV quotes them for spreadsheets, and the
    user is told how many, and where to write training data that keeps every text as it is."""
    import subprocess
    import sys

    from labelloop.data.model import Annotation
    from labelloop.formats import save

    ds = Dataset(name="d", schema=RB, samples=[
        DataSample(id=f"s{i}", prompt=[Message(role="user", content="=1+1" if i == 0 else "q")],
                   candidates=[Candidate(id="0", content="- a\n- b"), Candidate(id="1", content="plain")],
                   annotations=[Annotation(annotator="rb", kind="reference", values={"preference": "0"})])
        for i in range(2)])
    save(ds, tmp_path / "d.jsonl")
    cmd = [sys.executable, "-m", "labelloop.cli", "export", str(tmp_path / "d.jsonl"), "--format", "dpo", "-o"]
    p = subprocess.run([*cmd, str(tmp_path / "p.csv")], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert p.stderr.strip().splitlines()[-1] == (
        f"3 CSV cell(s) of {tmp_path / 'p.csv'} began with = + - @, tab or CR and were written with a leading ' so "
        "that spreadsheets do not run them as formulas; for training data write .jsonl or .parquet, which keep every "
        "text as it is.")
    with open(tmp_path / "p.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["prompt"], r["chosen"]) for r in rows] == [("'=1+1", "'- a\n- b"), ("q", "'- a\n- b")]
    p = subprocess.run([*cmd, str(tmp_path / "p.jsonl"), "--json"], capture_output=True, text=True, timeout=120)
    assert "CSV cell" not in p.stderr
    assert [json.loads(line)["chosen"] for line in (tmp_path / "p.jsonl").read_text().splitlines()] == ["- a\n- b"] * 2
