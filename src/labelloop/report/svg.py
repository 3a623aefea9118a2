"""The dashboard's charts as inline SVG: drawn here from the figures of ``report.data``, every text escaped.

Inline SVG keeps the page one file with no script needed to draw, and it prints; a chart's numbers are also in
the tables next to it.
"""

from __future__ import annotations

import json
import math
from typing import Any

from labelloop.data.numbers import figure
from labelloop.page import text as _e

THRESHOLDS = {"reliable": 0.8, "tentative": 0.667}
MAX_SERIES = 8  # colours for annotators in stacked charts; more share the last ones


def bars_svg(rows: list[tuple[str, float, str]], *, width: int = 460, label_w: int = 140, css: str = "bar") -> str:
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


def heatmap_svg(question: str, annotators: list[str], pairs: list[dict[str, Any]], weights: str = "none") -> str:
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
            tip = f"{a} vs {b}: kappa {figure(k)} on {p['shared_items']} shared items"
            key = f"kappa/{question}/{a}/{b}"
            out.append(f'<rect class="{_kappa_class(k)}" x="{x}" y="{y}" width="{cell - 2}" height="{cell - 2}" '
                       f'data-fig="{_e(key)}" data-value="{_e(json.dumps(k))}" data-shared="{p["shared_items"]}">'
                       f'<title>{_e(tip)}</title></rect>')
            out.append(f'<text class="cell" x="{x + cell / 2 - 1}" y="{y + cell / 2 - 2}" text-anchor="middle">'
                       f'{_e(figure(k, 2))}</text>')
            out.append(f'<text class="cell sub" x="{x + cell / 2 - 1}" y="{y + cell / 2 + 13}" text-anchor="middle">'
                       f'n={p["shared_items"]}</text>')
    out.append("</svg>")
    return "".join(out)


def alpha_svg(questions: list[dict[str, Any]]) -> str:
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
        out.append(f'<text class="num" x="{lab + span + 12}" y="{y + 15}">{_e(figure(a))}</text>')
    out.append("</svg>")
    return "".join(out)


def throughput_svg(tp: dict[str, Any]) -> str:
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


def calibration_svg(model: dict[str, Any]) -> str:
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
                   f'<title>scores {b["lo"]:.1f}–{b["hi"]:.1f}: {b["n"]} answers, accuracy {figure(b["accuracy"])}'
                   f'</title></circle>')
    out.append("</svg>")
    return "".join(out)
