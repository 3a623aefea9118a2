"""Agreement on rankings: Kendall's W per item and the mean pairwise Kendall tau-b.

A ranking is a list of ids, best first; it may be partial, and an item may be a tier (a list of ids
sharing one place, where the question allows ties). Tied and unranked ids share their places
(mid-rank), so partial rankings and ties are handled by the usual tie corrections:
W = 12 S / (m² (n³ - n) - m Σ T), T = Σ (t³ - t) over tie groups (Kendall & Babington Smith
1939), which equals Friedman's tie-corrected χ² / (m (n - 1)).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations
from typing import Any

import numpy as np

from labelloop.quality.stat import Stat, Undefined, undefined


def ranks(ranking: Sequence[Any], universe: Sequence[str]) -> np.ndarray:
    """Rank of each id in ``universe`` (1 = best). An item of ``ranking`` may be a tier (a list of ids sharing
    one place): its ids get the mid-rank of the places it covers, as do unranked ids of the places left."""
    pos: dict[str, float] = {}
    place = 0
    for item in ranking:
        tier = [c for c in (item if isinstance(item, (list, tuple)) else [item]) if c in universe and c not in pos]
        for c in tier:
            pos[c] = place + (len(tier) + 1) / 2.0
        place += len(tier)
    rest = len(universe) - len(pos)
    mid = place + (rest + 1) / 2.0
    return np.asarray([pos.get(c, mid) for c in universe], dtype=float)


def _ties(r: np.ndarray) -> float:
    _, counts = np.unique(r, return_counts=True)
    return float((counts ** 3 - counts).sum())


def kendall_w(rank_matrix: np.ndarray) -> float:
    """Kendall's W of an m raters × n objects matrix of ranks (ties as mid-ranks)."""
    r = np.asarray(rank_matrix, dtype=float)
    m, n = r.shape
    if m < 2:
        raise Undefined("fewer than two rankings")
    if n < 2:
        raise Undefined("fewer than two ranked items")
    totals = r.sum(axis=0)
    s = float(((totals - totals.mean()) ** 2).sum())
    denom = m * m * (n ** 3 - n) - m * sum(_ties(row) for row in r)
    if denom <= 0:
        raise Undefined("every ranking ties all items")
    return 12.0 * s / denom


def kendall_tau_b(x: np.ndarray, y: np.ndarray) -> float:
    """Kendall's tau-b of two rank vectors over the same objects."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    iu = np.triu_indices(x.size, 1)
    dx = np.sign(x[:, None] - x[None, :])[iu]
    dy = np.sign(y[:, None] - y[None, :])[iu]
    n0 = dx.size
    tx = n0 - np.count_nonzero(dx)
    ty = n0 - np.count_nonzero(dy)
    denom = np.sqrt(float(n0 - tx) * float(n0 - ty))
    if denom == 0:
        raise Undefined("a ranking ties every item")
    return float((dx * dy).sum()) / denom


def ranking_agreement(per_item: dict[Any, tuple[list[str], dict[str, Sequence[str]]]]) -> dict[str, Any]:
    """Mean Kendall's W over items and mean pairwise tau-b; ``per_item`` maps an item to its
    universe of ids and each annotator's ranking."""
    ws: list[float] = []
    taus: list[float] = []
    per_w: dict[Any, float] = {}
    for key, (universe, by_ann) in per_item.items():
        if len(by_ann) < 2 or len(universe) < 2:
            continue
        mat = np.vstack([ranks(rk, universe) for rk in by_ann.values()])
        try:
            w = kendall_w(mat)
            ws.append(w)
            per_w[key] = w
        except Undefined:
            pass
        for a, b in combinations(range(mat.shape[0]), 2):
            try:
                taus.append(kendall_tau_b(mat[a], mat[b]))
            except Undefined:
                pass
    w_stat = (Stat("kendall_w", float(np.mean(ws)), n_items=len(ws), extra={"aggregate": "mean over items"})
              if ws else undefined("kendall_w", "no item was ranked by two or more annotators with two or more "
                                   "distinct places"))
    tau_stat = (Stat("kendall_tau", float(np.mean(taus)), n_items=len(per_w) or len(taus),
                     extra={"pairs": len(taus), "aggregate": "mean over annotator pairs and items"})
                if taus else undefined("kendall_tau", "no pair of annotators ranked the same item"))
    return {"kendall_w": w_stat, "kendall_tau": tau_stat, "per_item_w": per_w}
