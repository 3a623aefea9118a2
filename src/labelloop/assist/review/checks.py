"""The checks of a review, each over every person's latest submitted work: disagreement with a confident
pre-label or with the merged label of the others, implausible speed, straight-lining and position bias."""

from __future__ import annotations

import json
import math
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from labelloop.assist.review.report import ReviewOptions
from labelloop.data.model import Annotation, DataSample, Dataset
from labelloop.data.numbers import compact
from labelloop.data.positions import position_label, recorded_order
from labelloop.data.preference import canonical
from labelloop.data.schema import AnnotationSchema, Question
from labelloop.data.timestamps import EARLIEST, first_made
from labelloop.quality.alpha import jaccard_distance
from labelloop.quality.position_bias import position_counts, position_test
from labelloop.quality.units import latest_by_annotator, set_value

UNCOMPARED = ("text", "span")


# ---------------------------------------------------------------------- comparing answers
def short(v: Any) -> str:
    """A value as one line of JSON, as flags quote answers."""
    return json.dumps(v, ensure_ascii=False, default=str)


def strong_difference(q: Question, mine: Any, other: Any, rating_gap: float) -> str | None:
    """Why two answers to ``q`` strongly differ, or None: a different choice or top pick, ratings at least
    ``rating_gap`` apart, sets at Jaccard distance 0.5 or more."""
    if q.per_candidate and isinstance(mine, dict) and isinstance(other, dict):
        inner = q.model_copy(update={"per_candidate": False})
        parts = []
        for cid in mine:
            if cid in other and other[cid] is not None and mine[cid] is not None:
                why = strong_difference(inner, mine[cid], other[cid], rating_gap)
                if why:
                    parts.append(f"candidate {cid}: {why}")
        return "; ".join(parts) or None
    if q.type == "rating":
        if _num(mine) and _num(other) and abs(float(mine) - float(other)) >= rating_gap:
            return f"{compact(mine)} vs {compact(other)}"
        return None
    if q.type == "multi_choice" and isinstance(mine, list) and isinstance(other, list):
        a, b = set_value(mine), set_value(other)
        if (a or b) and jaccard_distance(a, b) >= 0.5:
            return f"{short(mine)} vs {short(other)}"
        return None
    if q.type == "ranking" and isinstance(mine, list) and isinstance(other, list):
        if mine and other and mine[0] != other[0]:
            return f"top {mine[0]} vs {other[0]}"
        return None
    if canonical(mine) != canonical(other):
        return f"{short(mine)} vs {short(other)}"
    return None


def _num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


# ---------------------------------------------------------------------- the checks
@dataclass
class Work:
    """One person's latest submitted annotation of one sample."""

    index: int
    sample: DataSample
    annotator: str
    ann: Annotation


def compared_questions(schema: AnnotationSchema) -> list[Question]:
    return [q for q in schema.questions if q.type not in UNCOMPARED]


def check_predictions(work: list[Work], qs: list[Question], o: ReviewOptions, flags: list[dict[str, Any]],
                       stats: dict[str, Counter]) -> None:
    for w in work:
        for pname, pred in latest_by_annotator(w.sample, ("prediction",)).items():
            if pred.score is not None and pred.score < o.prediction_min_score:
                continue
            for q in qs:
                mine, theirs = w.ann.values.get(q.name), pred.values.get(q.name)
                if mine is None or theirs is None:
                    continue
                stats[w.annotator]["prediction_comparisons"] += 1
                why = strong_difference(q, mine, theirs, o.rating_gap)
                if why is None:
                    continue
                stats[w.annotator]["prediction_disagreements"] += 1
                flags.append({"kind": "prediction_disagreement", "annotator": w.annotator, "sample_id": w.sample.id,
                              "question": q.name, "severity": 1.0 if pred.score is None else float(pred.score),
                              "detail": f"answered {short(mine)}; pre-label by {pname} "
                                        f"(score {'?' if pred.score is None else format(pred.score, '.2f')}) "
                                        f"answered {short(theirs)} ({why})",
                              "answer": mine, "other": theirs, "other_by": pname, "other_score": pred.score,
                              "model_version": pred.model_version})


