"""What a review finds and how it is shown: the thresholds of the checks, the report, its Markdown."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from labelloop.errors import LabelloopError
from labelloop.markdown import code, escape

KINDS = ("contradiction", "prediction_disagreement", "majority_disagreement", "too_fast", "straight_lining",
         "position_bias")
TITLES = {
    "contradiction": "Answers that contradict each other",
    "prediction_disagreement": "Disagreement with the pre-label",
    "majority_disagreement": "Disagreement with the other annotators",
    "too_fast": "Implausibly short time",
    "straight_lining": "Straight-lining",
    "position_bias": "Same screen position",
}


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
    accepted_predictions: int = 0
    include_accepted: bool = False
    gold: list[dict[str, Any]] = field(default_factory=list)  # each person on a plan's hidden gold samples

    def summary(self) -> dict[str, Any]:
        by_kind = Counter(f["kind"] for f in self.flags)
        flagged = {(f["annotator"], f["sample_id"]) for f in self.flags if f.get("sample_id") is not None}
        return {"dataset": self.dataset, "samples": self.samples, "human_annotations": self.human_annotations,
                "annotators": len(self.annotators), "flags": len(self.flags),
                "by_kind": {k: int(by_kind.get(k, 0)) for k in KINDS}, "flagged_annotations": len(flagged),
                "flagged_annotators": sorted({f["annotator"] for f in self.flags}),
                "median_lead_time_s": self.median_lead_time_s, "fast_threshold_s": self.fast_threshold_s,
                "explanations": self.explanations, "accepted_predictions": self.accepted_predictions,
                "include_accepted": self.include_accepted}

    def to_dict(self) -> dict[str, Any]:
        return {"dataset": self.dataset, "schema": self.schema, "options": asdict(self.options),
                "summary": self.summary(), "annotators": self.annotators, "flags": self.flags,
                **({"gold": self.gold} if self.gold else {})}

    def to_markdown(self, per_kind: int = 50) -> str:
        s = self.summary()
        # every piece of data (names, ids, values, an LLM's words) goes through _cell or code(): a reviewer's
        # Markdown viewer renders HTML, links and images
        lines = [f"# Annotation review: {_cell(self.dataset)}", "",
                 f"{s['human_annotations']} human annotations by {s['annotators']} annotators on {s['samples']} "
                 f"samples (schema {_cell(self.schema)}); {s['flags']} flags on {s['flagged_annotations']} "
                 "annotations.", ""]
        if self.accepted_predictions:
            lines += [f"{self.accepted_predictions} of them are model predictions accepted unchanged: "
                      + ("checked as the annotators' own answers." if self.include_accepted else
                         "left out of the prediction, majority, straight-lining and position checks."), ""]
        if self.fast_threshold_s is not None:
            lines += [f"Median time per task {self.median_lead_time_s:.1f} s; under {self.fast_threshold_s:.1f} s "
                      "counts as too fast.", ""]
        if self.explanations is not None:
            e = self.explanations
            lines += [f"LLM explanations ({_cell(e['annotator'])}): {e['explained']} of {e['asked']} disagreements "
                      f"explained, {e['failed']} failed, {e['cached']} from cache.", ""]
        if self.gold:
            lines += ["## Hidden gold checks", "", "| annotator | right | checked | accuracy | 95% interval | below |",
                      "|---|---|---|---|---|---|"]
            lines += [f"| {_cell(g['annotator'])} | {g['correct']} | {g['total']} | {g['accuracy']:.0%} | "
                      f"{g['low']:.0%}–{g['high']:.0%} | {'yes' if g['below'] else 'no'} |"
                      for g in self.gold if g.get("accuracy") is not None]
            lines += [""]
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


def review_options(**options: Any) -> ReviewOptions:
    """The options checked once, whichever front end passed them (unknown names and bad ranges refused)."""
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
