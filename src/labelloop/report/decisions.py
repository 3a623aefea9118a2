"""The decisions the labels support, as Markdown: the model leaderboard (``labelloop leaderboard``, the
dashboard's leaderboard section) and the reward-model evaluation (``labelloop evaluate``). Every piece of data
text (a model's name, a subset) goes through ``labelloop.markdown.escape``."""

from __future__ import annotations

from typing import Any

from labelloop.data.numbers import compact, figure, percent
from labelloop.markdown import escape

MAX_PAIRS_LISTED = 20
MAX_MATRIX = 12  # models shown in the win-rate and count matrices; the JSON has them all


def _table(head: list[str], rows: list[list[Any]]) -> list[str]:
    """A Markdown table of cells already made safe: callers escape the data text (names, subsets) they put in."""
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(c if isinstance(c, str) else figure(c) for c in r) + " |" for r in rows]
    return out + [""]


def _score(v: float | None) -> str:
    return figure(None if v is None else round(v, 1), 1)


def leaderboard_lines(lb: dict[str, Any], heading: str = "##") -> list[str]:
    """The leaderboard's Markdown lines, headings at ``heading`` level (the dashboard nests it one deeper)."""
    ci = f"{lb['rounds']} bootstrap rounds over votes, seed {lb['seed']}" if lb["rounds"] else "no bootstrap"
    where = (f"the mean at {compact(lb['anchor']['value'])}" if lb["anchor"]["model"] is None
             else f"{escape(lb['anchor']['model'])} at {compact(lb['anchor']['value'])}")
    out = [f"{lb['votes']} {escape(lb['source'])} votes by {lb['voters']} annotator(s) give {lb['comparisons']} "
           f"comparisons. Bradley-Terry scores: 400 × log10 of the odds, {where}; 95% intervals from {ci}."
           + (f" Fitted with {compact(lb['prior'])} ties added to every compared pair." if lb["prior"] else ""), ""]
    out += [f"> {escape(w)}" for w in lb["warnings"]] + ([""] if lb["warnings"] else [])
    rows = [[str(r["rank"]), escape(r["model"]), _score(r["score"]),
             f"{_score(r['ci_low'])} – {_score(r['ci_high'])}" if r["ci_low"] is not None else "—",
             f"{r['rank_ci'][0]}–{r['rank_ci'][1]}" if r.get("rank_ci") else "—",
             str(r["comparisons"]), percent(r["win_rate"])] for r in lb["models"]]
    out += _table(["rank", "model", "score", "95% interval", "rank interval", "comparisons", "win rate"], rows)
    names = [r["model"] for r in lb["models"]][:MAX_MATRIX]
    shown = [escape(n) for n in names]
    more = f" (the first {MAX_MATRIX}; --json has all)" if len(lb["models"]) > MAX_MATRIX else ""
    out += [f"{heading}# Win rate (row beats column, ties half){more}", ""]
    out += _table(["", *shown], [[escape(a), *("—" if a == b else percent(lb["win_rate"][a][b]) for b in names)]
                                 for a in names])
    out += [f"{heading}# Comparisons per pair{more}", ""]
    out += _table(["", *shown], [[escape(a), *("—" if a == b else str(lb["pair_counts"][a][b]) for b in names)]
                                 for a in names])
    under = lb["under_compared"]
    if under:
        out += [f"Pairs compared fewer than {lb['min_comparisons']} times: "
                + ", ".join(f"{escape(u['models'][0])} – {escape(u['models'][1])} ({u['comparisons']})"
                            for u in under[:MAX_PAIRS_LISTED])
                + (f" and {len(under) - MAX_PAIRS_LISTED} more" if len(under) > MAX_PAIRS_LISTED else "") + ".", ""]
    pos = lb["position"]
    out += [f"{heading}# Screen position", ""]
    if not pos["picks"]:
        out += ["No vote recorded the order the answers were shown in, so position cannot be checked.", ""]
    else:
        rows = []
        for t in pos["picks"]:
            shares = ", ".join(f"{k} {percent(v / t['answers'])}" for k, v in t["counts"].items())
            rows.append([str(t["candidates"]), str(t["answers"]), shares, percent(t["chance"]),
                         f"{t['p_adjusted']:.3g}"])
        out += _table(["answers shown", "picks", "share of picks by position", "chance", "p (adjusted)"], rows)
        out += [("Picks are far from chance (adjusted p < 0.05)." if pos["far_from_chance"]
                 else "Picks are within chance of the shown position."), ""]
    adj = pos.get("adjusted")
    if adj:
        effects = ", ".join(f"{k} {v:+.1f}" for k, v in adj["position_effects"].items())
        out += [f"Ranking with screen position as a covariate (position effects in points: {effects}):", ""]
        out += _table(["rank", "model", "score"], [[str(r["rank"]), escape(r["model"]), _score(r["score"])]
                                                   for r in adj["models"]])
    if lb["skipped"]:
        out += ["Left out: " + ", ".join(f"{n} {escape(k)}" for k, n in sorted(lb["skipped"].items())) + ".", ""]
    return out


def leaderboard_markdown(lb: dict[str, Any], title: str | None = None) -> str:
    """The whole leaderboard as a Markdown document (``labelloop leaderboard``)."""
    return "\n".join([f"# {escape(title or 'Model leaderboard')}", "", *leaderboard_lines(lb)]).rstrip() + "\n"


