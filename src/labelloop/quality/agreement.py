"""Inter-annotator agreement per question, over ``DataSample.annotations``.

For each question: percent agreement, Krippendorff's alpha (at every level that fits the
question, the question's own level first), Fleiss' kappa, Gwet's AC1, Cohen's kappa for each
pair of annotators on the items they share, Kendall's W and tau for rankings; a seeded
bootstrap interval (items resampled) for alpha and the kappas; the most disagreed items with
who said what; each annotator's agreement with the rest; and each annotator's and each model's
accuracy against ``reference`` annotations. For a question whose options are the candidates (best-of-N),
whose ids name a different answer in every sample, also Bennett's S with each sample's own chance and alpha over
the pairwise preferences the answers imply (``labelloop.quality.best_of_n``). A coefficient left undefined
because everyone agreed on everything says "perfect agreement" (``labelloop.quality.stat.perfect``).

Only submitted annotations count; an annotator's latest one per sample is used; skipped items
are missing data, not dropped items. Numbers compare as numbers (1 == 1.0). A person's annotation that
is a model's prediction accepted unchanged (``labelloop.data.provenance``) is no independent answer:
it is left out, and counted in the report, unless ``include_accepted``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from labelloop.data.model import DataSample, Dataset
from labelloop.data.preference import canonical
from labelloop.data.provenance import independent_view
from labelloop.data.schema import AnnotationSchema, Question, ranking_flat
from labelloop.errors import LabelloopError
from labelloop.quality.alpha import (
    LEVELS,
    NO_VARIATION,
    SET_DISTANCES,
    AlphaModel,
    distance_matrix,
    krippendorff_alpha,
)
from labelloop.quality.best_of_n import bennett_s, options_are_candidates, pairwise_alpha
from labelloop.quality.gold import GoldAccuracy, gold_checks
from labelloop.quality.kappa import fleiss_kappa, gwet_ac1, pairwise_cohen, percent_agreement
from labelloop.quality.questions import resolve
from labelloop.quality.ranking import ranking_agreement, ranks
from labelloop.quality.stat import PERFECT_PREFIX, Stat, Undefined, check_interval, perfect
from labelloop.quality.units import Ratings, collect, latest_by_annotator, reference_values, set_value

NOT_MEASURED = {"text": "free text is not compared for agreement; merge keeps every answer for adjudication",
                "span": "span agreement is not computed"}


def default_level(question: Question) -> str:
    if question.type == "multi_choice":
        return "masi"
    return question.measurement_level


def levels_for(question: Question, ratings: Ratings, level: str | None) -> list[str]:
    """The alpha levels to report, the primary one first; a level that does not fit is an error."""
    if question.type == "multi_choice":
        allowed = ["masi", "jaccard", "nominal"]
    elif question.type == "ranking":
        allowed = ["ordinal", "interval"]
    elif question.type == "rating" or ratings.numeric is not None:
        allowed = list(LEVELS)
    else:
        allowed = ["nominal", "ordinal"]
    primary = level or default_level(question)
    if primary not in allowed:
        raise LabelloopError(f"Level {primary!r} does not fit question {question.name!r} ({question.type}); "
                             f"use one of: {', '.join(allowed)}.")
    if question.type == "single_choice" and primary == "nominal":
        return ["nominal"]
    return [primary] + [lv for lv in allowed if lv != primary]


@dataclass
class QuestionAgreement:
    question: str
    type: str
    level: str | None
    per_candidate: bool = False
    annotators: list[str] = field(default_factory=list)
    n_items: int = 0
    n_pairable: int = 0
    n_ratings: int = 0
    stats: dict[str, Stat] = field(default_factory=dict)
    alpha: dict[str, Stat] = field(default_factory=dict)
    pairs: list[dict[str, Any]] = field(default_factory=list)
    per_annotator: list[dict[str, Any]] = field(default_factory=list)
    accuracy: list[dict[str, Any]] = field(default_factory=list)
    disagreements: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self, top: int | None = None) -> dict[str, Any]:
        pairs = [{k: (v.to_dict() if isinstance(v, Stat) else v) for k, v in p.items()} for p in self.pairs]
        return {
            "question": self.question, "type": self.type, "level": self.level, "per_candidate": self.per_candidate,
            "annotators": self.annotators, "items": self.n_items, "pairable_items": self.n_pairable,
            "ratings": self.n_ratings,
            "stats": {k: v.to_dict() for k, v in self.stats.items()},
            "alpha": {k: v.to_dict() for k, v in self.alpha.items()},
            "pairs": pairs, "per_annotator": self.per_annotator, "accuracy": self.accuracy,
            "disagreements": self.disagreements[:top] if top is not None else self.disagreements,
            "notes": self.notes,
        }


@dataclass
class AgreementReport:
    dataset: str
    kinds: list[str]
    questions: list[QuestionAgreement]
    inferred_schema: bool = False
    include_accepted: bool = False
    accepted_predictions_left_out: int = 0
    gold: list[GoldAccuracy] = field(default_factory=list)  # each person on a plan's hidden gold samples

    def question(self, name: str) -> QuestionAgreement:
        for q in self.questions:
            if q.question == name:
                return q
        raise KeyError(name)

    def to_dict(self, top: int | None = None) -> dict[str, Any]:
        return {"dataset": self.dataset, "kinds": self.kinds, "inferred_schema": self.inferred_schema,
                "include_accepted": self.include_accepted,
                "accepted_predictions_left_out": self.accepted_predictions_left_out,
                "questions": [q.to_dict(top) for q in self.questions],
                **({"gold": [g.to_dict() for g in self.gold]} if self.gold else {})}


def agreement(dataset: Dataset, *, questions: Sequence[str] | None = None, schema: AnnotationSchema | None = None,
              level: str | None = None, include_predictions: bool = False, bootstrap: int = 0, seed: int = 0,
              ci_level: float = 0.95, include_accepted: bool = False, gold_min: float = 0.7) -> AgreementReport:
    """Agreement for every question of the schema (or the named ones). Accepted predictions are left out
    (and counted) unless ``include_accepted``; gold checks are left out, and each person's accuracy on them
    (95% Wilson interval, flagged below ``gold_min``) is in ``gold``."""
    check_interval(bootstrap, ci_level)
    kinds = ("human", "prediction") if include_predictions else ("human",)
    qs, inferred = resolve(dataset, schema, questions, kinds)
    view, left_out = independent_view(dataset, include_accepted)
    out = [question_agreement(view.samples, q, level=level, kinds=kinds, bootstrap=bootstrap, seed=seed,
                              ci_level=ci_level, strict_level=bool(questions)) for q in qs]
    return AgreementReport(dataset=dataset.name, kinds=list(kinds), questions=out, inferred_schema=inferred,
                           include_accepted=include_accepted, accepted_predictions_left_out=left_out,
                           gold=gold_checks(dataset, qs, threshold=gold_min))


def question_agreement(samples: Sequence[DataSample], question: Question, *, level: str | None = None,
                       kinds: Sequence[str] = ("human",), bootstrap: int = 0, seed: int = 0,
                       ci_level: float = 0.95, strict_level: bool = True) -> QuestionAgreement:
    qa = QuestionAgreement(question=question.name, type=question.type, level=None,
                           per_candidate=question.per_candidate)
    ratings = collect(samples, question, kinds=kinds)
    qa.annotators = sorted(ratings.annotators)
    qa.n_items, qa.n_ratings = ratings.n_items, len(ratings)
    qa.n_pairable = int((ratings.per_item() >= 2).sum())
    if question.type in NOT_MEASURED:
        qa.notes.append(NOT_MEASURED[question.type])
        return qa
    qa.accuracy = accuracy_against_reference(samples, question)
    if len(ratings) == 0:
        qa.notes.append(f"no submitted answers in annotations of kind {' or '.join(kinds)}")
        return qa
    try:
        levels = levels_for(question, ratings, level)
    except LabelloopError:
        if strict_level:
            raise
        levels = levels_for(question, ratings, None)
        qa.notes.append(f"level {level!r} does not fit a {question.type} question; used {levels[0]!r}")
    qa.level = levels[0]
    opts = {"bootstrap": bootstrap, "seed": seed, "ci_level": ci_level}
    if question.type == "ranking":
        _ranking(qa, samples, question, ratings, levels, kinds, opts)
        _perfect(qa)
        return qa
    for i, lv in enumerate(levels):
        qa.alpha[lv] = krippendorff_alpha(ratings, lv, **(opts if i == 0 else {}))
    qa.stats["alpha"] = qa.alpha[levels[0]]
    qa.stats["percent_agreement"] = percent_agreement(ratings)
    if options_are_candidates(question):
        qa.stats["bennett_s"] = bennett_s(samples, question, kinds, **opts)
        qa.stats["pairwise_alpha"] = pairwise_alpha(samples, question, kinds, **opts)
        for st in qa.alpha.values():
            st.extra["units"] = "candidate ids pooled across samples"
        qa.notes.append("the options are the candidates, whose ids name a different answer in every sample: read "
                        "Bennett's S (chance: 1 / the sample's number of answers) and alpha over the pairwise "
                        "preferences; the nominal alpha, kappas and AC1 pool the ids across samples")
    qa.stats["fleiss_kappa"] = fleiss_kappa(ratings, **opts)
    qa.stats["gwet_ac1"] = gwet_ac1(ratings)
    ordered = question.type == "rating" or levels[0] in ("ordinal", "interval", "ratio")
    qa.pairs = pairwise_cohen(ratings, weighted=ordered and ratings.kind == "categorical", **opts)
    if ratings.n_annotators > 60:
        qa.notes.append(f"Cohen's kappa per pair is not listed for {ratings.n_annotators} annotators (over 60)")
    qa.per_annotator = per_annotator(ratings, levels[0], qa.pairs)
    qa.disagreements = disagreements(ratings, levels[0])
    if question.type == "multi_choice":
        qa.notes.append("kappa, AC1 and percent agreement treat each distinct set of choices as one category")
    _perfect(qa)
    return qa


def _perfect(qa: QuestionAgreement) -> None:
    """Coefficients left undefined where every pair of answers agrees read as perfect agreement."""
    pa = qa.stats.get("percent_agreement")
    if pa is not None and pa.value is not None and pa.value >= 1.0 - 1e-12:
        for st in [*qa.stats.values(), *qa.alpha.values()]:
            perfect(st)
    for row in qa.per_annotator:
        why = row.get("alpha_without_undefined")
        if why and why.startswith(NO_VARIATION):  # the others all gave the same answer: they agree
            row["alpha_without_undefined"] = PERFECT_PREFIX + why
    for p in qa.pairs:
        if p.get("percent_agreement") is not None and p["percent_agreement"] >= 1.0 - 1e-12:
            for st in p.values():
                if isinstance(st, Stat):
                    perfect(st)


# ---------------------------------------------------------------------- rankings
def _ranking(qa: QuestionAgreement, samples: Sequence[DataSample], question: Question, ratings: Ratings,
             levels: list[str], kinds: Sequence[str], opts: dict[str, Any]) -> None:
    per_item: dict[Any, tuple[list[str], dict[str, Sequence[str]]]] = {}
    items, anns, vals = [], [], []
    exact = Ratings.from_triples([(i,) for i in ratings.item.tolist()], ratings.annotator.tolist(),
                                 ratings.code.tolist())
    for s in samples:
        by_ann = {n: a.values[question.name] for n, a in latest_by_annotator(s, kinds).items()
                  if isinstance(a.values.get(question.name), list)}
        if not by_ann:
            continue
        universe = question.allowed_values([c.id for c in s.candidates])
        for rk in by_ann.values():  # an item may be a tier (a list of ids sharing one place)
            universe += [x for x in ranking_flat(rk) if x not in universe]
        per_item[s.id] = (universe, by_ann)
        for name, rk in by_ann.items():
            for cid, r in zip(universe, ranks(rk, universe), strict=True):
                items.append((s.id, cid))
                anns.append(name)
                vals.append(float(r))
    res = ranking_agreement(per_item)
    qa.stats["kendall_w"] = res["kendall_w"]
    qa.stats["kendall_tau"] = res["kendall_tau"]
    qa.stats["percent_agreement"] = percent_agreement(exact)
    qa.stats["percent_agreement"].extra["compares"] = "whole rankings"
    rank_ratings = Ratings.from_triples(items, anns, vals)
    for i, lv in enumerate(levels):
        stat = krippendorff_alpha(rank_ratings, lv, **(opts if i == 0 else {}))
        stat.extra["units"] = "rank of each (sample, candidate)"
        qa.alpha[lv] = stat
    qa.stats["alpha"] = qa.alpha[levels[0]]
    by_w = res["per_item_w"]
    qa.disagreements = [
        {"sample_id": sid, "candidate_id": None, "disagreement": 1.0 - w,
         "values": [{"annotator": a, "value": list(v)} for a, v in sorted(per_item[sid][1].items())]}
        for sid, w in sorted(by_w.items(), key=lambda kv: (kv[1], str(kv[0]))) if w < 1.0 - 1e-12]
    qa.notes.append("disagreement of a ranked item is 1 - Kendall's W")


# ---------------------------------------------------------------------- per item / per annotator
def _item_key(key: Any) -> tuple[Any, Any]:
    if isinstance(key, tuple) and len(key) == 2:
        return key[0], key[1]
    return key, None


def disagreements(ratings: Ratings, level: str) -> list[dict[str, Any]]:
    """Items whose annotators disagree, most disagreed first, with who gave which value.

    The score is the item's mean pairwise distance relative to chance (alpha's D_e): 0 is full
    agreement, about 1 is what random answers would give.
    """
    try:
        model = AlphaModel(ratings, level)
        scores = model.unit_disagreement()
    except Undefined:
        return []
    m = ratings.per_item()
    pair_items = np.flatnonzero(m >= 2)
    order = np.argsort(ratings.item, kind="stable")
    starts = np.searchsorted(ratings.item[order], pair_items)
    out = []
    for idx in np.argsort(-scores, kind="stable"):
        if scores[idx] <= 1e-12:
            break
        item = int(pair_items[idx])
        rows = order[starts[idx]:starts[idx] + m[item]]
        sid, cid = _item_key(ratings.items[item])
        values = sorted(({"annotator": ratings.annotators[ratings.annotator[r]],
                          "value": _display(ratings, int(r))} for r in rows), key=lambda d: d["annotator"])
        out.append({"sample_id": sid, "candidate_id": cid, "disagreement": float(scores[idx]), "values": values})
    return out


def _display(ratings: Ratings, row: int) -> Any:
    if ratings.raw is not None:
        return ratings.raw[row]
    v = ratings.categories[ratings.code[row]]
    return list(v) if isinstance(v, tuple) else v


def per_annotator(ratings: Ratings, level: str, pairs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each annotator against the others on the same items: pairwise agreement, mean distance,
    mean Cohen's kappa over their pairs, and alpha with that annotator left out."""
    counts = ratings.counts().astype(float)
    m = counts.sum(axis=1)
    others = m[ratings.item] - 1.0
    has_other = others > 0
    agree = counts[ratings.item, ratings.code] - 1.0
    n_a = ratings.n_annotators
    pair_n = np.bincount(ratings.annotator, weights=others, minlength=n_a)
    agree_n = np.bincount(ratings.annotator, weights=agree, minlength=n_a)
    items_n = np.bincount(ratings.annotator, weights=has_other.astype(float), minlength=n_a)
    dist = None
    if level in ("interval", "ratio") or level in SET_DISTANCES or (level == "ordinal" and ratings.numeric is not None):
        if ratings.n_categories <= 2000:
            if level in SET_DISTANCES:
                delta = distance_matrix(level, ratings.categories)
            else:
                v = ratings.numeric if ratings.numeric is not None else np.arange(ratings.n_categories, dtype=float)
                delta = np.abs(v[:, None] - v[None, :])
            per = (counts @ delta)[ratings.item, ratings.code]
            dist = np.bincount(ratings.annotator, weights=per, minlength=n_a)
    kappas: dict[str, list[tuple[float, int]]] = defaultdict(list)
    for p in pairs:
        st = p.get("none")
        if isinstance(st, Stat) and st.defined:
            kappas[p["a"]].append((st.value, p["shared_items"]))
            kappas[p["b"]].append((st.value, p["shared_items"]))
    out = []
    for j, name in enumerate(ratings.annotators):
        row: dict[str, Any] = {"annotator": name, "ratings": int((ratings.annotator == j).sum()),
                               "items_with_others": int(items_n[j])}
        row["agreement_with_others"] = float(agree_n[j] / pair_n[j]) if pair_n[j] > 0 else None
        if dist is not None:
            key = "mean_distance_to_others" if level in SET_DISTANCES else "mean_abs_difference"
            row[key] = float(dist[j] / pair_n[j]) if pair_n[j] > 0 else None
        ks = kappas.get(name)
        row["mean_pair_kappa"] = (float(sum(k * n for k, n in ks) / sum(n for _, n in ks)) if ks else None)
        rest = ratings.select(ratings.annotator != j)
        try:
            row["alpha_without"] = float(AlphaModel(rest, level).alpha())
        except Undefined as exc:
            row["alpha_without"] = None
            row["alpha_without_undefined"] = str(exc)
        out.append(row)
    return sorted(out, key=lambda r: r["annotator"])


