"""Review of human work: flags the annotations that deserve a second look, with the evidence behind each.

Five checks, each with a threshold option:
- ``prediction_disagreement``: a person's answer strongly differs from a confident pre-label (kind prediction);
- ``majority_disagreement``: it differs from a clear majority of the other annotators (the merged label of
  ``labelloop.quality.merge``; the item's disagreement score comes from ``labelloop.quality.agreement``);
- ``too_fast``: less time spent than ``max(min_seconds, fast_ratio × median)``;
- ``straight_lining``: the same answer (or the same screen position) on ``straight_run`` tasks in a row;
- ``position_bias``: one screen position picked far more often than chance (exact one-sided binomial
  test, Bonferroni-corrected over the positions).

A flag is a reason to look, not a verdict. With a provider, each disagreement gets an LLM's explanation,
cached like pre-labels; when the call fails the flag says so and carries no explanation.
"""

from __future__ import annotations

import asyncio
import json
import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timezone
from typing import Any

from labelloop.assist.cache import AnswerCache, cache_key
from labelloop.assist.llm.base import WORKER_CLIENT, Provider
from labelloop.assist.prompt import View, describe_question, display_labels, load_json_reply, shuffled_order
from labelloop.data.model import Annotation, DataSample, Dataset
from labelloop.data.preference import canonical
from labelloop.data.schema import AnnotationSchema, Question
from labelloop.errors import LabelloopError, ProviderError
from labelloop.markdown import code, escape
from labelloop.quality.alpha import jaccard_distance
from labelloop.quality.units import latest_by_annotator, set_value

REVIEW_VERSION = "review-v1"
KINDS = ("prediction_disagreement", "majority_disagreement", "too_fast", "straight_lining", "position_bias")
TITLES = {
    "prediction_disagreement": "Disagreement with the pre-label",
    "majority_disagreement": "Disagreement with the other annotators",
    "too_fast": "Implausibly short time",
    "straight_lining": "Straight-lining",
    "position_bias": "Same screen position",
}
UNCOMPARED = ("text", "span")
LIKELY = ("annotator", "other", "unclear")
EXPLAIN_SYSTEM = (
    "You review human annotations of AI assistant answers. You get the task, the answers (refer to them only by "
    "their labels A, B, …), one question and two conflicting answers to it. Explain in one to three sentences the "
    "most likely reason they differ and which one looks right. Reply with one JSON object and nothing else: "
    '{"explanation": "<text>", "likely_right": "annotator" | "other" | "unclear"}.'
)


@dataclass
class ReviewOptions:
    """Thresholds of the checks; the defaults are meant to flag little on honest work."""

    min_seconds: float = 3.0
    fast_ratio: float = 0.25
    straight_run: int = 10
    position_alpha: float = 0.01
    position_min_answers: int = 10
    prediction_min_score: float = 0.7
    rating_gap: float = 2.0
    min_annotators: int = 3
    concurrency: int = 8
    max_attempts: int = 2
    max_explanations: int | None = None
    seed: int = 0


