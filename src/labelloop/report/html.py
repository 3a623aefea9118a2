"""The dashboard as one self-contained HTML page: the figures of ``report.data`` as tables, ``report.svg``'s
charts and the page's small script, in the shell of ``labelloop.page``.

All data text is escaped here (or set with ``textContent`` by the page's script), the data is embedded as JSON
that cannot close its ``<script>`` element, and the Content-Security-Policy forbids every request. Every figure
carries its exact value in ``data-value`` (for tests and copy-paste) beside its printed text.
"""

from __future__ import annotations

import json
from typing import Any

from labelloop.data.model import Dataset
from labelloop.data.numbers import duration, figure, percent
from labelloop.markdown import clean
from labelloop.page import head, json_script, own, policy, static_text
from labelloop.page import text as _e
from labelloop.report.data import completion_text, dashboard_data, review_flags, value_text
from labelloop.report.svg import MAX_SERIES, alpha_svg, bars_svg, calibration_svg, heatmap_svg, throughput_svg

REVIEW_COLUMNS = ("kind", "annotator", "sample_id", "question", "candidate_id", "severity", "detail")
FOLD_CELL = 1000  # characters of a long table cell shown before its "Show all" (the script folds texts at 4,000)


def _folded(v: Any, limit: int = FOLD_CELL) -> str:
    """A cell's text, escaped; a long one shows its start and keeps the rest hidden (hidden text costs the browser
    no layout) behind a "Show all" button that the page's script opens."""
    text = clean(v)
    if len(text) <= limit:
        return _e(text)
    return (f'<span class="fold">{_e(text[:limit])}<span class="fold-rest" hidden>{_e(text[limit:])}</span>'
            f'<button type="button" class="show-all noprint">Show all {len(text):,} characters</button></span>')


def _fig(key: str, v: Any, digits: int = 3) -> str:
    """A figure with its exact value in ``data-value`` (for tests and copy-paste) and its printed text."""
    raw = "" if v is None else json.dumps(v)
    return f'<span class="fig" data-fig="{_e(key)}" data-value="{_e(raw)}">{_e(figure(v, digits))}</span>'


def _table(head: list[str], rows: list[list[str]], cls: str = "") -> str:
    """A table whose cells are already escaped HTML."""
    th = "".join(f"<th>{_e(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f'<div class="scroll"><table class="{cls}"><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table></div>'




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
             f"<p>{completion_text(comp, _fig('complete', comp['complete']))}</p>{bar}",
             f'<p class="reading {reading_cls}" id="alpha-reading">{_e(ov["alpha_sentence"])}</p>']
    measured = [q for q in data["questions"] if q["type"] not in ("text", "span")]
    if any(q["alpha"] is not None for q in measured):
        parts.append(alpha_svg(measured))
    rows = []
    for q in measured:
        ci = q["alpha_ci"]
        rows.append([_e(q["question"]), _e(q["type"]), _e(q["level"] or "—"),
                     _fig(f"alpha/{q['question']}", q["alpha"]),
                     (f"{_e(figure(ci[0]))} – {_e(figure(ci[1]))}" if ci else "—"), _e(figure(q["alpha_items"])),
                     _e(q["reading"] if q["alpha"] is not None else (q["alpha_undefined"] or "no answers"))])
    if rows:
        level = data["options"]["bootstrap"]
        parts.append(_table(["question", "type", "level", "Krippendorff's alpha",
                             f"95% interval ({level} bootstrap)" if level else "interval", "items", "reading"], rows))
    return "".join(parts)


def _gold_cell(g: dict[str, Any] | None) -> str:
    """A person's accuracy on the hidden gold samples: right/checked, the share and its 95% Wilson interval."""
    if not g or g.get("accuracy") is None:
        return "—"
    text = f'{g["correct"]}/{g["total"]} ({g["accuracy"]:.0%}, {g["low"]:.0%}–{g["high"]:.0%})'
    flag = f' <strong class="warn">below {g["threshold"]:.0%}</strong>' if g["below"] else ""
    return f'<span data-fig="{_e("gold/" + g["annotator"])}" data-value="{_e(json.dumps(g["accuracy"]))}">' \
           f"{_e(text)}</span>{flag}"


