"""The model leaderboard's Bradley-Terry fit at scale: 1,000,000 comparisons among 50 models with known strengths,
against crowd-kit's ``BradleyTerry`` in the same run (time, peak memory, Spearman correlation with the truth).

labelloop is timed on the comparisons already read (``labelloop.quality.leaderboard.rank`` over ``Games`` arrays),
crowd-kit on its pandas frame already built: both measure the fit. crowd-kit 1.4.2 stops after its second MM step
whatever ``tol`` says (it compares the new strengths with themselves), so it runs twice: as shipped
(``n_iter=100``) and made to run every iteration (``tol=-1``). labelloop also runs its bootstrap (``--rounds``).

    .venv/bin/python bench/leaderboard.py [--comparisons 1000000] [--models 50] [--rounds 100] [--json]
"""

from __future__ import annotations

import argparse
import json
import math
import time
import tracemalloc

import numpy as np

from labelloop.quality.leaderboard import Games, rank

ELO = 400 / math.log(10)


def simulate(n_models: int, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    truth = rng.normal(0, 1, n_models)
    a = rng.integers(0, n_models, n)
    b = rng.integers(0, n_models - 1, n)
    b = b + (b >= a)
    win = rng.random(n) < 1 / (1 + np.exp(-(truth[a] - truth[b])))
    return truth, a, b, win


def measured(fn):
    tracemalloc.start()
    t0 = time.perf_counter()
    out = fn()
    seconds = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return out, round(seconds, 2), round(peak / 2**20, 1)


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    from scipy.stats import spearmanr

    return round(float(spearmanr(x, y).statistic), 4)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--comparisons", type=int, default=1_000_000)
    ap.add_argument("--models", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=100)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    truth, a, b, win = simulate(args.models, args.comparisons)
    names = [f"m{i:02d}" for i in range(args.models)]
    n = args.comparisons
    g = Games(models=names, vote=np.arange(n), a=a, b=b, y=win.astype(float), pa=np.full(n, -1), pb=np.full(n, -1),
              n_votes=n)
    out: dict = {"comparisons": n, "models": args.models}

    r, sec, mem = measured(lambda: rank(g, rounds=0, min_comparisons=0))
    ours = np.array([{m["model"]: m["score"] for m in r.models}[m] for m in names])
    out["labelloop_fit"] = {"seconds": sec, "peak_mib": mem, "spearman_truth": spearman(ours, truth),
                            "max_abs_error_points": round(float(np.abs((ours - ours.mean())
                                                                       - ELO * (truth - truth.mean())).max()), 1)}
    if args.rounds:
        rb, sec, mem = measured(lambda: rank(g, rounds=args.rounds, min_comparisons=0))
        width = np.mean([m["ci_high"] - m["ci_low"] for m in rb.models])
        out["labelloop_bootstrap"] = {"rounds": args.rounds, "seconds": sec, "peak_mib": mem,
                                      "mean_interval_width_points": round(float(width), 1)}
    try:
        import pandas as pd
        from crowdkit.aggregation import BradleyTerry
    except ImportError:
        out["crowd_kit"] = "not installed"
    else:
        winner = np.where(win, a, b)
        lab = np.array(names)
        frame = pd.DataFrame({"worker": "w", "left": lab[a], "right": lab[b], "label": lab[winner]})
        for key, kw in (("crowd_kit_as_shipped", {"n_iter": 100}), ("crowd_kit_every_iteration",
                                                                     {"n_iter": 1000, "tol": -1.0})):
            s, sec, mem = measured(lambda kw=kw: BradleyTerry(**kw).fit(frame).scores_)
            theirs = ELO * np.log(s[names].to_numpy())
            out[key] = {**kw, "seconds": sec, "peak_mib": mem, "spearman_truth": spearman(theirs, truth),
                        "max_abs_difference_from_labelloop_points": round(float(np.abs(
                            (theirs - theirs.mean()) - (ours - ours.mean())).max()), 3)}
    if args.json:
        print(json.dumps(out, indent=2))
        return
    print(f"{n:,} comparisons among {args.models} models")
    for k, v in out.items():
        if isinstance(v, dict):
            print(f"  {k:28s} " + ", ".join(f"{kk} {vv}" for kk, vv in v.items()))


if __name__ == "__main__":
    main()