@dataclass
class ReviewReport:
    dataset: str
    schema: str
    options: ReviewOptions
    samples: int
    human_annotations: int
    median_lead_time_s: float | None
    fast_threshold_s: float | None
    annotators: list[dict[str, Any]]
    flags: list[dict[str, Any]]
    explanations: dict[str, Any] | None = None

    def summary(self) -> dict[str, Any]:
        by_kind = Counter(f["kind"] for f in self.flags)
        flagged = {(f["annotator"], f["sample_id"]) for f in self.flags if f.get("sample_id") is not None}
        return {"dataset": self.dataset, "samples": self.samples, "human_annotations": self.human_annotations,
                "annotators": len(self.annotators), "flags": len(self.flags),
                "by_kind": {k: int(by_kind.get(k, 0)) for k in KINDS}, "flagged_annotations": len(flagged),
                "flagged_annotators": sorted({f["annotator"] for f in self.flags}),
                "median_lead_time_s": self.median_lead_time_s, "fast_threshold_s": self.fast_threshold_s,
                "explanations": self.explanations}

    def to_dict(self) -> dict[str, Any]:
        return {"dataset": self.dataset, "schema": self.schema, "options": asdict(self.options),
                "summary": self.summary(), "annotators": self.annotators, "flags": self.flags}

    def to_markdown(self, per_kind: int = 50) -> str:
        s = self.summary()
        # every piece of data (names, ids, values, an LLM's words) goes through _cell or code(): a reviewer's
        # Markdown viewer renders HTML, links and images
        lines = [f"# Annotation review: {_cell(self.dataset)}", "",
                 f"{s['human_annotations']} human annotations by {s['annotators']} annotators on {s['samples']} "
                 f"samples (schema {_cell(self.schema)}); {s['flags']} flags on {s['flagged_annotations']} "
                 "annotations.", ""]
        if self.fast_threshold_s is not None:
            lines += [f"Median time per task {self.median_lead_time_s:.1f} s; under {self.fast_threshold_s:.1f} s "
                      "counts as too fast.", ""]
        if self.explanations is not None:
            e = self.explanations
            lines += [f"LLM explanations ({_cell(e['annotator'])}): {e['explained']} of {e['asked']} disagreements "
                      f"explained, {e['failed']} failed, {e['cached']} from cache.", ""]
        lines += ["| check | flags |", "|---|---|"]
        lines += [f"| {TITLES[k]} | {s['by_kind'][k]} |" for k in KINDS]
        lines += ["", "## Annotators", "",
                  "| annotator | annotations | flags | median time (s) | too fast | vs pre-label | vs majority |",
                  "|---|---|---|---|---|---|---|"]
        for a in self.annotators:
            med = "" if a["median_lead_time_s"] is None else f"{a['median_lead_time_s']:.1f}"
            lines.append(f"| {_cell(a['annotator'])} | {a['annotations']} | {a['flags']} | {med} | {a['too_fast']} | "
                         f"{a['prediction_disagreements']}/{a['prediction_comparisons']} | "
                         f"{a['majority_disagreements']}/{a['majority_comparisons']} |")
        for kind in KINDS:
            group = [f for f in self.flags if f["kind"] == kind]
            if not group:
                continue
            lines += ["", f"## {TITLES[kind]} ({len(group)})", ""]
            for f in group[:per_kind]:
                where = f"{code(f['sample_id'])} · " if f.get("sample_id") is not None else ""
                q = f" · {_cell(f['question'])}" if f.get("question") else ""
                line = f"- {where}**{_cell(f['annotator'])}**{q}: {_cell(f['detail'])}"
                if f.get("explanation"):
                    line += f" _Explanation ({_cell(f['explanation']['likely_right'])} likely right):_ " \
                            f"{_cell(f['explanation']['text'])}"
                elif f.get("explanation_error"):
                    line += f" _(no explanation: {_cell(f['explanation_error'])})_"
                lines.append(line)
            if len(group) > per_kind:
                lines.append(f"- … and {len(group) - per_kind} more in the JSON report.")
        return "\n".join(lines) + "\n"


def _cell(text: Any) -> str:
    """Data text as one inert line of Markdown (also a table cell)."""
    return escape(text)


# ---------------------------------------------------------------------- comparing answers
def _short(v: Any) -> str:
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
            return f"{mine:g} vs {other:g}"
        return None
    if q.type == "multi_choice" and isinstance(mine, list) and isinstance(other, list):
        a, b = set_value(mine), set_value(other)
        if (a or b) and jaccard_distance(a, b) >= 0.5:
            return f"{_short(mine)} vs {_short(other)}"
        return None
    if q.type == "ranking" and isinstance(mine, list) and isinstance(other, list):
        if mine and other and mine[0] != other[0]:
            return f"top {mine[0]} vs {other[0]}"
        return None
    if canonical(mine) != canonical(other):
        return f"{_short(mine)} vs {_short(other)}"
    return None


