"""One agreement figure: a value, or "undefined" with the reason, never a made-up 1.0 or 0.0.

A coefficient that cannot be computed (one category only, no item rated twice) is reported as
undefined so that a team never reads a made-up value out of a division by zero. When it is undefined
because everyone gave the same answer on every item (``perfect``), that is what it says: the agreement
observed is perfect, only chance cannot be told from it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from labelloop.errors import ParameterError


class Undefined(Exception):
    """Raised inside a coefficient's computation; carries the reason shown to the user."""


@dataclass
class Stat:
    """A coefficient with the number of items it rests on and, optionally, a bootstrap interval."""

    name: str
    value: float | None = None
    reason: str | None = None
    n_items: int = 0
    ci: tuple[float, float] | None = None
    ci_level: float | None = None
    bootstrap: int = 0
    bootstrap_undefined: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def defined(self) -> bool:
        return self.value is not None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "value": self.value, "n_items": self.n_items}
        if self.value is None:
            out["undefined"] = self.reason
        if self.ci is not None:
            out["ci"] = list(self.ci)
            out["ci_level"] = self.ci_level
        if self.bootstrap:
            out["bootstrap"] = self.bootstrap
            out["bootstrap_undefined"] = self.bootstrap_undefined
        out.update(self.extra)
        return out

    def text(self, digits: int = 3) -> str:
        if self.value is None:
            return f"{PERFECT} (coefficient undefined)" if self.extra.get("perfect_agreement") \
                else f"undefined ({self.reason})"
        s = f"{self.value:.{digits}f}"
        if self.ci is not None:
            s += f" [{self.ci[0]:.{digits}f}, {self.ci[1]:.{digits}f}]"
        return s


PERFECT = "perfect agreement"
PERFECT_PREFIX = f"{PERFECT}; the coefficient is undefined: "


def undefined(name: str, reason: str, n_items: int = 0, **extra: Any) -> Stat:
    return Stat(name=name, value=None, reason=reason, n_items=n_items, extra=extra)


def perfect(stat: Stat) -> Stat:
    """Mark a coefficient left undefined on items where every rater gave the same answer: its reason then
    starts with "perfect agreement" and ``extra["perfect_agreement"]`` is True (the value stays None)."""
    if stat.value is None and stat.n_items > 0 and not stat.extra.get("perfect_agreement"):
        stat.extra["perfect_agreement"] = True
        stat.reason = f"{PERFECT_PREFIX}{stat.reason}"
    return stat


def check_interval(bootstrap: int, level: float) -> None:
    """The one check of the interval parameters every coefficient takes (``bootstrap``, ``ci_level``)."""
    if bootstrap < 0:
        raise ParameterError("bootstrap", f"{{param}} must be 0 or more, not {bootstrap}.")
    if not 0.0 < level < 1.0:
        raise ParameterError("ci_level", f"{{param}} must be between 0 and 1 (0.95 is usual), not {level!r}.")


def compute(name: str, fn: Callable[[np.ndarray | None], float], n_items: int, *, bootstrap: int = 0,
            seed: int = 0, level: float = 0.95, n_units: int | None = None, **extra: Any) -> Stat:
    """Evaluate ``fn(weights=None)``; with ``bootstrap`` > 0 add a percentile interval.

    ``fn`` takes per-unit multiplicities (how often each item was drawn) so one resample costs a
    weighted sum, not a rebuilt table. Replicates where the coefficient is undefined are counted
    and left out of the interval.
    """
    check_interval(bootstrap, level)
    try:
        value = float(fn(None))
    except Undefined as exc:
        return undefined(name, str(exc), n_items, **extra)
    if not math.isfinite(value):
        return undefined(name, "the coefficient is not a finite number on this data", n_items, **extra)
    stat = Stat(name=name, value=value, n_items=n_items, extra=dict(extra))
    units = n_items if n_units is None else n_units
    if bootstrap > 0 and units > 0:
        stat.ci, stat.bootstrap_undefined = bootstrap_ci(fn, units, bootstrap, seed, level)
        stat.ci_level, stat.bootstrap = level, bootstrap
    return stat


def bootstrap_ci(fn: Callable[[np.ndarray | None], float], n_units: int, replicates: int, seed: int,
                 level: float) -> tuple[tuple[float, float] | None, int]:
    """Percentile interval over item resamples (seeded; same seed, same interval)."""
    rng = np.random.default_rng(seed)
    values: list[float] = []
    bad = 0
    for _ in range(replicates):
        weights = np.bincount(rng.integers(0, n_units, n_units), minlength=n_units).astype(float)
        try:
            v = float(fn(weights))
        except Undefined:
            bad += 1
            continue
        if math.isfinite(v):
            values.append(v)
        else:
            bad += 1
    if not values:
        return None, bad
    tail = (1.0 - level) / 2.0 * 100.0
    lo, hi = np.percentile(np.asarray(values), [tail, 100.0 - tail])
    return (float(lo), float(hi)), bad
