"""The project dashboard: where an annotation project stands and whether its labels can be trusted.

``dashboard_data`` gathers every figure from ``labelloop.quality`` (agreement, activity, models) into one
JSON-able dict; the HTML page and the Markdown are two renderings of that dict and compute nothing of
their own. The page is one self-contained file: charts are inline SVG drawn here, all data text is
escaped here (or set with ``textContent`` by the page's script), the data is embedded as JSON that
cannot close its ``<script>`` element, and a Content-Security-Policy forbids every request.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import math
from importlib import resources
from pathlib import Path
from typing import Any

from labelloop.data.io import atomic_open
from labelloop.data.model import Annotation, Dataset
from labelloop.data.schema import AnnotationSchema
from labelloop.errors import LabelloopError
from labelloop.markdown import clean
from labelloop.markdown import escape as md_escape

FORMATS = ("html", "md")
THRESHOLDS = {"reliable": 0.8, "tentative": 0.667}
REVIEW_COLUMNS = ("kind", "annotator", "sample_id", "question", "candidate_id", "severity", "detail")
MAX_SERIES = 8  # colours for annotators in stacked charts; more share the last ones
FOLD_CELL = 1000  # characters of a long table cell shown before its "Show all" (the script folds texts at 4,000)


# ====================================================================== data
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


def _review(dataset: Dataset, schema: AnnotationSchema | None, review: Any) -> dict[str, Any] | None:
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
        return review_dataset(dataset, schema=schema).to_dict()
    except LabelloopError as exc:
        return {"error": str(exc)}


def _flag_counts(review: dict[str, Any] | None) -> dict[str, int]:
    counts: dict[str, int] = {}
    for f in _flags(review):
        who = f.get("annotator")
        if isinstance(who, str):
            counts[who] = counts.get(who, 0) + 1
    return counts


def _flags(review: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not review:
        return []
    flags = review.get("flags")
    if flags is None:
        flags = review.get("items")
    return [f for f in flags if isinstance(f, dict)] if isinstance(flags, list) else []


def _option_labels(q: Any) -> dict[Any, str]:
    out: dict[Any, str] = {o.value: o.label for o in q.options if o.label}
    out.update({(int(r.value) if float(r.value).is_integer() else r.value): r.label for r in q.rubric if r.label})
    return out


def dashboard_data(dataset: Dataset, *, title: str | None = None, schema: AnnotationSchema | None = None,
                   reference: Dataset | None = None, wanted: int | None = None, bootstrap: int = 500,
                   seed: int = 0, top: int = 200, merge_strategy: str = "majority", bins: int = 5,
                   review: Any = True) -> dict[str, Any]:
    """Every figure the dashboard shows, read from ``labelloop.quality`` (nothing is computed here)."""
    from labelloop.quality.activity import annotator_activity, completion, distribution, kind_counts, throughput
    from labelloop.quality.agreement import agreement
    from labelloop.quality.alpha import alpha_reading
    from labelloop.quality.models import accuracy_against_merged, calibration, merged_dataset, position_bias
    from labelloop.quality.questions import resolve

    if reference is not None:
        dataset = add_reference(dataset, reference)
    if bootstrap < 0:
        raise LabelloopError(f"bootstrap must be 0 or more, not {bootstrap}.")
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
    report = agreement(dataset, schema=sch, bootstrap=bootstrap, seed=seed) if qs else None
    merged, merged_how = merged_dataset(dataset, merge_strategy)
    measured = [q for q in qs if q.type not in ("text", "span")]
    questions = []
    for q in qs:
        qa = report.question(q.name).to_dict() if report else {}
        prim = (qa.get("stats") or {}).get("alpha") or {}
        dist = {k: distribution(dataset.samples, q, (k,)) for k in ("human", "reference", "prediction", "aggregate")
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
            "accuracy_merged": accuracy_against_merged(merged, q) if q in measured else [],
            "calibration": calibration(merged.samples, q, bins=bins) if q in measured else [],
            "position_bias": position_bias(dataset.samples, q),
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
    review_out = _review(dataset, sch, review)
    flag_counts = _flag_counts(review_out)
    if review_out and len(_flags(review_out)) > top:  # the page lists the most severe; the counts use them all
        kept = sorted(_flags(review_out), key=lambda f: -float(f.get("severity") or 0.0))[:top]
        review_out = {k: v for k, v in review_out.items() if k not in ("flags", "items", "annotators")}
        review_out.update(flags=kept, flags_total=sum(flag_counts.values()))
    people = annotator_activity(dataset)
    for p in people:
        p["review_flags"] = flag_counts.get(p["annotator"], 0) if review_out and "error" not in review_out else None
    if kinds["human"] == 0:
        notes.insert(0, "No human annotations yet: the page shows the labels there are "
                     f"({', '.join(f'{n} {k}' for k, n in kinds.items() if n) or 'none'}).")
    return {
        "title": title or f"{dataset.name}: annotation dashboard",
        "dataset": dataset.name,
        "schema": sch.name if sch else None,
        "options": {"bootstrap": bootstrap, "seed": seed, "wanted": wanted, "merge": merge_strategy, "bins": bins,
                    "top": top},
        "overview": {"samples": len(dataset.samples), "annotations": kinds, "completion": completion(dataset, wanted),
                     "alpha_sentence": sentence, "worst_question": worst,
                     "models": sorted({a.annotator for s in dataset.samples for a in s.annotations
                                       if a.kind == "prediction"})},
        "annotators": people,
        "questions": questions,
        "agreement": report.to_dict(top) if report else None,
        "merged": merged_how,
        "disagreements": shown,
        "disagreements_total": len(disagreements),
        "samples": samples,
        "throughput": throughput(dataset),
        "review": review_out,
        "notes": notes,
    }


# ====================================================================== formatting
def _e(v: Any) -> str:
    """Text as HTML: escaped, and without the C0 controls (NUL…) that have no place in a page."""
    return html.escape(clean(v), quote=True)


def _folded(v: Any, limit: int = FOLD_CELL) -> str:
    """A cell's text, escaped; a long one shows its start and keeps the rest hidden (hidden text costs the browser
    no layout) behind a "Show all" button that the page's script opens."""
    text = clean(v)
    if len(text) <= limit:
        return _e(text)
    return (f'<span class="fold">{_e(text[:limit])}<span class="fold-rest" hidden>{_e(text[limit:])}</span>'
            f'<button type="button" class="show-all noprint">Show all {len(text):,} characters</button></span>')


