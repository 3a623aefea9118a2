"""prelabel, review, guidelines, select: machine help for the people who label."""

from __future__ import annotations

import json
import time
from pathlib import Path

import typer

from labelloop.cli._common import (
    ApiKeyEnvOpt,
    BaseUrlOpt,
    CacheOpt,
    FormatOpt,
    JsonOpt,
    JsonTextOpt,
    ModelOpt,
    NoCacheOpt,
    ProviderOpt,
    QuietOpt,
    note,
    notes,
    out,
    progress_phases,
)
from labelloop.ops import assist as ops


def prelabel(
    dataset: str | None = typer.Argument(None, help="Dataset file, directory or hf:NAME (not with --batch-status)."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Where the dataset with predictions is "
                                       "written (required except with --batch-status)."),
    template: str | None = typer.Option(None, "--template", "-t", help="Template name (e.g. rewardbench)."),
    schema: str | None = typer.Option(None, "--schema", "-s", help="Schema file (YAML / JSON) or template name."),
    provider: str = typer.Option(..., "--provider", "-p", help="openai, anthropic, moonshot or compatible "
                                 "(any OpenAI-compatible server; give --base-url), or local (no network)."),
    model: str | None = typer.Option(None, "--model", "-m", help="Model name (default: the provider's)."),
    base_url: str | None = typer.Option(None, "--base-url", help="API base URL, e.g. http://127.0.0.1:8000/v1."),
    api_key_env: str | None = ApiKeyEnvOpt,
    concurrency: int = typer.Option(8, "--concurrency", "-c", min=1, help="Calls in flight at once."),
    cache: Path = typer.Option(Path(".labelloop/cache"), "--cache", help="Answer cache directory; a rerun makes "
                               "no call it already paid for."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Neither read nor write the cache."),
    limit: int | None = typer.Option(None, "--limit", min=1, help="Pre-label a seeded random sample of N samples "
                                      "(--seed)."),
    temperature: float = typer.Option(0.0, "--temperature", help="Sampling temperature."),
    timeout: float = typer.Option(60.0, "--timeout", help="Seconds to wait for one answer before retrying."),
    max_retries: int = typer.Option(4, "--max-retries", min=0, help="Retries of a call on 429, 5xx or timeout."),
    max_attempts: int = typer.Option(3, "--max-attempts", min=1, help="Answers asked for per sample when "
                                     "the previous one does not fit the schema."),
    both_orders: bool = typer.Option(False, "--both-orders", help="Judge each sample again with the answers in "
                                     "reverse order; disagreement lowers the confidence."),
    seed: int = typer.Option(0, "--seed", help="Seed of the order the answers are shown in and of --limit."),
    predictor: str = typer.Option("tfidf", "--predictor", help="With --provider local: tfidf (light) or "
                                  "embedding (MiniLM, the ml extra)."),
    fit_on: str = typer.Option("human", "--fit-on", help="With --provider local: the labels to learn from "
                               "(human, reference or both, comma-separated)."),
    per_call: int = typer.Option(1, "--per-call", min=1, max=100, help="Samples asked about in one call; each "
                                 "answer comes back under its sample id and is checked alone (a bad one is asked "
                                 "alone)."),
    batch: bool = typer.Option(False, "--batch", help="Through the provider's batch API (openai, anthropic): half "
                               "the price, answers within 24 h. Stop any time: run the same command again to "
                               "continue; nothing is asked twice."),
    no_wait: bool = typer.Option(False, "--no-wait", help="With --batch: submit and collect what has ended, then "
                                 "exit instead of waiting for the rest."),
    poll: float = typer.Option(60.0, "--poll", help="With --batch: seconds between two looks at the batches."),
    retry_failed: bool = typer.Option(False, "--retry-failed", help="With --batch: ask live for the requests the "
                                      "batches failed (errors, expired requests, answers that do not fit)."),
    batch_status: bool = typer.Option(False, "--batch-status", help="Show the batches in the cache directory and "
                                      "where each stands (those of --provider asked afresh), then exit."),
    fmt: str = FormatOpt,
    as_json: bool = JsonOpt,
    quiet: bool = QuietOpt,
) -> None:
    """Ask an LLM for pre-labels (or --provider local: a model fit on the dataset's own labels, no network)."""
    quiet = quiet or as_json
    if batch_status:
        rows = ops.prelabel_batch_status(None if no_cache else cache, provider=provider, model=model,
                                         base_url=base_url, api_key_env=api_key_env, timeout=timeout)
        if as_json:
            out.print_json(json.dumps({"cache": str(cache), "batches": rows}))
            return
        _print_batches(rows, cache)
        return
    if provider == "local":
        with progress_phases(quiet, "Reading") as (reading,):
            summary = ops.prelabel_local(dataset, output, template=template, schema=schema, predictor=predictor,
                                         fit_on=fit_on, limit=limit, seed=seed, fmt=fmt, note=notes(quiet),
                                         reading=reading)
        if as_json:
            out.print_json(json.dumps(summary))
            return
        mean = summary["mean_score"]
        out.print(f"Pre-labelled {summary['predicted']} of {summary['samples']} unlabelled samples with "
                  f"{summary['annotator']} (trained on {summary['trained_on']} labelled samples"
                  + (f", mean score {mean:.3f}" if isinstance(mean, (int, float)) else "")
                  + f"). Wrote {output}.", markup=False)
        return
    with progress_phases(quiet, "Reading", "Pre-labelling") as (reading, report):
        res = ops.prelabel(dataset, output, provider=provider, model=model, base_url=base_url,
                           api_key_env=api_key_env, template=template, schema=schema, concurrency=concurrency,
                           cache=None if no_cache else cache, limit=limit, temperature=temperature, timeout=timeout,
                           max_retries=max_retries, max_attempts=max_attempts, both_orders=both_orders, seed=seed,
                           fmt=fmt, per_call=per_call, batch=batch, wait=not no_wait, poll=poll,
                           retry_failed=retry_failed, note=notes(quiet), reading=reading, progress=report)
    if as_json:
        out.print_json(json.dumps({"output": res.output, "annotator": res.annotator, **res.summary}))
        return
    s = res.summary
    b = s.get("batch")
    if b is not None:
        ended = sum(1 for x in b["batches"] if x["step"] == "ended")
        out.print(f"Batches: {len(b['batches'])} ({ended} ended); {b['submitted']} requests sent this run, "
                  f"{b['answered']} answers read, {b['failed']} failed"
                  + (f", {b['retried_live']} asked again live" if b["retried_live"] else "")
                  + (f", {b['waiting']} still waiting" if b["waiting"] else "") + ".", markup=False)
    if res.output is None:
        out.print(f"Waiting for {s['waiting']} of {s['samples']} samples in batches that have not ended; nothing "
                  "written yet. Run the same command again to continue (--batch-status shows each batch).",
                  markup=False)
        return
    cost = f", cost ${s['cost_usd']:.4f}" if s["cost_usd"] is not None else ""
    price = " at the batch price" if b is not None and b["answered"] else ""
    out.print(f"Pre-labelled {s['predicted']} of {s['samples']} samples ({s['failed']} failed) with {res.annotator}: "
              f"{s['calls']} calls, {s['cached']} from cache, {s['http_retries']} retries, {s['input_tokens']} input "
              f"and {s['output_tokens']} output tokens{cost}{price}. Wrote {output}.", markup=False)
    if s.get("per_call", 1) > 1:
        out.print(f"{s['per_call']} samples per call; {s['retried_alone']} answer(s) asked for alone.", markup=False)
    for f in s["failures"][:20]:
        out.print(f"- failed {f['sample']}: {f['reason']}", markup=False)
    if b is not None and b["failed"] and not retry_failed:
        out.print("Ask live for what the batches failed with --retry-failed.", markup=False)
    if s["order_disagreements"]:
        out.print(f"{s['order_disagreements']} sample(s) judged differently in the two orders (low confidence).",
                  markup=False)


def _print_batches(rows: list[dict], cache: Path) -> None:
    if not rows:
        out.print(f"No batches in {cache}.", markup=False)
        return
    for r in rows:
        counts = ", ".join(f"{n} {k}" for k, n in (r.get("counts") or {}).items() if n)
        when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(r["created"])) if r.get("created") else "?"
        tokens = ""
        if r.get("input_tokens") is not None:
            cost = f", ${r['cost_usd']:.4f} at the batch price" if r.get("cost_usd") is not None else ""
            tokens = f"; {r['input_tokens']} input and {r['output_tokens']} output tokens{cost}"
        out.print(f"{r.get('id') or '(not submitted yet)'}  {r['provider']}/{r['model']}  {r['status']}: "
                  f"{r['requests']} requests" + (f" ({counts})" if counts else "") + f"; made {when}{tokens}"
                  + (f"; refused: {r['error']}" if r.get("error") else "") + f"  [{r['local']}]", markup=False)


