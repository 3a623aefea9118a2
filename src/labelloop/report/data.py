"""The dashboard's figures: where an annotation project stands and whether its labels can be trusted.

``dashboard_data`` gathers every figure from ``labelloop.quality`` (agreement, activity, models) into one
JSON-able dict; the page (``report.html``) and the Markdown (``report.markdown``) are two renderings of that
dict and compute nothing of their own. The sentences both print (the alpha reading, completion) are made here
once, so the two say the same.
"""

from __future__ import annotations

import json
from typing import Any

from labelloop.data.model import Annotation, Dataset
from labelloop.data.numbers import percent, plain_number
from labelloop.data.schema import AnnotationSchema
from labelloop.errors import LabelloopError


def add_reference(dataset: Dataset, reference: Dataset, source: str | None = None) -> Dataset:
    """A copy of ``dataset`` with ``reference``'s labels as ``reference`` annotations on the same sample ids.

    The reference dataset's own ``reference`` annotations are used; when it has none, each sample's
    latest submitted ``aggregate`` or ``human`` answer is taken as the reference.
    """
    from labelloop.quality.units import latest_by_annotator

    where = source or reference.name
    by_id = reference.by_id()
    out = dataset.model_copy(deep=True)
    matched = 0
    for s in out.samples:
        ref = by_id.get(s.id)
        if ref is None:
            continue
        refs = [a for a in ref.annotations if a.kind == "reference"]
        if not refs:
            for kind in ("aggregate", "human"):
                latest = latest_by_annotator(ref, (kind,))
                if latest:
                    a = latest[sorted(latest)[0]]
                    refs = [Annotation(annotator=str(where), kind="reference", values=dict(a.values),
                                       origin=f"reference:{where}")]
                    break
        if refs:
            matched += 1
            s.annotations += [a.model_copy(deep=True) for a in refs]
    if not matched:
        raise LabelloopError(f"Reference {where} has no labels for any sample id of dataset {dataset.name!r}.")
    return out


def _alpha_sentence(questions: list[dict[str, Any]]) -> tuple[str, str | None]:
    from labelloop.quality.alpha import alpha_reading

    measured = [q for q in questions if q["alpha"] is not None]
    if not measured:
        return "No agreement figure yet: no question has an item answered by two or more people.", None
    worst = min(measured, key=lambda q: q["alpha"])
    a, name = worst["alpha"], worst["question"]
    reading = alpha_reading(a)
    if reading == "reliable":
        if len(measured) == 1:
            return f"alpha {a:.3f} on {name!r}: reliable (>= 0.800).", name
        return f"Every measured question is reliable; the lowest is alpha {a:.3f} on {name!r}.", name
    if reading == "tentative":
        return (f"alpha {a:.3f} on {name!r}: tentative; draw tentative conclusions only and tighten the guidelines "
                f"for {name!r}.", name)
    return (f"alpha {a:.3f} on {name!r}: not reliable; revise the guidelines for {name!r} before training on these "
            "labels.", name)


def _review(dataset: Dataset, schema: AnnotationSchema | None, review: Any, include_accepted: bool = False
            ) -> dict[str, Any] | None:
    """Review flags from ``labelloop.assist.review`` when it is installed and there are human answers."""
    if review is False or review is None:
        return None
    if isinstance(review, dict):
        return review
    if hasattr(review, "to_dict"):
        return review.to_dict()
    if not any(a.kind == "human" for s in dataset.samples for a in s.annotations):
        return None
    try:
        from labelloop.assist.review import review_dataset
    except ImportError:
        return None
    try:
        return review_dataset(dataset, schema=schema, include_accepted=include_accepted).to_dict()
    except LabelloopError as exc:
        return {"error": str(exc)}


def _flag_counts(review: dict[str, Any] | None) -> dict[str, int]:
    counts: dict[str, int] = {}
    for f in review_flags(review):
        who = f.get("annotator")
        if isinstance(who, str):
            counts[who] = counts.get(who, 0) + 1
    return counts


