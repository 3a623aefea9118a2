"""Position bias: does a person (or a model) pick whatever is shown at one place on the screen?

One rule says which screen position an answer picked, and both readings of it are built on that rule:
the dashboard's first-position rate against chance (``first_pick_rates``) and the review's exact
binomial test of the most picked position (``position_counts`` + ``position_test``). Before, each
computed its own, and they disagreed on which answers counted.

An answer counts when the question picks one candidate (a single choice over candidates, or the top of
a ranking), the annotation recorded the screen order (``labelloop.data.positions.recorded_order``),
more than one answer was shown, and the pick is one of the answers shown; a tie or "both bad" is no
pick of a position.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from labelloop.data.model import Annotation, DataSample
from labelloop.data.positions import position_labels, recorded_order
from labelloop.data.schema import Question
from labelloop.quality.units import latest_by_annotator


def measures_position(question: Question) -> bool:
    """Whether an answer to ``question`` picks one candidate, so that it has a screen position."""
    return (question.options_from_candidates and question.type in ("single_choice", "ranking")
            and not question.per_candidate)


def picked_position(ann: Annotation, question: Question) -> tuple[int, int] | None:
    """(the 0-based screen position ``ann`` picked for ``question``, how many answers were shown), or None
    when the answer picks no position or the screen order was not recorded."""
    if not measures_position(question):
        return None
    order = recorded_order(ann)
    if not order or len(order) < 2:
        return None
    v = ann.values.get(question.name)
    picked = v[0] if question.type == "ranking" and isinstance(v, list) and v else v
    if not isinstance(picked, str) or picked not in order:
        return None
    return order.index(picked), len(order)


def first_pick_rates(samples: Sequence[DataSample], question: Question,
                     kinds: Sequence[str] = ("human", "prediction")) -> list[dict[str, Any]]:
    """Per person and model (people first): how often the answer shown first was picked, against the share
    chance would give (the mean of 1 / number of answers shown), and how often the one shown last."""
    if not measures_position(question):
        return []
    stats: dict[tuple[str, str], list[float]] = {}
    for s in samples:
        for kind in kinds:
            for name, ann in latest_by_annotator(s, (kind,)).items():
                hit = picked_position(ann, question)
                if hit is None:
                    continue
                pos, shown = hit
                st = stats.setdefault((kind, name), [0, 0, 0.0, 0])
                st[0] += 1
                st[1] += int(pos == 0)
                st[2] += 1.0 / shown
                st[3] += int(pos == shown - 1)
    return [{"annotator": name, "kind": kind, "items": int(n), "first_picked": int(first), "first_rate": first / n,
             "chance": chance / n, "last_picked": int(last), "last_rate": last / n}
            for (kind, name), (n, first, chance, last) in sorted(stats.items(), key=lambda kv: (kv[0][0] != "human",
                                                                                                   kv[0][1]))]


def position_counts(answers: Iterable[tuple[str, Annotation]], questions: Sequence[Question],
                    ) -> dict[tuple[str, str, int], Counter]:
    """How often each screen position was picked, per (annotator, question, answers shown), from
    ``(annotator, annotation)`` pairs."""
    tables: dict[tuple[str, str, int], Counter] = defaultdict(Counter)
    for name, ann in answers:
        for q in questions:
            hit = picked_position(ann, q)
            if hit is not None:
                tables[(name, q.name, hit[1])][hit[0]] += 1
    return tables


def position_test(counts: Counter, shown: int) -> dict[str, Any]:
    """The most picked of ``shown`` positions against chance: an exact one-sided binomial p-value,
    Bonferroni-corrected over the positions (``p_adjusted``), with the counts by position label."""
    total = sum(counts.values())
    labels = position_labels(shown)
    k, hits = max(sorted(counts.items()), key=lambda kv: kv[1])
    p = binomial_sf(hits, total, 1.0 / shown)
    return {"candidates": shown, "answers": total,
            "counts": {labels[i]: int(counts.get(i, 0)) for i in range(shown)},
            "most_picked": labels[k], "share": hits / total, "chance": 1.0 / shown, "p_value": p,
            "p_adjusted": min(1.0, p * shown)}


def binomial_sf(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p), summed exactly in log space (no scipy in the core)."""
    if k <= 0:
        return 1.0
    if k > n:
        return 0.0
    if p <= 0.0:
        return 0.0
    if p >= 1.0:
        return 1.0
    lp, lq = math.log(p), math.log1p(-p)
    logs = [math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1) + i * lp + (n - i) * lq
            for i in range(k, n + 1)]
    top = max(logs)
    return min(1.0, math.exp(top) * sum(math.exp(x - top) for x in logs))


__all__ = ["binomial_sf", "first_pick_rates", "measures_position", "picked_position", "position_counts",
           "position_test"]