def review(
    datasets: list[str] = typer.Argument(..., metavar="DATASET", help="Dataset with human annotations (file, "
                                         "directory or hf:NAME); several files of the same samples are combined, "
                                         "as for agreement (e.g. the dataset, then the offline page's results "
                                         "files, or one DataLabel results file per annotator)."),
    output: Path = typer.Option(..., "--output", "-o", help="The JSON report."),
    markdown: Path | None = typer.Option(None, "--markdown", help="Also write a Markdown summary here."),
    template: str | None = typer.Option(None, "--template", "-t", help="Template name (default: the dataset's "
                                        "schema, else one inferred from the answers)."),
    schema: str | None = typer.Option(None, "--schema", "-s", help="Schema file (YAML / JSON) or template name."),
    provider: str | None = ProviderOpt,
    model: str | None = ModelOpt,
    base_url: str | None = BaseUrlOpt,
    api_key_env: str | None = ApiKeyEnvOpt,
    temperature: float = typer.Option(0.0, "--temperature", help="Sampling temperature."),
    timeout: float = typer.Option(60.0, "--timeout", help="Seconds to wait for one answer before retrying."),
    max_retries: int = typer.Option(4, "--max-retries", min=0, help="Retries of a call on 429, 5xx or timeout."),
    concurrency: int = typer.Option(8, "--concurrency", "-c", min=1, help="LLM calls in flight at once."),
    max_explanations: int | None = typer.Option(None, "--max-explanations", min=0, help="Explain at most this many "
                                                "disagreements (the strongest first)."),
    cache: Path = CacheOpt,
    no_cache: bool = NoCacheOpt,
    min_seconds: float = typer.Option(3.0, "--min-seconds", help="Time on a task below this is too fast."),
    fast_ratio: float = typer.Option(0.25, "--fast-ratio", help="... and so is time below this share of the "
                                     "median time per task."),
    straight_run: int = typer.Option(10, "--straight-run", min=2, help="Flag the same answer (or screen position) "
                                     "on this many tasks in a row."),
    position_alpha: float = typer.Option(0.01, "--position-alpha", help="Significance of the binomial test for "
                                         "picking one screen position more than chance (Bonferroni-corrected)."),
    position_min_answers: int = typer.Option(10, "--position-min-answers", min=1, help="Answers an annotator "
                                             "needs before the position test is made."),
    prediction_min_score: float = typer.Option(0.7, "--prediction-min-score", help="Only pre-labels at least this "
                                               "confident count as strong disagreement."),
    rating_gap: float = typer.Option(2.0, "--rating-gap", help="Ratings this far apart are a strong disagreement."),
    min_annotators: int = typer.Option(3, "--min-annotators", min=2, help="Answers a sample needs before a person "
                                       "is compared with the majority."),
    seed: int = typer.Option(0, "--seed", help="Seed of the answer order shown to the LLM."),
    include_accepted: bool = typer.Option(False, "--include-accepted-predictions", help="Count a person's "
                                          "annotation that is a model prediction accepted unchanged (e.g. in Label "
                                          "Studio) as their own answer; by default it is left out of the checks, "
                                          "and counted."),
    gold_min: float = typer.Option(0.7, "--gold-min", help="Flag people whose accuracy on hidden gold samples "
                                   "(from a plan) is below this share."),
    fmt: str = typer.Option("auto", "--format", "-f", help="Input format, or 'auto'."),
    as_json: bool = JsonTextOpt,
    quiet: bool = QuietOpt,
) -> None:
    """Flag suspicious human annotations: disagreement, too little time, straight-lining, position bias.

    Disagreement is with a confident pre-label or with the other annotators; with --provider, an LLM explains
    each disagreement.
    """
    quiet = quiet or as_json
    with progress_phases(quiet, "Reading", "Explaining") as (reading, report):
        res = ops.review(datasets, output=output, markdown=markdown, template=template, schema=schema,
                         provider=provider, model=model, base_url=base_url, api_key_env=api_key_env,
                         temperature=temperature, timeout=timeout, max_retries=max_retries, concurrency=concurrency,
                         max_explanations=max_explanations, cache=None if no_cache else cache,
                         min_seconds=min_seconds, fast_ratio=fast_ratio, straight_run=straight_run,
                         position_alpha=position_alpha, position_min_answers=position_min_answers,
                         prediction_min_score=prediction_min_score, rating_gap=rating_gap,
                         min_annotators=min_annotators, seed=seed, fmt=fmt, note=notes(quiet), reading=reading,
                         progress=report, include_accepted=include_accepted, gold_min=gold_min)
    summary = {"output": res.output, "markdown": res.markdown, **res.summary}
    if res.report.get("gold"):
        summary["gold"] = res.report["gold"]
    if as_json:
        out.print_json(json.dumps(summary, default=str))
        return
    by = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in summary["by_kind"].items() if n) or "nothing"
    out.print(f"Reviewed {summary['human_annotations']} human annotations by {summary['annotators']} annotators on "
              f"{summary['samples']} samples: {summary['flags']} flags ({by}). Wrote {output}"
              + (f" and {markdown}." if markdown else "."), markup=False)
    if summary.get("accepted_predictions") and not summary.get("include_accepted"):
        from labelloop.quality.render import accepted_note

        out.print(accepted_note(summary["accepted_predictions"]), markup=False)
    if summary.get("gold"):
        from labelloop.quality.gold import GoldAccuracy, gold_line

        out.print("Gold checks (answers on the hidden gold samples):", markup=False)
        for g in summary["gold"]:
            out.print("  " + gold_line(GoldAccuracy(**g)), markup=False)
    e = summary["explanations"]
    if e is not None:
        out.print(f"Explanations by {e['annotator']}: {e['explained']} of {e['asked']} ({e['failed']} failed, "
                  f"{e['cached']} from cache, {e['calls']} calls).", markup=False)