def _annotators_html(data: dict[str, Any]) -> str:
    people = data["annotators"]
    if not people:
        return "<p>No human annotations yet.</p>"
    has_review = any(p["review_flags"] is not None for p in people)
    has_gold = any(p.get("gold") for p in people)
    head = ["annotator", "done", "skipped", "flagged", "draft", "median time", "timed", "first", "last"]
    head += ["review flags"] if has_review else []
    head += ["gold right (95% interval)"] if has_gold else []
    rows = []
    for p in people:
        a = p["annotator"]
        r = [_e(a), _fig(f"done/{a}", p["submitted"]), _fig(f"skipped/{a}", p["skipped"]),
             _fig(f"flagged/{a}", p["flagged"]), _e(p["draft"]),
             f'<span data-fig="{_e("median_time/" + a)}" data-value="{_e(json.dumps(p["median_time_s"]))}">'
             f'{_e(duration(p["median_time_s"]))}</span>', _e(p["timed"]),
             _e((p["first"] or "—")[:16].replace("T", " ")), _e((p["last"] or "—")[:16].replace("T", " "))]
        if has_review:
            r.append(_e(figure(p["review_flags"])))
        if has_gold:
            r.append(_gold_cell(p.get("gold")))
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
            charts.append(bars_svg([(value_text(v["value"]) + (f" · {v['label']}" if v.get("label") else ""),
                                   v["count"], str(v["count"])) for v in dist["values"]],
                                  width=400, css=f"bar {kind}") + "</div>")
        if charts:
            out.append(f'<div class="row">{"".join(charts)}</div>')
        if qa.get("stats"):
            rows = []
            for key, st in qa["stats"].items():
                label = "Krippendorff's alpha (" + (qa["level"] or "") + ")" if key == "alpha" else LABELS.get(key, key)
                rows.append([_e(label), _fig(f"stat/{name}/{key}", st["value"]),
                             _e(f"{figure(st['ci'][0])} – {figure(st['ci'][1])}" if st.get("ci") else "—"),
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
            out.append(heatmap_svg(name, qa["annotators"], qa["pairs"], weights))
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
                       f'<div class="row">{calibration_svg(m)}')
            out.append(_table(["score bin", "answers", "mean score", "accuracy"],
                              [[_e(f"{b['lo']:.1f}–{b['hi']:.1f}"), _e(b["n"]), _e(figure(b["mean_score"])),
                                _e(figure(b["accuracy"]))] for b in m["bins"]]) + "</div></div>")
    bias_rows = []
    for q in data["questions"]:
        for r in q["position_bias"]:
            key = f"{q['question']}/{r['annotator']}"
            bias_rows.append([_e(r["annotator"]), _e(r["kind"]), _e(q["question"]), _e(r["items"]),
                              _fig(f"first_picked/{key}", r["first_picked"]),
                              _fig(f"first_rate/{key}", r["first_rate"]),
                              _fig(f"chance/{key}", r["chance"]), _e(figure(r["last_rate"]))])
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
           "from the annotations' own times).</p>", throughput_svg(tp), f'<p class="legend">{legend}</p>']
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
    flags = review_flags(rv)
    if not flags:
        return '<section id="review"><h2>Review flags</h2><p>The review raised no flag.</p></section>'
    cols = [c for c in REVIEW_COLUMNS if any(c in f for f in flags)]
    if not cols:
        for f in flags:
            cols += [k for k, v in f.items() if k not in cols and not isinstance(v, (dict, list))]
        cols = cols[:8]
    rows = [[_folded(figure(f.get(c)) if isinstance(f.get(c), float) else value_text(f.get(c) if f.get(c) is not None
                                                                                     else "")) for c in cols]
            for f in flags[:500]]
    by_kind = (rv.get("summary") or {}).get("by_kind") or {}
    kinds = ", ".join(f"{_e(k.replace('_', ' '))} {_e(n)}" for k, n in by_kind.items() if n)
    total = rv.get("flags_total", len(flags))
    listed = f" ({len(flags)} most severe listed)" if total > len(flags) else ""
    return (f'<section id="review"><h2>Review flags</h2><p>{total} flag(s){listed} from labelloop\'s review'
            f'{": " + kinds if kinds else ""}.</p>{_table(cols, rows)}</section>')


def _leaderboard_html(data: dict[str, Any]) -> str:
    """The model leaderboard (``labelloop leaderboard``'s figures): scores with intervals, warnings, position."""
    lb = data.get("leaderboard")
    if lb is None:
        return ""
    if "reason" in lb:
        return f"<p>Not ranked: {_e(lb['reason'])}</p>"
    ci = f"{lb['rounds']} bootstrap rounds over votes" if lb["rounds"] else "no bootstrap"
    intro = (f"<p>{lb['votes']} {_e(lb['source'])} votes by {lb['voters']} annotator(s), {lb['comparisons']} "
             f"comparisons. Bradley-Terry scores, 400 × log10 of the odds, mean {_e(figure(lb['anchor']['value'], 0))}"
             f"; 95% intervals from {ci}.</p>")
    warn = "".join(f'<p class="note">{_e(w)}</p>' for w in lb["warnings"])

    def interval(r: dict[str, Any]) -> str:
        if r["ci_low"] is None:
            return "—"
        low, high = _fig("score_low:" + r["model"], r["ci_low"], 1), _fig("score_high:" + r["model"], r["ci_high"], 1)
        return f"{low} – {high}"

    rows = [[str(r["rank"]), _e(r["model"]), _fig("score:" + r["model"], r["score"], 1), interval(r),
             str(r["comparisons"]), _e(percent(r["win_rate"]))] for r in lb["models"]]
    table = _table(["rank", "model", "score", "95% interval", "comparisons", "win rate"], rows)
    names = [r["model"] for r in lb["models"]]
    win = _table(["", *names], [[_e(a), *("—" if a == b else _e(percent(lb["win_rate"][a][b])) for b in names)]
                                for a in names])
    pos = lb["position"]
    if pos["picks"]:
        t = max(pos["picks"], key=lambda t: t["answers"])
        position = (f"<p>Screen position: {_e(t['most_picked'])} picked in {_e(percent(t['share']))} of "
                    f"{t['answers']} answers with {t['candidates']} shown (chance {_e(percent(t['chance']))}, "
                    f"adjusted p {t['p_adjusted']:.3g}).</p>")
    else:
        position = "<p>No vote recorded the screen order, so position cannot be checked.</p>"
    return f"{intro}{warn}{table}<h3>Win rate (row beats column)</h3>{win}{position}"


