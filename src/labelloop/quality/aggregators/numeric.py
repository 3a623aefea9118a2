"""Ratings as numbers: the mean or the median, snapped to the scale when it is known and asked for."""

from __future__ import annotations

import numpy as np

from labelloop.data.numbers import compact, plain_number
from labelloop.quality.aggregators.base import AGGREGATORS, Aggregator, Decision, rows_by_item, votes
from labelloop.quality.stat import Undefined
from labelloop.quality.units import Ratings, is_number


class _Central(Aggregator):
    """A centre of each item's ratings; subclasses say which centre.

    ``max_spread`` (default: one scale step) flags items whose ratings spread more; ``snap``
    rounds the centre to the nearest scale point (halves up), the exact centre kept in the details.
    Confidence = 1 - spread / scale range.
    """

    def __init__(self, max_spread: float | None = None, snap: bool = True):
        self.max_spread = max_spread
        self.snap = snap

    def _center(self, x: np.ndarray) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def _decide(self, ratings: Ratings) -> list[Decision | None]:
        values = ratings.numeric
        if values is None:
            raise Undefined(f"{self.name} needs numeric ratings")
        scale = [float(v) for v in ratings.scale] if ratings.scale and all(is_number(v) for v in ratings.scale) \
            else None
        lo = min(scale) if scale else float(values.min())
        hi = max(scale) if scale else float(values.max())
        span = hi - lo
        step = float(np.min(np.diff(sorted(set(scale))))) if scale and len(scale) > 1 else 1.0
        limit = self.max_spread if self.max_spread is not None else step
        out: list[Decision | None] = []
        for rows in rows_by_item(ratings):
            x = values[ratings.code[rows]]
            center = float(self._center(x))
            spread = float(x.max() - x.min())
            value: float = center
            if self.snap and scale:
                value = min(scale, key=lambda s: (abs(s - center), -s))
            conf = 1.0 - spread / span if span > 0 else 1.0
            d = Decision(plain_number(value), conf, details={self.name: center, "spread": spread,
                                                             "votes": votes(ratings, rows)})
            if spread > limit + 1e-12:
                d.needs_review, d.reason = True, f"ratings spread {compact(spread)} exceeds {compact(limit)}"
            out.append(d)
        return out


@AGGREGATORS.register("mean")
class MeanRating(_Central):
    """The mean rating (see ``_Central`` for snapping, spread and confidence)."""

    name = "mean"

    def _center(self, x: np.ndarray) -> float:
        return float(x.mean())


@AGGREGATORS.register("median")
class MedianRating(_Central):
    """Like ``MeanRating`` with the median."""

    name = "median"

    def _center(self, x: np.ndarray) -> float:
        return float(np.median(x))
