"""A majority vote in which each annotator counts as much as their estimated reliability."""

from __future__ import annotations

from typing import Any

import numpy as np

from labelloop.quality.aggregators.base import AGGREGATORS, Decision, key
from labelloop.quality.aggregators.vote import MajorityVote
from labelloop.quality.dawid_skene import DawidSkene
from labelloop.quality.units import Ratings


@AGGREGATORS.register("weighted")
class WeightedMajority(MajorityVote):
    """A vote weighted by each annotator's estimated reliability.

    ``skills``: ``wawa`` (share of agreement with the plain majority, as crowd-kit's Wawa) or
    ``dawid-skene`` (the chance-corrected reliability from Dawid-Skene, floored at 0), or a dict.
    The other parameters are ``MajorityVote``'s. After ``fit``: ``skills_`` (annotator → weight).
    """

    name = "weighted"

    def __init__(self, skills: str | dict[str, float] = "wawa", **kw: Any):
        super().__init__(**kw)
        self.skills = skills

    def _decide(self, ratings: Ratings) -> list[Decision | None]:
        if isinstance(self.skills, dict):
            self.skills_ = dict(self.skills)
        elif self.skills == "dawid-skene":
            ds = DawidSkene().fit(ratings)
            self.skills_ = {r["annotator"]: max(r["reliability"], 0.0) for r in ds.reliability_}
        else:
            plain_votes = MajorityVote().fit(ratings).decisions_
            cat_ix = {c: j for j, c in enumerate(ratings.categories)}
            mv = np.asarray([cat_ix.get(key(d.value), -1) if d is not None and d.value is not None else -1
                             for d in plain_votes])
            target = mv[ratings.item]
            ok = target >= 0
            hits = np.bincount(ratings.annotator[ok], weights=(ratings.code[ok] == target[ok]).astype(float),
                               minlength=ratings.n_annotators)
            n = np.bincount(ratings.annotator[ok], minlength=ratings.n_annotators)
            self.skills_ = {a: (float(hits[j] / n[j]) if n[j] else 0.0) for j, a in enumerate(ratings.annotators)}
        self.weights = self.skills_
        return super()._decide(ratings)
