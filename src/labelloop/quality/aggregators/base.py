"""The one aggregator contract, shared by every family in this package.

An aggregator is configured entirely by its constructor (as in scikit-learn and crowd-kit), so a
planner can build it in one expression and nothing is patched on afterwards. ``fit(ratings)``
returns the aggregator itself; ``predict()`` then gives one entry per item, aligned with
``ratings.items``: a ``Decision`` (value, confidence, needs_review, reason, details), or ``None``
where the method has nothing to go on (a Bradley-Terry item whose answers state no preference),
so that such an item is left out rather than given an invented decision. ``labels_``,
``confidence_`` and ``needs_review_`` read the decisions as arrays.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from labelloop.quality.units import Ratings
from labelloop.registry import Registry


@dataclass
class Decision:
    value: Any = None
    confidence: float | None = None
    needs_review: bool = False
    reason: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


class Aggregator:
    """Base class. Subclasses set ``name``, take every parameter in ``__init__`` and implement ``_decide``."""

    name = "aggregator"

    def fit(self, ratings: Ratings) -> Aggregator:
        """Decide every item of ``ratings``; returns ``self``."""
        self.ratings_ = ratings
        self.decisions_ = self._decide(ratings)
        return self

    def predict(self) -> list[Decision | None]:
        """One decision per item of the fitted ratings (``None``: nothing to decide on)."""
        return self.decisions_

    def fit_predict(self, ratings: Ratings) -> list[Decision | None]:
        return self.fit(ratings).predict()

    @property
    def labels_(self) -> list[Any]:
        return [None if d is None else d.value for d in self.decisions_]

    @property
    def confidence_(self) -> np.ndarray:
        return np.asarray([np.nan if d is None or d.confidence is None else d.confidence for d in self.decisions_])

    @property
    def needs_review_(self) -> np.ndarray:
        return np.asarray([d is not None and d.needs_review for d in self.decisions_], dtype=bool)

    def _decide(self, ratings: Ratings) -> list[Decision | None]:  # pragma: no cover - abstract
        raise NotImplementedError


AGGREGATORS: Registry[Callable[..., Aggregator]] = Registry("aggregator")


def plain(v: Any) -> Any:
    """A category as the value a user wrote (tuples, the canonical form of lists, back to lists)."""
    return list(v) if isinstance(v, tuple) else v


def key(v: Any) -> Any:
    """A decided value back to its category (lists to tuples)."""
    return tuple(v) if isinstance(v, list) else v


def rows_by_item(ratings: Ratings) -> list[np.ndarray]:
    """Row indices of each item's ratings, in the order of ``ratings.items``."""
    order = np.argsort(ratings.item, kind="stable")
    bounds = np.cumsum(ratings.per_item())[:-1]
    return np.split(order, bounds)


def votes(ratings: Ratings, rows: np.ndarray) -> list[dict[str, Any]]:
    """How many annotators gave each value among ``rows``, most frequent first."""
    c = Counter(ratings.code[rows].tolist())
    return [{"value": plain(ratings.categories[k]), "count": n} for k, n in c.most_common()]


def raw_value(ratings: Ratings, row: int) -> Any:
    """The answer of one row as given (text keeps its spacing)."""
    return ratings.raw[row] if ratings.raw is not None else plain(ratings.categories[ratings.code[row]])

