"""Readable tables of an agreement report (rich renderables; the CLI only prints them)."""

from __future__ import annotations

import json
from typing import Any

from rich.table import Table
from rich.text import Text

from labelloop.data.display import visible
from labelloop.data.numbers import figure
from labelloop.quality.agreement import AgreementReport, QuestionAgreement
from labelloop.quality.gold import gold_line
from labelloop.quality.stat import PERFECT, PERFECT_PREFIX, Stat

LABELS = {"percent_agreement": "percent agreement", "fleiss_kappa": "Fleiss' kappa", "gwet_ac1": "Gwet's AC1",
          "kendall_w": "Kendall's W", "kendall_tau": "mean Kendall tau-b",
          "bennett_s": "Bennett's S (per-sample chance)",
          "pairwise_alpha": "Krippendorff's alpha (pairwise preferences)"}
CANDIDATE_STATS = ("bennett_s", "pairwise_alpha")
"""The figures of a question whose options are the candidates, shown right after percent agreement."""


def _short(v: Any, width: int = 40) -> str:
    s = v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)
    s = " ".join(s.split())
    return s if len(s) <= width else s[: width - 1] + "…"


def _note(stat: Stat) -> str:
    bits = []
    if stat.extra.get("perfect_agreement") and stat.reason:
        bits.append(f"undefined: {stat.reason.removeprefix(PERFECT_PREFIX)}")
    for key in ("method", "categories", "units", "compares", "pairs"):
        if key in stat.extra:
            bits.append(f"{key}: {stat.extra[key]}")
    if "chance" in stat.extra:
        bits.append(f"chance: {stat.extra['chance']:.3f} ({stat.extra['answers']} answers)")
    if "unanimous_items" in stat.extra:
        bits.append(f"unanimous items: {stat.extra['unanimous_items']:.3f}")
    if stat.bootstrap_undefined:
        bits.append(f"{stat.bootstrap_undefined} undefined replicates")
    return "; ".join(bits)


def _without(row: dict[str, Any]) -> str:
    """The "alpha without" cell: the value, "perfect agreement" when the others all agree, "—" when no pair of
    answers is left without this annotator."""
    if row["alpha_without"] is not None:
        return figure(row["alpha_without"])
    return PERFECT if str(row.get("alpha_without_undefined") or "").startswith(PERFECT) else "—"


def question_tables(qa: QuestionAgreement, top: int = 10) -> list[Any]:
    head = (f" ({qa.type}{', per candidate' if qa.per_candidate else ''}"
            f"{', level ' + qa.level if qa.level else ''}): {len(qa.annotators)} annotators, {qa.n_items} items "
            f"({qa.n_pairable} rated by two or more), {qa.n_ratings} ratings")
    out: list[Any] = [Text.assemble((visible(qa.question), "bold"), head)]
    if qa.stats:
        t = Table(title="Coefficients", title_justify="left")
        for col in ("coefficient", "value [95% CI]", "items", "note"):
            t.add_column(col, justify="right" if col == "items" else "left")
        rows = [(LABELS.get(key, key), st) for key, st in qa.stats.items()
                if key != "alpha" and key not in CANDIDATE_STATS]
        first = [(LABELS[key], qa.stats[key]) for key in CANDIDATE_STATS if key in qa.stats]
        alphas = [(f"Krippendorff's alpha ({lv})", st) for lv, st in qa.alpha.items()]
        # % agreement, the best-of-N figures, then the question's own level
        rows = rows[:1] + first + alphas[:1] + rows[1:] + alphas[1:]
        for label, st in rows:
            t.add_row(label, st.text(), str(st.n_items), _note(st))
        out.append(t)
    if qa.pairs:
        t = Table(title="Cohen's kappa per pair (shared items)", title_justify="left")
        weighted = "linear" in qa.pairs[0]
        cols = ["a", "b", "shared", "% agree", "kappa"] + (["linear", "quadratic"] if weighted else [])
        for c in cols:
            t.add_column(c, justify="left" if c in ("a", "b") else "right")
        for p in qa.pairs:
            row = [p["a"], p["b"], str(p["shared_items"]), figure(p["percent_agreement"]), p["none"].text()]
            if weighted:
                row += [p["linear"].text(), p["quadratic"].text()]
            t.add_row(*row)
        out.append(t)
    if qa.per_annotator:
        t = Table(title="Each annotator against the others", title_justify="left")
        extra = [k for k in ("mean_abs_difference", "mean_distance_to_others") if k in qa.per_annotator[0]]
        cols = ["annotator", "ratings", "items with others", "agreement", *[k.replace("_", " ") for k in extra],
                "mean pair kappa", "alpha without"]
        for c in cols:
            t.add_column(c, justify="left" if c == "annotator" else "right")
        for r in qa.per_annotator:
            t.add_row(r["annotator"], str(r["ratings"]), str(r["items_with_others"]),
                      figure(r["agreement_with_others"]), *[figure(r[k]) for k in extra], figure(r["mean_pair_kappa"]),
                      _without(r))
        out.append(t)
    if qa.accuracy:
        t = Table(title="Accuracy against the reference", title_justify="left")
        has_mae = any("mae" in r for r in qa.accuracy)
        for c in ["annotator", "kind", "items", "accuracy"] + (["MAE"] if has_mae else []):
            t.add_column(c, justify="left" if c in ("annotator", "kind") else "right")
        for r in qa.accuracy:
            t.add_row(r["annotator"], r["kind"], str(r["items"]), figure(r["accuracy"]),
                      *([figure(r.get("mae"))] if has_mae else []))
        out.append(t)
    if qa.disagreements and top > 0:
        t = Table(title=f"Most disagreed items (top {min(top, len(qa.disagreements))} of {len(qa.disagreements)})",
                  title_justify="left")
        for c in ("sample", "candidate", "disagreement", "answers"):
            t.add_column(c, justify="right" if c == "disagreement" else "left")
        for d in qa.disagreements[:top]:
            answers = ", ".join(f"{v['annotator']}={_short(v['value'], 24)}" for v in d["values"])
            t.add_row(str(d["sample_id"]), str(d["candidate_id"] or ""), figure(d["disagreement"]), answers)
        out.append(t)
    for n in qa.notes:
        out.append(Text(visible(f"note: {n}")))
    return out


def accepted_note(n: int) -> str:
    """The line that says how many accepted predictions were not counted as people's answers."""
    return (f"note: {n} annotation(s) are model predictions accepted unchanged and were left out as no person's "
            "independent answer (count them with --include-accepted-predictions).")


def report_tables(report: AgreementReport, top: int = 10) -> list[Any]:
    out: list[Any] = []
    if report.inferred_schema:
        out.append(Text("note: the dataset has no schema; question types were inferred from the values "
                        "(pass --schema to set them)."))
    if report.accepted_predictions_left_out:
        out.append(Text(accepted_note(report.accepted_predictions_left_out)))
    if report.gold:
        out.append(Text("Gold checks (each person's answers on the hidden gold samples, left out of the figures "
                        "below):"))
        out += [Text("  " + gold_line(g)) for g in report.gold]
        out.append(Text(""))
    for qa in report.questions:
        out += question_tables(qa, top)
        out.append(Text(""))
    return out
