"""Active learning on a seeded synthetic labelled pool, and the ML backend's /predict speed.

Part 1: accuracy of the local predictor (tfidf) on a held-out set against the number of labels, for
uncertainty (margin), diversity (k-center greedy), the mix and random, averaged over seeds; then how
many labels each strategy needs to reach the accuracy random reaches with the whole budget (the
peer here is random sampling: the ratio is labels needed / random's budget).

Part 2: ``POST /predict`` latency and throughput for batches of 1, 16 and 128 tasks against
``labelloop mlbackend`` on 127.0.0.1 (no peer: the official label-studio-ml-backend is not installed).

    .venv/bin/python bench/active.py [--pool 1000] [--budget 160] [--noise 0.0] [--step 20] [--seeds 0,1,2] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time

import httpx

from labelloop.assist.mlbackend import BackgroundServer, MLBackend
from labelloop.assist.simulate import labels_to_reach, simulate_active, synthetic_preferences
from labelloop.data.positions import candidate_order
from labelloop.formats.labelstudio.config import get_template

STRATEGIES = ["margin", "diversity", "mix", "random"]


def bench_active(pool_n: int, test_n: int, budget: int, step: int, seeds: list[int], noise: float) -> dict:
    pool = synthetic_preferences(pool_n, seed=11, noise=noise)
    test = synthetic_preferences(test_n, seed=99, noise=0.0)
    t0 = time.perf_counter()
    r = simulate_active(pool, test, strategies=STRATEGIES, budget=budget, step=step, seeds=seeds)
    target = r["accuracy"]["random"][-1]
    need = {s: labels_to_reach(r["labels"], r["accuracy"][s], target) for s in STRATEGIES}
    return {"labels": r["labels"], "accuracy": r["accuracy"], "random_final": target, "labels_needed": need,
            "seconds": round(time.perf_counter() - t0, 1)}


def bench_predict(batches: list[int], reps: int) -> dict:
    tpl = get_template("rewardbench")
    xml = tpl.label_config(2)
    base = synthetic_preferences(300, seed=3)
    samples = synthetic_preferences(max(batches), seed=4).samples
    tasks = [{"id": i, "data": tpl.task_data(s, candidate_order(s), 2)} for i, s in enumerate(samples)]
    out = {}
    with tempfile.TemporaryDirectory() as d:
        backend = MLBackend("tfidf", model_dir=d, dataset=base)
        with BackgroundServer(backend) as srv, httpx.Client(base_url=srv.url, timeout=60) as client:
            client.post("/setup", json={"project": "1.1", "schema": xml})
            for n in batches:
                body = {"tasks": tasks[:n], "project": "1.1", "label_config": xml, "params": {}}
                client.post("/predict", json=body)  # warm up
                times = []
                for _ in range(reps):
                    t = time.perf_counter()
                    r = client.post("/predict", json=body)
                    times.append(time.perf_counter() - t)
                    assert r.status_code == 200 and len(r.json()["results"]) == n
                med = statistics.median(times)
                out[n] = {"median_ms": round(1000 * med, 2), "p90_ms": round(1000 * sorted(times)[int(0.9 * reps)], 2),
                          "tasks_per_s": round(n / med, 1)}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pool", type=int, default=1000)
    ap.add_argument("--test", type=int, default=500)
    ap.add_argument("--budget", type=int, default=160)
    ap.add_argument("--step", type=int, default=20)
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--noise", type=float, default=0.0, help="Share of pool labels flipped.")
    ap.add_argument("--reps", type=int, default=30)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    seeds = [int(x) for x in a.seeds.split(",")]
    act = bench_active(a.pool, a.test, a.budget, a.step, seeds, a.noise)
    pred = bench_predict([1, 16, 128], a.reps)
    if a.json:
        print(json.dumps({"active": act, "predict": pred}, indent=2))
        return
    print(f"Active learning: pool {a.pool} (label noise {a.noise}), test {a.test}, seeds {seeds}, "
          f"tfidf predictor ({act['seconds']} s)")
    print("labels    " + "".join(f"{n:>7}" for n in act["labels"]))
    for s in STRATEGIES:
        print(f"{s:<10}" + "".join(f"{x:7.3f}" for x in act["accuracy"][s]))
    print(f"\nLabels to reach random's accuracy at {a.budget} labels ({act['random_final']:.3f}):")
    print(f"{'strategy':<10}{'labels':>8}{'vs random':>11}")
    for s in STRATEGIES:
        n = act["labels_needed"][s]
        print(f"{s:<10}{(n if n is not None else '>' + str(a.budget)):>8}"
              f"{(f'{n / a.budget:.2f}x' if n is not None else 'n/a'):>11}")
    print("\n/predict on 127.0.0.1 (tfidf; peer: label-studio-ml-backend not installed, n/a)")
    print(f"{'batch':>6}{'median ms':>11}{'p90 ms':>9}{'tasks/s':>10}")
    for n, r in pred.items():
        print(f"{n:>6}{r['median_ms']:>11}{r['p90_ms']:>9}{r['tasks_per_s']:>10}")


if __name__ == "__main__":
    main()
