"""Benchmark: how many labels a sample needs. Fixed overlap 3 against adaptive rounds, on simulated annotators.

Seven simulated people with known confusion: three good ones (right 90%, 88%, 85% of the time), two weak ones
(70%, 65%), a spammer (a uniformly random answer) and one biased to the first answer on screen (70% of the
time the first of a per-task shuffle of the answers, otherwise right 85% of the time). Every task has a true
answer; two task kinds: binary preferences (2 answers) and best-of-4. Every person also answers 5% gold
(``labelloop.quality.assignment.mix_gold``), the same in every arm, and counted in the labels spent.

Arms, each on the same tasks and people:

* fixed-3 + majority: ``plan_overlap(overlap=3)``, the label by majority vote (ties: a seeded coin);
* fixed-3 + Dawid-Skene: the same labels, ``next_round``'s Dawid-Skene with the gold as prior;
* adaptive (start K, target T): ``plan_overlap(overlap=K)``, then ``next_round(target=T, max_per_sample=5)``
  round after round until it asks for nothing; the label is the last round's Dawid-Skene label.

Printed: accuracy against the simulated truth and labels spent per sample, the mean over ``--seeds`` seeds,
and whether an adaptive arm reaches fixed-3 + Dawid-Skene's accuracy (within 0.5 points) with at least 30%
fewer labels (the goal of issue 19). ``--json`` prints the same figures.

    .venv/bin/python bench/redundancy.py                 # 1,000 tasks, 5 seeds (about 30 s)
    .venv/bin/python bench/redundancy.py --tasks 200 --seeds 2
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from typing import Any

import numpy as np

from labelloop.quality.assignment import mix_gold, next_round, plan_overlap

PEOPLE = {"good1": ("acc", 0.90), "good2": ("acc", 0.88), "good3": ("acc", 0.85), "weak1": ("acc", 0.70),
          "weak2": ("acc", 0.65), "spammer": ("random", 0.0), "first": ("first", 0.70)}
GOLD_RATE = 0.05
GOAL_SAVING = 0.30
SAME_ACCURACY = 0.005


class World:
    """The simulated truth and people: ``answer(person, task)`` draws (once) and remembers a person's answer."""

    def __init__(self, n: int, k: int, seed: int):
        self.k = k
        self.rng = np.random.default_rng(seed)
        self.truth = {f"t{i:05d}": int(self.rng.integers(k)) for i in range(n)}
        self.gold = {f"g{i:03d}": int(self.rng.integers(k)) for i in range(max(4, round(n * GOLD_RATE)))}
        self.screen = {t: list(self.rng.permutation(k)) for t in (*self.truth, *self.gold)}
        self.memo: dict[tuple[str, str], int] = {}

    def answer(self, person: str, task: str) -> int:
        key = (person, task)
        if key not in self.memo:
            true = self.truth[task] if task in self.truth else self.gold[task]
            kind, p = PEOPLE[person]
            r = self.rng.random()
            if kind == "random":
                v = int(self.rng.integers(self.k))
            elif kind == "first" and r < p:
                v = int(self.screen[task][0])
            else:
                acc = p if kind == "acc" else 0.85
                if self.rng.random() < acc:
                    v = true
                else:
                    v = int(self.rng.choice([c for c in range(self.k) if c != true]))
            self.memo[key] = v
        return self.memo[key]


def gold_part(world: World, people: list[str], seed: int) -> tuple[dict, dict, int]:
    """Everyone's gold answers, as many as 5% of a fixed-3 list (the same in every arm)."""
    per_person = {p: ["x"] * round(len(world.truth) * 3 / len(people)) for p in people}
    lists, _ = mix_gold(per_person, list(world.gold), GOLD_RATE, seed=seed)
    gold_labels: dict[str, dict[str, int]] = {}
    spent = 0
    for p, lst in lists.items():
        for g in lst:
            if g != "x":
                gold_labels.setdefault(g, {})[p] = world.answer(p, g)
                spent += 1
    return dict(world.gold), gold_labels, spent


def accuracy(world: World, labels: dict[str, Any]) -> float:
    return float(np.mean([labels[t] == v for t, v in world.truth.items()]))


def majority(world: World, labels: dict[str, dict[str, int]], seed: int) -> dict[str, int]:
    rng = np.random.default_rng(seed + 99)
    out = {}
    for t, answers in labels.items():
        counts = Counter(answers.values())
        top = max(counts.values())
        out[t] = int(rng.choice(sorted(c for c, n in counts.items() if n == top)))
    return out