def fmt(v: Any, digits: int = 3) -> str:
    """How a figure is printed on the page and in Markdown (tests parse it back)."""
    if v is None:
        return "—"
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v)


def fmt_time(s: float | None) -> str:
    if s is None:
        return "—"
    if s < 120:
        return f"{s:.1f} s"
    return f"{s / 60:.1f} min"


def value_text(v: Any) -> str:
    if isinstance(v, str):
        return v
    return json.dumps(v, ensure_ascii=False)


def _fig(key: str, v: Any, digits: int = 3) -> str:
    """A figure with its exact value in ``data-value`` (for tests and copy-paste) and its printed text."""
    raw = "" if v is None else json.dumps(v)
    return f'<span class="fig" data-fig="{_e(key)}" data-value="{_e(raw)}">{_e(fmt(v, digits))}</span>'


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{100 * v:.1f}%"


# ====================================================================== SVG
def _bars_svg(rows: list[tuple[str, float, str]], *, width: int = 460, label_w: int = 140, css: str = "bar") -> str:
    """Horizontal bars: (label, value, printed value); bar length relative to the largest value."""
    h = 22
    top = max((v for _, v, _ in rows), default=0) or 1
    out = [f'<svg class="chart" role="img" viewBox="0 0 {width} {h * len(rows) + 4}" '
           f'width="{width}" height="{h * len(rows) + 4}">']
    span = width - label_w - 60
    for i, (label, v, text) in enumerate(rows):
        y = i * h + 2
        w = max(0.0, v / top * span)
        short = label if len(label) <= 22 else label[:21] + "…"
        out.append(f'<text class="lbl" x="{label_w - 6}" y="{y + 15}" text-anchor="end"><title>{_e(label)}</title>'
                   f'{_e(short)}</text>')
        out.append(f'<rect class="{css}" x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{h - 6}" rx="2"/>')
        out.append(f'<text class="num" x="{label_w + w + 5:.1f}" y="{y + 15}">{_e(text)}</text>')
    out.append("</svg>")
    return "".join(out)


def _kappa_class(k: float | None) -> str:
    if k is None:
        return "kx"
    for i, edge in enumerate((0.0, 0.2, 0.4, 0.6, 0.8)):
        if k < edge:
            return f"k{i}"
    return "k5"


def _heatmap_svg(question: str, annotators: list[str], pairs: list[dict[str, Any]], weights: str = "none") -> str:
    """Cohen's kappa for each pair, with the number of items the two share."""
    cell = 64
    longest = max((min(len(a), 16) for a in annotators), default=4)
    lab = 16 + 7 * longest
    top = 14 + 5 * longest
    n = len(annotators)
    by = {}
    for p in pairs:
        by[(p["a"], p["b"])] = by[(p["b"], p["a"])] = p
    w, h = lab + cell * n + 4 + 5 * longest, top + cell * n + 4
    out = [f'<svg class="chart heat" role="img" viewBox="0 0 {w} {h}" width="{w}" height="{h}">']
    for i, a in enumerate(annotators):
        short = a if len(a) <= 16 else a[:15] + "…"
        out.append(f'<text class="lbl" x="{lab - 6}" y="{top + i * cell + cell / 2 + 4}" text-anchor="end">'
                   f'<title>{_e(a)}</title>{_e(short)}</text>')
        x = lab + i * cell + cell / 2
        out.append(f'<text class="lbl" transform="translate({x - 4},{top - 6}) rotate(-40)"><title>{_e(a)}</title>'
                   f'{_e(short)}</text>')
    for i, a in enumerate(annotators):
        for j, b in enumerate(annotators):
            x, y = lab + j * cell, top + i * cell
            if i == j:
                out.append(f'<rect class="kdiag" x="{x}" y="{y}" width="{cell - 2}" height="{cell - 2}"/>')
                continue
            p = by.get((a, b))
            if p is None:
                out.append(f'<rect class="kx" x="{x}" y="{y}" width="{cell - 2}" height="{cell - 2}"><title>'
                           f'{_e(a)} and {_e(b)} share no item</title></rect>')
                out.append(f'<text class="cell" x="{x + cell / 2 - 1}" y="{y + cell / 2 + 4}" '
                           'text-anchor="middle">n=0</text>')
                continue
            k = p[weights]["value"]
            tip = f"{a} vs {b}: kappa {fmt(k)} on {p['shared_items']} shared items"
            key = f"kappa/{question}/{a}/{b}"
            out.append(f'<rect class="{_kappa_class(k)}" x="{x}" y="{y}" width="{cell - 2}" height="{cell - 2}" '
                       f'data-fig="{_e(key)}" data-value="{_e(json.dumps(k))}" data-shared="{p["shared_items"]}">'
                       f'<title>{_e(tip)}</title></rect>')
            out.append(f'<text class="cell" x="{x + cell / 2 - 1}" y="{y + cell / 2 - 2}" text-anchor="middle">'
                       f'{_e(fmt(k, 2))}</text>')
            out.append(f'<text class="cell sub" x="{x + cell / 2 - 1}" y="{y + cell / 2 + 13}" text-anchor="middle">'
                       f'n={p["shared_items"]}</text>')
    out.append("</svg>")
    return "".join(out)


