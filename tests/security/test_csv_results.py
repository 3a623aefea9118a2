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
