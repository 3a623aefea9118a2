"""assign: who labels what (a plan file), and with --next-round the extra labels that settle a sample."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from labelloop.cli._common import FormatOpt, JsonOpt, QuietOpt, notes, out, progress_callback
from labelloop.errors import ParameterError
from labelloop.ops import assign as ops


def assign_cmd(
    dataset: str | None = typer.Argument(None, metavar="DATASET", help="Dataset to plan (file, directory or "
                                         "hf:NAME); not with --next-round."),
    annotators: str = typer.Option(..., "--annotators", help="Comma-separated names of the people who label."),
    output: Path = typer.Option(Path("plan.json"), "--output", "-o", help="The plan file to write (JSON)."),
    overlap: int = typer.Option(2, "--overlap", help="People per sample."),
    capacity: str | None = typer.Option(None, "--capacity", help="Most tasks per person, gold included: "
                                        "ana=300,ben=200 (default: no limit)."),
    gold: Path | None = typer.Option(None, "--gold", help="Gold samples with reference labels, mixed into every "
                                     "list (default rate 0.05)."),
    gold_rate: float | None = typer.Option(None, "--gold-rate", help="Share of each list that is gold; without "
                                           "--gold, taken from the dataset's reference-labelled samples."),
    next_round: str | None = typer.Option(None, "--next-round", metavar="LABELLED", help="Plan the next round for "
                                          "this labelled dataset: one more person for each unsettled sample."),
    target: float = typer.Option(0.9, "--target", help="With --next-round: the Dawid-Skene posterior that "
                                 "settles a sample."),
    max_per_sample: int = typer.Option(5, "--max-per-sample", help="With --next-round: most labels a sample "
                                       "gets."),
    plan: Path | None = typer.Option(None, "--plan", help="With --next-round: the earlier plan (its gold ids and "
                                     "who already had each sample)."),
    question: str | None = typer.Option(None, "--question", "-Q", help="With --next-round: the question to "
                                        "settle (default: the first single-choice one)."),
    gold_min: float = typer.Option(0.7, "--gold-min", help="With --next-round: gold accuracy under this is "
                                   "flagged."),
    seed: int = typer.Option(0, "--seed", help="Seed of every choice in the plan; the same seed gives the same "
                             "plan."),
    template: str | None = typer.Option(None, "--template", "-t", help="Template name (default: the dataset's "
                                        "schema)."),
    fmt: str = FormatOpt,
    as_json: bool = JsonOpt,
    quiet: bool = QuietOpt,
) -> None:
    """Plan who labels what: overlap, balanced loads, hidden gold checks; or the next round's extra labels."""
    quiet = quiet or as_json
    report, bar = progress_callback(quiet, "Reading")
    if next_round is not None:
        if dataset is not None:
            raise ParameterError("dataset", "Give either DATASET or --next-round LABELLED, not both.")
        with bar:
            r = ops.next_round(next_round, annotators, output, target=target, max_per_sample=max_per_sample,
                               plan=plan, question=question, capacity=capacity, gold_min=gold_min, seed=seed,
                               template=template, fmt=fmt, note=notes(quiet), progress=report)
        if as_json:
            out.print_json(json.dumps(r.model_dump(exclude={"states"})))
            return
        out.print(f"Question {r.question}: {r.settled} of {r.samples} sample(s) settled (posterior >= {target}), "
                  f"{r.unsettled} unsettled, {r.at_max} of them at {max_per_sample} labels.")
        for g in r.gold_accuracy:
            flag = " (below --gold-min)" if g["below"] else ""
            out.print(f"  gold {g['annotator']}: {g['correct']}/{g['total']} = {g['accuracy']:.2f} "
                      f"[{g['low']:.2f}, {g['high']:.2f}]{flag}")
        if r.done:
            out.print(f"Every sample is settled or at its maximum: no more labels needed. Wrote {r.output}.")
        else:
            loads = ", ".join(f"{k} {v}" for k, v in r.loads.items())
            out.print(f"Wrote {r.output}: {r.assigned} more label(s) ({loads}).")
        return
    if dataset is None:
        raise ParameterError("dataset", "Give the DATASET to plan (or --next-round LABELLED).")
    if plan is not None:
        raise ParameterError("plan", "{param} goes with --next-round; to build pages from a plan, use labelloop "
                             "create DATASET --plan.")
    with bar:
        r2 = ops.assign(dataset, annotators, output, overlap=overlap, capacity=capacity, gold=gold,
                        gold_rate=gold_rate, seed=seed, template=template, fmt=fmt, note=notes(quiet),
                        progress=report)
    if as_json:
        out.print_json(json.dumps(r2.model_dump()))
        return
    loads = ", ".join(f"{k} {v} ({r2.gold_per_annotator.get(k, 0)} gold)" for k, v in r2.loads.items())
    out.print(f"Wrote {r2.output}: {r2.samples} sample(s) x {r2.overlap} people; tasks per person: {loads}.")
    out.print(f"Every pair of people shares {r2.pairs_min} to {r2.pairs_max} sample(s) "
              f"(even spread: {r2.pairs_expected:g}).")
    if r2.short:
        out.print(f"{len(r2.short)} sample(s) got fewer than {r2.overlap} people (capacity ran out): "
                  + ", ".join(f"{k} ({v})" for k, v in list(r2.short.items())[:10])
                  + (" ..." if len(r2.short) > 10 else ""))