def _alpha_svg(questions: list[dict[str, Any]]) -> str:
    """Alpha per question on a common axis with the 0.667 and 0.800 thresholds and the interval."""
    rows = [q for q in questions if q["type"] not in ("text", "span")]
    lo = min([0.0] + [q["alpha"] for q in rows if q["alpha"] is not None]
             + [q["alpha_ci"][0] for q in rows if q["alpha_ci"]])
    lo = math.floor(lo * 5) / 5
    width, lab, h = 600, 150, 26
    span = width - lab - 70
    height = h * len(rows) + 30

    def x(v: float) -> float:
        return lab + (v - lo) / (1.0 - lo) * span

    out = [f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="{width}" height="{height}">']
    for edge, cls in ((THRESHOLDS["tentative"], "thr"), (THRESHOLDS["reliable"], "thr")):
        out.append(f'<line class="{cls}" x1="{x(edge):.1f}" x2="{x(edge):.1f}" y1="0" y2="{height - 18}"/>')
        out.append(f'<text class="axis" x="{x(edge):.1f}" y="{height - 4}" text-anchor="middle">{edge:.3f}</text>')
    for tick in (lo, 1.0):
        out.append(f'<text class="axis" x="{x(tick):.1f}" y="{height - 4}" text-anchor="middle">{tick:.1f}</text>')
    for i, q in enumerate(rows):
        y = i * h + 4
        name = q["question"] if len(q["question"]) <= 20 else q["question"][:19] + "…"
        out.append(f'<text class="lbl" x="{lab - 6}" y="{y + 15}" text-anchor="end"><title>{_e(q["question"])}'
                   f'</title>{_e(name)}</text>')
        a = q["alpha"]
        if a is None:
            out.append(f'<text class="num" x="{lab}" y="{y + 15}">undefined</text>')
            continue
        cls = {"reliable": "ok", "tentative": "warn"}.get(q["reading"], "bad")
        x0 = x(max(lo, 0.0)) if a >= 0 else x(a)
        out.append(f'<rect class="{cls}" x="{min(x0, x(a)):.1f}" y="{y + 4}" width="{abs(x(a) - x0):.1f}" '
                   f'height="{h - 10}" rx="2"/>')
        if q["alpha_ci"]:
            c0, c1 = q["alpha_ci"]
            yc = y + h / 2 - 1
            out.append(f'<line class="ci" x1="{x(c0):.1f}" x2="{x(c1):.1f}" y1="{yc}" y2="{yc}"/>')
        out.append(f'<text class="num" x="{lab + span + 12}" y="{y + 15}">{_e(fmt(a))}</text>')
    out.append("</svg>")
    return "".join(out)


def _throughput_svg(tp: dict[str, Any]) -> str:
    days, people = tp["days"], tp["annotators"]
    if not days:
        return ""
    width, height, left, bottom = max(360, min(900, 40 + 22 * len(days))), 200, 36, 40
    top = max(d["total"] for d in days) or 1
    bw = (width - left - 10) / len(days)
    out = [f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="{width}" height="{height}">']
    plot = height - bottom - 10
    out.append(f'<text class="axis" x="{left - 4}" y="14" text-anchor="end">{top}</text>')
    out.append(f'<line class="axisline" x1="{left}" x2="{width - 8}" y1="{10 + plot}" y2="{10 + plot}"/>')
    every = max(1, math.ceil(len(days) / 12))
    for i, d in enumerate(days):
        x0 = left + i * bw
        y = 10 + plot
        for j, name in enumerate(people):
            n = d["by_annotator"].get(name, 0)
            if not n:
                continue
            hgt = n / top * plot
            y -= hgt
            out.append(f'<rect class="s{min(j, MAX_SERIES - 1)}" x="{x0 + 1:.1f}" y="{y:.1f}" width="{bw - 2:.1f}" '
                       f'height="{hgt:.1f}"><title>{_e(d["day"])}: {_e(name)} {n}</title></rect>')
        if i % every == 0:
            out.append(f'<text class="axis" transform="translate({x0 + bw / 2:.1f},{height - bottom + 14}) '
                       f'rotate(30)">{_e(d["day"][5:])}</text>')
    out.append("</svg>")
    return "".join(out)


def _calibration_svg(model: dict[str, Any]) -> str:
    size, pad = 220, 30
    span = size - 2 * pad

    def px(v: float) -> float:
        return pad + v * span

    def py(v: float) -> float:
        return size - pad - v * span

    out = [f'<svg class="chart" role="img" viewBox="0 0 {size} {size}" width="{size}" height="{size}">',
           f'<rect class="frame" x="{pad}" y="{pad}" width="{span}" height="{span}"/>',
           f'<line class="thr" x1="{px(0)}" y1="{py(0)}" x2="{px(1)}" y2="{py(1)}"/>',
           f'<text class="axis" x="{size / 2}" y="{size - 6}" text-anchor="middle">score</text>',
           f'<text class="axis" transform="translate(12,{size / 2}) rotate(-90)" text-anchor="middle">accuracy</text>']
    pts = [b for b in model["bins"] if b["n"]]
    if len(pts) > 1:
        path = " ".join(f"{px(b['mean_score']):.1f},{py(b['accuracy']):.1f}" for b in pts)
        out.append(f'<polyline class="calline" points="{path}"/>')
    for b in pts:
        r = 3 + 5 * math.sqrt(b["n"] / model["items"])
        out.append(f'<circle class="s0" cx="{px(b["mean_score"]):.1f}" cy="{py(b["accuracy"]):.1f}" r="{r:.1f}">'
                   f'<title>scores {b["lo"]:.1f}–{b["hi"]:.1f}: {b["n"]} answers, accuracy {fmt(b["accuracy"])}'
                   f'</title></circle>')
    out.append("</svg>")
    return "".join(out)


# ====================================================================== HTML
def _static(name: str) -> str:
    return (resources.files("labelloop.report") / "static" / name).read_text(encoding="utf-8")


def _sha(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


def _table(head: list[str], rows: list[list[str]], cls: str = "") -> str:
    """A table whose cells are already escaped HTML."""
    th = "".join(f"<th>{_e(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f'<div class="scroll"><table class="{cls}"><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table></div>'


def _completion_text(comp: dict[str, Any], complete: str) -> str:
    if comp["wanted"] <= 0:
        return f"Completion: no human answer yet on any of the {comp['samples']} samples."
    return (f"Completion: {complete} of {comp['samples']} samples have {comp['wanted']} submitted human answer(s) "
            f"({_pct(comp['complete_share'])}); {comp['started']} started, {comp['untouched']} untouched.")


def _overview_html(data: dict[str, Any]) -> str:
    ov = data["overview"]
    comp = ov["completion"]
    share = comp["complete_share"]
    kinds = ", ".join(f"{_fig('annotations/' + k, n)} {_e(k)}" for k, n in ov["annotations"].items())
    cards = [
        ("samples", _fig("samples", ov["samples"])),
        ("annotators", _fig("annotators", comp["annotators"])),
        ("complete", f"{_fig('complete', comp['complete'])} of {comp['samples']}"),
        ("models", _e(str(len(ov["models"])))),
    ]
    card_html = "".join(f'<div class="card"><div class="big">{v}</div><div class="cap">{_e(k)}</div></div>'
                        for k, v in cards)
    width = 0.0 if share is None else share * 100
    bar = (f'<svg class="progress" viewBox="0 0 100 6" preserveAspectRatio="none" width="100%" height="10" role="img">'
           f'<rect class="track" x="0" y="0" width="100" height="6"/><rect class="ok" x="0" y="0" '
           f'width="{width:.2f}" height="6"/></svg>')
    reading_cls = "bad" if ov["annotations"]["human"] else "warn"
    worst = ov["worst_question"]
    if worst is not None:
        q = next(q for q in data["questions"] if q["question"] == worst)
        reading_cls = {"reliable": "ok", "tentative": "warn"}.get(q["reading"], "bad")
    parts = [f'<div class="cards">{card_html}</div>',
             f'<p>Annotations by kind: {kinds}.</p>',
             f"<p>{_completion_text(comp, _fig('complete', comp['complete']))}</p>{bar}",
             f'<p class="reading {reading_cls}" id="alpha-reading">{_e(ov["alpha_sentence"])}</p>']
    measured = [q for q in data["questions"] if q["type"] not in ("text", "span")]
    if any(q["alpha"] is not None for q in measured):
        parts.append(_alpha_svg(measured))
    rows = []
    for q in measured:
        ci = q["alpha_ci"]
        rows.append([_e(q["question"]), _e(q["type"]), _e(q["level"] or "—"),
                     _fig(f"alpha/{q['question']}", q["alpha"]),
                     (f"{_e(fmt(ci[0]))} – {_e(fmt(ci[1]))}" if ci else "—"), _e(fmt(q["alpha_items"])),
                     _e(q["reading"] if q["alpha"] is not None else (q["alpha_undefined"] or "no answers"))])
    if rows:
        level = data["options"]["bootstrap"]
        parts.append(_table(["question", "type", "level", "Krippendorff's alpha",
                             f"95% interval ({level} bootstrap)" if level else "interval", "items", "reading"], rows))
    return "".join(parts)


def _annotators_html(data: dict[str, Any]) -> str:
    people = data["annotators"]
    if not people:
        return "<p>No human annotations yet.</p>"
    has_review = any(p["review_flags"] is not None for p in people)
    head = ["annotator", "done", "skipped", "flagged", "draft", "median time", "timed", "first", "last"]
    head += ["review flags"] if has_review else []
    rows = []
    for p in people:
        a = p["annotator"]
        r = [_e(a), _fig(f"done/{a}", p["submitted"]), _fig(f"skipped/{a}", p["skipped"]),
             _fig(f"flagged/{a}", p["flagged"]), _e(p["draft"]),
             f'<span data-fig="{_e("median_time/" + a)}" data-value="{_e(json.dumps(p["median_time_s"]))}">'
             f'{_e(fmt_time(p["median_time_s"]))}</span>', _e(p["timed"]),
             _e((p["first"] or "—")[:16].replace("T", " ")), _e((p["last"] or "—")[:16].replace("T", " "))]
        if has_review:
            r.append(_e(fmt(p["review_flags"])))
        rows.append(r)
    out = [_table(head, rows)]
    agree = (data.get("agreement") or {}).get("questions", [])
    by_q = {q["question"]: q for q in data["questions"]}
    rows = []
    for qa in agree:
        acc_ref = {r["annotator"]: r for r in qa["accuracy"] if r["kind"] == "human"}
        acc_m = {r["annotator"]: r for r in by_q[qa["question"]]["accuracy_merged"] if r["kind"] == "human"}
        per = {r["annotator"]: r for r in qa["per_annotator"]}
        for name in qa["annotators"]:
            if name not in per and name not in acc_ref:
                continue
            r = per.get(name, {})
            q = qa["question"]
            rows.append([_e(name), _e(q), _fig(f"agreement_with_others/{q}/{name}", r.get("agreement_with_others")),
                         _fig(f"mean_pair_kappa/{q}/{name}", r.get("mean_pair_kappa")),
                         _fig(f"alpha_without/{q}/{name}", r.get("alpha_without")),
                         _fig(f"accuracy_reference/{q}/{name}", acc_ref.get(name, {}).get("accuracy")),
                         _e(acc_ref.get(name, {}).get("items", "—")),
                         _fig(f"accuracy_merged/{q}/{name}", acc_m.get(name, {}).get("accuracy")),
                         _e(acc_m.get(name, {}).get("items", "—"))])
    if rows:
        out.append("<h3>Agreement and accuracy by question</h3>")
        out.append(f'<p class="muted">Merged label: {_e(data["merged"])} (it includes the annotator\'s own vote). '
                   "Alpha without: the question's alpha with that annotator left out; higher than the question's "
                   "alpha means the others agree better without them.</p>")
        out.append(_table(["annotator", "question", "agreement with others", "mean pair kappa", "alpha without",
                           "accuracy vs reference", "items", "accuracy vs merged", "items"], rows))
    return "".join(out)


def _questions_html(data: dict[str, Any]) -> str:
    from labelloop.quality.render import LABELS

    agree = {q["question"]: q for q in (data.get("agreement") or {}).get("questions", [])}
    out = []
    for q in data["questions"]:
        name = q["question"]
        qa = agree.get(name, {})
        title = f' — {_e(q["title"])}' if q["title"] else ""
        out.append(f'<article class="question" id="q-{_e(name)}"><h3>{_e(name)}{title} <span class="muted">'
                   f'({_e(q["type"])}{", per candidate" if q["per_candidate"] else ""}'
                   f'{", level " + _e(q["level"]) if q["level"] else ""})</span></h3>')
        charts = []
        for kind, dist in q["distribution"].items():
            if not dist["values"]:
                if dist["answers"]:
                    out.append(f"<p>{_e(kind)}: {dist['answers']} answer(s) (free text: not charted).</p>")
                continue
            if not dist["answers"]:
                continue
            what = " (first place)" if dist.get("counts") == "first place" else ""
            charts.append(f'<div><h4>{_e(kind)} answers{_e(what)}: {dist["answers"]}</h4>')
            charts.append(_bars_svg([(value_text(v["value"]) + (f" · {v['label']}" if v.get("label") else ""),
                                   v["count"], str(v["count"])) for v in dist["values"]],
                                  width=400, css=f"bar {kind}") + "</div>")
        if charts:
            out.append(f'<div class="row">{"".join(charts)}</div>')
        if qa.get("stats"):
            rows = []
            for key, st in qa["stats"].items():
                label = "Krippendorff's alpha (" + (qa["level"] or "") + ")" if key == "alpha" else LABELS.get(key, key)
                rows.append([_e(label), _fig(f"stat/{name}/{key}", st["value"]),
                             _e(f"{fmt(st['ci'][0])} – {fmt(st['ci'][1])}" if st.get("ci") else "—"),
                             _e(st["n_items"]), _e(st.get("undefined") or "")])
            for lv, st in qa["alpha"].items():
                if lv != qa["level"]:
                    rows.append([_e(f"Krippendorff's alpha ({lv})"), _fig(f"alpha_level/{name}/{lv}", st["value"]),
                                 "—", _e(st["n_items"]), _e(st.get("undefined") or "")])
            out.append(_table(["coefficient", "value", "interval", "items", "note"], rows))
        if qa.get("pairs"):
            weights = "quadratic" if "quadratic" in qa["pairs"][0] else "none"
            how = ", quadratic weights" if weights == "quadratic" else ""
            out.append(f"<h4>Cohen's kappa per pair of annotators (n = shared items{how})</h4>")
            out.append(_heatmap_svg(name, qa["annotators"], qa["pairs"], weights))
            out.append('<p class="legend"><span class="sw k0"></span>&lt; 0 <span class="sw k1"></span>0–0.2 '
                       '<span class="sw k2"></span>0.2–0.4 <span class="sw k3"></span>0.4–0.6 '
                       '<span class="sw k4"></span>0.6–0.8 <span class="sw k5"></span>≥ 0.8 '
                       '<span class="sw kx"></span>undefined</p>')
        for n in qa.get("notes", []):
            out.append(f'<p class="muted">note: {_e(n)}</p>')
        out.append("</article>")
    return "".join(out) or "<p>No questions to show.</p>"


def _models_html(data: dict[str, Any]) -> str:
    models = data["overview"]["models"]
    agree = {q["question"]: q for q in (data.get("agreement") or {}).get("questions", [])}
    out = []
    rows = []
    for q in data["questions"]:
        name = q["question"]
        ref = {r["annotator"]: r for r in agree.get(name, {}).get("accuracy", []) if r["kind"] == "prediction"}
        merged = {r["annotator"]: r for r in q["accuracy_merged"] if r["kind"] == "prediction"}
        for m in models:
            if m not in ref and m not in merged:
                continue
            rows.append([_e(m), _e(name), _fig(f"model_accuracy_people/{name}/{m}", merged.get(m, {}).get("accuracy")),
                         _e(merged.get(m, {}).get("items", "—")),
                         _fig(f"model_accuracy_reference/{name}/{m}", ref.get(m, {}).get("accuracy")),
                         _e(ref.get(m, {}).get("items", "—"))])
    if not models:
        out.append("<p>No pre-labelling model (annotations of kind prediction) in this dataset.</p>")
    elif rows:
        out.append(_table(["model", "question", "accuracy vs people (merged)", "items", "accuracy vs reference",
                           "items"], rows))
    for q in data["questions"]:
        for m in q["calibration"]:
            name = q["question"]
            out.append(f'<div class="calib"><h4>Calibration: {_e(m["annotator"])} on {_e(name)}</h4>'
                       f'<p>{m["items"]} scored answers against {_e(" / ".join(m["truth"]))}; accuracy '
                       f'{_fig("calibration_accuracy/" + name + "/" + m["annotator"], m["accuracy"])}, mean score '
                       f'{_fig("calibration_score/" + name + "/" + m["annotator"], m["mean_score"])}, expected '
                       f'calibration error {_fig("ece/" + name + "/" + m["annotator"], m["ece"])}.</p>'
                       f'<div class="row">{_calibration_svg(m)}')
            out.append(_table(["score bin", "answers", "mean score", "accuracy"],
                              [[_e(f"{b['lo']:.1f}–{b['hi']:.1f}"), _e(b["n"]), _e(fmt(b["mean_score"])),
                                _e(fmt(b["accuracy"]))] for b in m["bins"]]) + "</div></div>")
    bias_rows = []
    for q in data["questions"]:
        for r in q["position_bias"]:
            key = f"{q['question']}/{r['annotator']}"
            bias_rows.append([_e(r["annotator"]), _e(r["kind"]), _e(q["question"]), _e(r["items"]),
                              _fig(f"first_picked/{key}", r["first_picked"]),
                              _fig(f"first_rate/{key}", r["first_rate"]),
                              _fig(f"chance/{key}", r["chance"]), _e(fmt(r["last_rate"]))])
    out.append("<h3>Position bias</h3>")
    if bias_rows:
        out.append('<p class="muted">How often the candidate shown first was picked, against chance '
                   "(1 / number of candidates shown). Far above chance means people or models pick by position.</p>")
        out.append(_table(["who", "kind", "question", "answers", "first picked", "rate", "chance", "last-shown rate"],
                          bias_rows))
    else:
        out.append("<p>No answer recorded the order its candidates were shown in.</p>")
    return "".join(out)


def _disagreements_html(data: dict[str, Any]) -> str:
    rows = data["disagreements"]
    if not rows:
        return "<p>No disagreement: no item has two people giving different answers.</p>"
    out = [f'<p>{len(rows)} of {data["disagreements_total"]} disagreed items, most disagreed first '
           "(0 = full agreement, about 1 = what random answers would give). Click a row for the prompt and "
           'candidates.</p><input id="dsearch" class="noprint" type="search" placeholder="Search sample, '
           'question, annotator, value, prompt…" aria-label="Search disagreements">']
    body = []
    for i, d in enumerate(rows):
        answers = "".join(f'<li><b>{_e(v["annotator"])}</b>: {_folded(value_text(v["value"]))}</li>'
                          for v in d["values"])
        body.append(f'<tr class="drow" data-i="{i}" tabindex="0"><td>{_e(d["sample_id"])}</td>'
                    f'<td>{_e(d["candidate_id"] or "")}</td><td>{_e(d["question"])}</td>'
                    f'<td>{_fig(f"disagreement/{i}", d["disagreement"])}</td>'
                    f'<td><ul class="answers">{answers}</ul></td></tr>')
    out.append('<div class="scroll"><table id="dtable"><thead><tr><th>sample</th><th>candidate</th><th>question</th>'
               f'<th>disagreement</th><th>answers</th></tr></thead><tbody>{"".join(body)}</tbody></table></div>')
    out.append('<p id="dcount" class="muted" aria-live="polite"></p>')
    return "".join(out)


def _throughput_html(data: dict[str, Any]) -> str:
    tp = data["throughput"]
    if not tp["days"]:
        und = sum(tp["undated"].values())
        return (f"<p>No submitted answer carries a time{f' ({und} undated)' if und else ''}: nothing to chart.</p>")
    legend = "".join(f'<span class="sw s{min(j, MAX_SERIES - 1)}"></span>{_e(n)} '
                     for j, n in enumerate(tp["annotators"]))
    out = [f"<p>{_fig('active_days', tp['active_days'])} active day(s), "
           f"{_fig('mean_per_active_day', tp['mean_per_active_day'], 1)} submitted tasks per active day (UTC days, "
           "from the annotations' own times).</p>", _throughput_svg(tp), f'<p class="legend">{legend}</p>']
    head = ["day", "total"] + tp["annotators"]
    rows = [[_e(d["day"]), _fig(f"day/{d['day']}", d["total"])] + [_e(d["by_annotator"].get(n, 0))
                                                                   for n in tp["annotators"]]
            for d in tp["days"]]
    rows.append(["<b>all</b>", _e(sum(tp["per_annotator"].values()))] + [_e(tp["per_annotator"][n])
                                                                           for n in tp["annotators"]])
    out.append(f"<details><summary>Per day and annotator</summary>{_table(head, rows)}</details>")
    if tp["undated"]:
        out.append(f'<p class="muted">Undated: {_e(", ".join(f"{k} {v}" for k, v in tp["undated"].items()))}.</p>')
    return "".join(out)


def _review_html(data: dict[str, Any]) -> str:
    rv = data["review"]
    if rv is None:
        return ""
    if "error" in rv:
        return f'<section id="review"><h2>Review flags</h2><p>Review not run: {_e(rv["error"])}</p></section>'
    flags = _flags(rv)
    if not flags:
        return '<section id="review"><h2>Review flags</h2><p>The review raised no flag.</p></section>'
    cols = [c for c in REVIEW_COLUMNS if any(c in f for f in flags)]
    if not cols:
        for f in flags:
            cols += [k for k, v in f.items() if k not in cols and not isinstance(v, (dict, list))]
        cols = cols[:8]
    rows = [[_folded(fmt(f.get(c)) if isinstance(f.get(c), float) else value_text(f.get(c) if f.get(c) is not None
                                                                                     else "")) for c in cols]
            for f in flags[:500]]
    by_kind = (rv.get("summary") or {}).get("by_kind") or {}
    kinds = ", ".join(f"{_e(k.replace('_', ' '))} {_e(n)}" for k, n in by_kind.items() if n)
    total = rv.get("flags_total", len(flags))
    listed = f" ({len(flags)} most severe listed)" if total > len(flags) else ""
    return (f'<section id="review"><h2>Review flags</h2><p>{total} flag(s){listed} from labelloop\'s review'
            f'{": " + kinds if kinds else ""}.</p>{_table(cols, rows)}</section>')


def build_dashboard(dataset: Dataset, *, title: str | None = None, **options: Any) -> str:
    """The dashboard as one self-contained HTML page (options as for ``dashboard_data``)."""
    data = options.pop("data", None) or dashboard_data(dataset, title=title, **options)
    return render_html(data)


def render_html(data: dict[str, Any]) -> str:
    from labelloop.annotate.html.generator import script_json

    css, js = _static("dashboard.css"), _static("dashboard.js")
    for name, text, closer in (("dashboard.js", js, "</script"), ("dashboard.css", css, "</style")):
        if closer in text.lower():  # pragma: no cover - guards our own static files
            raise RuntimeError(f"{name} contains {closer!r}")
    csp = "; ".join(["default-src 'none'", f"script-src 'sha256-{_sha(js)}'", f"style-src 'sha256-{_sha(css)}'",
                     "img-src data:", "base-uri 'none'", "form-action 'none'", "require-trusted-types-for 'script'",
                     "trusted-types 'none'"])
    notes = "".join(f'<p class="note">{_e(n)}</p>' for n in data["notes"])
    nav = [("overview", "Overview"), ("annotators", "Annotators"), ("questions", "Questions"), ("models", "Models"),
           ("disagreements", "Disagreements"), ("throughput", "Throughput")]
    review = _review_html(data)
    if review:
        nav.append(("review", "Review flags"))
    nav_html = "".join(f'<a href="#{k}">{_e(v)}</a>' for k, v in nav)
    sections = [
        ("overview", "Overview", _overview_html(data)),
        ("annotators", "Annotators", _annotators_html(data)),
        ("questions", "Questions", _questions_html(data)),
        ("models", "Models", _models_html(data)),
        ("disagreements", "Disagreements", _disagreements_html(data)),
        ("throughput", "Throughput", _throughput_html(data)),
    ]
    body = "".join(f'<section id="{k}"><h2>{_e(t)}</h2>{h}</section>' for k, t, h in sections)
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_e(csp)}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="color-scheme" content="light dark"><title>{_e(data["title"])}</title><style>{css}</style>'
        "</head><body>"
        f'<header><h1>{_e(data["title"])}</h1><p class="muted">Dataset {_e(data["dataset"])}'
        f'{" · schema " + _e(data["schema"]) if data["schema"] else ""} · made by labelloop</p>'
        f'<nav>{nav_html}<button id="theme" class="noprint" type="button">Dark / light</button></nav></header>'
        f"<main>{notes}{body}{review}</main>"
        f'<script type="application/json" id="dashboard-data">{script_json(data)}</script>'
        f"<script>{js}</script></body></html>\n"
    )


# ====================================================================== Markdown
def _md(v: Any) -> str:
    """Data text in the Markdown: inert (no HTML, link, image or table break), one line."""
    return md_escape(v if isinstance(v, str) else value_text(v))


def _md_table(head: list[str], rows: list[list[Any]]) -> list[str]:
    out = ["| " + " | ".join(_md(h) for h in head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(_md(c) for c in r) + " |" for r in rows]
    return out + [""]


def render_markdown(data: dict[str, Any]) -> str:
    ov, comp = data["overview"], data["overview"]["completion"]
    out = [f"# {_md(data['title'])}", "", f"Dataset {_md(data['dataset'])}"
           + (f", schema {_md(data['schema'])}" if data["schema"] else "") + ".", ""]
    out += [f"> {_md(n)}" for n in data["notes"]] + ([""] if data["notes"] else [])
    out += ["## Overview", "",
            f"- samples: {ov['samples']}; annotators: {comp['annotators']}; models: {len(ov['models'])}",
            "- annotations: " + ", ".join(f"{n} {k}" for k, n in ov["annotations"].items()),
            "- " + _completion_text(comp, str(comp["complete"])),
            f"- **{_md(ov['alpha_sentence'])}**", ""]
    measured = [q for q in data["questions"] if q["type"] not in ("text", "span")]
    if measured:
        out += _md_table(["question", "type", "level", "alpha", "interval", "items", "reading"],
                         [[q["question"], q["type"], q["level"] or "—", fmt(q["alpha"]),
                           f"{fmt(q['alpha_ci'][0])} – {fmt(q['alpha_ci'][1])}" if q["alpha_ci"] else "—",
                           fmt(q["alpha_items"]), q["reading"] if q["alpha"] is not None else
                           (q["alpha_undefined"] or "no answers")] for q in measured])
    out += ["## Annotators", ""]
    if data["annotators"]:
        out += _md_table(["annotator", "done", "skipped", "flagged", "draft", "median time", "review flags"],
                         [[p["annotator"], p["submitted"], p["skipped"], p["flagged"], p["draft"],
                           fmt_time(p["median_time_s"]), fmt(p["review_flags"])] for p in data["annotators"]])
    else:
        out += ["No human annotations yet.", ""]
    agree = {q["question"]: q for q in (data.get("agreement") or {}).get("questions", [])}
    rows = []
    for q in data["questions"]:
        qa = agree.get(q["question"], {})
        per = {r["annotator"]: r for r in qa.get("per_annotator", [])}
        ref = {r["annotator"]: r for r in qa.get("accuracy", []) if r["kind"] == "human"}
        mer = {r["annotator"]: r for r in q["accuracy_merged"] if r["kind"] == "human"}
        for name in qa.get("annotators", []):
            if name not in per and name not in ref:
                continue
            r = per.get(name, {})
            rows.append([name, q["question"], fmt(r.get("agreement_with_others")), fmt(r.get("mean_pair_kappa")),
                         fmt(r.get("alpha_without")), fmt(ref.get(name, {}).get("accuracy")),
                         fmt(mer.get(name, {}).get("accuracy"))])
    if rows:
        out += _md_table(["annotator", "question", "agreement with others", "mean pair kappa", "alpha without",
                          "accuracy vs reference", "accuracy vs merged"], rows)
    out += ["## Questions", ""]
    for q in data["questions"]:
        qa = agree.get(q["question"], {})
        out += [f"### {_md(q['question'])} ({q['type']}{', level ' + q['level'] if q['level'] else ''})", ""]
        for kind, dist in q["distribution"].items():
            if dist["values"] and dist["answers"]:
                out += [f"{kind} answers: " + ", ".join(f"{_md(value_text(v['value']))} {v['count']}"
                                                        for v in dist["values"]), ""]
        if qa.get("stats"):
            out += _md_table(["coefficient", "value", "items"],
                             [[k, fmt(st["value"]), st["n_items"]] for k, st in qa["stats"].items()])
        if qa.get("pairs"):
            out += _md_table(["a", "b", "shared items", "Cohen's kappa"],
                             [[p["a"], p["b"], p["shared_items"], fmt(p["none"]["value"])] for p in qa["pairs"]])
    out += ["## Models", ""]
    rows = []
    for q in data["questions"]:
        ref = {r["annotator"]: r for r in agree.get(q["question"], {}).get("accuracy", []) if r["kind"] == "prediction"}
        mer = {r["annotator"]: r for r in q["accuracy_merged"] if r["kind"] == "prediction"}
        for m in ov["models"]:
            if m in ref or m in mer:
                rows.append([m, q["question"], fmt(mer.get(m, {}).get("accuracy")),
                             fmt(ref.get(m, {}).get("accuracy"))])
    out += _md_table(["model", "question", "accuracy vs people", "accuracy vs reference"], rows) if rows else [
        "No pre-labelling model in this dataset.", ""]
    for q in data["questions"]:
        for m in q["calibration"]:
            out += [f"Calibration of {_md(m['annotator'])} on {_md(q['question'])}: accuracy {fmt(m['accuracy'])}, "
                    f"mean score {fmt(m['mean_score'])}, ECE {fmt(m['ece'])}", ""]
            out += _md_table(["score bin", "answers", "mean score", "accuracy"],
                             [[f"{b['lo']:.1f}–{b['hi']:.1f}", b["n"], fmt(b["mean_score"]), fmt(b["accuracy"])]
                              for b in m["bins"]])
    bias = [[r["annotator"], r["kind"], q["question"], r["items"], r["first_picked"], fmt(r["first_rate"]),
             fmt(r["chance"])] for q in data["questions"] for r in q["position_bias"]]
    if bias:
        out += ["Position bias (first-shown candidate picked):", ""]
        out += _md_table(["who", "kind", "question", "answers", "first picked", "rate", "chance"], bias)
    out += ["## Disagreements", ""]
    if data["disagreements"]:
        out += [f"{len(data['disagreements'])} of {data['disagreements_total']} disagreed items, most disagreed first.",
                ""]
        out += _md_table(["sample", "candidate", "question", "disagreement", "answers"],
                         [[d["sample_id"], d["candidate_id"] or "", d["question"], fmt(d["disagreement"]),
                           "; ".join(f"{v['annotator']}={value_text(v['value'])}" for v in d["values"])]
                          for d in data["disagreements"]])
    else:
        out += ["No disagreement.", ""]
    tp = data["throughput"]
    out += ["## Throughput", ""]
    if tp["days"]:
        out += [f"{tp['active_days']} active day(s), {fmt(tp['mean_per_active_day'], 1)} submitted tasks per active "
                "day.", ""]
        out += _md_table(["day", "total", *tp["annotators"]],
                         [[d["day"], d["total"], *[d["by_annotator"].get(n, 0) for n in tp["annotators"]]]
                          for d in tp["days"]])
    else:
        out += ["No submitted answer carries a time.", ""]
    rv = data["review"]
    if rv is not None:
        out += ["## Review flags", ""]
        flags = _flags(rv)
        out += [f"Review not run: {_md(rv['error'])}" if "error" in rv else
                f"{rv.get('flags_total', len(flags))} flag(s).", ""]
    return "\n".join(out).rstrip() + "\n"


def dashboard_markdown(dataset: Dataset, **options: Any) -> str:
    """The same figures as the page, as Markdown for terminals and CI logs."""
    data = options.pop("data", None) or dashboard_data(dataset, **options)
    return render_markdown(data)


def write_dashboard(dataset: Dataset, out: Path, *, fmt: str = "html", **options: Any) -> Path:
    """Write the page (``html``) or the Markdown (``md``) atomically; returns the path."""
    if fmt not in FORMATS:
        raise LabelloopError(f"Unknown dashboard format {fmt!r}; use html or md.")
    text = build_dashboard(dataset, **options) if fmt == "html" else dashboard_markdown(dataset, **options)
    out = Path(out)
    with atomic_open(out) as fh:
        fh.write(text)
    return out
