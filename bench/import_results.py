"""Benchmark: ``import_results`` on the offline annotator's results, time and peak memory.

The annotator page exports one results file per person; 100,000 results is one person's long project or
four people's 25,000 pairs. Each case runs in a fresh process (peak RSS from ``getrusage``), on a rewardbench dataset
of pairs with one results file per annotator (``--annotators``), every row a valid submitted preference and rating:

* ``ours``: ``labelloop.annotate.results.import_results`` as it is now;
* ``before``: the same function as of commit 8f55645 (before issue 14's fix: a set built per sample over
  every result, quadratic), loaded from git; it is only run at the small sizes (8,000 took 34 s);
* ``floor``: ``json.load`` of the same files and a dict of rows by task, the least any importer must do.

    .venv/bin/python bench/import_results.py                  # 2,000, 8,000 and 100,000 results
    .venv/bin/python bench/import_results.py --sizes 2000     # a quick run
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BEFORE = "8f55645"


def build(n_results: int, where: Path, annotators: int) -> tuple[Path, list[Path]]:
    from labelloop.annotate.html import file_id_of
    from labelloop.data.io import write_dataset
    from labelloop.data.model import Candidate, DataSample, Dataset, Message
    from labelloop.templates import TEMPLATES

    schema = TEMPLATES.get("rewardbench")()
    n_samples = max(1, n_results // annotators)
    ds = Dataset(name="bench", schema=schema, samples=[
        DataSample(id=f"t{i}", prompt=[Message(role="user", content=f"Question {i}: which answer is better?")],
                   candidates=[Candidate(id="0", content=f"first answer {i}"),
                               Candidate(id="1", content=f"second answer {i}")]) for i in range(n_samples)])
    data = where / "ds.jsonl"
    write_dataset(ds, data)
    fid = file_id_of(ds.samples, schema, 0)
    files = []
    for a in range(annotators):
        rows = [{"task_id": s.id, "annotator": f"ann{a}", "status": "submitted", "reason": None,
                 "values": {"preference": "01"[(i + a) % 2], "rating": {"0": 1 + (i + a) % 5, "1": 1 + i % 5}},
                 "created_at": "2025-03-01T09:00:00.000Z", "updated_at": "2025-03-01T10:00:00.000Z",
                 "time_spent_s": 4.5, "order": ["1", "0"] if (i + a) % 2 else ["0", "1"]}
                for i, s in enumerate(ds.samples)]
        doc = {"format": "labelloop-results", "version": 1, "tool": "labelloop", "file_id": fid,
               "schema_hash": schema.schema_hash(), "seed": 0, "dataset": ds.name, "annotator": f"ann{a}",
               "exported_at": "2025-03-02T00:00:00Z", "n_tasks": n_samples,
               "schema": schema.model_dump(mode="json"), "results": rows}
        f = where / f"results_ann{a}.json"
        f.write_text(json.dumps(doc), encoding="utf-8")
        files.append(f)
    return data, files


CHILD = r"""
import json, resource, sys, time, importlib.util
from pathlib import Path
which, data, files = sys.argv[1], sys.argv[2], sys.argv[3:]
from labelloop.formats import load
ds = load(data)
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
if which == "floor":
    rows = {}
    for f in files:
        for r in json.loads(Path(f).read_text(encoding="utf-8"))["results"]:
            rows.setdefault(r["task_id"], []).append(r)
    n = sum(map(len, rows.values()))
else:
    if which == "ours":
        from labelloop.annotate.results import import_results
    else:
        spec = importlib.util.spec_from_file_location("results_before", which)
        mod = importlib.util.module_from_spec(spec); sys.modules["results_before"] = mod
        spec.loader.exec_module(mod)
        import_results = mod.import_results
    out, rep = import_results(ds, files)
    n = rep.imported
took = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"n": n, "seconds": took, "peak_mb": peak / 1024, "added_mb": (peak - base) / 1024}))
"""


def run(which: str, data: Path, files: list[Path], timeout: float) -> dict | None:
    try:
        p = subprocess.run([sys.executable, "-c", CHILD, which, str(data), *map(str, files)], capture_output=True,
                           text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    if p.returncode:
        raise SystemExit(f"{which} failed:\n{p.stderr[-2000:]}")
    return json.loads(p.stdout)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="2000,8000,100000")
    ap.add_argument("--before-max", type=int, default=8000, help="Largest size the quadratic version runs at.")
    ap.add_argument("--annotators", type=int, default=1, help="Results files (the issue's case: one, a result "
                    "per sample).")
    ap.add_argument("--timeout", type=float, default=900)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        before = Path(tmp) / "results_before.py"
        old_src = subprocess.run(["git", "-C", str(REPO), "show", f"{BEFORE}:src/labelloop/annotate/results.py"],
                                 capture_output=True, text=True, check=True).stdout
        before.write_text(old_src, encoding="utf-8")
        print(f"{'results':>8} | {'ours s':>7} {'MB':>6} | {'before s':>8} {'MB':>6} {'before/ours':>11} | "
              f"{'floor s':>7} {'MB':>6} {'ours/floor':>10}")
        for size in (int(s) for s in args.sizes.split(",")):
            where = Path(tmp) / str(size)
            where.mkdir()
            t0 = time.perf_counter()
            data, files = build(size, where, args.annotators)
            ours = run("ours", data, files, args.timeout)
            old = run(str(before), data, files, args.timeout) if size <= args.before_max else None
            floor = run("floor", data, files, args.timeout)
            assert ours is not None and floor is not None and ours["n"] == floor["n"] == size
            old_s = f"{old['seconds']:8.2f} {old['added_mb']:6.0f} {old['seconds'] / ours['seconds']:10.1f}x" \
                if old else f"{'skipped':>8} {'':>6} {'':>11}"
            print(f"{size:>8} | {ours['seconds']:7.2f} {ours['added_mb']:6.0f} | {old_s} | {floor['seconds']:7.2f} "
                  f"{floor['added_mb']:6.0f} {ours['seconds'] / floor['seconds']:9.1f}x   "
                  f"(built in {time.perf_counter() - t0:.0f} s)",
                  flush=True)
    print("MB: peak RSS added by the import (dataset already loaded). 'before' is commit "
          f"{BEFORE}, quadratic; 'floor' only parses the files and groups rows by task.")


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    main()