def guidelines(
    dataset: str | None = typer.Argument(None, help="Dataset to take worked examples from (optional)."),
    output: Path = typer.Option(..., "--output", "-o", help="The Markdown file to write."),
    template: str | None = typer.Option(None, "--template", "-t", help="Template name (e.g. rewardbench)."),
    schema: str | None = typer.Option(None, "--schema", "-s", help="Schema file (YAML / JSON) or template name."),
    language: str = typer.Option("en", "--language", "-l", help="Language of the guidelines (other than English "
                                 "needs --provider)."),
    examples: int = typer.Option(3, "--examples", min=0, help="Worked examples taken from the dataset (seeded; "
                                 "samples with reference labels first)."),
    provider: str | None = ProviderOpt,
    model: str | None = ModelOpt,
    base_url: str | None = BaseUrlOpt,
    api_key_env: str | None = ApiKeyEnvOpt,
    temperature: float = typer.Option(0.0, "--temperature", help="Sampling temperature."),
    timeout: float = typer.Option(120.0, "--timeout", help="Seconds to wait for the answer before retrying."),
    max_retries: int = typer.Option(4, "--max-retries", min=0, help="Retries of a call on 429, 5xx or timeout."),
    cache: Path = CacheOpt,
    no_cache: bool = NoCacheOpt,
    seed: int = typer.Option(0, "--seed", help="Seed of the example choice."),
    fmt: str = typer.Option("auto", "--format", "-f", help="Input format, or 'auto'."),
    as_json: bool = JsonTextOpt,
    quiet: bool = QuietOpt,
) -> None:
    """Draft annotation guidelines from the schema and a few examples (an LLM improves them with --provider).

    Use the file with `labelloop create --guidelines` or `labelloop labelstudio push --guidelines`.
    """
    with progress_phases(quiet or as_json, "Reading") as (reading,):
        res = ops.guidelines(dataset, output=output, template=template, schema=schema, language=language,
                             examples=examples, provider=provider, model=model, base_url=base_url,
                             api_key_env=api_key_env, temperature=temperature, timeout=timeout,
                             max_retries=max_retries, cache=None if no_cache else cache, seed=seed, fmt=fmt,
                             note=notes(quiet or as_json), reading=reading)
    if as_json:
        out.print_json(json.dumps(res.as_dict()))
        return
    note(f"Use it with: labelloop create DATASET --guidelines {output}  or  labelloop labelstudio push DATASET "
         f"--guidelines {output}", quiet)
    out.print(f"Wrote {output}: guidelines for schema {res.schema_name} ({res.examples} worked examples, "
              f"{'written by ' + res.by if provider else 'deterministic draft'}).", markup=False)


