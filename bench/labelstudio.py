"""Benchmark: push 10,000 tasks to and pull 10,000 annotations from a local Label Studio.

Starts its own Label Studio (a temporary data dir, a free loopback port), then in the same run:

- **push, ours**: ``create_annotator(...).run(dataset)``: tasks with one prediction each, imported
  in batches (``--batch-size``, default 500);
- **push, naive**: the same tasks, one import request per task (``--naive-tasks`` of them, default
  1,000, since it is slow; tasks/s is what compares);
- **pull, ours**: ``pull_project`` on a project holding ``--tasks`` annotations (set up by one
  import with annotations, not timed), every annotation mapped back to candidate ids, once from
  the JSON export (the default) and once page by page (``method="pages"``);
- **pull, peers**: Label Studio's own JSON export of the same project in one request (no
  conversion), and one ``GET /api/tasks/<id>`` per task for ``--naive-tasks`` tasks.

    .venv/bin/python bench/labelstudio.py                       # 10,000 tasks
    .venv/bin/python bench/labelstudio.py --tasks 2000 --json   # a quick run
    .venv/bin/python bench/labelstudio.py --label-studio-bin .venv-ls/1.17.0/bin/label-studio
    .venv/bin/python bench/labelstudio.py --database both      # SQLite and PostgreSQL side by side (issue 19)

- **five annotators at once** (issue 19): ``--annotators`` threads (default 5), each with its own connection,
  submit ``--submissions`` annotations each (default 100) to tasks of their own through ``POST
  /api/tasks/<id>/annotations``; latency percentiles and submissions per second.

``--database sqlite|postgres|both`` (default sqlite): ``postgres`` starts Label Studio with ``--postgres`` (the
data dir's own PostgreSQL from Debian's packages); ``both`` runs everything on each and prints them side by side,
PostgreSQL's figure over SQLite's as a ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from labelloop.annotate.labelstudio import (  # noqa: E402
    LabelStudioClient,
    LabelStudioServer,
    create_annotator,
    pull_project,
)
from labelloop.data.model import Annotation, Candidate, DataSample, Dataset, Message  # noqa: E402
from labelloop.formats.labelstudio.config import get_template  # noqa: E402

WORDS = ("the a model answer question explain why how code python function error value list data because "
         "therefore first second result number write return loop test case example reason safe helpful").split()


def make_dataset(n: int, seed: int = 0) -> Dataset:
    """Seeded pairwise samples (prompt 50-200 characters, answers 200-1,200) with one prediction each."""
    rng = random.Random(seed)

    def text(lo: int, hi: int) -> str:
        out = []
        while sum(len(w) + 1 for w in out) < rng.randint(lo, hi):
            out.append(rng.choice(WORDS))
        return " ".join(out)

    samples = []
    for i in range(n):
        pick = rng.choice(["0", "1", "tie"])
        pred = Annotation(annotator="judge", kind="prediction", model_version="judge-v1", score=rng.random(),
                          values={"preference": pick, "rating": {"0": rng.randint(1, 5), "1": rng.randint(1, 5)}})
        samples.append(DataSample(id=f"b{i:06d}", prompt=[Message(role="user", content=text(50, 200))],
                                  candidates=[Candidate(id="0", content=text(200, 1200)),
                                              Candidate(id="1", content=text(200, 1200))],
                                  annotations=[pred]))
    return Dataset(name="bench", samples=samples)


def find_bin(explicit: str | None) -> str:
    if explicit:
        return explicit
    env = os.environ.get("LABELLOOP_LS_BINS", "").replace(os.pathsep, ",")
    for b in [x for x in env.split(",") if x.strip()] + [str(REPO / ".venv-ls/current/bin/label-studio")]:
        if Path(b).exists():
            return b
    sys.exit("No Label Studio: run scripts/install-label-studio or pass --label-studio-bin.")


def rate(n: int, seconds: float) -> float:
    return n / seconds if seconds else float("inf")


def concurrent_submissions(creds, project_id: int, task_ids: list[int], tpl, data: list[dict], annotators: int,
                           each: int) -> dict:
    """``annotators`` threads, each on its own connection, submit ``each`` annotations to tasks of their own."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    rng = random.Random(2)
    jobs = [[(task_ids[a * each + k], data[a * each + k]) for k in range(each)] for a in range(annotators)]
    results = [[tpl.to_result({"preference": rng.choice(["0", "1"])}, d) for _, d in job] for job in jobs]

    def work(a: int) -> None:
        c = LabelStudioClient(creds.url, creds.token)
        try:
            for (tid, _), result in zip(jobs[a], results[a]):
                t = time.perf_counter()
                try:
                    c.create_annotation(tid, result)
                except Exception as exc:  # noqa: BLE001  (counted, the run goes on)
                    with lock:
                        errors.append(type(exc).__name__)
                    continue
                with lock:
                    latencies.append(time.perf_counter() - t)
        finally:
            c.close()

    threads = [threading.Thread(target=work, args=(a,)) for a in range(annotators)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    secs = time.perf_counter() - t0
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [latencies[0]] * 99
    return {"annotators": annotators, "submitted": len(latencies), "errors": len(errors), "seconds": secs,
            "per_s": rate(len(latencies), secs), "p50_ms": 1000 * q[49], "p90_ms": 1000 * q[89],
            "p99_ms": 1000 * q[98]}


def run(args, binary: str, work: Path, ds: Dataset, database: str) -> tuple[dict, dict]:
    naive_n = min(args.naive_tasks, args.tasks)
    server = LabelStudioServer(work / f"label-studio-{database}", port=0, label_studio_bin=binary, timeout=900,
                               postgres=database == "postgres")
    t0 = time.perf_counter()
    info = server.start()
    startup = time.perf_counter() - t0
    creds = server.credentials()
    assert creds is not None
    data_dir = work / f"label-studio-{database}"
    client = LabelStudioClient(creds.url, creds.token)
    tpl = get_template("rewardbench")
    results: dict[str, dict] = {}
    try:
        # ---- push, ours
        ann = create_annotator(server_url=creds.url, api_token=creds.token, project_title="bench push ours",
                               template_name="rewardbench", data_dir=data_dir,
                               batch_size=args.batch_size, client=client)
        t0 = time.perf_counter()
        pushed = ann.run(ds)
        secs = time.perf_counter() - t0
        results["push_ours"] = {"tasks": pushed.tasks, "seconds": secs, "tasks_per_s": rate(pushed.tasks, secs)}

        # ---- push, naive: one request per task
        config = tpl.label_config(2)
        naive = client.create_project(title="bench push naive", label_config=config)
        tasks = [ann.task(tpl, s, 2, False)[0] for s in ds.samples[:naive_n]]
        t0 = time.perf_counter()
        for task in tasks:
            client.import_tasks(naive["id"], [task])
        secs = time.perf_counter() - t0
        results["push_naive"] = {"tasks": naive_n, "seconds": secs, "tasks_per_s": rate(naive_n, secs)}

        # ---- five annotators at once, on the naive project's tasks (no annotations yet)
        naive_tasks = list(client.iter_tasks(naive["id"]))
        need = args.annotators * args.submissions
        if len(naive_tasks) < need:
            sys.exit(f"--annotators x --submissions ({need}) needs that many tasks; raise --naive-tasks.")
        results["concurrent"] = concurrent_submissions(creds, naive["id"], [t["id"] for t in naive_tasks[:need]],
                                                       tpl, [t["data"] for t in naive_tasks[:need]],
                                                       args.annotators, args.submissions)

        # ---- set up a project with one human annotation per task (not timed)
        proj = client.create_project(title="bench pull", label_config=config)
        rng = random.Random(1)
        setup = []
        for s in ds.samples:
            task = ann.task(tpl, s, 2, False)[0]
            task.pop("predictions", None)
            values = {"preference": rng.choice(["0", "1", "both_bad"]), "rating": {"0": rng.randint(1, 5)}}
            task["annotations"] = [{"result": tpl.to_result(values, task["data"]), "lead_time": 5.0}]
            setup.append(task)
        for i in range(0, len(setup), args.batch_size):
            client.import_tasks(proj["id"], setup[i:i + args.batch_size])

        # ---- pull, ours
        t0 = time.perf_counter()
        pulled, stats = pull_project(proj["id"], dataset=ds, data_dir=data_dir, client=client)
        secs = time.perf_counter() - t0
        assert stats.new == args.tasks, stats
        results["pull_ours"] = {"annotations": stats.new, "seconds": secs, "annotations_per_s": rate(stats.new, secs)}

        t0 = time.perf_counter()
        _, stats = pull_project(proj["id"], dataset=ds, data_dir=data_dir, client=client, method="pages")
        secs = time.perf_counter() - t0
        results["pull_ours_pages"] = {"annotations": stats.new, "seconds": secs,
                                      "annotations_per_s": rate(stats.new, secs)}

        # ---- pull, peers: Label Studio's JSON export (one request, no conversion) and one GET per task
        t0 = time.perf_counter()
        exported = client.export(proj["id"])
        secs = time.perf_counter() - t0
        n_exp = sum(len(t["annotations"]) for t in exported)
        results["pull_export_json"] = {"annotations": n_exp, "seconds": secs, "annotations_per_s": rate(n_exp, secs)}
        ids = [t["id"] for t in exported[:naive_n]]
        t0 = time.perf_counter()
        n_naive = sum(len(client.get(f"/api/tasks/{tid}").get("annotations") or []) for tid in ids)
        secs = time.perf_counter() - t0
        results["pull_naive"] = {"annotations": n_naive, "seconds": secs, "annotations_per_s": rate(n_naive, secs)}
    finally:
        client.close()
        server.stop()
    meta = {"label_studio": info.version, "database": info.database, "tasks": args.tasks, "naive_tasks": naive_n,
            "batch_size": args.batch_size, "startup_s": round(startup, 1)}
    return meta, results


ROWS = [("push: labelloop (batched import)", "push_ours", "tasks"),
        ("push: naive (one request per task)", "push_naive", "tasks"),
        ("pull: labelloop (export, mapped back)", "pull_ours", "annotations"),
        ("pull: labelloop --pages (500 a page)", "pull_ours_pages", "annotations"),
        ("pull: Label Studio JSON export (raw)", "pull_export_json", "annotations"),
        ("pull: naive (one GET per task)", "pull_naive", "annotations")]


def print_one(meta: dict, results: dict) -> None:
    print(f"Label Studio {meta['label_studio']} on {meta['database']} (started in {meta['startup_s']:.1f} s), "
          f"{meta['tasks']} tasks, batch {meta['batch_size']}")
    print(f"{'':38} {'items':>7} {'seconds':>9} {'items/s':>9}")
    for label, key, unit in ROWS:
        r = results[key]
        print(f"{label:38} {r[unit]:>7} {r['seconds']:>9.1f} {r[unit] / r['seconds']:>9.0f}")
    c = results["concurrent"]
    print(f"{c['annotators']} annotators at once: {c['submitted']} submissions ({c['errors']} errors) in "
          f"{c['seconds']:.1f} s, {c['per_s']:.0f}/s; latency p50 {c['p50_ms']:.0f} ms, p90 {c['p90_ms']:.0f} ms, "
          f"p99 {c['p99_ms']:.0f} ms")
    print(f"push ratio labelloop/naive (tasks/s): "
          f"{results['push_ours']['tasks_per_s'] / results['push_naive']['tasks_per_s']:.1f}x")
    print(f"pull ratio labelloop/naive (annotations/s): "
          f"{results['pull_ours']['annotations_per_s'] / results['pull_naive']['annotations_per_s']:.1f}x")


def print_both(runs: dict) -> None:
    sq, pg = runs["sqlite"][1], runs["postgres"][1]
    print(f"\nSQLite vs PostgreSQL (Label Studio {runs['sqlite'][0]['label_studio']}, {runs['sqlite'][0]['tasks']} "
          "tasks)")
    print(f"{'':38} {'SQLite/s':>9} {'PG/s':>9} {'PG/SQLite':>10}")
    for label, key, unit in ROWS:
        a, b = sq[key][unit] / sq[key]["seconds"], pg[key][unit] / pg[key]["seconds"]
        print(f"{label:38} {a:>9.0f} {b:>9.0f} {b / a:>9.2f}x")
    a, b = sq["concurrent"], pg["concurrent"]
    print(f"{'5 annotators: submissions/s':38} {a['per_s']:>9.0f} {b['per_s']:>9.0f} {b['per_s'] / a['per_s']:>9.2f}x")
    for p in ("p50_ms", "p90_ms", "p99_ms"):
        print(f"{'5 annotators: latency ' + p[:3] + ' (ms)':38} {a[p]:>9.0f} {b[p]:>9.0f} {b[p] / a[p]:>9.2f}x")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tasks", type=int, default=10_000)
    ap.add_argument("--naive-tasks", type=int, default=1_000)
    ap.add_argument("--batch-size", type=int, default=500)
    ap.add_argument("--annotators", type=int, default=5)
    ap.add_argument("--submissions", type=int, default=100, help="Annotations each annotator submits.")
    ap.add_argument("--database", choices=["sqlite", "postgres", "both"], default="sqlite")
    ap.add_argument("--label-studio-bin")
    ap.add_argument("--workdir", help="Keep Label Studio's data here (default: a temporary directory).")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    binary = find_bin(args.label_studio_bin)
    work = Path(args.workdir or tempfile.mkdtemp(prefix="lb-ls-bench-"))
    ds = make_dataset(args.tasks)
    dbs = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    runs = {db: run(args, binary, work, ds, db) for db in dbs}
    if args.json:
        print(json.dumps({db: {"meta": m, "results": r} for db, (m, r) in runs.items()}, indent=2))
        return
    for db in dbs:
        print_one(*runs[db])
        print()
    if len(dbs) == 2:
        print_both(runs)


if __name__ == "__main__":
    main()