def check_majority(dataset: Dataset, schema: AnnotationSchema, work: list[Work], qs: list[Question],
                    o: ReviewOptions, flags: list[dict[str, Any]], stats: dict[str, Counter],
                    agree: dict[str, dict[str, Any]]) -> None:
    """Against the merged label (ratings: median; everything else: majority) of ``labelloop.quality``."""
    from labelloop.quality.agreement import agreement
    from labelloop.quality.merge import decide

    if not qs or not work:
        return
    names = [q.name for q in qs]
    report = agreement(dataset, schema=schema, questions=names)
    scores: dict[tuple[str, str, str | None], float] = {}
    for qa in report.questions:
        for d in qa.disagreements:
            scores[(qa.question, d["sample_id"], d["candidate_id"])] = d["disagreement"]
        for row in qa.per_annotator:
            agree.setdefault(row["annotator"], {})[qa.question] = row.get("agreement_with_others")
    decisions = {qd.question.name: qd.decisions for qd in decide(dataset, "median", schema=schema, questions=names)}
    answers: dict[tuple[str, str], int] = Counter()
    for w in work:
        for q in qs:
            if w.ann.values.get(q.name) is not None:
                answers[(w.sample.id, q.name)] += 1
    for w in work:
        for q in qs:
            mine = w.ann.values.get(q.name)
            n = answers[(w.sample.id, q.name)]
            if mine is None or n < o.min_annotators:
                continue
            decs = decisions.get(q.name, {})
            parts = (list(mine.items()) if q.per_candidate and isinstance(mine, dict) else [(None, mine)])
            inner = q.model_copy(update={"per_candidate": False}) if q.per_candidate else q
            for cid, value in parts:
                d = decs.get((w.sample.id, cid))
                # a median is flagged for review whenever ratings spread, which is what we look for; a tied
                # majority is not a label anyone can be wrong against
                if d is None or d.value is None or value is None or (d.needs_review and q.type != "rating"):
                    continue
                stats[w.annotator]["majority_comparisons"] += 1
                why = strong_difference(inner, value, d.value, o.rating_gap)
                if why is None:
                    continue
                stats[w.annotator]["majority_disagreements"] += 1
                score = scores.get((q.name, w.sample.id, cid))
                cand = f" on candidate {cid}" if cid is not None else ""
                how = "median" if q.type == "rating" else f"majority, share {d.confidence or 0:.2f}"
                flags.append({"kind": "majority_disagreement", "annotator": w.annotator, "sample_id": w.sample.id,
                              "question": q.name, "candidate_id": cid,
                              "severity": float(score if score is not None else d.confidence or 0.0),
                              "detail": f"answered {short(value)}{cand}; the merged label of {n} annotators is "
                                        f"{short(d.value)} ({how})",
                              "answer": value, "other": d.value, "other_by": f"merged label of {n} annotators",
                              "other_score": d.confidence, "item_disagreement": score})


def check_time(work: list[Work], o: ReviewOptions, flags: list[dict[str, Any]],
                stats: dict[str, Counter]) -> tuple[float | None, float | None]:
    times = [float(w.ann.lead_time_s) for w in work if w.ann.lead_time_s is not None]
    if not times:
        return None, None
    median = float(statistics.median(times))
    threshold = max(o.min_seconds, o.fast_ratio * median)
    for w in work:
        t = w.ann.lead_time_s
        if t is None:
            continue
        if t < threshold:
            stats[w.annotator]["too_fast"] += 1
            flags.append({"kind": "too_fast", "annotator": w.annotator, "sample_id": w.sample.id, "question": None,
                          "severity": 1.0 - t / threshold if threshold > 0 else 1.0, "lead_time_s": float(t),
                          "threshold_s": threshold,
                          "detail": f"{t:.1f} s on the task (threshold {threshold:.1f} s, median {median:.1f} s)"})
    return median, threshold


def _run_key(q: Question, value: Any, sample: DataSample, order: list[str] | None) -> Any:
    """What counts as "the same answer" on another task: the value itself, or for answers naming candidates
    (whose ids differ from task to task) the screen positions they were shown at. None: not comparable."""
    if value is None or value == [] or value == {}:
        return None
    cids = {c.id for c in sample.candidates}
    pos = {cid: i for i, cid in enumerate(order or [])}

    def one(v: Any) -> Any:
        if isinstance(v, str) and v in cids and q.options_from_candidates:
            return ("position", position_label(pos[v])) if v in pos else None
        return canonical(v)

    if q.per_candidate and isinstance(value, dict):
        if order:
            return ("by position", tuple(canonical(value.get(c)) for c in order))
        return ("sorted", tuple(sorted(map(str, (canonical(v) for v in value.values())))))
    if isinstance(value, list):
        keys = [one(v) for v in value]
        return None if any(k is None for k in keys) else tuple(keys)
    return one(value)


