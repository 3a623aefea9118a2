"""How well a reward model (a scalar score per candidate) or an LLM judge (``prediction`` annotations) agrees with
the chosen labels, by RewardBench's definitions, per subset and overall, with bootstrap intervals.

The label of a sample is read as tiers (``labelloop.data.preference``): the top tier holds the correct answers,
every other candidate is incorrect. A sample is **accurate** when every correct answer scores strictly above every
incorrect one: for a pair, chosen above rejected (RewardBench); for best-of-N, the correct answer above all three
(or more) incorrect ones (RewardBench 2); equal scores are not accurate. A judge's answer becomes scores by its
tiers (its best tier highest), so the same rule reads it.

The **Ties** subset is scored as RewardBench 2 publishes it (``process_single_model`` in its ``utils.py``): per
prompt, ``accurate`` (worst correct > best incorrect), the spread of the correct answers' scores and the margin
between the worst correct and the best incorrect; prompts come as a reference sample (``ref:N``, one correct
answer) and a tied sample (``tied:N``, several), and the score is
``0.30·tied accuracy + 0.30·ref accuracy + 0.20·P(margin > spread) + 0.20·P(min(ref, tied margin) > spread)
+ 0.01·mean tanh(min margin / spread − 1)`` (the last two terms over prompts with both samples). The overall
figure is RewardBench 2's: the mean of the subset scores; the accuracy over all samples is given beside it.

Intervals: percentile bootstrap over samples within each subset (over prompts in Ties, so a ref and its tied
sample stay together), seeded.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from labelloop.data.model import DataSample, Dataset
from labelloop.data.preference import choose_label, preference_questions, tiers_from_value
from labelloop.data.schema import AnnotationSchema, Question
from labelloop.errors import ParameterError

LABEL_SOURCES = ("auto", "aggregate", "human", "reference")
TIES = "ties"


def label_questions(schema: AnnotationSchema | None) -> list[Question]:
    """The questions a label is read from, richest first: a ranking, the set of correct answers, a choice of the
    best, per-candidate ratings (the set before the choice: RewardBench 2's Ties marks several correct)."""
    qs = preference_questions(schema)
    rank = {"ranking": 0, "multi_choice": 1, "single_choice": 2, "rating": 3}
    return sorted(qs, key=lambda q: rank.get(q.type, 9))


def label_tiers(sample: DataSample, questions: Sequence[Question], source: str = "auto",
                include_accepted: bool = False) -> tuple[list[list[str]], str, str] | None:
    """(tiers, question, where the label came from) of the first question the chosen source answered."""
    ids = [c.id for c in sample.candidates]
    for q in questions:
        got = choose_label(sample, q, source, include_accepted=include_accepted)  # type: ignore[arg-type]
        if got is None:
            continue
        tiers = tiers_from_value(q, got[0], ids)
        if tiers:
            return tiers, q.name, got[1]
    return None


def ties_key(sample: DataSample, n_correct: int) -> tuple[str, str]:
    """(``ref`` or ``tied``, prompt id) of a Ties sample: from an id ``ref:N`` / ``tied:N`` (the sample's or its
    source's), else ``tied`` when several answers are correct, with the sample's own id as the prompt."""
    for raw in (sample.id, sample.metadata.get("source_id")):
        if isinstance(raw, str) and ":" in raw:
            kind, _, pid = raw.rpartition(":")
            kind = kind.rsplit("-", 1)[-1].lower()
            if kind in ("ref", "tied"):
                return kind, pid
    return ("tied" if n_correct > 1 else "ref"), sample.id


@dataclass
class Item:
    """One scored sample: its subset, whether it was accurate, and the Ties statistics."""

    sample_id: str
    subset: str
    kind: str  # pair or best_of_n
    accurate: bool
    n_correct: int
    spread: float | None  # best correct − worst correct (None with one correct answer)
    margin: float  # worst correct − best incorrect
    ties: tuple[str, str] | None = None
    label_from: str = ""


def score_items(dataset: Dataset, scores: dict[tuple[str, str], float], *, label_source: str = "auto",
                subset_key: str = "subset", include_accepted: bool = False,
                schema: AnnotationSchema | None = None) -> tuple[list[Item], Counter]:
    """The samples that have a label and a score for every labelled candidate, as Items; and what was left out."""
    if label_source not in LABEL_SOURCES:
        raise ParameterError("label_source", f"Unknown label source {ParameterError.literal(repr(label_source))} "
                             f"for {{param}}; known: {', '.join(LABEL_SOURCES)}.")
    questions = label_questions(schema or dataset.schema)
    items: list[Item] = []
    left: Counter = Counter()
    for s in dataset.samples:
        lab = label_tiers(s, questions, label_source, include_accepted)
        if lab is None:
            left["samples without a label"] += 1
            continue
        tiers = lab[0]
        correct, incorrect = tiers[0], [c for t in tiers[1:] for c in t]
        if any((s.id, c) not in scores for c in correct + incorrect):
            left["samples without a score for every labelled answer"] += 1
            continue
        cs = [scores[(s.id, c)] for c in correct]
        ic = [scores[(s.id, c)] for c in incorrect]
        subset = str(s.metadata.get(subset_key) or "all")
        margin = min(cs) - max(ic)
        item = Item(sample_id=s.id, subset=subset, kind="pair" if len(s.candidates) == 2 else "best_of_n",
                    accurate=margin > 0, n_correct=len(cs), spread=(max(cs) - min(cs)) if len(cs) > 1 else None,
                    margin=margin, label_from=lab[2])
        if subset.lower() == TIES:
            item.ties = ties_key(s, len(cs))
        items.append(item)
    return items, left


def ties_groups(items: Sequence[Item]) -> list[list[Item]]:
    """The Ties items by prompt (a reference and a tied sample of one prompt together), in prompt order."""
    groups: dict[str, list[Item]] = defaultdict(list)
    for it in items:
        groups[it.ties[1] if it.ties else it.sample_id].append(it)
    return [groups[k] for k in sorted(groups)]


def ties_score(items: Sequence[Item], groups: Sequence[Sequence[Item]] | None = None) -> dict[str, Any]:
    """RewardBench 2's Ties score of the Ties items (see the module's docstring), with its parts. ``groups``: the
    prompts as drawn by a bootstrap (a prompt drawn twice counts twice); default, each prompt once."""
    drawn = ties_groups(items) if groups is None else groups
    refs: list[Item] = []
    tieds: list[Item] = []
    both: list[tuple[Item, Item]] = []
    for g in drawn:
        r = next((it for it in g if it.ties and it.ties[0] == "ref"), None)
        t = next((it for it in g if it.ties and it.ties[0] == "tied"), None)
        refs += [r] if r else []
        tieds += [t] if t else []
        if r and t:
            both.append((r, t))
    parts: dict[str, Any] = {
        "ref_accuracy": float(np.mean([it.accurate for it in refs])) if refs else None,
        "tied_accuracy": float(np.mean([it.accurate for it in tieds])) if tieds else None,
        "prompts_with_both": len(both), "ref_samples": len(refs), "tied_samples": len(tieds)}
    if not both:
        parts.update(correctness_preferred=None, correctness_preferred_hard=None, margin_score=None, score=None,
                     reason="RewardBench 2's Ties score needs, for the same prompt, a reference sample (ref:N, one "
                            "correct answer) and a tied sample (tied:N, several)")
        return parts
    spread = np.array([t.spread if t.spread is not None else np.nan for _, t in both], float)
    m_tied = np.array([t.margin for _, t in both], float)
    m_ref = np.array([r.margin for r, _ in both], float)
    hard = np.minimum(m_ref, m_tied)
    with np.errstate(divide="ignore", invalid="ignore"):
        margin_scores = np.nan_to_num(np.tanh(hard / spread - 1.0), nan=0.0)
    parts["correctness_preferred"] = float(np.mean(m_tied > spread))
    parts["correctness_preferred_hard"] = float(np.mean(hard > spread))
    parts["margin_score"] = float(np.mean(margin_scores))
    parts["score"] = (0.30 * parts["tied_accuracy"] + 0.30 * parts["ref_accuracy"]
                      + 0.20 * parts["correctness_preferred"] + 0.20 * parts["correctness_preferred_hard"]
                      + 0.01 * parts["margin_score"])
    return parts


def _subset_score(subset: str, items: Sequence[Item], groups: Sequence[Sequence[Item]] | None = None
                  ) -> float | None:
    if subset.lower() == TIES:
        return ties_score(items, groups)["score"]
    return float(np.mean([it.accurate for it in items])) if items else None


@dataclass
class EvaluationReport:
    """Accuracy per subset and overall, for one scorer (a reward model or a judge)."""

    scorer: str
    label_source: str
    labels_from: dict[str, int]
    subsets: list[dict[str, Any]]
    overall: dict[str, Any]
    samples: int
    left_out: dict[str, int]
    rounds: int
    seed: int

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def _percentile(values: list[float], level: float) -> list[float] | None:
    vals = [v for v in values if v is not None and math.isfinite(v)]
    if not vals:
        return None
    tail = (1.0 - level) / 2.0 * 100.0
    lo, hi = np.percentile(np.asarray(vals), [tail, 100.0 - tail])
    return [float(lo), float(hi)]


def evaluate(dataset: Dataset, scores: dict[tuple[str, str], float], *, scorer: str = "scores",
             label_source: str = "auto", rounds: int = 1000, seed: int = 0, ci_level: float = 0.95,
             subset_key: str = "subset", include_accepted: bool = False,
             schema: AnnotationSchema | None = None) -> EvaluationReport:
    """The scorer's accuracy against the chosen labels (``label_source``: auto, aggregate, human, reference), per
    subset (``metadata[subset_key]``) and overall, with seeded bootstrap intervals (``rounds``)."""
    if rounds < 0:
        raise ParameterError("rounds", f"{{param}} must be 0 or more, not {rounds}.")
    if not 0.0 < ci_level < 1.0:
        raise ParameterError("ci_level", f"{{param}} must be between 0 and 1 (0.95 is usual), not {ci_level!r}.")
    items, left = score_items(dataset, scores, label_source=label_source, subset_key=subset_key,
                              include_accepted=include_accepted, schema=schema)
    by_subset: dict[str, list[Item]] = defaultdict(list)
    for it in items:
        by_subset[it.subset].append(it)
    names = sorted(by_subset, key=lambda n: (n.lower() == TIES, n))
    rng = np.random.default_rng(seed)

    def units(name: str) -> list[list[Item]]:
        """The bootstrap's units of a subset: samples, or in Ties the samples of one prompt together."""
        return ties_groups(by_subset[name]) if name.lower() == TIES else [[it] for it in by_subset[name]]

    unit_lists = {n: units(n) for n in names}
    point = {n: _subset_score(n, by_subset[n]) for n in names}
    boot: dict[str, list[float]] = {n: [] for n in names}
    boot_mean: list[float] = []
    boot_pooled: list[float] = []
    for _ in range(rounds):
        drawn_all: list[Item] = []
        round_scores = []
        for n in names:
            us = unit_lists[n]
            pick = rng.integers(0, len(us), len(us))
            drawn = [it for k in pick for it in us[k]]
            drawn_all += drawn
            v = _subset_score(n, drawn, [us[k] for k in pick])
            boot[n].append(v if v is not None else math.nan)
            round_scores.append(v)
        if all(v is not None for v in round_scores):
            boot_mean.append(float(np.mean(round_scores)))
        boot_pooled.append(float(np.mean([it.accurate for it in drawn_all])) if drawn_all else math.nan)
    subsets = []
    for n in names:
        its = by_subset[n]
        row: dict[str, Any] = {"subset": n, "samples": len(its), "kind": _kind(its),
                               "accuracy": float(np.mean([it.accurate for it in its])), "score": point[n],
                               "ci": _percentile(boot[n], ci_level) if rounds else None,
                               "rule": _rule(n, its)}
        if n.lower() == TIES:
            row["ties"] = ties_score(its)
        subsets.append(row)
    defined = [point[n] for n in names if point[n] is not None]
    overall = {
        "score": float(np.mean(defined)) if defined and len(defined) == len(names) else None,
        "score_ci": _percentile(boot_mean, ci_level) if rounds and len(defined) == len(names) else None,
        "score_rule": "the mean of the subset scores (RewardBench 2)",
        "accuracy": float(np.mean([it.accurate for it in items])) if items else None,
        "accuracy_ci": _percentile(boot_pooled, ci_level) if rounds and items else None,
        "accuracy_rule": "the share of accurate samples, all subsets pooled",
    }
    if defined and len(defined) != len(names):
        overall["reason"] = "a subset has no score: " + ", ".join(n for n in names if point[n] is None)
        overall["score_of_scored_subsets"] = float(np.mean(defined))
    return EvaluationReport(scorer=scorer, label_source=label_source,
                            labels_from=dict(sorted(Counter(it.label_from for it in items).items())),
                            subsets=subsets, overall=overall,
                            samples=len(items), left_out=dict(left), rounds=rounds, seed=seed)


def _kind(items: Sequence[Item]) -> str:
    kinds = {it.kind for it in items}
    return kinds.pop() if len(kinds) == 1 else "mixed"


def _rule(subset: str, items: Sequence[Item]) -> str:
    if subset.lower() == TIES:
        return "RewardBench 2 Ties score"
    k = _kind(items)
    return {"pair": "chosen scored above rejected", "best_of_n": "every correct answer scored above every incorrect "
            "one"}.get(k, "every correct answer scored above every incorrect one")


def judge_scores(dataset: Dataset, annotator: str, *, schema: AnnotationSchema | None = None,
                 kind: str = "prediction") -> dict[tuple[str, str], float]:
    """A judge's answers (its latest ``prediction`` annotation per sample) as scores: its best tier highest, each
    lower tier one less; candidates it did not place get none, so the sample is left out."""
    from labelloop.quality.units import latest_by_annotator

    questions = label_questions(schema or dataset.schema)
    out: dict[tuple[str, str], float] = {}
    for s in dataset.samples:
        ann = latest_by_annotator(s, (kind,)).get(annotator)
        if ann is None:
            continue
        ids = [c.id for c in s.candidates]
        for q in questions:
            v = ann.values.get(q.name)
            if v is None:
                continue
            tiers = tiers_from_value(q, v, ids)
            if tiers is None:
                if q.type == "single_choice":  # a tie: every answer the same score
                    for c in ids:
                        out[(s.id, c)] = 0.0
                    break
                continue
            for rank, tier in enumerate(tiers):
                for c in tier:
                    out[(s.id, c)] = float(-rank)
            break
    return out


__all__ = ["EvaluationReport", "Item", "LABEL_SOURCES", "evaluate", "judge_scores", "label_questions",
           "label_tiers", "score_items", "ties_groups", "ties_key", "ties_score"]
