"""Multi-choice answers: options kept by majority, by everyone, or by anyone."""

from __future__ import annotations

from collections import Counter

import numpy as np

from labelloop.errors import UnknownNameError
from labelloop.quality.aggregators.base import AGGREGATORS, Aggregator, Decision, rows_by_item
from labelloop.quality.units import Ratings, order_key

MODES = {"majority": "per-option", "intersection": "intersection", "union": "union"}  # mode -> name


@AGGREGATORS.register("multi-choice")
class MultiChoiceVote(Aggregator):
    """Multi-choice answers: ``majority`` keeps each option chosen by more than half (exactly half
    is a tie and flags the item), ``intersection`` the options everyone chose, ``union`` any.
    Confidence: mean per-option agreement (majority) or |∩| / |∪| (intersection, union)."""

    def __init__(self, mode: str = "majority"):
        if mode not in MODES:
            raise UnknownNameError(f"Unknown multi-choice mode {mode!r}; known: {', '.join(MODES)}.")
        self.mode = mode
        self.name = MODES[mode]

    def _decide(self, ratings: Ratings) -> list[Decision | None]:
        out: list[Decision | None] = []
        for rows in rows_by_item(ratings):
            sets = [set(ratings.categories[c]) for c in ratings.code[rows]]
            m = len(sets)
            counts = Counter(o for s in sets for o in s)
            everyone = set.intersection(*sets) if sets else set()
            anyone = set.union(*sets) if sets else set()
            overlap = len(everyone) / len(anyone) if anyone else 1.0
            details = {"option_votes": {str(o): n for o, n in sorted(counts.items(), key=lambda kv: order_key(kv[0]))},
                       "annotators": m}
            if self.mode == "intersection":
                out.append(Decision(sorted(everyone, key=order_key), overlap, details=details))
            elif self.mode == "union":
                out.append(Decision(sorted(anyone, key=order_key), overlap, details=details))
            else:
                chosen = sorted((o for o, n in counts.items() if 2 * n > m), key=order_key)
                ties = sorted((o for o, n in counts.items() if 2 * n == m), key=order_key)
                conf = float(np.mean([max(n, m - n) / m for n in counts.values()])) if counts else 1.0
                d = Decision(chosen, conf, details=details)
                if ties:
                    d.needs_review, d.reason = True, f"options chosen by exactly half: {', '.join(map(str, ties))}"
                out.append(d)
        return out
