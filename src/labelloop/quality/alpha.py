"""Krippendorff's alpha by the coincidence-matrix method, with missing data and any number of coders.

alpha = 1 - D_o / D_e, where D_o is the disagreement observed within items and D_e the
disagreement expected from all pairable values (Krippendorff 2011, "Computing Krippendorff's
Alpha-Reliability"). Only items with two or more values are pairable.

Nominal, ordinal and interval alpha use closed forms that never build a V × V table, so they
cost O(number of ratings) even for continuous values: the interval distance expands into sums
of x and x², and the ordinal distance is the interval distance on cumulative mid-ranks of the
pairable values. Ratio alpha and the set distances (MASI, Jaccard) for multi-choice answers use
the coincidence matrix, built as ``Cᵀ·diag(w)·C`` from the items × values count table.
Unit weights (how often each item was drawn) make a bootstrap replicate one weighted pass.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from labelloop.quality.stat import Stat, Undefined, compute, undefined
from labelloop.quality.units import Ratings

LEVELS = ("nominal", "ordinal", "interval", "ratio")
SET_DISTANCES = ("masi", "jaccard")
NO_VARIATION = "all pairable values are the same"
"""The start of the reason alpha is undefined on data without variation (then everyone agreed)."""
DENSE_LIMIT = 20_000_000  # cells of an items × values table built densely


# ---------------------------------------------------------------------- distances
def masi_distance(a: tuple, b: tuple) -> float:
    """Passonneau's MASI: 1 - Jaccard × monotonicity (1 equal, 2/3 subset, 1/3 overlap, 0 disjoint)."""
    sa, sb = set(a), set(b)
    if sa == sb:
        return 0.0
    union = len(sa | sb)
    inter = len(sa & sb)
    if inter == 0:
        return 1.0
    m = 2 / 3 if (sa <= sb or sb <= sa) else 1 / 3
    return 1.0 - inter / union * m


def jaccard_distance(a: tuple, b: tuple) -> float:
    sa, sb = set(a), set(b)
    if sa == sb:
        return 0.0
    return 1.0 - len(sa & sb) / len(sa | sb)


def distance_matrix(level: str, categories: list, n_c: np.ndarray | None = None) -> np.ndarray:
    """δ(c, k) over the categories (in scale order) for a level or a set distance."""
    k = len(categories)
    if level == "nominal":
        return 1.0 - np.eye(k)
    if level in SET_DISTANCES:
        fn = masi_distance if level == "masi" else jaccard_distance
        sets = [c if isinstance(c, tuple) else (c,) for c in categories]
        return np.array([[fn(a, b) for b in sets] for a in sets], dtype=float)
    if level == "ordinal":
        if n_c is None:
            raise ValueError("ordinal distance needs the value frequencies")
        t = np.cumsum(n_c) - n_c / 2.0
        return (t[:, None] - t[None, :]) ** 2
    v = _numeric(categories, level)
    if level == "interval":
        return (v[:, None] - v[None, :]) ** 2
    if level == "ratio":
        s = v[:, None] + v[None, :]
        d = v[:, None] - v[None, :]
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.where(s == 0, 0.0, (d / np.where(s == 0, 1.0, s)) ** 2)
        return out
    raise ValueError(f"unknown level {level!r}")


def _numeric(categories: list, level: str) -> np.ndarray:
    try:
        return np.asarray([float(c) for c in categories], dtype=float)
    except (TypeError, ValueError):
        raise Undefined(f"{level} alpha needs numeric values") from None


