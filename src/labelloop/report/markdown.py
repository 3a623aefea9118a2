"""The dashboard as Markdown, for terminals and CI logs: the same figures as the page (``report.data``), every
piece of data text made inert by ``labelloop.markdown.escape`` (no HTML, link, image or table break)."""

from __future__ import annotations

from typing import Any

from labelloop.data.model import Dataset
from labelloop.data.numbers import duration, figure
from labelloop.markdown import escape as md_escape
from labelloop.report.data import completion_text, dashboard_data, review_flags, value_text
from labelloop.report.decisions import judges_lines, leaderboard_lines


def _md(v: Any) -> str:
    """Data text in the Markdown: inert (no HTML, link, image or table break), one line."""
    return md_escape(v if isinstance(v, str) else value_text(v))


def _md_table(head: list[str], rows: list[list[Any]]) -> list[str]:
    out = ["| " + " | ".join(_md(h) for h in head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(_md(c) for c in r) + " |" for r in rows]
    return out + [""]


def render_markdown(data: dict[str, Any]) -> str:
    """The Markdown for ``data`` (from ``dashboard_data``)."""
    ov, comp = data["overview"], data["overview"]["completion"]
    out = [f"# {_md(data['title'])}", "", f"Dataset {_md(data['dataset'])}"
           + (f", schema {_md(data['schema'])}" if data["schema"] else "") + ".", ""]
    out += [f"> {_md(n)}" for n in data["notes"]] + ([""] if data["notes"] else [])
    out += ["## Overview", "",
            f"- samples: {ov['samples']}; annotators: {comp['annotators']}; models: {len(ov['models'])}",
            "- annotations: " + ", ".join(f"{n} {k}" for k, n in ov["annotations"].items()),
            "- " + completion_text(comp, str(comp["complete"])),
            f"- **{_md(ov['alpha_sentence'])}**", ""]
    measured = [q for q in data["questions"] if q["type"] not in ("text", "span")]
    if measured:
        out += _md_table(["question", "type", "level", "alpha", "interval", "items", "reading"],
                         [[q["question"], q["type"], q["level"] or "—", figure(q["alpha"]),
                           f"{figure(q['alpha_ci'][0])} – {figure(q['alpha_ci'][1])}" if q["alpha_ci"] else "—",
                           figure(q["alpha_items"]), q["reading"] if q["alpha"] is not None else
                           (q["alpha_undefined"] or "no answers")] for q in measured])
    out += ["## Annotators", ""]
    if data["annotators"]:
        out += _md_table(["annotator", "done", "skipped", "flagged", "draft", "median time", "review flags"],
                         [[p["annotator"], p["submitted"], p["skipped"], p["flagged"], p["draft"],
                           duration(p["median_time_s"]), figure(p["review_flags"])] for p in data["annotators"]])
    else:
        out += ["No human annotations yet.", ""]
    if data.get("gold"):
        out += ["### Hidden gold checks", ""]
        below = f"below {data['gold'][0]['threshold']:.0%}"
        out += _md_table(["annotator", "right", "checked", "accuracy", "95% interval", below],
                         [[g["annotator"], g["correct"], g["total"], figure(g["accuracy"]),
                           f"{figure(g['low'])} – {figure(g['high'])}" if g["low"] is not None else "—",
                           "yes" if g["below"] else "no"] for g in data["gold"]])
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
            rows.append([name, q["question"], figure(r.get("agreement_with_others")), figure(r.get("mean_pair_kappa")),
                         figure(r.get("alpha_without")), figure(ref.get(name, {}).get("accuracy")),
                         figure(mer.get(name, {}).get("accuracy"))])
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
                             [[k, figure(st["value"]), st["n_items"]] for k, st in qa["stats"].items()])
        if qa.get("pairs"):
            out += _md_table(["a", "b", "shared items", "Cohen's kappa"],
                             [[p["a"], p["b"], p["shared_items"], figure(p["none"]["value"])] for p in qa["pairs"]])
    out += ["## Models", ""]
    rows = []
    for q in data["questions"]:
        ref = {r["annotator"]: r for r in agree.get(q["question"], {}).get("accuracy", []) if r["kind"] == "prediction"}
        mer = {r["annotator"]: r for r in q["accuracy_merged"] if r["kind"] == "prediction"}
        for m in ov["models"]:
            if m in ref or m in mer:
                rows.append([m, q["question"], figure(mer.get(m, {}).get("accuracy")),
                             figure(ref.get(m, {}).get("accuracy"))])
    out += _md_table(["model", "question", "accuracy vs people", "accuracy vs reference"], rows) if rows else [
        "No pre-labelling model in this dataset.", ""]
    for q in data["questions"]:
        for m in q["calibration"]:
            out += [f"Calibration of {_md(m['annotator'])} on {_md(q['question'])}: accuracy {figure(m['accuracy'])}, "
                    f"mean score {figure(m['mean_score'])}, ECE {figure(m['ece'])}", ""]
            out += _md_table(["score bin", "answers", "mean score", "accuracy"],
                             [[f"{b['lo']:.1f}–{b['hi']:.1f}", b["n"], figure(b["mean_score"]), figure(b["accuracy"])]
                              for b in m["bins"]])
    bias = [[r["annotator"], r["kind"], q["question"], r["items"], r["first_picked"], figure(r["first_rate"]),
             figure(r["chance"])] for q in data["questions"] for r in q["position_bias"]]
    if bias:
        out += ["Position bias (first-shown candidate picked):", ""]
        out += _md_table(["who", "kind", "question", "answers", "first picked", "rate", "chance"], bias)
    lb = data.get("leaderboard")
    if lb is not None:
        out += ["## Model leaderboard", ""]
        out += [f"Not ranked: {_md(lb['reason'])}", ""] if "reason" in lb else leaderboard_lines(lb)
    if data.get("judges") is not None:
        out += judges_lines(data["judges"])
    out += ["## Disagreements", ""]
    if data["disagreements"]:
        out += [f"{len(data['disagreements'])} of {data['disagreements_total']} disagreed items, most disagreed first.",
                ""]
        out += _md_table(["sample", "candidate", "question", "disagreement", "answers"],
                         [[d["sample_id"], d["candidate_id"] or "", d["question"], figure(d["disagreement"]),
                           "; ".join(f"{v['annotator']}={value_text(v['value'])}" for v in d["values"])]
                          for d in data["disagreements"]])
    else:
        out += ["No disagreement.", ""]
    tp = data["throughput"]
    out += ["## Throughput", ""]
    if tp["days"]:
        out += [f"{tp['active_days']} active day(s), {figure(tp['mean_per_active_day'], 1)} submitted tasks per active "
                "day.", ""]
        out += _md_table(["day", "total", *tp["annotators"]],
                         [[d["day"], d["total"], *[d["by_annotator"].get(n, 0) for n in tp["annotators"]]]
                          for d in tp["days"]])
    else:
        out += ["No submitted answer carries a time.", ""]
    rv = data["review"]
    if rv is not None:
        out += ["## Review flags", ""]
        flags = review_flags(rv)
        out += [f"Review not run: {_md(rv['error'])}" if "error" in rv else
                f"{rv.get('flags_total', len(flags))} flag(s).", ""]
    return "\n".join(out).rstrip() + "\n"


def dashboard_markdown(dataset: Dataset, **options: Any) -> str:
    """The same figures as the page, as Markdown for terminals and CI logs."""
    data = options.pop("data", None) or dashboard_data(dataset, **options)
    return render_markdown(data)