# ---------------------------------------------------------------------- accuracy against reference
def _norm(question: Question, v: Any) -> Any:
    if question.type == "multi_choice":
        return set_value(v)
    return canonical(v)


def accuracy_against_reference(samples: Sequence[DataSample], question: Question,
                               truth_kind: str = "reference") -> list[dict[str, Any]]:
    """Each person's and each model's share of answers equal to the reference (and MAE for ratings);
    ``truth_kind="aggregate"`` measures against the merged label instead."""
    if question.type in NOT_MEASURED:
        return []
    stats: dict[tuple[str, str], list[Any]] = {}
    for s in samples:
        ref = reference_values(s, question, truth_kind)
        if not ref:
            continue
        for kind in ("human", "prediction"):
            for name, ann in latest_by_annotator(s, (kind,)).items():
                v = ann.values.get(question.name)
                if v is None:
                    continue
                pairs = ([(v.get(c), r) for c, r in ref.items()] if question.per_candidate and isinstance(v, dict)
                         else [(v, ref.get(None))])
                for mine, truth in pairs:
                    if mine is None or truth is None:
                        continue
                    st = stats.setdefault((kind, name), [0, 0, 0.0, 0])
                    st[0] += 1
                    st[1] += int(_norm(question, mine) == _norm(question, truth))
                    if question.type == "rating" and not isinstance(mine, bool) and isinstance(mine, (int, float)) \
                            and isinstance(truth, (int, float)):
                        st[2] += abs(float(mine) - float(truth))
                        st[3] += 1
    out = []
    for (kind, name), (n, right, abs_sum, n_num) in sorted(stats.items()):
        row: dict[str, Any] = {"annotator": name, "kind": kind, "items": n, "accuracy": right / n}
        if n_num:
            row["mae"] = abs_sum / n_num
        out.append(row)
    return out