def _judges_html(data: dict[str, Any]) -> str:
    """Whether each judge can stand in for people, per subset (``labelloop.quality.judges``)."""
    people = data.get("judges")
    if people is None:
        return ""
    if not people.get("question"):
        return f"<p>Not measured: {_e(people.get('reason', 'no question to compare'))}.</p>"
    out = [f"<p>Question {_e(people['question'])}; the merged label is the {_e(people['merged'])}; "
           f"{len(people['people'])} people. A judge can stand in where its mean Cohen's kappa with the people is at "
           f"least the people's mean kappa with each other (on {people['min_items']} items or more).</p>"]
    for j in people["judges"]:
        rows = []
        for s in j["subsets"]:
            km = s["kappa_merged"] or {}
            key = f"{j['judge']}:{s['subset']}"
            rows.append([_e(s["subset"]), str(s["items"]), _fig("judge_kappa_merged:" + key, km.get("value"), 2),
                         _fig("judge_kappa_people:" + key, s["kappa_people_mean"], 2),
                         _fig("people_kappa:" + key, s["people_kappa_mean"], 2), _e(percent(s["accuracy_merged"])),
                         f'<span title="{_e(s["why"])}">{_e(s["verdict"])}</span>'])
        out.append(f"<h3>{_e(j['judge'])}</h3>" + _table(["subset", "items", "kappa vs merged", "kappa vs people "
                                                          "(mean)", "people vs people (mean)", "accuracy vs merged",
                                                          "verdict"], rows))
    return "".join(out)


def build_dashboard(dataset: Dataset, *, title: str | None = None, **options: Any) -> str:
    """The dashboard as one self-contained HTML page (options as for ``dashboard_data``)."""
    data = options.pop("data", None) or dashboard_data(dataset, title=title, **options)
    return render_html(data)


def render_html(data: dict[str, Any]) -> str:
    """The page for ``data`` (from ``dashboard_data``): one self-contained file in the shell of ``labelloop.page``."""
    css = own("dashboard.css", static_text("labelloop.report", "dashboard.css"), "style")
    js = own("dashboard.js", static_text("labelloop.report", "dashboard.js"), "script")
    notes = "".join(f'<p class="note">{_e(n)}</p>' for n in data["notes"])
    nav = [("overview", "Overview"), ("annotators", "Annotators"), ("questions", "Questions"), ("models", "Models"),
           ("disagreements", "Disagreements"), ("throughput", "Throughput")]
    leaderboard = _leaderboard_html(data)
    judges = _judges_html(data)
    if judges:
        nav.insert(4, ("judges", "Judges"))
    if leaderboard:
        nav.insert(4, ("leaderboard", "Leaderboard"))
    review = _review_html(data)
    if review:
        nav.append(("review", "Review flags"))
    nav_html = "".join(f'<a href="#{k}">{_e(v)}</a>' for k, v in nav)
    sections = [
        ("overview", "Overview", _overview_html(data)),
        ("annotators", "Annotators", _annotators_html(data)),
        ("questions", "Questions", _questions_html(data)),
        ("models", "Models", _models_html(data)),
        *([("leaderboard", "Model leaderboard", leaderboard)] if leaderboard else []),
        *([("judges", "Can a judge stand in for people?", judges)] if judges else []),
        ("disagreements", "Disagreements", _disagreements_html(data)),
        ("throughput", "Throughput", _throughput_html(data)),
    ]
    body = "".join(f'<section id="{k}"><h2>{_e(t)}</h2>{h}</section>' for k, t, h in sections)
    return (
        head(title=data["title"], css=css, csp=policy([js], [css]), color_scheme="light dark")
        + f'<header><h1>{_e(data["title"])}</h1><p class="muted">Dataset {_e(data["dataset"])}'
        f'{" · schema " + _e(data["schema"]) if data["schema"] else ""} · made by labelloop</p>'
        f'<nav>{nav_html}<button id="theme" class="noprint" type="button">Dark / light</button></nav></header>'
        f"<main>{notes}{body}{review}</main>"
        f'{json_script("dashboard-data", data)}'
        f"<script>{js}</script></body></html>\n"
    )