def fixed(world: World, people: list[str], gold: tuple, seed: int) -> dict[str, Any]:
    plan = plan_overlap(list(world.truth), people, 3, seed=seed)
    labels: dict[str, dict[str, int]] = {t: {} for t in world.truth}
    for p, lst in plan.assignments.items():
        for t in lst:
            labels[t][p] = world.answer(p, t)
    ds = next_round(labels, people, target=1.01, max_per_sample=0, gold=gold[0], gold_labels=gold[1],
                    categories=list(range(world.k)), seed=seed)
    n = len(world.truth)
    spent = sum(len(v) for v in labels.values())
    return {"majority": accuracy(world, majority(world, labels, seed)),
            "dawid_skene": accuracy(world, {s.sample_id: s.label for s in ds.samples}),
            "labels": (spent + gold[2]) / n, "rounds": 1}


def adaptive(world: World, people: list[str], gold: tuple, seed: int, start: int, target: float,
             max_per_sample: int = 5) -> dict[str, Any]:
    plan = plan_overlap(list(world.truth), people, start, seed=seed)
    labels: dict[str, dict[str, int]] = {t: {} for t in world.truth}
    for p, lst in plan.assignments.items():
        for t in lst:
            labels[t][p] = world.answer(p, t)
    rounds = 1
    while True:
        rp = next_round(labels, people, target=target, max_per_sample=max_per_sample, gold=gold[0],
                        gold_labels=gold[1], categories=list(range(world.k)), seed=seed + rounds)
        asked = sum(len(v) for v in rp.assignments.values())
        if not asked:
            break
        rounds += 1
        for p, lst in rp.assignments.items():
            for t in lst:
                labels[t][p] = world.answer(p, t)
    n = len(world.truth)
    spent = sum(len(v) for v in labels.values())
    return {"dawid_skene": accuracy(world, {s.sample_id: s.label for s in rp.samples}),
            "labels": (spent + gold[2]) / n, "rounds": rounds}


def run(tasks: int, seeds: int, targets: list[float], starts: list[int]) -> dict[str, Any]:
    people = list(PEOPLE)
    out: dict[str, Any] = {}
    for kind, k in (("binary preference", 2), ("best-of-4", 4)):
        rows: dict[str, list[dict[str, Any]]] = {}
        for seed in range(seeds):
            world = World(tasks, k, seed)
            gold = gold_part(world, people, seed)
            f = fixed(world, people, gold, seed)
            rows.setdefault("fixed-3 + majority", []).append({"accuracy": f["majority"], "labels": f["labels"],
                                                              "rounds": 1})
            rows.setdefault("fixed-3 + Dawid-Skene", []).append({"accuracy": f["dawid_skene"],
                                                                 "labels": f["labels"], "rounds": 1})
            for start in starts:
                for t in targets:
                    a = adaptive(world, people, gold, seed, start, t)
                    rows.setdefault(f"adaptive (start {start}, target {t})", []).append(
                        {"accuracy": a["dawid_skene"], "labels": a["labels"], "rounds": a["rounds"]})
        table = {name: {m: float(np.mean([r[m] for r in rs])) for m in ("accuracy", "labels", "rounds")}
                 for name, rs in rows.items()}
        ref = table["fixed-3 + Dawid-Skene"]
        for name, row in table.items():
            row["saving"] = 1 - row["labels"] / ref["labels"]
            row["meets_goal"] = (name.startswith("adaptive") and row["accuracy"] >= ref["accuracy"] - SAME_ACCURACY
                                 and row["saving"] >= GOAL_SAVING)
        out[kind] = table
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tasks", type=int, default=1000)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--targets", default="0.6,0.7,0.8,0.9,0.95")
    ap.add_argument("--starts", default="1,2")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    t0 = time.perf_counter()
    res = run(args.tasks, args.seeds, [float(x) for x in args.targets.split(",")],
              [int(x) for x in args.starts.split(",")])
    secs = time.perf_counter() - t0
    if args.json:
        print(json.dumps({"tasks": args.tasks, "seeds": args.seeds, "seconds": secs, "results": res}, indent=2))
        return
    print(f"{args.tasks} tasks, {len(PEOPLE)} simulated people ({', '.join(PEOPLE)}), {args.seeds} seeds, "
          f"gold {GOLD_RATE:.0%} (counted in labels); {secs:.1f} s")
    for kind, table in res.items():
        print(f"\n{kind}")
        print(f"  {'arm':<36} {'accuracy':>8} {'labels/task':>11} {'vs fixed-3':>10} {'rounds':>6}  goal")
        for name, row in table.items():
            goal = "yes" if row["meets_goal"] else ("no" if name.startswith("adaptive") else "")
            print(f"  {name:<36} {row['accuracy']:>8.4f} {row['labels']:>11.2f} {-row['saving']:>+10.1%} "
                  f"{row['rounds']:>6.1f}  {goal}")
        met = [n for n, r in table.items() if r["meets_goal"]]
        print("  goal (adaptive at fixed-3 + Dawid-Skene's accuracy, within 0.5 points, with >= 30% fewer labels): "
              + (f"met by {', '.join(met)}" if met else "not met"))


if __name__ == "__main__":
    main()
