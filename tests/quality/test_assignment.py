"""The overlap plan's guarantees (loads level, overlap spread over every pair, capacity, seed), gold mixing, and
the next round's decisions on a hand-worked case."""

from __future__ import annotations

import pytest

from labelloop.quality.assignment import (
    expected_shared,
    gold_count,
    mix_gold,
    next_round,
    pair_counts,
    plan_overlap,
)

NAMES = ["ana", "ben", "cai", "dee"]


def ids(n: int) -> list[str]:
    return [f"s{i:04d}" for i in range(n)]


@pytest.mark.parametrize("m", range(2, 9))
def test_guarantees(m):
    names = [f"p{i}" for i in range(m)]
    for k in range(1, min(m, 4) + 1):
        for n in (7, 100, 333, 1000):
            for seed in (0, 1):
                plan = plan_overlap(ids(n), names, k, seed=seed)
                loads = [len(v) for v in plan.assignments.values()]
                assert max(loads) - min(loads) <= 1
                assert sum(loads) == n * k and not plan.short
                per_sample: dict[str, set[str]] = {}
                for who, lst in plan.assignments.items():
                    assert lst == sorted(lst)  # dataset order
                    for s in lst:
                        per_sample.setdefault(s, set()).add(who)
                assert all(len(v) == k for v in per_sample.values()) and len(per_sample) == n
                e = expected_shared(n, m, k)
                worst = max((abs(c - e) for c in pair_counts(plan.assignments).values()), default=0)
                assert worst <= (2.0 if k <= 3 else 2.5), (m, k, n, seed, worst)


def test_four_people_overlap_two():
    plan = plan_overlap(ids(1000), NAMES, 2, seed=0)
    assert {len(v) for v in plan.assignments.values()} == {500}
    assert set(pair_counts(plan.assignments).values()) <= {166, 167}
    # 12 samples: every pair exactly twice (a full rotation through the six pairs, twice)
    plan = plan_overlap(ids(12), NAMES, 2, seed=3)
    assert set(pair_counts(plan.assignments).values()) == {2}


def test_seed():
    a = plan_overlap(ids(50), NAMES, 2, seed=7)
    assert a.assignments == plan_overlap(ids(50), NAMES, 2, seed=7).assignments
    assert a.assignments != plan_overlap(ids(50), NAMES, 2, seed=8).assignments


def test_capacity():
    plan = plan_overlap(ids(10), ["ana", "ben", "cai"], 2, {"ana": 3})
    assert {k: len(v) for k, v in plan.assignments.items()} == {"ana": 3, "ben": 9, "cai": 8}
    assert not plan.short
    plan = plan_overlap(ids(10), ["ana", "ben", "cai"], 3, {"ana": 3})
    assert {k: len(v) for k, v in plan.assignments.items()} == {"ana": 3, "ben": 10, "cai": 10}
    assert plan.short == {s: 2 for s in ids(10)[3:]}
    plan = plan_overlap(ids(4), ["ana", "ben"], 2, {"ana": 1, "ben": 0})
    assert plan.short == {"s0000": 1, "s0001": 0, "s0002": 0, "s0003": 0}


def test_gold_mixing():
    assert [gold_count(n, 0.05) for n in (0, 5, 19, 38, 100)] == [1, 1, 1, 2, 5]
    assert gold_count(100, 0) == 0
    base = plan_overlap(ids(200), NAMES, 2).assignments
    lists, got = mix_gold(base, ["g1", "g2", "g3", "g4", "g5", "g6"], 0.05, seed=0)
    assert got == {n: 5 for n in NAMES}
    for name, lst in lists.items():
        assert [s for s in lst if not s.startswith("g")] == base[name]  # the tasks keep their order
        golds = [i for i, s in enumerate(lst) if s.startswith("g")]
        assert len(golds) == len(set(lst[i] for i in golds)) == 5
    # seeded positions, different per person, the same for the same seed
    pos = {n: [i for i, s in enumerate(lists[n]) if s.startswith("g")] for n in NAMES}
    assert len({tuple(p) for p in pos.values()}) == 4
    assert mix_gold(base, ["g1", "g2", "g3", "g4", "g5", "g6"], 0.05, seed=0)[0] == lists
    # a small pool and a full capacity give fewer
    lists, got = mix_gold(base, ["g1", "g2"], 0.05, capacity={"ana": 101}, seed=0)
    assert got == {"ana": 1, "ben": 2, "cai": 2, "dee": 2}


def test_next_round_hand_worked():
    # gold: ana and ben always right, cai 6 of 8, dee always answers A. s1: three agree; s2, s3: ana against dee
    # (ana's gold record wins); s5: cai against dee; s6: ana against cai; s4: nobody yet
    labels = {"s1": {"ana": "A", "ben": "A", "cai": "A"}, "s2": {"ana": "A", "dee": "B"},
              "s5": {"cai": "A", "dee": "B"}, "s6": {"ana": "A", "cai": "B"}, "s3": {"ana": "A", "dee": "B"},
              "s4": {}}
    gold = {f"g{i}": "AB"[i % 2] for i in range(8)}
    cai = ["A", "B", "A", "B", "A", "B", "B", "A"]
    gold_labels = {g: {"ana": t, "ben": t, "cai": cai[i], "dee": "A"} for i, (g, t) in enumerate(gold.items())}
    rp = next_round(labels, NAMES, target=0.9, max_per_sample=3, gold=gold, gold_labels=gold_labels,
                    seen={"s5": {"ben"}}, categories=["A", "B"])
    st = {s.sample_id: s for s in rp.samples}
    assert {k: (v.label, round(v.posterior, 4), v.settled) for k, v in st.items()} == {
        "s1": ("A", 0.987, True), "s2": ("A", 0.9411, True), "s3": ("A", 0.9411, True),
        "s5": ("A", 0.8846, False), "s6": ("A", 0.7804, False), "s4": ("A", 0.6356, False)}
    # s5: ben had it in the plan, cai and dee answered: only ana; s6: ben before dee (more reliable); s4: cai
    assert rp.assignments == {"ana": ["s5"], "ben": ["s6"], "cai": ["s4"], "dee": []}
    assert rp.reliability["dee"] < 0 < rp.reliability["cai"] < 0.5 < rp.reliability["ben"] < rp.reliability["ana"]
    rp = next_round(labels, NAMES, target=0.9, max_per_sample=2, gold=gold, gold_labels=gold_labels)
    assert {s.sample_id: s.reason for s in rp.samples if s.reason} == {"s5": "at max_per_sample",
                                                                       "s6": "at max_per_sample"}
    assert sum(len(v) for v in rp.assignments.values()) == 1  # only s4
    # without gold nobody is known to be better: ana against dee is a coin
    rp = next_round(labels, NAMES, target=0.9, max_per_sample=3, categories=["A", "B"])
    assert not {s.sample_id: s for s in rp.samples}["s2"].settled
