"""import-results does work in proportion to the results, not their square (issue 14, item 4).

Time is for ``bench/import_results.py``; here the work is counted: the lines the results module executes
(a deterministic count) for 200 and for 800 results. Linear work grows 4 times; the quadratic code grew
about 13 times.
"""

from __future__ import annotations

import json
import sys

from labelloop.annotate import results as results_module
from labelloop.annotate.html import file_id_of
from labelloop.annotate.results import import_results
from labelloop.data.model import Candidate, DataSample, Dataset, Message
from labelloop.templates import TEMPLATES

RB = TEMPLATES.get("rewardbench")()


def _case(tmp_path, n):
    ds = Dataset(name="scale", schema=RB, samples=[
        DataSample(id=f"t{i}", prompt=[Message(role="user", content=f"q{i}")],
                   candidates=[Candidate(id="0", content="a"), Candidate(id="1", content="b")]) for i in range(n)])
    rows = [{"task_id": f"t{i}", "annotator": "ana", "status": "submitted", "values": {"preference": "01"[i % 2]},
             "updated_at": "2025-03-01T10:00:00Z", "order": ["0", "1"]} for i in range(n)]
    f = tmp_path / f"r{n}.json"
    f.write_text(json.dumps({"format": "labelloop-results", "file_id": file_id_of(ds.samples, RB, 0),
                             "schema_hash": RB.schema_hash(), "seed": 0, "annotator": "ana", "results": rows}))
    return ds, f


def _lines_run(ds, f) -> int:
    count = 0
    target = results_module.__file__

    def tracer(frame, event, arg):
        nonlocal count
        if frame.f_code.co_filename != target:
            return None
        if event == "line":
            count += 1
        return tracer

    sys.settrace(tracer)
    try:
        out, rep = import_results(ds, [f])
    finally:
        sys.settrace(None)
    assert rep.imported == len(ds.samples)
    return count


def test_import_results_work_grows_linearly(tmp_path):
    small, big = _lines_run(*_case(tmp_path, 200)), _lines_run(*_case(tmp_path, 800))
    assert big / small < 4.5, (small, big)


def test_import_results_leaves_its_input_as_it_was(tmp_path):
    """The output shares unchanged samples with the input instead of deep-copying them; the input gains nothing."""
    ds, f = _case(tmp_path, 3)
    before = ds.model_dump_json()
    out, rep = import_results(ds, [f])
    assert rep.imported == 3 and ds.model_dump_json() == before
    assert [[a.values for a in s.annotations] for s in out.samples] == [
        [{"preference": "0"}], [{"preference": "1"}], [{"preference": "0"}]]
    assert out.schema is RB or out.schema.schema_hash() == RB.schema_hash()