def select_cmd(
    dataset: str = typer.Argument(..., help="Dataset file (samples with people's labels and without)."),
    output: Path = typer.Option(..., "--output", "-o", help="Selection file: JSONL (one {sample_id, rank, "
                                "score, reason} a line), .json, or .txt (ids only)."),
    strategy: str = typer.Option("mix", "--strategy", help="least_confidence, margin, entropy, disagreement, "
                                 "diversity, mix (uncertainty + diversity) or random."),
    batch_size: int = typer.Option(20, "--batch-size", "-k", min=1, help="How many samples to pick."),
    predictor: str = typer.Option("tfidf", "--predictor", help="tfidf (light), embedding (ml extra) or a "
                                  "registered one."),
    fit_on: str = typer.Option("human", "--fit-on", help="Annotation kinds that count as labelled "
                               "(comma-separated: human, reference, aggregate)."),
    template: str | None = typer.Option(None, "--template", "-t", help="Template, if the dataset has no schema."),
    seed: int = typer.Option(0, "--seed", help="Seed of every random choice (ties, diversity, random)."),
    fmt: str = FormatOpt,
    as_json: bool = JsonOpt,
    quiet: bool = QuietOpt,
) -> None:
    """Pick the samples people should label next, best first."""
    with progress_phases(quiet or as_json, "Reading") as (reading,):
        sel = ops.select(dataset, output=output, strategy=strategy, batch_size=batch_size, predictor=predictor,
                         fit_on=fit_on, template=template, seed=seed, fmt=fmt, note=notes(quiet or as_json),
                         reading=reading)
    picks = sel.result.selections
    if as_json:
        out.print_json(json.dumps({"output": str(output), "strategy": strategy, "selected": len(picks),
                                   "labelled": sel.labelled, "samples": sel.samples,
                                   "selections": [p.model_dump() for p in picks]}))
        return
    out.print(f"Selected {len(picks)} of {sel.samples - sel.labelled} unlabelled samples by {strategy} "
              f"({sel.labelled} labelled). Wrote {output}.", markup=False)
    for p in picks[:10]:
        out.print(f"{p.rank:>3}. {p.sample_id}  {p.score:.3f}  {p.reason}", markup=False)