def review_flags(review: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The review's flags (``flags``, or ``items`` in older reviews), whatever else the dict holds."""
    if not review:
        return []
    flags = review.get("flags")
    if flags is None:
        flags = review.get("items")
    return [f for f in flags if isinstance(f, dict)] if isinstance(flags, list) else []


def _option_labels(q: Any) -> dict[Any, str]:
    out: dict[Any, str] = {o.value: o.label for o in q.options if o.label}
    out.update({plain_number(r.value): r.label for r in q.rubric if r.label})
    return out


def dashboard_data(dataset: Dataset, *, title: str | None = None, schema: AnnotationSchema | None = None,
                   reference: Dataset | None = None, wanted: int | None = None, bootstrap: int = 500,
                   seed: int = 0, top: int = 200, merge_strategy: str = "majority", bins: int = 5,
                   review: Any = True, include_accepted: bool = False) -> dict[str, Any]:
    """Every figure the dashboard shows, read from ``labelloop.quality`` (nothing is computed here).

    People's annotations that are model predictions accepted unchanged (``labelloop.data.provenance``) are
    left out of agreement, the merged label, the review and each person's figures (answer distribution,
    accuracy against the merged label, position bias) unless ``include_accepted``; completion and throughput
    count them (the work was submitted). The overview counts them (``accepted_predictions``) and a note says
    what was done with them.
    """
    from labelloop.data.provenance import count_accepted, independent_view
    from labelloop.quality.activity import annotator_activity, completion, distribution, kind_counts, throughput
    from labelloop.quality.agreement import agreement
    from labelloop.quality.alpha import alpha_reading
    from labelloop.quality.models import accuracy_against_merged, calibration, merged_dataset
    from labelloop.quality.position_bias import first_pick_rates
    from labelloop.quality.questions import resolve
    from labelloop.quality.stat import check_interval

    if reference is not None:
        dataset = add_reference(dataset, reference)
    check_interval(bootstrap, 0.95)  # the one check of agreement's interval parameters, before any work
    notes: list[str] = []
    kinds = kind_counts(dataset)
    try:
        qs, inferred = resolve(dataset, schema, None, ("human", "prediction", "reference", "aggregate"))
    except LabelloopError as exc:
        qs, inferred = [], True
        notes.append(str(exc))
    sch = schema or dataset.schema or AnnotationSchema(name="inferred", questions=qs)
    if inferred and qs:
        notes.append("The dataset has no schema; question types were inferred from the values.")
    report = (agreement(dataset, schema=sch, bootstrap=bootstrap, seed=seed, include_accepted=include_accepted)
              if qs else None)
    merged, merged_how = merged_dataset(dataset, merge_strategy, include_accepted=include_accepted)
    accepted = count_accepted(dataset)
    people_view, _ = independent_view(dataset, include_accepted)  # a person's own answers, for their figures
    merged_people, _ = independent_view(merged, include_accepted)
    if accepted:
        notes.append(f"{accepted} human annotation(s) are model predictions accepted unchanged; "
                     + ("they count as their annotators' answers (--include-accepted-predictions)." if include_accepted
                        else "agreement, the merged label, the review and each person's figures leave them out as no "
                             "person's independent answer (count them with --include-accepted-predictions)."))
    measured = [q for q in qs if q.type not in ("text", "span")]
    questions = []
    for q in qs:
        qa = report.question(q.name).to_dict() if report else {}
        prim = (qa.get("stats") or {}).get("alpha") or {}
        dist = {k: distribution(people_view.samples, q, (k,)) for k in ("human", "reference", "prediction", "aggregate")
                if kinds[k]}
        labels = _option_labels(q)
        for d in dist.values():
            for v in d["values"]:
                label = labels.get(v["value"]) if isinstance(v["value"], (str, int, float)) else None
                if label and label != str(v["value"]):
                    v["label"] = label
        questions.append({
            "question": q.name, "title": q.title, "type": q.type, "per_candidate": q.per_candidate,
            "level": qa.get("level"), "alpha": prim.get("value"), "alpha_ci": prim.get("ci"),
            "alpha_items": prim.get("n_items"), "alpha_undefined": prim.get("undefined"),
            "reading": alpha_reading(prim.get("value")) if prim else None,
            "distribution": dist,
            "accuracy_merged": accuracy_against_merged(merged_people, q) if q in measured else [],
            "calibration": calibration(merged.samples, q, bins=bins) if q in measured else [],
            "position_bias": first_pick_rates(people_view.samples, q),
        })
    sentence, worst = _alpha_sentence([q for q in questions if q["type"] not in ("text", "span")])
    if kinds["human"] == 0:
        sentence = "No agreement figure yet: nobody has labelled these samples."
    disagreements = []
    if report:
        for qa in report.questions:
            for d in qa.disagreements:
                disagreements.append({"question": qa.question, **d})
    disagreements.sort(key=lambda d: -d["disagreement"])
    shown = disagreements[:top]
    by_id = dataset.by_id()
    samples = {}
    for d in shown:
        s = by_id.get(d["sample_id"])
        if s is not None and s.id not in samples:
            samples[s.id] = {"prompt": [{"role": m.role, "content": m.content} for m in s.prompt],
                             "candidates": [{"id": c.id, "model": c.model, "content": c.content} for c in s.candidates]}
    review_out = _review(dataset, sch, review, include_accepted)
    flag_counts = _flag_counts(review_out)
    if review_out and len(review_flags(review_out)) > top:  # the page lists the most severe; the counts use them all
        kept = sorted(review_flags(review_out), key=lambda f: -float(f.get("severity") or 0.0))[:top]
        review_out = {k: v for k, v in review_out.items() if k not in ("flags", "items", "annotators")}
        review_out.update(flags=kept, flags_total=sum(flag_counts.values()))
    people = annotator_activity(dataset)
    for p in people:
        p["review_flags"] = flag_counts.get(p["annotator"], 0) if review_out and "error" not in review_out else None
    gold = (report.to_dict().get("gold") or []) if report else []
    by_gold = {g["annotator"]: g for g in gold}
    for p in people:
        if p["annotator"] in by_gold:
            p["gold"] = by_gold[p["annotator"]]
    flagged = [g["annotator"] for g in gold if g["below"]]
    if flagged:
        notes.append(f"Below {gold[0]['threshold']:.0%} on the hidden gold samples: {', '.join(flagged)} (see "
                     "Annotators); their answers there are checks, not labels.")
    if kinds["human"] == 0:
        notes.insert(0, "No human annotations yet: the page shows the labels there are "
                     f"({', '.join(f'{n} {k}' for k, n in kinds.items() if n) or 'none'}).")
    return {
        "title": title or f"{dataset.name}: annotation dashboard",
        "dataset": dataset.name,
        "schema": sch.name if sch else None,
        "options": {"bootstrap": bootstrap, "seed": seed, "wanted": wanted, "merge": merge_strategy, "bins": bins,
                    "top": top, "include_accepted": include_accepted},
        "overview": {"samples": len(dataset.samples), "annotations": kinds, "completion": completion(dataset, wanted),
                     "accepted_predictions": accepted,
                     "alpha_sentence": sentence, "worst_question": worst,
                     "models": sorted({a.annotator for s in dataset.samples for a in s.annotations
                                       if a.kind == "prediction"})},
        "annotators": people,
        **({"gold": gold} if gold else {}),  # each person on a plan's hidden gold samples
        "questions": questions,
        "agreement": report.to_dict(top) if report else None,
        "merged": merged_how,
        "disagreements": shown,
        "disagreements_total": len(disagreements),
        "samples": samples,
        "throughput": throughput(dataset),
        "leaderboard": model_leaderboard(dataset, sch, bootstrap, seed, include_accepted),
        "judges": judges_data(dataset, sch, kinds, bootstrap, seed, merge_strategy, include_accepted),
        "review": review_out,
        "notes": notes,
    }


def model_leaderboard(dataset: Dataset, schema: AnnotationSchema | None, rounds: int, seed: int,
                      include_accepted: bool = False) -> dict[str, Any] | None:
    """The leaderboard of the models that wrote the candidates (``labelloop.quality.leaderboard``), from the
    first of human, aggregate, reference or prediction votes the dataset has; None when fewer than two models
    wrote candidates; ``{"reason": …}`` when they cannot be ranked."""
    from labelloop.quality.leaderboard import leaderboard

    models = {c.model for s in dataset.samples for c in s.candidates if c.model}
    if len(models) < 2:
        return None
    try:
        return leaderboard(dataset, schema=schema, rounds=rounds, seed=seed,
                           include_accepted=include_accepted).to_dict()
    except LabelloopError as exc:
        return {"reason": str(exc)}


def judges_data(dataset: Dataset, schema: AnnotationSchema | None, kinds: dict[str, int], bootstrap: int, seed: int,
                merge_strategy: str, include_accepted: bool = False) -> dict[str, Any] | None:
    """Whether each model that pre-labelled can stand in for people, per subset (``labelloop.quality.judges``);
    None unless the dataset has both people's and models' answers."""
    from labelloop.quality.judges import judge_agreement

    if not kinds.get("human") or not kinds.get("prediction"):
        return None
    try:
        return judge_agreement(dataset, schema=schema, bootstrap=bootstrap, seed=seed, merge_strategy=merge_strategy,
                               include_accepted=include_accepted)
    except LabelloopError as exc:
        return {"question": None, "judges": [], "reason": str(exc)}


def value_text(v: Any) -> str:
    """A value as one text: a string as it is, anything else as JSON."""
    if isinstance(v, str):
        return v
    return json.dumps(v, ensure_ascii=False)


def completion_text(comp: dict[str, Any], complete: str) -> str:
    """The completion sentence; ``complete`` is the count as each rendering prints it (a figure on the page)."""
    if comp["wanted"] <= 0:
        return f"Completion: no human answer yet on any of the {comp['samples']} samples."
    return (f"Completion: {complete} of {comp['samples']} samples have {comp['wanted']} submitted human answer(s) "
            f"({percent(comp['complete_share'])}); {comp['started']} started, {comp['untouched']} untouched.")