def _num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def shown_order(ann: Annotation) -> list[str] | None:
    """The candidate ids in screen order, as the offline annotator and the Label Studio pull record them."""
    for v in (ann.metadata.get("order"), (ann.metadata.get("labelstudio") or {}).get("order")):
        if isinstance(v, list) and v:
            return [str(x) for x in v]
    return None


# ---------------------------------------------------------------------- statistics
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


# ---------------------------------------------------------------------- the checks
@dataclass
class _Work:
    """One person's latest submitted annotation of one sample."""

    index: int
    sample: DataSample
    annotator: str
    ann: Annotation


def _stamp(ann: Annotation) -> datetime | None:
    ts = ann.created_at or ann.updated_at
    if ts is not None and ts.tzinfo is None:
        ts = ts.replace(tzinfo=timezone.utc)
    return ts


def _compared(schema: AnnotationSchema) -> list[Question]:
    return [q for q in schema.questions if q.type not in UNCOMPARED]


def _check_predictions(work: list[_Work], qs: list[Question], o: ReviewOptions, flags: list[dict[str, Any]],
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
                              "detail": f"answered {_short(mine)}; pre-label by {pname} "
                                        f"(score {'?' if pred.score is None else format(pred.score, '.2f')}) "
                                        f"answered {_short(theirs)} ({why})",
                              "answer": mine, "other": theirs, "other_by": pname, "other_score": pred.score,
                              "model_version": pred.model_version})


def _check_majority(dataset: Dataset, schema: AnnotationSchema, work: list[_Work], qs: list[Question],
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
                              "detail": f"answered {_short(value)}{cand}; the merged label of {n} annotators is "
                                        f"{_short(d.value)} ({how})",
                              "answer": value, "other": d.value, "other_by": f"merged label of {n} annotators",
                              "other_score": d.confidence, "item_disagreement": score})


