"""Review of human work: flags the annotations that deserve a second look, with the evidence behind each.

Five checks, each with a threshold option:
- ``prediction_disagreement``: a person's answer strongly differs from a confident pre-label (kind prediction);
- ``majority_disagreement``: it differs from a clear majority of the other annotators (the merged label of
  ``labelloop.quality.merge``; the item's disagreement score comes from ``labelloop.quality.agreement``);
- ``too_fast``: less time spent than ``max(min_seconds, fast_ratio × median)``;
- ``straight_lining``: the same answer (or the same screen position) on ``straight_run`` tasks in a row;
- ``position_bias``: one screen position picked far more often than chance (exact one-sided binomial
  test, Bonferroni-corrected over the positions).

A person's annotation that is a model's prediction accepted unchanged (``labelloop.data.provenance``) is no
evidence of that person's agreement or disagreement: unless ``include_accepted``, it is left out of the
prediction, majority, straight-lining and position checks (and of the merged label and agreement they use),
and counted per annotator (``accepted_predictions``). Its time still counts for ``too_fast``.

A flag is a reason to look, not a verdict. With a provider, each disagreement gets an LLM's explanation,
cached like pre-labels; when the call fails the flag says so and carries no explanation.

``checks`` holds the checks, ``explain`` the LLM explanations, ``report`` the options and the report;
this module runs them in order.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

from labelloop.assist.cache import AnswerCache
from labelloop.assist.llm.base import Provider
from labelloop.assist.review.checks import (
    Work,
    check_contradictions,
    check_majority,
    check_positions,
    check_predictions,
    check_runs,
    check_time,
    compared_questions,
    strong_difference,
)
from labelloop.assist.review.explain import REVIEW_VERSION, explain_flags, explain_message, parse_explanation
from labelloop.assist.review.report import KINDS, TITLES, ReviewOptions, ReviewReport, review_options
from labelloop.data.model import Dataset
from labelloop.data.provenance import accepted_prediction, counts_as_person, independent_view
from labelloop.data.schema import AnnotationSchema
from labelloop.quality.units import latest_by_annotator


def review_dataset(dataset: Dataset, *, schema: AnnotationSchema | None = None, provider: Provider | None = None,
                   cache: AnswerCache | None = None, on_progress: Callable[[int, int], None] | None = None,
                   include_accepted: bool = False, gold_min: float = 0.7, **options: Any) -> ReviewReport:
    """Flag suspicious human annotations of ``dataset``; ``options`` are the fields of :class:`ReviewOptions`.
    Each person's accuracy on a plan's hidden gold samples is in ``gold`` (flagged below ``gold_min``); their
    answers there are checks, left out of the other checks."""
    from labelloop.quality.gold import gold_checks
    from labelloop.quality.questions import resolve

    o = review_options(**options)
    qs_all, inferred = resolve(dataset, schema, None, ("human",))
    sch = schema or dataset.schema or AnnotationSchema(name="inferred", questions=qs_all)
    qs = compared_questions(sch)
    gold = [g.to_dict() for g in gold_checks(dataset, sch.questions, threshold=gold_min)]
    work = [Work(i, s, name, ann) for i, s in enumerate(dataset.samples)
            for name, ann in sorted(latest_by_annotator(s, ("human",)).items())]
    own = [w for w in work if counts_as_person(w.ann, include_accepted)]
    view, _ = independent_view(dataset, include_accepted)
    accepted = Counter(w.annotator for w in work if accepted_prediction(w.ann) is not None)
    flags: list[dict[str, Any]] = []
    stats: dict[str, Counter] = defaultdict(Counter)
    agree: dict[str, dict[str, Any]] = {}
    check_contradictions(work, sch, flags, stats)
    check_predictions(own, qs, o, flags, stats)
    check_majority(view, sch, own, qs, o, flags, stats, agree)
    median, threshold = check_time(work, o, flags, stats)
    longest = check_runs(own, qs, o, flags, stats)
    positions = check_positions(own, qs, o, flags, stats)
    explanations = None
    if provider is not None:
        explanations = explain_flags(flags, dataset, sch, provider,
                                     cache if cache is not None else AnswerCache(None), o, on_progress)
    per_flag = Counter(f["annotator"] for f in flags)
    annotators = []
    for name in sorted({w.annotator for w in work}):
        mine = [w for w in work if w.annotator == name]
        times = [float(w.ann.lead_time_s) for w in mine if w.ann.lead_time_s is not None]
        st = stats[name]
        annotators.append({
            "annotator": name, "annotations": len(mine), "accepted_predictions": int(accepted[name]),
            "flags": int(per_flag[name]), "timed": len(times),
            "median_lead_time_s": float(statistics.median(times)) if times else None,
            "too_fast": int(st["too_fast"]),
            "prediction_disagreements": int(st["prediction_disagreements"]),
            "prediction_comparisons": int(st["prediction_comparisons"]),
            "majority_disagreements": int(st["majority_disagreements"]),
            "majority_comparisons": int(st["majority_comparisons"]),
            "agreement_with_others": agree.get(name, {}), "longest_run": longest.get(name, {}),
            "positions": positions.get(name, {}),
        })
    order = {k: i for i, k in enumerate(KINDS)}
    flags.sort(key=lambda f: (order[f["kind"]], -f["severity"], str(f.get("sample_id")), f["annotator"],
                              str(f.get("question"))))
    return ReviewReport(dataset=dataset.name, schema=sch.name + (" (inferred)" if inferred and schema is None and
                                                                dataset.schema is None else ""),
                        options=o, samples=len(dataset.samples), human_annotations=len(work),
                        median_lead_time_s=median, fast_threshold_s=threshold, annotators=annotators, flags=flags,
                        explanations=explanations, accepted_predictions=sum(accepted.values()),
                        include_accepted=include_accepted, gold=gold)


__all__ = ["KINDS", "REVIEW_VERSION", "TITLES", "ReviewOptions", "ReviewReport", "explain_message", "parse_explanation",
           "review_dataset", "review_options", "strong_difference"]