# ---------------------------------------------------------------------- the model
class AlphaModel:
    """Precomputed per-item structures for one level; ``alpha(weights)`` is one weighted pass."""

    def __init__(self, ratings: Ratings, level: str):
        if level not in LEVELS + SET_DISTANCES:
            raise ValueError(f"unknown level {level!r}; use one of {', '.join(LEVELS + SET_DISTANCES)}")
        self.level = level
        m_all = ratings.per_item()
        keep = m_all[ratings.item] >= 2
        pair_items = np.flatnonzero(m_all >= 2)
        self.n_units = int(pair_items.size)
        remap = np.full(ratings.n_items, -1, dtype=np.int64)
        remap[pair_items] = np.arange(self.n_units)
        self.unit = remap[ratings.item[keep]]
        self.code = ratings.code[keep]
        self.m = m_all[pair_items].astype(float)
        self.k = ratings.n_categories
        self.categories = ratings.categories
        if self.n_units == 0:
            return
        if level == "interval":
            x = _numeric(ratings.categories, level)[self.code]
            x = x - x.mean()
            self._s1 = np.bincount(self.unit, weights=x, minlength=self.n_units)
            self._s2 = np.bincount(self.unit, weights=x * x, minlength=self.n_units)
            self._d = 2.0 * (self.m * self._s2 - self._s1 ** 2) / (self.m - 1.0)
        elif level == "nominal":
            self._nominal_setup()
        elif level != "ordinal":  # ordinal orders categories by scale: numbers, or the options' order
            self._dense_setup()

    # -- nominal: per-item counts of each value, dense or sparse
    def _nominal_setup(self) -> None:
        if self.n_units * self.k <= DENSE_LIMIT:
            cnt = np.bincount(self.unit * self.k + self.code, minlength=self.n_units * self.k)
            nz = np.flatnonzero(cnt)
            self._pu, self._pc, self._pn = nz // self.k, nz % self.k, cnt[nz].astype(float)
        else:
            keys, cnt = np.unique(self.unit * self.k + self.code, return_counts=True)
            self._pu, self._pc, self._pn = keys // self.k, keys % self.k, cnt.astype(float)
        self._agree = self._pn * (self._pn - 1.0) / (self.m[self._pu] - 1.0)

    def _dense_setup(self) -> None:
        if self.n_units * self.k > DENSE_LIMIT or self.k > 5000:
            raise Undefined(f"{self.level} alpha over {self.k} distinct values is too large for a coincidence "
                            "matrix; round the values or use the interval level")
        self._counts = np.bincount(self.unit * self.k + self.code,
                                   minlength=self.n_units * self.k).reshape(self.n_units, self.k).astype(float)
        self._delta = distance_matrix(self.level, self.categories) if self.level != "ordinal" else None

    # -- evaluation
    def coincidences(self, weights: np.ndarray | None = None) -> np.ndarray:
        """The V × V coincidence matrix o_ck (for reports and tests)."""
        if not hasattr(self, "_counts"):
            self._counts = np.bincount(self.unit * self.k + self.code, minlength=self.n_units * self.k).reshape(
                self.n_units, self.k).astype(float)
        w = 1.0 / (self.m - 1.0) if weights is None else weights / (self.m - 1.0)
        cw = self._counts * w[:, None]
        return cw.T @ self._counts - np.diag(cw.sum(axis=0))

    def alpha(self, weights: np.ndarray | None = None) -> float:
        if self.n_units == 0:
            raise Undefined("no item has two or more ratings")
        w = np.ones(self.n_units) if weights is None else weights
        n = float(w @ self.m)
        if n <= 1:
            raise Undefined("fewer than two pairable values")
        if self.level == "interval":
            sx = float(w @ self._s1)
            sxx = float(w @ self._s2)
            de = 2.0 * (n * sxx - sx * sx)
            do = float(w @ self._d)
            return self._finish(do * (n - 1.0), de)
        if self.level == "nominal":
            wp = w[self._pu]
            agree = float(wp @ self._agree)
            n_c = np.bincount(self._pc, weights=wp * self._pn, minlength=self.k)
            de = n * n - float(n_c @ n_c)
            return self._finish((n - agree) * (n - 1.0), de)
        if self.level == "ordinal":
            wr = w[self.unit]
            n_c = np.bincount(self.code, weights=wr, minlength=self.k)
            t = np.cumsum(n_c) - n_c / 2.0
            x = t[self.code]
            x = x - (wr @ x) / n
            s1 = np.bincount(self.unit, weights=x, minlength=self.n_units)
            s2 = np.bincount(self.unit, weights=x * x, minlength=self.n_units)
            d = 2.0 * (self.m * s2 - s1 ** 2) / (self.m - 1.0)
            sx, sxx = float(w @ s1), float(w @ s2)
            return self._finish(float(w @ d) * (n - 1.0), 2.0 * (n * sxx - sx * sx))
        o = self.coincidences(weights)
        n_c = o.sum(axis=1)
        delta = self._delta
        do = float((o * delta).sum())
        de = float(n_c @ delta @ n_c)
        return self._finish(do * (n - 1.0), de)

    @staticmethod
    def _finish(do_scaled: float, de_scaled: float) -> float:
        """alpha = 1 - D_o / D_e, both given up to the same factor n (n - 1)."""
        if de_scaled <= 1e-12 * max(1.0, abs(do_scaled)):
            raise Undefined(f"{NO_VARIATION}, so disagreement expected by chance is zero")
        return 1.0 - do_scaled / de_scaled

    def unit_disagreement(self) -> np.ndarray:
        """Each pairable item's mean pairwise distance, relative to the chance disagreement D_e.

        0 is full agreement; about 1 is what random answers would give.
        """
        if self.n_units == 0:
            return np.zeros(0)
        counts = np.bincount(self.unit * self.k + self.code, minlength=self.n_units * self.k).reshape(
            self.n_units, self.k).astype(float)
        n_c = counts.sum(axis=0)
        n = n_c.sum()
        delta = distance_matrix(self.level, self.categories, n_c)
        pair_sum = np.einsum("uc,ck,uk->u", counts, delta, counts)  # ordered pairs, δ(c, c) = 0
        per_unit = pair_sum / (self.m * (self.m - 1.0))
        de = float(n_c @ delta @ n_c) / (n * (n - 1.0))
        return per_unit / de if de > 0 else per_unit


def krippendorff_alpha(data: Ratings | np.ndarray | list, level: str = "nominal", *, bootstrap: int = 0,
                       seed: int = 0, ci_level: float = 0.95) -> Stat:
    """Krippendorff's alpha for ``Ratings`` or a units × coders table with NaN for missing values.

    ``level`` is nominal, ordinal, interval, ratio, or a set distance (masi, jaccard) for
    multi-choice answers. Undefined (with the reason) when no item has two values or when all
    pairable values are equal.
    """
    ratings = data if isinstance(data, Ratings) else Ratings.from_matrix(data)
    try:
        model = AlphaModel(ratings, level)
    except Undefined as exc:
        return undefined(f"alpha_{level}", str(exc), 0, level=level)
    fn: Callable[[np.ndarray | None], float] = model.alpha
    return compute(f"alpha_{level}", fn, model.n_units, bootstrap=bootstrap, seed=seed, level=ci_level,
                   level_of_measurement=level)


RELIABLE, TENTATIVE = 0.8, 0.667


def alpha_reading(value: float | None) -> str:
    """Krippendorff's rule of thumb (2004, p. 241): >= .800 reliable, .667 to .800 tentative conclusions
    only, below that not reliable."""
    if value is None:
        return "undefined"
    if value >= RELIABLE:
        return "reliable"
    if value >= TENTATIVE:
        return "tentative"
    return "not reliable"