def _check_time(work: list[_Work], o: ReviewOptions, flags: list[dict[str, Any]],
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
            return ("position", display_labels(len(pos))[pos[v]]) if v in pos else None
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
    return _short(list(key) if isinstance(key, tuple) else key)


def _check_runs(work: list[_Work], qs: list[Question], o: ReviewOptions, flags: list[dict[str, Any]],
                stats: dict[str, Counter]) -> dict[str, dict[str, int]]:
    longest: dict[str, dict[str, int]] = defaultdict(dict)
    floor = datetime.min.replace(tzinfo=timezone.utc)
    by_person: dict[str, list[_Work]] = defaultdict(list)
    for w in work:
        by_person[w.annotator].append(w)
    for name, items in by_person.items():
        items.sort(key=lambda w: (_stamp(w.ann) or floor, w.index))
        for q in qs:
            seq = [(w, _run_key(q, w.ann.values.get(q.name), w.sample, shown_order(w.ann))) for w in items]
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


def _check_positions(work: list[_Work], qs: list[Question], o: ReviewOptions, flags: list[dict[str, Any]],
                     stats: dict[str, Counter]) -> dict[str, dict[str, Any]]:
    tables: dict[tuple[str, str, int], Counter] = defaultdict(Counter)
    for w in work:
        order = shown_order(w.ann)
        if not order or len(order) < 2:
            continue
        for q in qs:
            if not q.options_from_candidates or q.type not in ("single_choice", "ranking") or q.per_candidate:
                continue
            v = w.ann.values.get(q.name)
            picked = v[0] if q.type == "ranking" and isinstance(v, list) and v else v
            if isinstance(picked, str) and picked in order:
                tables[(w.annotator, q.name, len(order))][order.index(picked)] += 1
    summary: dict[str, dict[str, Any]] = defaultdict(dict)
    for (name, qname, n), counts in sorted(tables.items()):
        total = sum(counts.values())
        labels = display_labels(n)
        k, hits = max(sorted(counts.items()), key=lambda kv: kv[1])
        p = binomial_sf(hits, total, 1.0 / n)
        p_adj = min(1.0, p * n)
        row = {"candidates": n, "answers": total, "counts": {labels[i]: int(counts.get(i, 0)) for i in range(n)},
               "most_picked": labels[k], "share": hits / total, "chance": 1.0 / n, "p_value": p, "p_adjusted": p_adj}
        summary[name].setdefault(qname, []).append(row)
        if total >= o.position_min_answers and p_adj < o.position_alpha:
            stats[name]["position_bias"] += 1
            flags.append({"kind": "position_bias", "annotator": name, "sample_id": None, "question": qname,
                          "severity": -math.log10(max(p_adj, 1e-300)), **row,
                          "detail": f"picked answer {labels[k]} on screen {hits} of {total} times with {n} answers "
                                    f"shown (chance {1 / n:.2f}; binomial p = {p_adj:.2g} after Bonferroni)"})
    return summary


# ---------------------------------------------------------------------- LLM explanations
def _as_labels(q: Question, v: Any, view: View) -> Any:
    lab = view.label_of
    if q.per_candidate and isinstance(v, dict):
        return {lab.get(k, k): x for k, x in v.items()}
    if not q.options_from_candidates:
        return v
    if isinstance(v, list):
        return [lab.get(x, x) if isinstance(x, str) else x for x in v]
    return lab.get(v, v) if isinstance(v, str) else v


def explain_message(schema: AnnotationSchema, sample: DataSample, flag: dict[str, Any], seed: int) -> str:
    """The user turn asking why one disagreement happened; candidates under seeded display labels."""
    view = View(shuffled_order(sample, seed))
    labels = display_labels(len(view.order))
    q = schema.question(flag["question"])
    parts: list[str] = []
    if schema.guidelines.strip():
        parts.append("## Guidelines\n" + schema.guidelines.strip())
    if len(sample.prompt) > 1:
        parts.append("## Conversation\n" + "\n\n".join(f"[{m.role}]\n{m.content}" for m in sample.prompt))
    elif sample.prompt:
        parts.append("## Prompt\n" + sample.prompt[0].content)
    if view.order:
        parts.append("## Answers\n" + "\n\n".join(
            f'<answer label="{lab}">\n{(sample.candidate(cid).content if sample.candidate(cid) else "")}\n</answer>'
            for cid, lab in zip(view.order, labels)))
    shown = q
    if flag.get("candidate_id") is not None:
        shown = q.model_copy(update={"per_candidate": False})
        parts.append(f"The question is asked of answer {view.label_of.get(flag['candidate_id'], '?')}.")
    parts.append("## Question\n" + describe_question(shown, labels))
    mine = _as_labels(shown, flag["answer"], view)
    other = _as_labels(shown, flag["other"], view)
    parts.append(f"## Disagreement\nThe annotator answered: {_short(mine)}\n"
                 f"The other side ({flag['other_by']}) answered: {_short(other)}")
    parts.append('Reply with the JSON object only: {"explanation": ..., "likely_right": ...}.')
    return "\n\n".join(parts)


EXPLAIN_SCHEMA = {
    "type": "object",
    "properties": {"explanation": {"type": "string"}, "likely_right": {"type": "string", "enum": list(LIKELY)}},
    "required": ["explanation", "likely_right"],
}


def parse_explanation(text: str) -> tuple[dict[str, str] | None, str | None]:
    obj, problem = load_json_reply(text)
    if problem:
        return None, problem
    if not isinstance(obj, dict):
        return None, "the reply must be a JSON object"
    expl, likely = obj.get("explanation"), obj.get("likely_right")
    if not isinstance(expl, str) or not expl.strip():
        return None, '"explanation" must be a non-empty string'
    if likely not in LIKELY:
        return None, f'"likely_right" must be one of {list(LIKELY)}, not {likely!r}'
    return {"text": expl.strip(), "likely_right": likely}, None


def _usable_hit(rec: Any) -> dict[str, Any] | None:
    """A cached explanation as ``_explain`` reads it, or ``None`` (a miss) for a failure or a record whose shape
    is not what :func:`parse_explanation` makes: the cache file is ours, but it may be hand-edited or damaged."""
    if not isinstance(rec, dict) or rec.get("status") != "ok":
        return None
    expl, version = rec.get("explanation"), rec.get("model_version")
    if not isinstance(expl, dict) or not isinstance(expl.get("text"), str) or not expl["text"].strip() \
            or not isinstance(expl.get("likely_right"), str) or expl["likely_right"] not in LIKELY \
            or not (version is None or isinstance(version, str)):
        return None
    return {"status": "ok", "explanation": {"text": expl["text"], "likely_right": expl["likely_right"]},
            "model_version": version}


async def _explain_all(jobs: dict[str, str], provider: Provider, cache: AnswerCache, o: ReviewOptions,
                       on_progress: Callable[[int, int], None] | None) -> tuple[dict[str, dict[str, Any]], Counter]:
    """key -> finished record for every distinct prompt; valid answers go to the cache as they arrive."""
    done: dict[str, dict[str, Any]] = {}
    counts: Counter = Counter()
    pending = []
    for key, user in jobs.items():
        hit = _usable_hit(cache.get(key))  # an older cache's failures, or a mangled record, are asked again
        if hit is not None:
            done[key] = hit
            counts["cached"] += 1
        else:
            pending.append((key, user))
    if on_progress:
        on_progress(len(done), len(jobs))
    queue: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
    for item in pending:
        queue.put_nowait(item)

    async def one(user: str) -> dict[str, Any]:
        messages = [{"role": "user", "content": user}]
        rec: dict[str, Any] = {"calls": 0, "input_tokens": 0, "output_tokens": 0}
        problem = ""
        for _ in range(max(1, o.max_attempts)):
            res = await provider.complete(EXPLAIN_SYSTEM, messages, EXPLAIN_SCHEMA)
            rec["calls"] += 1
            rec["input_tokens"] += res.input_tokens
            rec["output_tokens"] += res.output_tokens
            parsed, problem = parse_explanation(res.text)
            if parsed is not None:
                return {**rec, "status": "ok", "explanation": parsed, "model_version": res.model_version}
            messages += [{"role": "assistant", "content": res.text or "(empty)"},
                         {"role": "user", "content": f"Your answer cannot be used: {problem}. Reply again with the "
                                                     "corrected JSON object only."}]
        return {**rec, "status": "failed", "reason": f"no usable explanation after {rec['calls']} attempts: {problem}"}

    async def worker() -> None:
        async with provider.new_client() as client:
            WORKER_CLIENT.set(client)
            while True:
                try:
                    key, user = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                try:
                    rec = await one(user)
                    if rec["status"] == "ok":  # a failure is not kept: a rerun asks again
                        cache.put(key, rec)
                except ProviderError as exc:
                    if exc.fatal:
                        raise
                    rec = {"status": "error", "reason": str(exc), "calls": 0, "input_tokens": 0, "output_tokens": 0}
                for k in ("calls", "input_tokens", "output_tokens"):
                    counts[k] += rec[k]
                done[key] = rec
                if on_progress:
                    on_progress(len(done), len(jobs))

    if pending:
        provider.concurrency = max(1, o.concurrency)
        async with provider:
            tasks = [asyncio.create_task(worker()) for _ in range(min(provider.concurrency, len(pending)))]
            try:
                await asyncio.gather(*tasks)
            finally:
                for t in tasks:
                    t.cancel()
    return done, counts


def _explain(flags: list[dict[str, Any]], dataset: Dataset, schema: AnnotationSchema, provider: Provider,
             cache: AnswerCache, o: ReviewOptions, on_progress: Callable[[int, int], None] | None) -> dict[str, Any]:
    by_id = dataset.by_id()
    wanted = [f for f in flags if f["kind"] in ("prediction_disagreement", "majority_disagreement")]
    if o.max_explanations is not None:
        wanted = sorted(wanted, key=lambda f: -f["severity"])[:max(0, o.max_explanations)]
    jobs: dict[str, str] = {}
    for f in wanted:
        user = explain_message(schema, by_id[f["sample_id"]], f, o.seed)
        f["_key"] = cache_key(v=REVIEW_VERSION, provider=provider.name, base_url=provider.base_url,
                              model=provider.model, temperature=provider.temperature, system=EXPLAIN_SYSTEM,
                              user=user)
        jobs[f["_key"]] = user
    done, counts = asyncio.run(_explain_all(jobs, provider, cache, o, on_progress)) if jobs else ({}, Counter())
    explained = failed = 0
    for f in wanted:
        rec = done.get(f.pop("_key"))
        if rec is not None and rec.get("status") == "ok":
            f["explanation"] = {**rec["explanation"], "by": provider.annotator,
                                "model_version": rec.get("model_version")}
            explained += 1
        else:
            f["explanation"] = None
            f["explanation_error"] = (rec or {}).get("reason", "not asked")
            failed += 1
    return {"annotator": provider.annotator, "asked": len(wanted), "prompts": len(jobs), "explained": explained,
            "failed": failed, "cached": int(counts["cached"]), "calls": int(counts["calls"]),
            "input_tokens": int(counts["input_tokens"]), "output_tokens": int(counts["output_tokens"]),
            "cost_usd": provider.cost(int(counts["input_tokens"]), int(counts["output_tokens"]))}


# ---------------------------------------------------------------------- the front door
def review_options(**options: Any) -> ReviewOptions:
    known = {f.name for f in fields(ReviewOptions)}
    unknown = sorted(set(options) - known)
    if unknown:
        raise LabelloopError(f"Unknown review option {unknown[0]!r}; known: {', '.join(sorted(known))}.")
    o = ReviewOptions(**{k: v for k, v in options.items() if v is not None})
    if o.straight_run < 2 or o.position_min_answers < 1 or o.min_annotators < 2:
        raise LabelloopError("Review thresholds out of range: straight_run needs at least 2, min_annotators at "
                             "least 2 and position_min_answers at least 1.")
    if not 0 < o.position_alpha < 1:
        raise LabelloopError(f"position_alpha must lie between 0 and 1, not {o.position_alpha}.")
    return o


def review_dataset(dataset: Dataset, *, schema: AnnotationSchema | None = None, provider: Provider | None = None,
                   cache: AnswerCache | None = None, on_progress: Callable[[int, int], None] | None = None,
                   **options: Any) -> ReviewReport:
    """Flag suspicious human annotations of ``dataset``; ``options`` are the fields of :class:`ReviewOptions`."""
    from labelloop.quality.questions import resolve

    o = review_options(**options)
    qs_all, inferred = resolve(dataset, schema, None, ("human",))
    sch = schema or dataset.schema or AnnotationSchema(name="inferred", questions=qs_all)
    qs = _compared(sch)
    work = [_Work(i, s, name, ann) for i, s in enumerate(dataset.samples)
            for name, ann in sorted(latest_by_annotator(s, ("human",)).items())]
    flags: list[dict[str, Any]] = []
    stats: dict[str, Counter] = defaultdict(Counter)
    agree: dict[str, dict[str, Any]] = {}
    _check_predictions(work, qs, o, flags, stats)
    _check_majority(dataset, sch, work, qs, o, flags, stats, agree)
    median, threshold = _check_time(work, o, flags, stats)
    longest = _check_runs(work, qs, o, flags, stats)
    positions = _check_positions(work, qs, o, flags, stats)
    explanations = None
    if provider is not None:
        explanations = _explain(flags, dataset, sch, provider, cache if cache is not None else AnswerCache(None), o,
                                on_progress)
    per_flag = Counter(f["annotator"] for f in flags)
    annotators = []
    for name in sorted({w.annotator for w in work}):
        mine = [w for w in work if w.annotator == name]
        times = [float(w.ann.lead_time_s) for w in mine if w.ann.lead_time_s is not None]
        st = stats[name]
        annotators.append({
            "annotator": name, "annotations": len(mine), "flags": int(per_flag[name]), "timed": len(times),
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
                        explanations=explanations)
