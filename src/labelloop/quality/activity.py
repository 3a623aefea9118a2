"""Where a project stands: annotations by kind, completion, each annotator's work and time, throughput
per day, and the distribution of answers per question.

These are counts, not agreement, but every report (the dashboard, ``--json``) reads them from here so
that no page computes a figure of its own. Times are the annotations' own (``updated_at`` or
``created_at``, set when the person labelled, and ``lead_time_s``), never an export's.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta, timezone
from typing import Any

import numpy as np

from labelloop.data.model import Annotation, DataSample, Dataset
from labelloop.data.schema import Question
from labelloop.data.timestamps import EARLIEST, last_changed
from labelloop.quality.units import collect, latest_by_annotator

KINDS = ("human", "prediction", "reference", "aggregate")
STATUSES = ("submitted", "skipped", "flagged", "draft")
MAX_FILLED_DAYS = 400  # throughput lists every day between the first and the last, up to this many


def kind_counts(dataset: Dataset) -> dict[str, int]:
    """Annotations by kind (every kind listed, zeros included)."""
    c = Counter(a.kind for s in dataset.samples for a in s.annotations)
    return {k: int(c.get(k, 0)) for k in KINDS}


def human_annotators(dataset: Dataset) -> list[str]:
    return sorted({a.annotator for s in dataset.samples for a in s.annotations if a.kind == "human"})


def latest_any_status(sample: DataSample, kind: str = "human") -> dict[str, Annotation]:
    """Each annotator's latest annotation of the sample whatever its status (skips and flags count here)."""
    best: dict[str, tuple[tuple, Annotation]] = {}
    for pos, ann in enumerate(sample.annotations):
        if ann.kind != kind:
            continue
        ts = last_changed(ann)
        key = (ts is not None, ts or EARLIEST, pos)
        if ann.annotator not in best or key >= best[ann.annotator][0]:
            best[ann.annotator] = (key, ann)
    return {name: ann for name, (_, ann) in best.items()}


def completion(dataset: Dataset, wanted: int | None = None) -> dict[str, Any]:
    """How many samples reached ``wanted`` submitted human annotations (default: one per human annotator)."""
    people = human_annotators(dataset)
    target = int(wanted) if wanted is not None else len(people)
    per_sample = [len(latest_by_annotator(s, ("human",))) for s in dataset.samples]
    n = len(per_sample)
    complete = sum(c >= target for c in per_sample) if target > 0 else 0
    by_count = Counter(per_sample)
    return {"samples": n, "annotators": len(people), "wanted": target, "complete": int(complete),
            "complete_share": (complete / n) if n and target > 0 else None,
            "started": int(sum(c > 0 for c in per_sample)), "untouched": int(sum(c == 0 for c in per_sample)),
            "by_count": [{"annotations": k, "samples": int(by_count[k])} for k in sorted(by_count)]}


def annotator_activity(dataset: Dataset) -> list[dict[str, Any]]:
    """Per person: tasks by status (a sample they submitted counts as submitted, otherwise the status of
    their latest annotation of it), median and total time on
    submitted tasks, and the first and last time they labelled."""
    rows: dict[str, dict[str, Any]] = {}
    times: dict[str, list[float]] = defaultdict(list)
    for s in dataset.samples:
        done = latest_by_annotator(s, ("human",))  # a submitted answer counts even if a draft came later
        for name, ann in {**latest_any_status(s), **done}.items():
            r = rows.setdefault(name, {"annotator": name, **{st: 0 for st in STATUSES}, "first": None, "last": None})
            r[ann.status] += 1
            if ann.status == "submitted" and ann.lead_time_s is not None:
                times[name].append(float(ann.lead_time_s))
            ts = last_changed(ann)
            if ts is not None:
                iso = ts.isoformat()
                r["first"] = iso if r["first"] is None or iso < r["first"] else r["first"]
                r["last"] = iso if r["last"] is None or iso > r["last"] else r["last"]
    out = []
    for name in sorted(rows):
        r = rows[name]
        t = times.get(name, [])
        r["timed"] = len(t)
        r["median_time_s"] = float(statistics.median(t)) if t else None
        r["total_time_s"] = float(sum(t)) if t else None
        out.append(r)
    return out


def _day(ts: datetime) -> date:
    return ts.astimezone(timezone.utc).date()


def throughput(dataset: Dataset) -> dict[str, Any]:
    """Submitted human tasks per day (UTC) and per annotator, every day from the first to the last
    listed (zeros included); tasks with no time are counted as ``undated``."""
    per_day: dict[date, Counter] = defaultdict(Counter)
    undated: Counter = Counter()
    for s in dataset.samples:
        for name, ann in latest_by_annotator(s, ("human",)).items():
            ts = last_changed(ann)
            if ts is None:
                undated[name] += 1
            else:
                per_day[_day(ts)][name] += 1
    people = sorted({n for c in per_day.values() for n in c} | set(undated))
    days = sorted(per_day)
    if days and (days[-1] - days[0]).days < MAX_FILLED_DAYS:
        days = [days[0] + timedelta(d) for d in range((days[-1] - days[0]).days + 1)]
    rows = [{"day": d.isoformat(), "total": int(sum(per_day[d].values())),
             "by_annotator": {n: int(per_day[d][n]) for n in people if per_day[d][n]}} for d in days]
    totals = {n: int(sum(c[n] for c in per_day.values())) for n in people}
    active = [r for r in rows if r["total"]]
    return {"days": rows, "annotators": people, "per_annotator": totals, "undated": dict(undated),
            "active_days": len(active),
            "mean_per_active_day": (sum(r["total"] for r in active) / len(active)) if active else None}


def _plain(v: Any) -> Any:
    return list(v) if isinstance(v, tuple) else v


def distribution(samples: Sequence[DataSample], question: Question, kinds: Sequence[str] = ("human",)
                 ) -> dict[str, Any]:
    """How often each value was given (every value on the question's scale listed, unused ones at 0).

    Per-candidate questions count every (sample, candidate) answer; a ranking counts its first place.
    """
    if question.type in ("text", "span"):
        n = sum(1 for s in samples for a in latest_by_annotator(s, kinds).values()
                if a.values.get(question.name) not in (None, "", []))
        return {"question": question.name, "kinds": list(kinds), "answers": n, "values": []}
    ratings = collect(samples, question, kinds=kinds)
    if question.type == "ranking":
        firsts = Counter(v[0] for v in (ratings.categories[c] for c in ratings.code) if len(v))
        cands: list[Any] = []
        for s in samples:
            cands += [x for x in question.allowed_values([c.id for c in s.candidates]) if x not in cands]
            if len(cands) > 50:
                break
        order = cands + sorted((k for k in firsts if k not in cands), key=str)
        values = [{"value": k, "count": int(firsts.get(k, 0))} for k in order]
        return {"question": question.name, "kinds": list(kinds), "answers": len(ratings), "values": values,
                "counts": "first place"}
    counts = np.bincount(ratings.code, minlength=ratings.n_categories) if len(ratings) else np.zeros(0, int)
    seen = {ratings.categories[i]: int(counts[i]) for i in range(ratings.n_categories)}
    order = list(ratings.scale) if ratings.scale and len(ratings.scale) <= 50 else []
    order += [c for c in ratings.categories if c not in order]
    values = [{"value": _plain(c), "count": seen.get(c, 0)} for c in order]
    return {"question": question.name, "kinds": list(kinds), "answers": len(ratings), "values": values}