def _show_key(key: Any) -> str:
    if isinstance(key, tuple) and len(key) == 2 and key[0] == "position":
        return f"answer {key[1]} on screen"
    if isinstance(key, tuple) and len(key) == 2 and key[0] in ("by position", "sorted"):
        return f"{list(key[1])} ({key[0]})"
    return short(list(key) if isinstance(key, tuple) else key)


def check_runs(work: list[Work], qs: list[Question], o: ReviewOptions, flags: list[dict[str, Any]],
                stats: dict[str, Counter]) -> dict[str, dict[str, int]]:
    longest: dict[str, dict[str, int]] = defaultdict(dict)
    by_person: dict[str, list[Work]] = defaultdict(list)
    for w in work:
        by_person[w.annotator].append(w)
    for name, items in by_person.items():
        items.sort(key=lambda w: (first_made(w.ann) or EARLIEST, w.index))
        for q in qs:
            seq = [(w, _run_key(q, w.ann.values.get(q.name), w.sample, recorded_order(w.ann))) for w in items]
            seq = [(w, k) for w, k in seq if k is not None]
            best, i = 0, 0
            while i < len(seq):
                j = i
                while j + 1 < len(seq) and seq[j + 1][1] == seq[i][1]:
                    j += 1
                run = j - i + 1
                best = max(best, run)
                if run >= o.straight_run:
                    stats[name]["straight_lining"] += 1
                    flags.append({"kind": "straight_lining", "annotator": name, "sample_id": None, "question": q.name,
                                  "severity": float(run), "run": run, "answer_key": _show_key(seq[i][1]),
                                  "first_sample": seq[i][0].sample.id, "last_sample": seq[j][0].sample.id,
                                  "samples": [w.sample.id for w, _ in seq[i:j + 1]],
                                  "detail": f"the same answer ({_show_key(seq[i][1])}) on {run} tasks in a row, "
                                            f"from {seq[i][0].sample.id} to {seq[j][0].sample.id}"})
                i = j + 1
            longest[name][q.name] = best
    return longest


def check_positions(work: list[Work], qs: list[Question], o: ReviewOptions, flags: list[dict[str, Any]],
                    stats: dict[str, Counter]) -> dict[str, dict[str, Any]]:
    """The binomial test of ``labelloop.quality.position_bias`` per person, question and number of answers
    shown; a flag when the most picked position is beyond chance after Bonferroni."""
    tables = position_counts(((w.annotator, w.ann) for w in work), qs)
    summary: dict[str, dict[str, Any]] = defaultdict(dict)
    for (name, qname, n), counts in sorted(tables.items()):
        row = position_test(counts, n)
        summary[name].setdefault(qname, []).append(row)
        total, p_adj, label = row["answers"], row["p_adjusted"], row["most_picked"]
        if total >= o.position_min_answers and p_adj < o.position_alpha:
            stats[name]["position_bias"] += 1
            flags.append({"kind": "position_bias", "annotator": name, "sample_id": None, "question": qname,
                          "severity": -math.log10(max(p_adj, 1e-300)), **row,
                          "detail": f"picked answer {label} on screen {row['counts'][label]} of {total} times with "
                                    f"{n} answers shown (chance {1 / n:.2f}; binomial p = {p_adj:.2g} after "
                                    "Bonferroni)"})
    return summary


def check_contradictions(work: list[Work], schema: AnnotationSchema, flags: list[dict[str, Any]],
                         stats: dict[str, Counter]) -> None:
    """One annotation against itself (``labelloop.data.preference.contradictions``): a best answer not first in
    the ranking, a correct answer ranked below an incorrect one, ratings that order answers against the ranking."""
    from labelloop.data.preference import contradictions

    for w in work:
        for (qa, qb), msg in contradictions(schema, w.ann.values, [c.id for c in w.sample.candidates]):
            stats[w.annotator]["contradictions"] += 1
            flags.append({"kind": "contradiction", "annotator": w.annotator, "sample_id": w.sample.id,
                          "question": qa, "other_question": qb, "severity": 1.0, "detail": msg})