def _ci(ci: list[float] | None) -> str:
    return f"{percent(ci[0])} – {percent(ci[1])}" if ci else "—"


def evaluation_lines(ev: dict[str, Any], heading: str = "##") -> list[str]:
    """One scorer's evaluation as Markdown lines (``labelloop evaluate``)."""
    ci = f"{ev['rounds']} bootstrap rounds over samples, seed {ev['seed']}" if ev["rounds"] else "no bootstrap"
    ov = ev["overall"]
    labels = ", ".join(f"{n} {escape(k)}" for k, n in ev["labels_from"].items()) or "no"
    out = [f"{heading} {escape(ev['scorer'])}", "",
           f"{ev['samples']} samples scored against their labels ({labels}); 95% intervals from {ci}.", ""]
    score = "—" if ov["score"] is None else f"{percent(ov['score'])} ({_ci(ov['score_ci'])})"
    if ov.get("reason"):
        score += (f"; {escape(ov['reason'])} (the mean of the others: {percent(ov['score_of_scored_subsets'])})")
    out += [f"- Score (the mean of the subset scores, as RewardBench 2 reports it): {score}",
            f"- Accuracy over all samples: {percent(ov['accuracy'])} ({_ci(ov['accuracy_ci'])})", ""]
    rows = [[escape(s["subset"]), str(s["samples"]), s["rule"], percent(s["score"]), _ci(s["ci"]),
             percent(s["accuracy"])] for s in ev["subsets"]]
    out += _table(["subset", "samples", "rule", "score", "95% interval", "accuracy"], rows)
    for s in ev["subsets"]:
        t = s.get("ties")
        if not t:
            continue
        parts = (f"reference accuracy {percent(t['ref_accuracy'])} ({t['ref_samples']} samples), tied accuracy "
                 f"{percent(t['tied_accuracy'])} ({t['tied_samples']} samples), {t['prompts_with_both']} prompt(s) "
                 "with both")
        if t["score"] is None:
            out += [f"Ties: {parts}; no Ties score: {t['reason']}.", ""]
        else:
            out += [f"Ties: {parts}; correct preferred {percent(t['correctness_preferred'])}, hard "
                    f"{percent(t['correctness_preferred_hard'])}, margin score {figure(t['margin_score'])}.", ""]
    if ev["left_out"]:
        out += ["Left out: " + ", ".join(f"{n} {escape(k)}" for k, n in sorted(ev["left_out"].items())) + ".", ""]
    return out


def _kappa_text(k: dict[str, Any] | None) -> str:
    if not k or k["value"] is None:
        return "—"
    ci = f" ({k['ci'][0]:.2f} – {k['ci'][1]:.2f})" if k.get("ci") else ""
    return f"{k['value']:.2f}{ci}"


def judges_lines(people: dict[str, Any], heading: str = "##") -> list[str]:
    """Whether each judge can stand in for people, per subset (``labelloop.quality.judges``)."""
    out = [f"{heading} Can the judge stand in for people?", ""]
    if not people.get("question"):
        return out + [f"Not measured: {people.get('reason', 'no question to compare')}.", ""]
    out += [f"Question {escape(people['question'])}; the merged label is the {escape(people['merged'])}; "
            f"{len(people['people'])} people. A judge can stand in where its mean Cohen's kappa with the people is "
            f"at least the people's mean kappa with each other (on {people['min_items']} items or more).", ""]
    for j in people["judges"]:
        out += [f"{heading}# {escape(j['judge'])}", ""]
        rows = [[escape(s["subset"]), str(s["items"]), _kappa_text(s["kappa_merged"]),
                 figure(s["kappa_people_mean"], 2), figure(s["people_kappa_mean"], 2), percent(s["accuracy_merged"]),
                 s["verdict"]] for s in j["subsets"]]
        out += _table(["subset", "items", "kappa vs merged", "kappa vs people (mean)", "people vs people (mean)",
                       "accuracy vs merged", "verdict"], rows)
        cal = j.get("calibration")
        if cal:
            out += [f"Calibration: mean confidence {percent(cal['mean_score'])}, accuracy {percent(cal['accuracy'])}, "
                    f"expected calibration error {cal['ece']:.3f} ({cal['items']} items).", ""]
        for t in j.get("position") or []:
            shares = ", ".join(f"{k} {percent(v / t['answers'])}" for k, v in t["counts"].items())
            out += [f"Position ({t['candidates']} answers shown, {t['answers']} picks): {shares}; chance "
                    f"{percent(t['chance'])}, adjusted p {t['p_adjusted']:.3g}.", ""]
    return out


def evaluation_markdown(data: dict[str, Any], title: str | None = None) -> str:
    """Every scorer's evaluation as one Markdown document."""
    out = [f"# {escape(title or 'Evaluation')}", ""]
    if data.get("scores_not_in_dataset"):
        out += [f"> {data['scores_not_in_dataset']} score(s) name a sample or candidate the dataset does not have; "
                "they are not used.", ""]
    for ev in data["scorers"]:
        out += evaluation_lines(ev)
    if data.get("people"):
        out += judges_lines(data["people"])
    return "\n".join(out).rstrip() + "\n"


__all__ = ["evaluation_lines", "evaluation_markdown", "judges_lines", "leaderboard_lines", "leaderboard_markdown"]
